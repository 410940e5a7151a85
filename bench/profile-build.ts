import { createMetadataStore } from '../src/index.js'
import { buildRuns } from './lib/scale.js'

const file = process.argv[2] as string
const runs = Number(process.argv[3] ?? 300)
const store = createMetadataStore({ filename: file })
const r = buildRuns(store, { fromRun: 0, toRun: runs }, () => {})
console.log(JSON.stringify(r), (r.seconds * 1e6) / r.putExecutions, 'us per PutExecution')
store.close()
