import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Artifact_State } from '../proto/messages.js'
import { createPipeline, defineArtifactType, defineStep, node, runPipeline } from '../runner/index.js'
import { createMetadataStore, toAsyncMetadataStore } from '../store/metadata-store.js'
import type { CliIo } from './io.js'
import { verify } from './verify.js'

const Text = defineArtifactType({ name: 'Text' })
const make = (name: string) =>
  defineStep({
    type: `tsrunner.test.verify.${name}`,
    outputs: { text: Text },
    async run({ outputs }) {
      await writeFile(path.join(outputs.text.dir, 't.txt'), name)
    },
  })
const pipeline = createPipeline('verify', [node('a', make('A')), node('b', make('B')), node('c', make('C'))])

let dir: string
let lines: string[]
const io = (): CliIo => ({
  out: (line) => lines.push(line),
  err: (line) => lines.push(line),
  cwd: dir,
  waitForSignal: () => new Promise(() => undefined),
})

async function runOnce() {
  const owned = createMetadataStore({ filename: path.join(dir, 'mlmd.sqlite') })
  try {
    return await runPipeline(pipeline, {
      store: toAsyncMetadataStore(owned),
      pipelineRoot: path.join(dir, 'root'),
      progress: false,
    })
  } finally {
    owned.close()
  }
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-verify-'))
  lines = []
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('mlmd-ts verify', () => {
  it('reports lost and changed outputs, marks them with --mark, and the next run replaces them', async () => {
    const first = await runOnce()
    const uriOf = (id: string) => first.nodes.find((n) => n.nodeId === id)?.outputs.text?.[0]?.uri as string
    const idOf = (id: string) => first.nodes.find((n) => n.nodeId === id)?.outputs.text?.[0]?.id as bigint
    expect(await verify(['--db', 'mlmd.sqlite'], io())).toBe(0)
    expect(lines).toEqual([
      '3 checked: 3 intact, 0 with problems; 0 skipped (no fingerprint or outside the root)',
    ])

    const changed = path.join(uriOf('b'), (await readdir(uriOf('b')))[0] as string)
    await chmod(changed, 0o644)
    await writeFile(changed, 'not B')
    await chmod(uriOf('c'), 0o755)
    await rm(uriOf('c'), { recursive: true })

    lines = []
    expect(await verify(['--db', 'mlmd.sqlite', '--root', 'root'], io())).toBe(1)
    const pairs = [lines.slice(0, 2), lines.slice(2, 4)].sort((x, y) =>
      (x[0] as string).localeCompare(y[0] as string),
    )
    expect(pairs[0]?.[0]).toBe(`changed    artifact ${idOf('b')}  ${uriOf('b')}`)
    expect(pairs[0]?.[1]).toMatch(
      /^ {11}content changed: fingerprint sha256:[0-9a-f]{64}, recorded sha256:[0-9a-f]{64}$/,
    )
    expect(pairs[1]?.[0]).toBe(`lost       artifact ${idOf('c')}  ${uriOf('c')}`)
    expect(pairs[1]?.[1]).toMatch(/^ {11}missing or unreadable: /)
    expect(lines[4]).toBe(
      '3 checked: 1 intact, 2 with problems; 0 skipped (no fingerprint or outside the root)',
    )

    lines = []
    expect(await verify(['--db', 'mlmd.sqlite', '--mark'], io())).toBe(1)
    expect(lines.at(-1)).toBe(
      '3 checked: 1 intact, 2 with problems, 2 marked; 0 skipped (no fingerprint or outside the root)',
    )
    const owned = createMetadataStore({ filename: path.join(dir, 'mlmd.sqlite') })
    const { artifacts = [] } = owned.getArtifactsByID({ artifact_ids: [idOf('a'), idOf('b'), idOf('c')] })
    owned.close()
    const byId = new Map(artifacts.map((a) => [a.id, a]))
    expect([idOf('a'), idOf('b'), idOf('c')].map((id) => byId.get(id)?.state)).toEqual([
      Artifact_State.LIVE,
      Artifact_State.MARKED_FOR_DELETION,
      Artifact_State.DELETED,
    ])
    expect(byId.get(idOf('c'))?.custom_properties?.tsrunner_verify_problem?.string_value).toMatch(
      /^missing or unreadable/,
    )

    lines = []
    expect(await verify(['--db', 'mlmd.sqlite'], io())).toBe(0)
    expect(lines).toEqual([
      '1 checked: 1 intact, 0 with problems; 0 skipped (no fingerprint or outside the root)',
    ])
    const second = await runOnce()
    expect(second.nodes.map((n) => `${n.nodeId}:${n.status}`)).toEqual(['a:cached', 'b:ran', 'c:ran'])
  })

  it('skips artifacts outside --root and refuses a missing store file', async () => {
    await runOnce()
    expect(await verify(['--db', 'mlmd.sqlite', '--root', 'elsewhere'], io())).toBe(0)
    expect(lines).toEqual([
      '0 checked: 0 intact, 0 with problems; 3 skipped (no fingerprint or outside the root)',
    ])
    await expect(verify(['--db', 'nope.sqlite'], io())).rejects.toThrow()
  })
})
