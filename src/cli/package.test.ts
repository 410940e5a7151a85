/**
 * The package as users get it: `npm pack` in a copy of the sources (as in a fresh clone, with no
 * dist/), the tarball installed into an empty folder, then every `exports` entry imported, its
 * types checked, and `npx mlmd-ts serve` started and called over gRPC with the installed client.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  exports: Record<string, { types: string; default: string }>
}
// What a clean clone needs to build the package: the compiler inputs and the shipped files.
const SOURCES = [
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'src',
  'protos',
  'bin',
  'README.md',
  'LICENSE',
]

let work: string
let app: string
let packedFiles: string[] = []

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    },
  })
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-package-'))
  const source = path.join(work, 'source')
  mkdirSync(source)
  for (const entry of SOURCES) cpSync(path.join(ROOT, entry), path.join(source, entry), { recursive: true })
  // The build tools come from the project's own install; dist/ is not copied, so `prepack` must build it.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir')
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], source)) as {
    filename: string
    files: { path: string }[]
  }[]
  const tarball = path.join(work, packed[0]?.filename ?? '')
  packedFiles = (packed[0]?.files ?? []).map((file) => file.path).sort()

  app = path.join(work, 'app')
  mkdirSync(app)
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  )
  // better-sqlite3 is native. Its install script would download a prebuilt binary or compile
  // SQLite for minutes; instead the same version as ours is installed without scripts and given
  // the binary this project already built (same version, same Node).
  const sqlite = path.join(ROOT, 'node_modules', 'better-sqlite3')
  const sqliteVersion = (
    JSON.parse(readFileSync(path.join(sqlite, 'package.json'), 'utf8')) as { version: string }
  ).version
  run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--ignore-scripts',
      '--no-package-lock',
      tarball,
      `better-sqlite3@${sqliteVersion}`,
    ],
    app,
  )
  cpSync(
    path.join(sqlite, 'build', 'Release', 'better_sqlite3.node'),
    path.join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
  )
}, 240_000)

// Deleting a whole npm install takes more than the default 10 s on a busy machine.
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
}, 120_000)

describe('npm package', () => {
  it('holds the built library, the protos, the command, README and LICENSE, and nothing else', () => {
    const tops = new Set(packedFiles.map((file) => file.split('/')[0]))
    expect([...tops].sort()).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'package.json', 'protos'])
    expect(packedFiles).toContain('dist/index.js')
    expect(packedFiles).toContain('dist/cli/main.js')
    expect(packedFiles).toContain('protos/ml_metadata/proto/metadata_store_service.proto')
    expect(packedFiles.filter((file) => /\.test(-support)?\.|\.map$/.test(file))).toEqual([])
    for (const entry of Object.values(PACKAGE.exports)) {
      expect(packedFiles).toContain(entry.default.replace(/^\.\//, ''))
      expect(packedFiles).toContain(entry.types.replace(/^\.\//, ''))
    }
  })

  it('imports every exports entry from the installed package', () => {
    const script = Object.keys(PACKAGE.exports)
      .map((key) => {
        const specifier = key === '.' ? PACKAGE.name : `${PACKAGE.name}/${key.slice(2)}`
        return `out[${JSON.stringify(key)}] = Object.keys(await import(${JSON.stringify(specifier)})).sort()`
      })
      .join('\n')
    const printed = run(
      process.execPath,
      ['--input-type=module', '-e', `const out = {}\n${script}\nconsole.log(JSON.stringify(out))`],
      app,
    )
    const names = JSON.parse(printed) as Record<string, string[]>
    expect(Object.keys(names).sort()).toEqual(Object.keys(PACKAGE.exports).sort())
    expect(names['.']).toEqual(expect.arrayContaining(['createMetadataStore', 'MlmdError', 'Code']))
    expect(names['./client']).toContain('createMetadataStoreClient')
    expect(names['./service']).toContain('createGrpcServer')
    expect(names['./runner']).toContain('runPipeline')
  })

  it("runs the README's in-process example against the installed package", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const example = /## Use it in process\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(example).toBeDefined()
    writeFileSync(path.join(app, 'readme-example.mjs'), example ?? '')
    const printed = JSON.parse(run(process.execPath, ['readme-example.mjs'], app)) as Record<string, unknown>
    expect(printed).toMatchObject({ uri: 's3://models/1', properties: { version: { intValue: '1' } } })
  })

  it('type-checks a program that imports every exports entry', () => {
    const lines = Object.keys(PACKAGE.exports).map((key, i) => {
      const specifier = key === '.' ? PACKAGE.name : `${PACKAGE.name}/${key.slice(2)}`
      return `import * as entry${i} from '${specifier}'\nconsole.log(Object.keys(entry${i}))`
    })
    writeFileSync(
      path.join(app, 'use.ts'),
      `${lines.join('\n')}\nimport { createMetadataStore } from '${PACKAGE.name}'\nconst store = createMetadataStore({ filename: ':memory:' })\nstore.close()\n`,
    )
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          target: 'es2022',
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['use.ts'],
      }),
    )
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    expect(() => run(process.execPath, [tsc, '-p', '.'], app)).not.toThrow()
  }, 180_000)

  it('serves with `npx mlmd-ts serve --port 0` and answers the installed client', async () => {
    const child: ChildProcess = spawn(
      'npx',
      ['--offline', 'mlmd-ts', 'serve', '--port', '0', '--db', 'store.sqlite'],
      {
        cwd: app,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    )
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    // 'close' comes once every process of the group has closed its end of the pipes.
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()))
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let stdout = ''
        child.stdout?.on('data', (chunk: Buffer) => {
          stdout += chunk.toString()
          const match = /^mlmd-ts serving .* on 127\.0\.0\.1:(\d+) /m.exec(stdout)
          if (match?.[1] !== undefined) resolve(Number(match[1]))
        })
        void exit.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
      })
      expect(port).toBeGreaterThan(0)
      const call = `
        import { createMetadataStoreClient } from 'mlmd-ts/client'
        const client = createMetadataStoreClient({ port: ${port} })
        const put = await client.putArtifactType({ artifact_type: { name: 'Model' } })
        const got = await client.getArtifactTypes({})
        console.log(JSON.stringify({ id: String(put.type_id), names: got.artifact_types.map((t) => t.name) }))
        client.close()`
      const answer = JSON.parse(run(process.execPath, ['--input-type=module', '-e', call], app)) as {
        id: string
        names: string[]
      }
      expect(answer.names).toContain('Model')
      expect(Number(answer.id)).toBeGreaterThan(0)
    } finally {
      // npx runs the command in a child of its own and exits on SIGTERM without waiting for it,
      // so the whole group is signalled: the server must stop by itself, cleanly.
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM')
    }
    await closed
    expect(stderr).toMatch(/mlmd-ts: stopped\n/)
    expect(existsSync(path.join(app, 'store.sqlite'))).toBe(true)
  }, 60_000)
})
