import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeCertificates } from '../../conformance/reliability/support.js'
import { seedStore } from '../../examples/seed-store.js'
import { createGrpcServer, type GrpcServer } from '../service/grpc-server.js'
import { createMetadataStore } from '../store/metadata-store.js'
import type { CliIo } from './io.js'
import { main } from './main.js'

// One store with the seed scenario: seed-a runs ingest → preprocess → train → evaluate
// (executions 1-4), seed-b reuses ingest and preprocess from the cache (5, 6) and runs its own
// train and evaluate (7, 8). Artifacts: 1 examples, 2 transformed examples, 3 transform graph,
// 4 and 6 models, 5 and 7 evaluations.
let dir: string
let db: string

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-explore-'))
  db = path.join(dir, 'seed.sqlite')
  await seedStore(db, path.join(dir, 'root'))
}, 60_000)
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    cwd: dir,
    waitForSignal: () => new Promise(() => {}),
  }
  const code = await main(argv, io)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('mlmd-ts ls', () => {
  it('lists artifacts newest first with type, state and uri', async () => {
    const { code, out } = await run('ls', 'artifacts', '--db', db)
    expect(code).toBe(0)
    const lines = out.split('\n')
    expect(lines[0]).toMatch(/^id\s+type\s+name\s+state\s+uri\s+created$/)
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['7', '6', '5', '4', '3', '2', '1'])
    expect(lines[7]).toMatch(/^1\s+Examples\s+LIVE\s+\S+ingest\/examples\/1\s/)
  })

  it('filters with filter_query and orders ascending', async () => {
    const { code, out } = await run(
      'ls',
      'executions',
      '--db',
      db,
      '--filter',
      'last_known_state = CACHED',
      '--asc',
    )
    expect(code).toBe(0)
    expect(
      out
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/).slice(0, 2)),
    ).toEqual([
      ['5', 'tsrunner.examples.SyntheticRegressionGen'],
      ['6', 'tsrunner.examples.Standardize'],
    ])
  })

  it('prints the protobuf JSON mapping and pages with the token it prints', async () => {
    const first = await run('ls', 'contexts', '--db', db, '--json', '--limit', '2', '--asc')
    expect(first.code).toBe(0)
    const page = JSON.parse(first.out) as { contexts: Record<string, unknown>[]; nextPageToken: string }
    expect(page.contexts.map((c) => [c.id, c.type, c.name])).toEqual([
      ['1', 'pipeline', 'seed-a'],
      ['2', 'pipeline_run', expect.any(String)],
    ])
    expect(typeof page.contexts[0]?.createTimeSinceEpoch).toBe('string')
    const second = await run(
      'ls',
      'contexts',
      '--db',
      db,
      '--json',
      '--limit',
      '2',
      '--asc',
      '--page-token',
      page.nextPageToken,
    )
    const next = JSON.parse(second.out) as { contexts: { id: string; name: string }[] }
    expect(next.contexts.map((c) => [c.id, c.name])).toEqual([
      ['3', 'seed-a.ingest'],
      ['4', expect.stringMatching(/^[0-9a-f]{64}$/)],
    ])
  })

  it('shows enums by name and Value kinds in JSON', async () => {
    const { out } = await run('ls', 'executions', '--db', db, '--json', '--filter', 'id = 7')
    const [execution] = (JSON.parse(out) as { executions: Record<string, unknown>[] }).executions
    expect(execution?.lastKnownState).toBe('COMPLETE')
    expect(execution?.customProperties).toMatchObject({
      epochs: { intValue: '100' },
      learning_rate: { doubleValue: 0.5 },
    })
  })

  it('lists every type by kind', async () => {
    const { code, out } = await run('ls', 'types', '--db', db)
    expect(code).toBe(0)
    expect(out).toMatch(/\nartifact\s+\d+\s+Examples\s+span, split_names, version\n/)
    expect(out).toMatch(/\nexecution\s+\d+\s+tsrunner\.examples\.GradientDescentTrainer\n/)
    for (const name of ['pipeline', 'pipeline_run', 'node', 'execution_cache']) {
      expect(out).toMatch(new RegExp(`\\ncontext\\s+\\d+\\s+${name}(\\n|$)`))
    }
  })

  it('reports a bad filter as a usage error with MLMD parser message', async () => {
    const { code, err } = await run('ls', 'artifacts', '--db', db, '--filter', 'type = ')
    expect(code).toBe(2)
    expect(err).toContain('Invalid `filter_query`')
  })

  it('refuses unknown lists and missing files', async () => {
    expect((await run('ls', 'widgets', '--db', db)).code).toBe(2)
    const missing = await run('ls', 'artifacts', '--db', path.join(dir, 'nope.sqlite'))
    expect(missing.code).toBe(1)
  })
})

describe('mlmd-ts show', () => {
  it('prints a cached execution with its custom properties, events and contexts', async () => {
    const { code, out } = await run('show', 'execution', '5', '--db', db)
    expect(code).toBe(0)
    expect(out).toContain('type: tsrunner.examples.SyntheticRegressionGen')
    expect(out).toContain('state: CACHED')
    expect(out).toMatch(/custom properties:\n(.*\n)* {2}rows: 200\n/)
    expect(out).toMatch(
      /events:\n\s+type\s+artifact\s+artifact type\s+path\n\s+OUTPUT\s+1\s+Examples\s+examples\/0/,
    )
    expect(out).toMatch(/contexts:\n(.*\n)*\s+11\s+pipeline\s+seed-b\n/)
    expect(out).toMatch(/\s+13\s+node\s+seed-b\.ingest/)
  })

  it('says why a step that ran missed the cache: what differs from the closest earlier run', async () => {
    const { code, out } = await run('show', 'execution', '7', '--db', db)
    expect(code).toBe(0)
    expect(out).toMatch(
      /why it ran \(cache miss\):\n {2}differs from execution 3 \(seed-a\.train\) in step type, step code, parameter epochs, parameter l2, parameter learning_rate\n/,
    )
    expect(out).toContain('    parameter l2: 0 → (none)\n')
    expect(out).toContain('  cache lookup: no earlier execution has this cache key')
    const first = await run('show', 'execution', '1', '--db', db)
    expect(first.out).toContain('first run of node ingest: no earlier successful execution to compare with')
    // A cache hit did not miss: nothing to explain.
    expect((await run('show', 'execution', '5', '--db', db)).out).not.toContain('why it ran')
    const shown = JSON.parse((await run('show', 'execution', '7', '--db', db, '--json')).out) as {
      cacheMiss: { comparedWith: unknown; differences: { ingredient: string }[] }
    }
    expect(shown.cacheMiss.comparedWith).toEqual({ executionId: '3', nodeContext: 'seed-a.train' })
    expect(shown.cacheMiss.differences.map((d) => d.ingredient)).toEqual([
      'step type',
      'step code',
      'parameter epochs',
      'parameter l2',
      'parameter learning_rate',
    ])
  })

  it('prints a context with its parents, children, executions and artifacts', async () => {
    const { out } = await run('show', 'context', '1', '--db', db)
    expect(out).toMatch(/child contexts:\n\s+2\s+pipeline_run\s/)
    expect(out).toMatch(/executions:\n\s+1\s+tsrunner\.examples\.SyntheticRegressionGen\s+COMPLETE/)
  })

  it('prints the protobuf JSON mapping', async () => {
    const { out } = await run('show', 'artifact', '1', '--db', db, '--json')
    const shown = JSON.parse(out) as {
      artifact: Record<string, unknown>
      events: { executionId: string; type: string }[]
      contexts: { name: string }[]
    }
    expect(shown.artifact).toMatchObject({
      id: '1',
      type: 'Examples',
      state: 'LIVE',
      properties: { span: { intValue: '0' } },
    })
    expect(shown.events.map((e) => [e.executionId, e.type])).toEqual([
      ['1', 'OUTPUT'],
      ['2', 'INPUT'],
      ['5', 'OUTPUT'],
      ['6', 'INPUT'],
    ])
    expect(shown.contexts.map((c) => c.name)).toContain('seed-b')
  })

  it('fails with exit code 1 for an id that does not exist', async () => {
    const { code, err } = await run('show', 'artifact', '999', '--db', db)
    expect(code).toBe(1)
    expect(err).toBe('mlmd-ts: No artifact with id 999')
    expect((await run('show', 'artifact', 'x1', '--db', db)).code).toBe(2)
  })
})

const SEED_A_MODEL_DOT = `digraph lineage {
  rankdir=LR;
  node [fontname="Helvetica", fontsize=10];
  edge [fontname="Helvetica", fontsize=8];
  "a2" [label="Examples #2\\ntransformed_examples/2\\nLIVE", shape=box];
  "a4" [label="Model #4\\nmodel/3\\nLIVE", shape=box, penwidth=2.5, style=filled, fillcolor="#fff3c4"];
  "a5" [label="ModelEvaluation #5\\nevaluation/4\\nLIVE", shape=box];
  "e3" [label="tsrunner.examples.LeastSquaresTrainer #3\\nseed-a.train\\nCOMPLETE", shape=ellipse];
  "e4" [label="tsrunner.examples.RegressionEvaluator #4\\nseed-a.evaluate\\nCOMPLETE", shape=ellipse];
  "a2" -> "e3" [label="INPUT"];
  "a2" -> "e4" [label="INPUT"];
  "a4" -> "e4" [label="INPUT"];
  "e3" -> "a4" [label="OUTPUT"];
  "e4" -> "a5" [label="OUTPUT"];
}`

const SEED_B_INGEST_MERMAID = `flowchart LR
  a1["Examples #35;1<br/>examples/1<br/>LIVE"]
  a2["Examples #35;2<br/>transformed_examples/2<br/>LIVE"]
  a3["TransformGraph #35;3<br/>transform_graph/2<br/>LIVE"]
  e1(["tsrunner.examples.SyntheticRegressionGen #35;1<br/>seed-a.ingest<br/>COMPLETE"])
  e2(["tsrunner.examples.Standardize #35;2<br/>seed-a.preprocess<br/>COMPLETE"])
  e5(["tsrunner.examples.SyntheticRegressionGen #35;5<br/>seed-b.ingest<br/>CACHED"])
  e6(["tsrunner.examples.Standardize #35;6<br/>seed-b.preprocess<br/>CACHED"])
  a1 -->|INPUT| e2
  a1 -->|INPUT| e6
  e1 -->|OUTPUT| a1
  e2 -->|OUTPUT| a2
  e2 -->|OUTPUT| a3
  e5 -->|OUTPUT| a1
  e6 -->|OUTPUT| a2
  e6 -->|OUTPUT| a3
  classDef start stroke-width:3px,fill:#fff3c4
  class e5 start`

describe('mlmd-ts lineage', () => {
  it('prints the seed model lineage as DOT, two hops each way', async () => {
    const { code, out } = await run('lineage', 'artifact', '4', '--db', db, '--hops', '2')
    expect(code).toBe(0)
    expect(out).toBe(SEED_A_MODEL_DOT)
  })

  it('prints the lineage of a cached step as Mermaid', async () => {
    const { code, out } = await run(
      'lineage',
      'execution',
      '5',
      '--db',
      db,
      '--hops',
      '3',
      '--format',
      'mermaid',
    )
    expect(code).toBe(0)
    expect(out).toBe(SEED_B_INGEST_MERMAID)
  })

  it('draws the seed lineage as SVG, laid out left to right', async () => {
    const { code, out } = await run('lineage', 'artifact', '4', '--db', db, '--hops', '2', '--format', 'svg')
    expect(code).toBe(0)
    expect(out.match(/<g class="node artifact">/g)).toHaveLength(3)
    expect(out.match(/<g class="node execution">/g)).toHaveLength(2)
    expect(out.match(/<polyline class="edge"/g)).toHaveLength(5)
    const x = (label: string) => Number(new RegExp(`<text x="([\\d.]+)"[^>]*>${label}</text>`).exec(out)?.[1])
    expect(x('tsrunner.examples.LeastSquaresTrainer #3')).toBeLessThan(x('Model #4'))
    expect(x('Model #4')).toBeLessThan(x('tsrunner.examples.RegressionEvaluator #4'))
  })

  it('follows one direction only', async () => {
    const { out } = await run(
      'lineage',
      'artifact',
      '5',
      '--db',
      db,
      '--direction',
      'upstream',
      '--hops',
      '1',
      '--format',
      'json',
    )
    const view = JSON.parse(out) as { nodes: { key: string }[]; edges: { from: string; to: string }[] }
    expect(view.nodes.map((n) => n.key)).toEqual(['a5', 'e4'])
    expect(view.edges).toEqual([{ from: 'e4', to: 'a5', eventType: 'OUTPUT' }])
  })

  it('rejects bad formats, hops and kinds', async () => {
    expect((await run('lineage', 'artifact', '4', '--db', db, '--format', 'png')).code).toBe(2)
    expect((await run('lineage', 'artifact', '4', '--db', db, '--hops', '99')).code).toBe(2)
    expect((await run('lineage', 'context', '1', '--db', db)).code).toBe(2)
    expect((await run('lineage', 'artifact', '99', '--db', db)).err).toBe('mlmd-ts: No artifact with id 99')
  })
})

describe('mlmd-ts runs', () => {
  it('lists every pipeline with cache hits and time saved per run', async () => {
    const { code, out } = await run('runs', '--db', db)
    expect(code).toBe(0)
    expect(out).toMatch(/^pipeline seed-a \(context 1\): 1 run\n/)
    expect(out).toMatch(/\n\s+\S+\s+2\s+4\s+4\s+0\s+0\s+\d+(\.\d+)? m?s\n/)
    expect(out).toMatch(
      /pipeline seed-b \(context 11\): 1 run\n.*\n\s+\S+\s+12\s+4\s+2\s+2\s+0\s+\S+ m?s\s+\S+ m?s$/,
    )
  })

  it('shows the steps of a pipeline: which were cached, from which execution and run', async () => {
    const { code, out } = await run('runs', 'seed-b', '--db', db)
    expect(code).toBe(0)
    const runA = JSON.parse((await run('runs', 'seed-a', '--db', db, '--json')).out)[0].runs[0].run
      .name as string
    expect(out).toMatch(
      new RegExp(
        `\\n\\s+ingest\\s+5\\s+cached\\s+\\S+ m?s\\s+1\\s+${runA.replace(/\./g, '\\.')}\\s+\\S+ m?s\\n`,
      ),
    )
    expect(out).toMatch(
      new RegExp(`\\n\\s+preprocess\\s+6\\s+cached\\s+\\S+ m?s\\s+2\\s+${runA.replace(/\./g, '\\.')}`),
    )
    expect(out).toMatch(/\n\s+train\s+7\s+ran\s+\S+ m?s\n/)
    expect(out).toMatch(/\n\s+evaluate\s+8\s+ran\s+\S+ m?s$/)
  })

  it('prints JSON with totals equal to the sum of the reused executions durations', async () => {
    const { out } = await run('runs', 'seed-b', '--db', db, '--json')
    const [summary] = JSON.parse(out) as {
      runs: {
        totals: { steps: number; ran: number; cached: number; savedMs: number }
        steps: { node: string; status: string; reusedExecutionId?: string; savedMs?: number }[]
      }[]
    }[]
    const runB = summary?.runs[0]
    expect(runB?.totals).toMatchObject({ steps: 4, ran: 2, cached: 2, failed: 0 })
    const store = createMetadataStore({ filename: db, readonly: true })
    try {
      const { executions } = store.getExecutionsByID({ execution_ids: [1n, 2n] })
      const durations = executions.map((e) =>
        Number((e.last_update_time_since_epoch as bigint) - (e.create_time_since_epoch as bigint)),
      )
      expect(
        runB?.steps.filter((s) => s.status === 'cached').map((s) => [s.node, s.reusedExecutionId, s.savedMs]),
      ).toEqual([
        ['ingest', '1', durations[0]],
        ['preprocess', '2', durations[1]],
      ])
      expect(runB?.totals.savedMs).toBe((durations[0] ?? 0) + (durations[1] ?? 0))
    } finally {
      store.close()
    }
  })

  it('fails for an unknown pipeline', async () => {
    const { code, err } = await run('runs', 'nope', '--db', db)
    expect(code).toBe(1)
    expect(err).toBe('mlmd-ts: No pipeline nope')
  })
})

describe('over gRPC', () => {
  let server: GrpcServer
  let owned: ReturnType<typeof createMetadataStore>
  beforeAll(async () => {
    owned = createMetadataStore({ filename: db, readonly: true })
    server = await createGrpcServer({ store: owned, port: 0 })
  })
  afterAll(async () => {
    await server?.shutdown()
    owned?.close()
  })

  it('answers every command as it does in process', async () => {
    const address = `127.0.0.1:${server.port}`
    for (const argv of [
      ['runs', 'seed-b'],
      ['lineage', 'artifact', '4', '--hops', '2'],
      ['show', 'execution', '5', '--json'],
      ['show', 'execution', '7'],
      ['ls', 'artifacts', '--json'],
    ]) {
      const local = await run(...argv, '--db', db)
      const remote = await run(...argv, '--grpc', address)
      expect(remote).toEqual(local)
    }
  })

  it('refuses --db together with --grpc, and a malformed address', async () => {
    expect((await run('runs', '--db', db, '--grpc', '127.0.0.1:1')).code).toBe(2)
    expect((await run('runs', '--grpc', 'localhost')).code).toBe(2)
  })
})

describe('mlmd-ts ui', () => {
  it('prints its 127.0.0.1 URL, serves the store read-only, and stops at a signal', async () => {
    let stop: () => void = () => {}
    const stopped = new Promise<void>((resolve) => {
      stop = resolve
    })
    const out: string[] = []
    let printed: (line: string) => void = () => {}
    const started = new Promise<string>((resolve) => {
      printed = resolve
    })
    const io: CliIo = {
      out: (line) => {
        out.push(line)
        printed(line)
      },
      err: (line) => out.push(line),
      cwd: dir,
      waitForSignal: () => stopped,
    }
    const exit = main(['ui', '--db', db, '--port', '0'], io)
    const line = await started
    const url = /on (http:\/\/127\.0\.0\.1:\d+\/) \(read-only/.exec(line)?.[1]
    expect(url, line).toBeDefined()
    const page = await fetch(new URL('/runs/12', url))
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<a href="/pipelines/11">seed-b</a>')
    expect((await fetch(new URL('/runs/12', url), { method: 'POST' })).status).toBe(405)
    stop()
    expect(await exit).toBe(0)
    await expect(fetch(new URL('/runs/12', url))).rejects.toThrow()
  })

  it('rejects a bad port', async () => {
    expect((await run('ui', '--db', db, '--port', 'http')).code).toBe(2)
  })
})

/** Runs a long-lived command (ui, serve) until `stop()`; `line(re)` waits for a printed line. */
function background(argv: string[]) {
  let stop: () => void = () => {}
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  const lines: string[] = []
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = []
  const io: CliIo = {
    out: (l) => {
      lines.push(l)
      for (const w of waiters) {
        const m = w.re.exec(l)
        if (m) w.resolve(m)
      }
    },
    err: (l) => lines.push(l),
    cwd: dir,
    waitForSignal: () => stopped,
  }
  const exit = main(argv, io)
  const line = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve) => {
      const seen = lines.map((l) => re.exec(l)).find((m) => m !== null)
      if (seen) resolve(seen)
      else waiters.push({ re, resolve })
    })
  return { exit, line, stop, lines }
}

describe('mlmd-ts serve --ui-port', () => {
  it('serves the explorer on 127.0.0.1 beside the gRPC API, over the same store', async () => {
    const copy = path.join(dir, 'served.sqlite')
    copyFileSync(db, copy)
    const served = background(['serve', '--db', copy, '--port', '0', '--ui-port', '0'])
    const grpc = await served.line(/on 127\.0\.0\.1:(\d+) \(plaintext\)/)
    const ui = await served.line(/explorer on (http:\/\/127\.0\.0\.1:\d+\/) \(read-only\)/)
    const page = await fetch(new URL('/pipelines/11', ui[1]))
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<td class="num">2<\/td><td class="num">2<\/td><td class="num">0<\/td>/)
    expect((await fetch(new URL('/pipelines/11', ui[1]), { method: 'DELETE' })).status).toBe(405)
    // The gRPC side answers the same store.
    expect((await run('runs', 'seed-b', '--grpc', `127.0.0.1:${grpc[1]}`)).out).toBe(
      (await run('runs', 'seed-b', '--db', db)).out,
    )
    served.stop()
    expect(await served.exit).toBe(0)
  })

  it('refuses --ui-port with a token, which the explorer would bypass', async () => {
    const tokenFile = path.join(dir, 'token-ui')
    writeFileSync(tokenFile, 'secret-token-123', { mode: 0o600 })
    const { code, err } = await run(
      'serve',
      '--db',
      ':memory:',
      '--port',
      '0',
      '--ui-port',
      '0',
      '--auth-token-file',
      tokenFile,
    )
    expect(code).toBe(2)
    expect(err).toContain('--ui-port cannot be combined')
  })
})

describe('against mlmd-ts serve with a bearer token', () => {
  it('reads with --auth-token-file and is refused without it', async () => {
    const copy = path.join(dir, 'token.sqlite')
    copyFileSync(db, copy)
    const tokenFile = path.join(dir, 'token')
    writeFileSync(tokenFile, 'explorer-secret-42', { mode: 0o600 })
    const served = background(['serve', '--db', copy, '--port', '0', '--auth-token-file', tokenFile])
    const [, port] = await served.line(/on 127\.0\.0\.1:(\d+) \(plaintext, bearer token required\)/)
    const address = `127.0.0.1:${port}`
    const withToken = await run('runs', 'seed-b', '--grpc', address, '--auth-token-file', tokenFile)
    expect(withToken).toEqual(await run('runs', 'seed-b', '--db', db))
    const without = await run('runs', 'seed-b', '--grpc', address)
    expect(without.code).toBe(1)
    expect(without.err.toLowerCase()).toContain('token')
    expect((await run('runs', '--db', db, '--auth-token-file', tokenFile)).code).toBe(2)

    const ui = background(['ui', '--grpc', address, '--auth-token-file', tokenFile, '--port', '0'])
    const [, url] = await ui.line(/on (http:\/\/127\.0\.0\.1:\d+\/)/)
    const page = await fetch(new URL('/runs/12', url))
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<a href="/executions/1">execution 1</a>')
    ui.stop()
    expect(await ui.exit).toBe(0)
    served.stop()
    expect(await served.exit).toBe(0)
  })
})

describe('against mlmd-ts serve with TLS', () => {
  let certs: ReturnType<typeof makeCertificates>
  beforeAll(() => {
    const certDir = path.join(dir, 'certs')
    mkdirSync(certDir)
    certs = makeCertificates(certDir)
  }, 60_000)

  it('reads over TLS with --tls-ca, and is refused in plaintext or with another CA', async () => {
    const served = background([
      'serve',
      '--db',
      db,
      '--port',
      '0',
      '--read_workers',
      '0',
      '--tls-cert',
      certs.serverCert,
      '--tls-key',
      certs.serverKey,
    ])
    const [, port] = await served.line(/on 127\.0\.0\.1:(\d+) \(TLS\)/)
    const expected = await run('runs', 'seed-b', '--db', db)
    for (const host of ['127.0.0.1', 'localhost']) {
      expect(await run('runs', 'seed-b', '--grpc', `${host}:${port}`, '--tls-ca', certs.ca)).toEqual(expected)
    }
    const plaintext = await run('runs', 'seed-b', '--grpc', `127.0.0.1:${port}`)
    expect(plaintext.code).toBe(1)
    expect(plaintext.err).toContain('No connection established')
    // The stranger's certificate is no CA this server's certificate chains to.
    const untrusted = await run(
      'runs',
      'seed-b',
      '--grpc',
      `127.0.0.1:${port}`,
      '--tls-ca',
      certs.strangerCert,
    )
    expect(untrusted.code).toBe(1)
    expect(untrusted.err).toContain('unable to verify the first certificate')

    const ui = background(['ui', '--grpc', `localhost:${port}`, '--tls-ca', certs.ca, '--port', '0'])
    const [, url] = await ui.line(
      /on (http:\/\/127\.0\.0\.1:\d+\/) \(read-only, gRPC localhost:\d+ \(TLS\)\)/,
    )
    const page = await fetch(new URL('/executions/7', url))
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Why it ran (cache miss)')
    ui.stop()
    expect(await ui.exit).toBe(0)
    served.stop()
    expect(await served.exit).toBe(0)
  })

  it('presents a client certificate with --tls-cert/--tls-key to a server that verifies clients', async () => {
    const served = background([
      'serve',
      '--db',
      db,
      '--port',
      '0',
      '--read_workers',
      '0',
      '--tls-cert',
      certs.serverCert,
      '--tls-key',
      certs.serverKey,
      '--tls-ca',
      certs.ca,
    ])
    const [, port] = await served.line(/on 127\.0\.0\.1:(\d+) \(mutual TLS\)/)
    const address = `127.0.0.1:${port}`
    const client = ['--tls-ca', certs.ca, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey]
    for (const argv of [
      ['show', 'execution', '7', '--json'],
      ['lineage', 'artifact', '4', '--format', 'mermaid'],
      ['ls', 'artifacts'],
    ]) {
      expect(await run(...argv, '--grpc', address, ...client)).toEqual(await run(...argv, '--db', db))
    }
    // No client certificate, or one from another CA: the handshake fails.
    expect((await run('ls', 'types', '--grpc', address, '--tls-ca', certs.ca)).code).toBe(1)
    const stranger = ['--tls-ca', certs.ca, '--tls-cert', certs.strangerCert, '--tls-key', certs.strangerKey]
    expect((await run('ls', 'types', '--grpc', address, ...stranger)).code).toBe(1)
    served.stop()
    expect(await served.exit).toBe(0)
  })

  it('refuses TLS flags without --grpc, a certificate without its key, and unreadable files', async () => {
    const usage = async (...argv: string[]) => {
      const { code, err } = await run(...argv)
      expect(code).toBe(2)
      return err
    }
    expect(await usage('ls', 'types', '--db', db, '--tls-ca', certs.ca)).toContain('go with --grpc')
    expect(await usage('ls', 'types', '--grpc', '127.0.0.1:1', '--tls-cert', certs.clientCert)).toContain(
      '--tls-cert and --tls-key go together',
    )
    expect(await usage('ui', '--grpc', '127.0.0.1:1', '--tls-ca', path.join(dir, 'no-such.pem'))).toMatch(
      /--tls-ca: cannot read .*no-such\.pem \(ENOENT\)/,
    )
  })
})
