import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedStore } from '../../../examples/seed-store.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../../store/metadata-store.js'
import { fillHostileStore, type HostileIds, PAYLOADS } from './hostile-store.test-support.js'
import { type ExplorerServer, startExplorerServer } from './server.js'

let dir: string
let seeded: OwnedMetadataStore
let hostile: OwnedMetadataStore
let hostileIds: HostileIds
let server: ExplorerServer
let hostileServer: ExplorerServer

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-ui-'))
  const db = path.join(dir, 'seed.sqlite')
  await seedStore(db, path.join(dir, 'root'))
  seeded = createMetadataStore({ filename: db, readonly: true })
  server = await startExplorerServer({ store: toAsyncMetadataStore(seeded), sourceLabel: db })
  hostile = createMetadataStore({ filename: ':memory:' })
  hostileIds = fillHostileStore(hostile)
  hostileServer = await startExplorerServer({
    store: toAsyncMetadataStore(hostile),
    sourceLabel: PAYLOADS.uri,
  })
}, 60_000)
afterAll(async () => {
  await server?.close()
  await hostileServer?.close()
  seeded?.close()
  hostile?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function get(target: ExplorerServer, pathname: string, init: RequestInit = {}) {
  const res = await fetch(new URL(pathname, target.url), { redirect: 'manual', ...init })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

// The text of an HTML fragment's elements, for assertions that ignore markup.
const textOf = (html: string): string =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')

describe('explorer pages over the seed store', () => {
  it('binds 127.0.0.1 by default and redirects / to the pipelines', async () => {
    expect(server.host).toBe('127.0.0.1')
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const root = await get(server, '/')
    expect(root.status).toBe(302)
    expect(root.headers.get('location')).toBe('/pipelines')
  })

  it('lists pipelines with run counts and links to their newest run', async () => {
    const { status, text } = await get(server, '/pipelines')
    expect(status).toBe(200)
    expect(text).toContain('<a href="/pipelines/1">seed-a</a>')
    expect(text).toContain('<a href="/pipelines/11">seed-b</a>')
    expect(text).toMatch(/<a href="\/runs\/12">/)
  })

  it('shows a run with cached steps, the execution and run they reused, and totals', async () => {
    const { text } = await get(server, '/runs/12')
    const body = textOf(text)
    expect(body).toMatch(/steps 4 ran 2 cached 2 failed 0 time \S+ m?s saved by the cache \S+ m?s/)
    expect(text).toMatch(
      /<a href="\/executions\/5">ingest<\/a><\/td><td><span class="badge cached">cached<\/span>/,
    )
    expect(text).toMatch(/<a href="\/executions\/1">execution 1<\/a> of run <a href="\/runs\/2">/)
    expect(text).toMatch(/<a href="\/executions\/7">train<\/a><\/td><td><span class="badge ok">ran<\/span>/)
  })

  it('pages node lists with their next-page link, and keeps the filter', async () => {
    const first = await get(server, '/artifacts?size=3&asc=1')
    expect([...first.text.matchAll(/<tr><td><a href="\/artifacts\/(\d+)">/g)].map((m) => m[1])).toEqual([
      '1',
      '2',
      '3',
    ])
    const next = /<a rel="next" href="([^"]+)">/.exec(first.text)?.[1]?.replace(/&amp;/g, '&')
    expect(next).toMatch(/^\/artifacts\?asc=1&size=3&page_token=/)
    const second = await get(server, next as string)
    expect([...second.text.matchAll(/<tr><td><a href="\/artifacts\/(\d+)">/g)].map((m) => m[1])).toEqual([
      '4',
      '5',
      '6',
    ])
    const filtered = await get(
      server,
      `/executions?filter=${encodeURIComponent('last_known_state = CACHED')}`,
    )
    expect([...filtered.text.matchAll(/<tr><td><a href="\/executions\/(\d+)">/g)].map((m) => m[1])).toEqual([
      '6',
      '5',
    ])
    expect(filtered.text).toContain('value="last_known_state = CACHED"')
  })

  it('shows a filter_query error inline, with the query kept in the box', async () => {
    const { status, text } = await get(server, `/artifacts?filter=${encodeURIComponent("type = 'x")}`)
    expect(status).toBe(400)
    expect(text).toMatch(/<p class="error" role="alert">Invalid `filter_query`: [^<]+<\/p>/)
    expect(text).toContain('value="type = &#39;x"')
  })

  it('shows a node with properties, custom properties, events and contexts', async () => {
    const { text } = await get(server, '/executions/5')
    const body = textOf(text)
    expect(body).toContain('state CACHED')
    expect(body).toMatch(/Custom properties .*rows 200/)
    expect(text).toMatch(
      /<td>OUTPUT<\/td><td><a href="\/artifacts\/1">artifact 1<\/a> <span class="muted">Examples<\/span><\/td><td>examples\/0<\/td>/,
    )
    expect(text).toContain(
      '<a href="/contexts/13">13</a></td><td>node</td><td class="name">seed-b.ingest</td>',
    )
    expect(text).toContain('<a class="lineage-link" href="/lineage/execution/5">')
  })

  it('embeds a bounded lineage subgraph in the lineage page', async () => {
    const { text } = await get(server, '/lineage/artifact/4?hops=2')
    const json = /<script type="application\/json" id="lineage-data">(.*?)<\/script>/s.exec(text)?.[1]
    const data = JSON.parse(json as string) as { nodes: { id: string; href: string }[]; edges: unknown[] }
    expect(data.nodes.map((n) => n.id)).toEqual(['a2', 'a4', 'a5', 'e3', 'e4'])
    expect(data.nodes[1]?.href).toBe('/artifacts/4')
    expect(data.edges).toHaveLength(5)
    expect(text).toContain('<script src="/static/cytoscape.min.js"></script>')
  })

  it('serves the graph libraries from node_modules', async () => {
    for (const lib of ['/static/cytoscape.min.js', '/static/dagre.min.js', '/static/cytoscape-dagre.js']) {
      const { status, headers, text } = await get(server, lib)
      expect(status).toBe(200)
      expect(headers.get('content-type')).toContain('javascript')
      expect(text.length).toBeGreaterThan(10_000)
    }
  })

  it('answers 404 for unknown pages and nodes', async () => {
    expect((await get(server, '/nothing')).status).toBe(404)
    const missing = await get(server, '/artifacts/999')
    expect(missing.status).toBe(404)
    expect(missing.text).toContain('No artifact with id 999')
    expect((await get(server, '/runs/1')).status).toBe(404)
  })
})

describe('explorer security', () => {
  it('refuses every method but GET and HEAD, on every path', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const pathname of ['/artifacts', '/artifacts/1', '/nothing']) {
        const res = await get(server, pathname, { method, body: method === 'DELETE' ? undefined : 'x' })
        expect(res.status).toBe(405)
        expect(res.headers.get('allow')).toBe('GET, HEAD')
      }
    }
    const head = await get(server, '/pipelines', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.text).toBe('')
  })

  it('sends a CSP that allows scripts from itself only', async () => {
    const { headers } = await get(server, '/pipelines')
    expect(headers.get('content-security-policy')).toContain("script-src 'self';")
    expect(headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('refuses requests for another host name (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/pipelines', headers: { host: 'attacker.example' } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(421)
    expect((await get(server, '/pipelines', { headers: { host: `localhost:${server.port}` } })).status).toBe(
      200,
    )
  })

  it('renders names, URIs and property values as text on every page', async () => {
    const { artifactId, executionId, pipelineId, runId } = hostileIds
    const pages = [
      '/pipelines',
      `/pipelines/${pipelineId}`,
      `/runs/${runId}`,
      '/artifacts',
      '/executions',
      '/contexts',
      '/types',
      `/artifacts/${artifactId}`,
      `/executions/${executionId}`,
      `/contexts/${pipelineId}`,
      `/lineage/artifact/${artifactId}`,
      `/artifacts?filter=${encodeURIComponent(`name = '${PAYLOADS.artifactName}' AND`)}`,
    ]
    const seen = new Set<string>()
    for (const page of pages) {
      const { status, text } = await get(hostileServer, page)
      expect(status, page).toBeLessThan(500)
      // The only elements are ours: no payload's tag survives as markup.
      expect(text, page).not.toMatch(/<(img|iframe|svg)\b/i)
      for (const tag of text.matchAll(/<script\b([^>]*)>/g)) {
        expect(tag[1], page).toMatch(
          /^ (src="\/static\/[a-z.-]+\.js"|type="application\/json" id="lineage-data")$/,
        )
      }
      // A URI is shown, never linked: every href, src and action is a path of ours.
      for (const link of text.matchAll(/\b(?:href|src|action)="([^"]*)"/g))
        expect(link[1], page).toMatch(/^\//)
      const body = textOf(text)
      for (const payload of Object.values(PAYLOADS)) if (body.includes(payload)) seen.add(payload)
    }
    // Every payload was shown somewhere, as the text it is.
    expect([...seen].sort()).toEqual(Object.values(PAYLOADS).sort())
    // Including in "why it ran", which compares recorded cache keys.
    const whyItRan = textOf((await get(hostileServer, `/executions/${executionId}`)).text)
    expect(whyItRan).toContain(`Why it ran (cache miss) ${PAYLOADS.ingredient}: differs from execution`)
    expect(whyItRan).toContain(`parameter ${PAYLOADS.ingredient} 1 2`)
  })
})
