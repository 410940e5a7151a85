/**
 * A second writer process for the reliability suites: the in-process store (our public API,
 * no server) writing the workload's PutExecutions into a file that a server also serves.
 *
 *   node --import tsx store-writer.ts --db FILE --prefix P --count N --outputs K
 *
 * Prints, each line written synchronously (so a SIGKILL loses nothing printed before it):
 * `start <name>` before a write, `ack <name>` after its commit, `retry <name>` for each ABORTED
 * it retries, `fail <name> <code> <message>` for anything else, then `done`. `--count 0`
 * writes until killed.
 */
import { writeSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  Code,
  createMetadataStore,
  MlmdError,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../../src/index.js'
import { putExecutionRequest, workloadTypes } from './support.js'

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    prefix: { type: 'string', default: 'proc' },
    count: { type: 'string', default: '0' },
    outputs: { type: 'string', default: '2' },
  },
})
const print = (line: string) => writeSync(1, `${line}\n`)
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

// Retries ABORTED (lock contention with another process) as MLMD's clients do.
function retrying<T>(name: string, body: () => T): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return body()
    } catch (error) {
      if (!(error instanceof MlmdError) || error.code !== Code.Aborted || attempt >= 20) throw error
      print(`retry ${name}`)
      sleep(50 + Math.floor(Math.random() * 150))
    }
  }
}

const store: OwnedMetadataStore = retrying('open', () =>
  createMetadataStore({ filename: values.db as string }),
)
const types = await workloadTypes(toAsyncMetadataStore(store))
const count = Number(values.count)
const outputs = Number(values.outputs)
for (let i = 0; count === 0 || i < count; i++) {
  const name = `${values.prefix}-${i}`
  const request = putExecutionRequest(types, name, outputs)
  print(`start ${name}`)
  try {
    retrying(name, () => store.putExecution(request))
    print(`ack ${name}`)
  } catch (error) {
    const failure = MlmdError.from(error)
    print(`fail ${name} ${failure.code} ${failure.rawMessage.replace(/\n/g, ' ')}`)
  }
}
store.close()
print('done')
