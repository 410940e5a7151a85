import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('./', import.meta.url))

// Which layers each layer may import (besides itself, `errors.ts` and `proto/`).
const ALLOWED: Record<string, readonly string[]> = {
  proto: [],
  storage: [],
  access: ['storage'],
  filter: ['storage'],
  store: ['access', 'filter', 'storage'],
  // The wire contract both ends of a gRPC connection share: the service definition, the codec
  // (int64 and presence handling, UTF-8 and raw-field checks) and the generated encoders.
  wire: ['store'],
  service: ['store', 'wire'],
  client: ['store', 'wire'],
  runner: ['store', 'client'],
  // The explorer (terminal and web UI) reads through the store interface only, and shows the
  // runner's explanation of a cache miss (which reads through that interface too).
  explorer: ['store', 'client', 'runner'],
  cli: ['service', 'client', 'runner', 'store', 'storage', 'explorer', 'wire'],
  '.': ['store', 'service', 'client', 'runner', 'filter', 'storage', 'wire'],
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : []
  })
}

const files = sourceFiles(SRC).map((file) => ({
  file: path.relative(SRC, file),
  // Static imports and re-exports, and modules loaded on first use (`await import('…')`).
  imports: [
    ...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g),
    ...readFileSync(file, 'utf8').matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1] as string),
}))

function layerOf(relative: string): string {
  const first = relative.split(path.sep)[0] as string
  return first.endsWith('.ts') ? '.' : first
}

describe('architecture', () => {
  it('only storage/metadata-source.ts imports better-sqlite3', () => {
    expect(files.filter((f) => f.imports.includes('better-sqlite3')).map((f) => f.file)).toEqual([
      path.join('storage', 'metadata-source.ts'),
    ])
  })

  it('only the drivers import the database client libraries', () => {
    const importers = (library: string) => files.filter((f) => f.imports.includes(library)).map((f) => f.file)
    expect(importers('pg').filter((f) => !f.endsWith('.test.ts') && !f.includes('test-support'))).toEqual([
      path.join('storage', 'postgresql-source.ts'),
      path.join('storage', 'schema', 'postgresql-env.ts'),
    ])
  })

  it('only service/, client/ and the wire contract they share import @grpc packages', () => {
    const importers = files.filter((f) =>
      f.imports.some((i) => i.startsWith('@grpc/') || i === 'grpc-health-check'),
    )
    expect(importers.every((f) => ['service', 'client', 'wire'].includes(layerOf(f.file)))).toBe(true)
    expect(importers.filter((f) => layerOf(f.file) === 'wire').map((f) => f.file)).toEqual([
      path.join('wire', 'service-definition.ts'),
    ])
  })

  it('the client reaches the server only over the wire: it imports nothing of service/', () => {
    const intoService = files
      .filter((f) => layerOf(f.file) === 'client')
      .flatMap(({ file, imports }) =>
        imports
          .filter((i) => i.startsWith('.'))
          .map((i) => path.relative(SRC, path.resolve(SRC, path.dirname(file), i)))
          .filter((target) => layerOf(target) === 'service'),
      )
    expect(intoService).toEqual([])
  })

  it('imports point downward through the layers', () => {
    const violations: string[] = []
    for (const { file, imports } of files) {
      const from = layerOf(file)
      for (const specifier of imports.filter((i) => i.startsWith('.'))) {
        const target = path.relative(SRC, path.resolve(SRC, path.dirname(file), specifier))
        const to = layerOf(target)
        if (to === from || target === 'errors.js' || to === 'proto') continue
        if (!(ALLOWED[from] ?? []).includes(to)) violations.push(`${file} -> ${target}`)
      }
    }
    expect(violations).toEqual([])
  })

  it('store/ reaches storage/ only through the executor interface, the dialect and schema names', () => {
    // The operations never see a connection: only the composition root opens one.
    const allowed = ['transaction-executor.js', 'dialect.js', path.join('schema', 'v10.js'), 'value-codec.js']
    // The composition roots open connections: the SQLite store, and the server engines' stores.
    const roots: Record<string, string[]> = {
      [path.join('store', 'metadata-store.ts')]: ['metadata-source.js', path.join('schema', 'mlmd-env.js')],
      [path.join('store', 'server-engine-store.ts')]: [
        'postgresql-source.js',
        path.join('schema', 'postgresql-env.js'),
        'mysql-source.js',
        path.join('schema', 'mysql-env.js'),
      ],
    }
    const violations: string[] = []
    for (const { file, imports } of files.filter((f) => layerOf(f.file) === 'store')) {
      for (const specifier of imports.filter((i) => i.startsWith('.'))) {
        const target = path.relative(SRC, path.resolve(SRC, path.dirname(file), specifier))
        if (layerOf(target) !== 'storage') continue
        const within = path.relative('storage', target)
        const ok = allowed.includes(within) || (roots[file] ?? []).includes(within)
        if (!ok) violations.push(`${file} -> ${target}`)
      }
    }
    expect(violations).toEqual([])
  })

  it('store/ holds no SQL text: statements come from the builders of access/', () => {
    const sql =
      /`[^`]*\b(SELECT|INSERT|UPDATE|DELETE|WHERE|JOIN)\b[^`]*`|'[^']*\b(SELECT|INSERT|UPDATE|DELETE|WHERE)\b[^']*'|\bIN \(/
    const offenders = files
      .filter((f) => layerOf(f.file) === 'store')
      .filter((f) =>
        readFileSync(path.join(SRC, f.file), 'utf8')
          .split('\n')
          .some((line) => !line.trim().startsWith('*') && !line.trim().startsWith('//') && sql.test(line)),
      )
      .map((f) => f.file)
    expect(offenders).toEqual([])
  })

  it('every relative import ends in .js', () => {
    const bad = files.flatMap(({ file, imports }) =>
      imports.filter((i) => i.startsWith('.') && !i.endsWith('.js')).map((i) => `${file}: ${i}`),
    )
    expect(bad).toEqual([])
  })
})
