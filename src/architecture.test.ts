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
  service: ['store'],
  // The client shares the service's wire codec (service definition, int64 and presence handling).
  client: ['store', 'service'],
  runner: ['store', 'client'],
  // The explorer (terminal and web UI) reads through the store interface only.
  explorer: ['store', 'client'],
  cli: ['service', 'client', 'runner', 'store', 'storage', 'explorer'],
  '.': ['store', 'service', 'client', 'runner', 'filter', 'storage'],
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
  imports: [
    ...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g),
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

  it('only service/ and client/ import @grpc packages', () => {
    const importers = files.filter((f) =>
      f.imports.some((i) => i.startsWith('@grpc/') || i === 'grpc-health-check'),
    )
    expect(importers.every((f) => ['service', 'client'].includes(layerOf(f.file)))).toBe(true)
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

  it('every relative import ends in .js', () => {
    const bad = files.flatMap(({ file, imports }) =>
      imports.filter((i) => i.startsWith('.') && !i.endsWith('.js')).map((i) => `${file}: ${i}`),
    )
    expect(bad).toEqual([])
  })
})
