/**
 * grpc-web against a real client: Google's `grpc-web` library running in Debian's chromium
 * (driven by playwright-core), on a page served from another origin than the server, so every
 * call goes through the browser's CORS preflight. Messages are encoded in the page by
 * protobufjs from MLMD's own protos, as generated grpc-web stubs would.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { loadMlmdRoot } from '../proto/load-root.js'
import { createMetadataStore, type OwnedMetadataStore } from '../store/metadata-store.js'
import { createGrpcServer, type GrpcServer } from './grpc-server.js'

const CHROMIUM = '/usr/bin/chromium'
const available = existsSync(CHROMIUM)

if (!available && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is missing: CI must run scripts/install-chromium.sh before the tests`)
}
if (!available) {
  console.warn(
    `Skipping the grpc-web browser tests: ${CHROMIUM} is missing (bash scripts/install-chromium.sh)`,
  )
}

const require = createRequire(import.meta.url)
const GRPC_WEB = readFileSync(require.resolve('grpc-web').replace(/index\.js$/, 'index.esm.js'), 'utf8')
const PROTOBUF = readFileSync(require.resolve('protobufjs/dist/protobuf.min.js'), 'utf8')

// The page: grpc-web and protobufjs, and `window.call(target, format, rpc, request, metadata)`
// resolving to `{ response }` or `{ code, message }`.
const PAGE = `<!doctype html><meta charset="utf-8"><title>grpc-web client</title>
<script src="/protobuf.min.js"></script>
<script type="module">
import * as grpcWeb from '/grpc-web.js'
const root = protobuf.Root.fromJSON(await (await fetch('/mlmd.json')).json())
window.call = (target, format, rpc, request, metadata = {}) => new Promise((resolve) => {
  const Req = root.lookupType('ml_metadata.' + rpc + 'Request')
  const Res = root.lookupType('ml_metadata.' + rpc + 'Response')
  const method = new grpcWeb.MethodDescriptor(
    '/ml_metadata.MetadataStoreService/' + rpc, grpcWeb.MethodType.UNARY, Object, Object,
    (message) => Req.encode(Req.fromObject(message)).finish(),
    (bytes) => Res.toObject(Res.decode(bytes), { longs: String, enums: String }),
  )
  const client = new grpcWeb.GrpcWebClientBase({ format })
  client.rpcCall(target + '/ml_metadata.MetadataStoreService/' + rpc, request, metadata, method,
    (error, response) => resolve(error ? { code: error.code, message: error.message } : { response }))
})
document.title = 'ready'
</script>`

type Answer = { response?: Record<string, unknown>; code?: number; message?: string }

/** The response of a call that must have succeeded. */
function ok(answer: Answer): Record<string, unknown> {
  if (answer.response === undefined) throw new Error(`the call failed: ${answer.code} ${answer.message}`)
  return answer.response
}
const uris = (answer: Answer): string[] => (ok(answer).artifacts as { uri: string }[]).map((a) => a.uri)

describe.skipIf(!available)('grpc-web with the grpc-web library in chromium', { timeout: 60_000 }, () => {
  let store: OwnedMetadataStore
  let server: GrpcServer
  let tokenServer: GrpcServer
  let pages: Server
  let pagesPort: number
  let browser: Browser

  beforeAll(async () => {
    store = createMetadataStore({ filename: ':memory:' })
    server = await createGrpcServer({ store, port: 0, grpcWeb: { port: 0 } })
    tokenServer = await createGrpcServer({
      store,
      port: 0,
      grpcWeb: { port: 0 },
      authToken: 'web-secret-7',
    })
    const files: Record<string, [string, string]> = {
      '/': ['text/html', PAGE],
      '/grpc-web.js': ['text/javascript', GRPC_WEB],
      '/protobuf.min.js': ['text/javascript', PROTOBUF],
      '/mlmd.json': ['application/json', JSON.stringify(loadMlmdRoot().toJSON())],
    }
    pages = createServer((req, res) => {
      const file = files[req.url ?? '']
      res.writeHead(file === undefined ? 404 : 200, { 'content-type': file?.[0] ?? 'text/plain' })
      res.end(file?.[1] ?? 'not found')
    })
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve))
    pagesPort = (pages.address() as AddressInfo).port
    // A page of another site: evil.test resolves to this machine.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--host-resolver-rules=MAP evil.test 127.0.0.1'],
    })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => pages?.close(resolve))
    await server?.shutdown(0)
    await tokenServer?.shutdown(0)
    store?.close()
  })

  async function open(origin = `http://127.0.0.1:${pagesPort}`): Promise<Page> {
    const page = await browser.newPage()
    await page.goto(`${origin}/`)
    await page.waitForFunction(`document.title === 'ready'`)
    return page
  }

  const call = (
    page: Page,
    target: string,
    format: string,
    rpc: string,
    request: unknown,
    metadata: Record<string, string> = {},
  ): Promise<Answer> =>
    page.evaluate(
      `window.call(${JSON.stringify(target)}, ${JSON.stringify(format)}, ${JSON.stringify(rpc)}, ${JSON.stringify(request)}, ${JSON.stringify(metadata)})`,
    ) as Promise<Answer>

  it.each(['binary', 'text'])(
    'puts and gets types and artifacts, pages, and reports errors (%s)',
    async (format) => {
      const page = await open()
      const target = `http://127.0.0.1:${server.grpcWebPort}`
      const typeName = `Model-${format}`
      const put = await call(page, target, format, 'PutArtifactType', {
        artifact_type: { name: typeName, properties: { version: 'INT' } },
      })
      const typeId = put.response?.type_id as string
      expect(typeId).toMatch(/^\d+$/)

      const types = await call(page, target, format, 'GetArtifactTypes', {})
      const listed = (ok(types).artifact_types as { name: string; id: string; properties: unknown }[]).find(
        (t) => t.name === typeName,
      )
      expect(listed).toEqual({ id: typeId, name: typeName, properties: { version: 'INT' } })

      const artifacts = [1, 2, 3].map((v) => ({
        type_id: typeId,
        uri: `s3://models/${format}/${v}`,
        properties: { version: { int_value: v } },
      }))
      const stored = await call(page, target, format, 'PutArtifacts', { artifacts })
      expect((ok(stored).artifact_ids as string[]).length).toBe(3)

      const options = {
        max_result_size: 2,
        order_by_field: { field: 'ID', is_asc: true },
        filter_query: `type = '${typeName}'`,
      }
      const first = await call(page, target, format, 'GetArtifacts', { options })
      expect(uris(first)).toEqual([`s3://models/${format}/1`, `s3://models/${format}/2`])
      const token = first.response?.next_page_token as string
      expect(token).toBeTruthy()
      const second = await call(page, target, format, 'GetArtifacts', {
        options: { ...options, next_page_token: token },
      })
      expect(uris(second)).toEqual([`s3://models/${format}/3`])
      expect(second.response?.next_page_token).toBeUndefined()

      // The store's INVALID_ARGUMENT arrives as grpc-status 3 with MLMD's message.
      const bad = await call(page, target, format, 'GetArtifacts', {
        options: { filter_query: 'type = = 1' },
      })
      expect(bad.code).toBe(Code.InvalidArgument)
      expect(bad.message).toContain('Invalid `filter_query`')
      const missing = await call(page, target, format, 'GetArtifactType', { type_name: 'no such type' })
      expect(missing.code).toBe(Code.NotFound)
      await page.close()
    },
  )

  it('needs the bearer token when the server has one', async () => {
    const page = await open()
    const target = `http://127.0.0.1:${tokenServer.grpcWebPort}`
    const without = await call(page, target, 'binary', 'GetArtifactTypes', {})
    expect(without.code).toBe(Code.Unauthenticated)
    const wrong = await call(page, target, 'binary', 'GetArtifactTypes', {}, { authorization: 'Bearer nope' })
    expect(wrong.code).toBe(Code.Unauthenticated)
    const right = await call(
      page,
      target,
      'text',
      'GetArtifactTypes',
      {},
      { authorization: 'Bearer web-secret-7' },
    )
    expect(right.code).toBeUndefined()
    expect(Array.isArray(right.response?.artifact_types)).toBe(true)
    await page.close()
  })

  it('keeps pages of other origins out: the preflight is refused and nothing is stored', async () => {
    const page = await open(`http://evil.test:${pagesPort}`)
    const answer = await call(page, `http://127.0.0.1:${server.grpcWebPort}`, 'binary', 'PutArtifactType', {
      artifact_type: { name: 'Evil' },
    })
    // The browser blocks the call after the refused preflight: no HTTP status reaches the page.
    expect(answer).toEqual({
      code: Code.Unknown,
      message: 'Http response at 400 or 500 level, http status code: 0',
    })
    expect(() => store.getArtifactType({ type_name: 'Evil' })).toThrow(/No type found/)
    await page.close()
  })
})
