/**
 * Profiles `mlmd-ts serve` under the Python client: starts the server with `--cpu-prof` on a
 * store file, sends N calls of one RPC from the Python driver, stops the server (which writes
 * the profile) and prints where the server's time went.
 *
 *   node --import tsx bench/profile-server.ts FILE.sqlite [OP] [N]
 *
 * OP is `by-id` (GetArtifactsByID, 5 ids; the default), `empty` (GetContextTypesByID with no
 * ids), `page` (GetArtifacts, the first page of 100), `by-type` (GetArtifactsByType of the
 * type `Dataset`, all of it: 2,000 artifacts in bench/server.ts's store) or `lineage`
 * (GetLineageSubgraph, 3 hops).
 */
import { mkdtempSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { scaleFacts } from './lib/inspect.js'
import { pyDriver, Server } from './lib/processes.js'
import type { WorkItem } from './lib/protocol.js'
import { MinStdRand0 } from './lib/rng.js'
import { summarize } from './lib/stats.js'

const [file, opName = 'by-id', count = '2000'] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-server.ts FILE.sqlite [by-id|empty|page|by-type|lineage] [N]')
const n = Number(count)
const rng = new MinStdRand0(7)
const facts = scaleFacts(file)
const ops: Record<string, { op: string; item: () => WorkItem; pyPublic?: boolean }> = {
  'by-id': {
    op: 'GetArtifactsByID',
    item: () => ({ req: { artifact_ids: Array.from({ length: 5 }, () => rng.int(1, facts.maxArtifact)) } }),
  },
  empty: { op: 'GetContextTypesByID', item: () => ({ req: { type_ids: [] } }) },
  page: { op: 'GetArtifacts', item: () => ({ req: { options: { max_result_size: 100 } } }) },
  'by-type': { op: 'GetArtifactsByType', item: () => ({ req: { type_name: 'Dataset' } }) },
  lineage: {
    op: 'GetLineageSubgraph',
    pyPublic: true,
    item: () => ({
      req: {
        lineage_subgraph_query_options: {
          starting_artifacts: { filter_query: `id = ${rng.int(1, facts.maxArtifact)}` },
          max_num_hops: 3,
          direction: 3,
        },
      },
    }),
  },
}
const chosen = ops[opName]
if (!chosen) throw new Error(`unknown op ${opName}`)
const profDir = mkdtempSync(path.join(os.tmpdir(), 'mlmd-server-prof-'))
const server = await Server.start(file, ['--cpu-prof', `--cpu-prof-dir=${profDir}`])
const driver = pyDriver('profile')
await driver.request({ cmd: 'open', handle: 'p', spec: { kind: 'grpc', port: server.port } })
const items = Array.from({ length: n }, chosen.item)
const result = await driver.request<{ lat_us: number[] }>({
  cmd: 'run',
  handle: 'p',
  op: chosen.op,
  items,
  pyPublic: chosen.pyPublic === true,
})
const s = summarize(result.lat_us)
await driver.stop()
await server.stop()
process.stdout.write(
  `${n} × ${chosen.op} through the Python client: p50 ${s.p50_us.toFixed(0)} µs, mean ${s.mean_us.toFixed(0)} µs\n` +
    `server profile: ${readdirSync(profDir)
      .map((f) => path.join(profDir, f))
      .join(' ')}\n` +
    `summarize it with: node --import tsx bench/profile-summary.ts <file>\n`,
)
