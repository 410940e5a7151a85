/**
 * `mlmd-ts serve` on damaged files and full disks: real servers on real ports over real files.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../client/metadata-store-client.js'
import { Code } from '../errors.js'
import { writeCorruptStore } from '../storage/corrupt-file.test-support.js'
import type { CliIo } from './io.js'
import { main } from './main.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-faults-'))
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Runs `mlmd-ts serve` in this process; `port` resolves at the start line. */
function startServe(args: string[]) {
  const out: string[] = []
  const err: string[] = []
  let stop: () => void = () => {}
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  let started: (port: number) => void = () => {}
  const port = new Promise<number>((resolve) => {
    started = resolve
  })
  const io: CliIo = {
    out: (line) => {
      out.push(line)
      const bound = /^mlmd-ts serving .* on 127\.0\.0\.1:(\d+) /.exec(line)?.[1]
      if (bound !== undefined) started(Number(bound))
    },
    err: (line) => err.push(line),
    cwd: dir,
    waitForSignal: () => stopped,
  }
  const exit = main(['serve', '--port', '0', ...args], io)
  return { out, err, stop, port: Promise.race([port, exit.then(() => undefined)]), exit }
}

const logLines = (err: string[]) =>
  err.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)

describe('serve on a corrupt file', () => {
  it('answers DATA_LOSS where reads meet the damage, then refuses every write; logs the discovery once', async () => {
    const file = path.join(dir, 'corrupt.sqlite')
    writeCorruptStore(file)
    const run = startServe(['--db', file, '--read_workers', '2'])
    const port = await run.port
    expect(port, run.err.join('\n')).toBeDefined()
    const client = createMetadataStoreClient({ port: port as number, retry: { maxAttempts: 1 } })
    try {
      // The writer's connection has not met the damage: writes work until a reader does.
      await client.putArtifactType({ artifact_type: { name: 'Before' } })
      for (let i = 0; i < 2; i++) {
        await expect(client.getArtifacts({})).rejects.toMatchObject({
          code: Code.DataLoss,
          message: expect.stringMatching(
            /^\[data_loss\] The database file is corrupt: database disk image is malformed \(request id \w+\)$/,
          ),
        })
      }
      await expect(client.putArtifactType({ artifact_type: { name: 'After' } })).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        message: expect.stringContaining(
          'Writes are refused: an earlier call found the database file corrupt ("The database file is corrupt: database disk image is malformed',
        ),
      })
      const types = await client.getArtifactTypes({})
      expect(types.artifact_types.map((t) => t.name)).toEqual(expect.arrayContaining(['Model', 'Before']))
      expect(types.artifact_types.map((t) => t.name)).not.toContain('After')
    } finally {
      client.close()
      run.stop()
    }
    expect(await run.exit).toBe(0)
    const discoveries = logLines(run.err).filter((line) =>
      String(line.msg).startsWith('the database file is corrupt'),
    )
    expect(discoveries).toEqual([expect.objectContaining({ level: 'error', rpc: 'GetArtifacts', file })])
  })
})
