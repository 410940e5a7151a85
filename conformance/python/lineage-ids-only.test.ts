// `mlmd-ts serve --lineage_nodes`: the official Python client's get_lineage_subgraph returns the
// same graphs whether the server answers its first call with whole nodes or with ids only, and
// under the default (`auto`) only that client's request is answered with ids; requests that may
// read the nodes (an empty mask, as mlmd-ts's own client and explorer send, or a partial mask)
// still get whole nodes. Real `mlmd-ts serve` processes over one file, driven by
// conformance/python/lineage_ids_only.py.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../../src/client/metadata-store-client.js'
import { lastJsonLine, runPythonAsync } from './support.js'
import { describeWithMlmd, PYTHON_DIR, REPO_ROOT } from './venv.js'

const TSX = createRequire(import.meta.url).resolve('tsx')
const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts')
const SCRIPT = path.join(PYTHON_DIR, 'lineage_ids_only.py')

interface FirstAnswer {
  bytes: number
  node_fields: Record<'artifacts' | 'executions' | 'contexts', string[]>
  ids: Record<'artifacts' | 'executions' | 'contexts', number[]>
  events: number
}

interface ReadResult {
  client_mask: string[]
  public: Record<string, { graph: Record<string, unknown>; rpcs: string[] }>
  first: Record<'client mask' | 'empty mask' | 'partial mask', FirstAnswer>
}

interface Served {
  readonly port: number
  stop(): Promise<void>
}

/** Starts `mlmd-ts serve` on `file` with `args`; resolves at its start line. */
function serve(file: string, args: readonly string[]): Promise<Served> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', TSX, MAIN, 'serve', '--db', file, '--port', '0', ...args],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const port = /^mlmd-ts serving .* on 127\.0\.0\.1:(\d+) /m.exec(stdout)?.[1]
      if (port !== undefined) {
        resolve({
          port: Number(port),
          stop: async () => {
            child.kill('SIGTERM')
            await exited
          },
        })
      }
    })
    void exited.then(() => reject(new Error(`mlmd-ts serve ${args.join(' ')} exited:\n${stdout}${stderr}`)))
  })
}

async function python(port: number, mode: 'fill' | 'read'): Promise<string> {
  const { code, output, stdout } = await runPythonAsync([SCRIPT, String(port), mode], { timeoutMs: 120_000 })
  expect(code, output).toBe(0)
  return stdout
}

const HYDRATING_RPCS = [
  'GetLineageSubgraph',
  'GetArtifactsByID',
  'GetExecutionsByID',
  'GetExecutionTypesByID',
  'GetContextsByID',
  'GetContextTypesByID',
]

describeWithMlmd('GetLineageSubgraph with ids-only nodes for the official Python client', () => {
  let dir: string
  let file: string
  const results: Partial<Record<'auto' | 'whole' | 'ids', ReadResult>> = {}

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-lineage-ids-'))
    file = path.join(dir, 'mlmd.sqlite')
    // One server at a time on the file: the same rows, ids and stamps for every mode.
    for (const mode of ['auto', 'whole', 'ids'] as const) {
      const server = await serve(file, mode === 'auto' ? [] : ['--lineage_nodes', mode])
      try {
        if (mode === 'auto') await python(server.port, 'fill')
        results[mode] = lastJsonLine<ReadResult>(await python(server.port, 'read'))
        if (mode === 'auto') {
          // mlmd-ts's own client sends no read mask (the explorer's request) and reads whole nodes.
          const client = createMetadataStoreClient({ port: server.port })
          try {
            const { lineage_subgraph: graph } = await client.getLineageSubgraph({
              lineage_subgraph_query_options: { starting_artifacts: { filter_query: "uri = 'mem://a0'" } },
            })
            expect(graph?.artifacts?.map((a) => a.uri).sort()).toEqual(['mem://a0', 'mem://a1', 'mem://a2'])
            expect(graph?.executions?.map((e) => e.properties?.steps?.int_value)).toEqual([100n, 200n])
            expect(graph?.contexts?.map((c) => c.name)).toEqual(['run-1'])
          } finally {
            client.close()
          }
        }
      } finally {
        await server.stop()
      }
    }
  }, 240_000)
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('sends the mask the server recognises when the caller gives none', () => {
    expect(results.auto?.client_mask).toEqual([
      'artifacts',
      'executions',
      'contexts',
      'events',
      'attributions',
      'associations',
      'parent_contexts',
    ])
  })

  it('returns the same graphs from the public call, whole or ids-only first answers', () => {
    const auto = results.auto?.public
    expect(Object.keys(auto ?? {}).sort()).toEqual(
      ['lone artifact', 'masked', 'no hops', 'one hop', 'upstream', 'whole'].sort(),
    )
    expect(auto).toEqual(results.whole?.public)
    expect(auto).toEqual(results.ids?.public)
    const whole = auto?.whole?.graph as { artifacts: { uri: string; properties?: object }[] } | undefined
    expect(whole?.artifacts.map((a) => a.uri)).toEqual(['mem://a0', 'mem://a1', 'mem://a2'])
    expect(whole?.artifacts[0]?.properties).toBeDefined()
    expect(auto?.whole?.rpcs).toEqual(HYDRATING_RPCS)
    const lone = auto?.['lone artifact']?.graph as { artifacts: { uri: string }[] } | undefined
    expect(lone?.artifacts).toEqual([expect.objectContaining({ uri: 'mem://lone' })])
  })

  it('answers the client mask with ids only under auto and ids, and with whole nodes under whole', () => {
    const idsOnly = { artifacts: ['id'], executions: ['id'], contexts: ['id'] }
    expect(results.auto?.first['client mask'].node_fields).toEqual(idsOnly)
    expect(results.ids?.first['client mask'].node_fields).toEqual(idsOnly)
    const whole = results.whole?.first['client mask']
    expect(whole?.node_fields.artifacts).toEqual(
      expect.arrayContaining(['id', 'type_id', 'uri', 'properties']),
    )
    expect(whole?.node_fields.executions).toEqual(expect.arrayContaining(['id', 'type_id', 'properties']))
    expect(whole?.node_fields.contexts).toEqual(expect.arrayContaining(['id', 'type_id', 'name']))
    // The same nodes and edges, fewer bytes.
    expect(results.auto?.first['client mask'].ids).toEqual(whole?.ids)
    expect(results.auto?.first['client mask'].events).toEqual(whole?.events)
    expect(results.auto?.first['client mask'].bytes).toBeLessThan((whole?.bytes ?? 0) / 2)
  })

  it('keeps whole nodes under auto for masks that may read them', () => {
    for (const mask of ['empty mask', 'partial mask'] as const) {
      expect(results.auto?.first[mask]).toEqual(results.whole?.first[mask])
      expect(results.auto?.first[mask].node_fields.artifacts).toContain('uri')
    }
    expect(results.ids?.first['empty mask'].node_fields.artifacts).toEqual(['id'])
  })
})
