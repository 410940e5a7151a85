/**
 * `node --import tsx bench/fairness.ts [--seconds 20] [--clients 4] [--label NAME]`: how the
 * real MLMD (ml-metadata 1.16, in process, SQLite, as TFX runs it) fares writing to a file that
 * two busy `mlmd-ts serve` processes write to as well.
 *
 * 1. alone: MLMD puts one artifact per call for `--seconds`, nothing else on the file;
 * 2. beside: two `mlmd-ts serve` on the same file, each driven by `--clients` loops of
 *    one-artifact PutArtifacts over gRPC, and MLMD as in 1 for the same time.
 *
 * Prints, per phase, MLMD's calls/s, its ABORTED answers ("Concurrent writes aborted after max
 * number of retries", each after MLMD's own retries inside the library), the calls that failed
 * for good after the Python client's five retries, and the servers' calls/s; writes
 * bench/results/fairness-<label>.json. Needs .venv (bash scripts/python-env.sh).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createMetadataStoreClient } from '../src/client/metadata-store-client.js'
import { createMetadataStore } from '../src/store/metadata-store.js'
import { pythonPath, ROOT, Server } from './lib/processes.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '4' },
    label: { type: 'string', default: 'current' },
  },
})
const SECONDS = Number(args.seconds)
const CLIENTS = Number(args.clients)

interface MlmdResult {
  ok: number
  seconds: number
  ops_per_s: number
  aborted_answers: number
  max_retries_answers: number
  failed_calls: number
  p99_ms: number | null
}

function runMlmd(file: string, seconds: number): Promise<MlmdResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      pythonPath(),
      [path.join(ROOT, 'bench/drivers/fairness_mlmd.py'), file, String(seconds)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, GLOG_minloglevel: '3', TF_CPP_MIN_LOG_LEVEL: '3' },
      },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-4000)
    })
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`MLMD driver failed (${code}):\n${err}`))
      else resolve(JSON.parse(line) as MlmdResult)
    })
  })
}

/** `clients` loops of one-artifact PutArtifacts against a server until `stop` is set. */
async function drive(port: number, clients: number, until: { stop: boolean }) {
  const client = createMetadataStoreClient({ port, retry: { maxAttempts: 1 } })
  const { type_id } = await client.putArtifactType({ artifact_type: { name: 'ServerLoad' } })
  let ok = 0
  let aborted = 0
  let other = 0
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; !until.stop; i++) {
        try {
          await client.putArtifacts({
            artifacts: [{ type_id, uri: `load://${port}/${c}/${i}/${Date.now()}` }],
          })
          ok++
        } catch (error) {
          if ((error as { code?: number }).code === 10) aborted++
          else other++
        }
      }
    }),
  )
  client.close()
  return { ok, aborted, other }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlmd-fairness-'))
  const file = path.join(dir, 'shared.sqlite')
  try {
    createMetadataStore({ filename: file }).close()
    console.log(`MLMD alone, ${SECONDS} s …`)
    const alone = await runMlmd(file, SECONDS)

    console.log(`MLMD beside two mlmd-ts serve (${CLIENTS} writing clients each), ${SECONDS} s …`)
    const servers = await Promise.all([Server.start(file), Server.start(file)])
    const until = { stop: false }
    const started = Date.now()
    const loads = servers.map((server) => drive(server.port, CLIENTS, until))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const beside = await runMlmd(file, SECONDS)
    until.stop = true
    const served = await Promise.all(loads)
    const loadSeconds = (Date.now() - started) / 1000
    await Promise.all(servers.map((server) => server.stop()))

    const serverOps = served.map((s) => s.ok / loadSeconds)
    const result = {
      label: args.label,
      seconds: SECONDS,
      clients_per_server: CLIENTS,
      machine: { cores: os.availableParallelism(), load: os.loadavg() },
      alone,
      beside,
      servers: served.map((s, i) => ({ ...s, ops_per_s: serverOps[i] })),
    }
    console.table({
      'MLMD alone': {
        'MLMD ops/s': alone.ops_per_s.toFixed(1),
        'MLMD ok': alone.ok,
        'max-retries answers': alone.max_retries_answers,
        'failed calls': alone.failed_calls,
        'servers ops/s': '-',
      },
      'MLMD beside 2 servers': {
        'MLMD ops/s': beside.ops_per_s.toFixed(1),
        'MLMD ok': beside.ok,
        'max-retries answers': beside.max_retries_answers,
        'failed calls': beside.failed_calls,
        'servers ops/s': serverOps.map((o) => o.toFixed(0)).join(' + '),
      },
    })
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true })
    const out = path.join(ROOT, `bench/results/fairness-${args.label}.json`)
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
    console.log(`wrote ${path.relative(ROOT, out)}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
