/**
 * The explorer's web server (node:http): read-only HTML pages over any store behind the
 * {@link AsyncMetadataStore} interface. It answers only GET and HEAD, has no route that
 * writes, sends a Content-Security-Policy that allows scripts from itself only, and binds
 * 127.0.0.1 unless told otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Code, MlmdError } from '../../errors.js'
import type { AsyncMetadataStore } from '../../store/metadata-store-api.js'
import type { NodeKind } from '../explorer.js'
import { LINEAGE_SCRIPTS, staticAsset } from './assets.js'
import { html, type SafeHtml } from './html.js'
import {
  layout,
  lineagePage,
  listPage,
  listParams,
  nodePage,
  pipelinePage,
  pipelinesPage,
  runPage,
  typesPage,
} from './pages.js'

/** Options of {@link startExplorerServer}. */
export interface ExplorerServerOptions {
  readonly store: AsyncMetadataStore
  /** Address to bind; default 127.0.0.1. */
  readonly host?: string | undefined
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number | undefined
  /** Shown in every page's header: what is being explored (a file, a server address). */
  readonly sourceLabel?: string | undefined
}

/** A running explorer server. */
export interface ExplorerServer {
  /** `http://host:port/` */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Stops accepting connections and closes idle ones; resolves when the server has closed. */
  close(): Promise<void>
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // Scripts only from this server (no inline script runs, even if markup got through);
  // Cytoscape sets element styles from script, which needs inline styles.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])

const isLoopback = (host: string): boolean => LOOPBACK_NAMES.has(host) || host.startsWith('127.')

type Page = { title: string; body: SafeHtml; status?: number; active: string; scripts?: readonly string[] }

const KINDS: Readonly<Record<string, NodeKind>> = {
  artifacts: 'artifact',
  executions: 'execution',
  contexts: 'context',
}

const ID = '(\\d{1,19})'

async function route(store: AsyncMetadataStore, url: URL): Promise<Page | { redirect: string } | undefined> {
  const p = url.pathname.replace(/\/+$/, '') || '/'
  if (p === '/') return { redirect: '/pipelines' }
  if (p === '/pipelines') return { ...(await pipelinesPage(store)), active: '/pipelines' }
  let m = new RegExp(`^/pipelines/${ID}$`).exec(p)
  if (m) return { ...(await pipelinePage(store, BigInt(m[1] as string))), active: '/pipelines' }
  m = new RegExp(`^/runs/${ID}$`).exec(p)
  if (m) return { ...(await runPage(store, BigInt(m[1] as string))), active: '/pipelines' }
  if (p === '/types') return { ...(await typesPage(store)), active: '/types' }
  m = /^\/(artifacts|executions|contexts)$/.exec(p)
  if (m) {
    const kind = KINDS[m[1] as string] as NodeKind
    return { ...(await listPage(store, kind, listParams(url.searchParams))), active: `/${m[1]}` }
  }
  m = new RegExp(`^/(artifacts|executions|contexts)/${ID}$`).exec(p)
  if (m) {
    const kind = KINDS[m[1] as string] as NodeKind
    return { ...(await nodePage(store, kind, BigInt(m[2] as string))), active: `/${m[1]}` }
  }
  m = new RegExp(`^/lineage/(artifact|execution)/${ID}$`).exec(p)
  if (m) {
    const kind = m[1] as 'artifact' | 'execution'
    const page = await lineagePage(store, kind, BigInt(m[2] as string), url.searchParams)
    return { ...page, active: `/${kind}s`, scripts: LINEAGE_SCRIPTS }
  }
  return undefined
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
  })
  res.end(head ? undefined : body)
}

const STATUS_OF_CODE: Partial<Record<Code, number>> = {
  [Code.NotFound]: 404,
  [Code.InvalidArgument]: 400,
  [Code.FailedPrecondition]: 400,
  [Code.OutOfRange]: 400,
  [Code.Unavailable]: 502,
  [Code.DeadlineExceeded]: 504,
}

/** Handles one request; exported for tests that call it without a socket. */
export function createRequestHandler(
  store: AsyncMetadataStore,
  sourceLabel: string,
  allowedHost: (hostname: string) => boolean,
): (req: IncomingMessage, res: ServerResponse) => void {
  const errorPage = (res: ServerResponse, status: number, message: string, head: boolean) =>
    send(
      res,
      status,
      'text/html; charset=utf-8',
      layout(
        `Error ${status}`,
        sourceLabel,
        '',
        html`<h1>Error ${status}</h1><p class="error" role="alert">${message}</p>`,
      ),
      head,
    )
  return (req, res) => {
    const head = req.method === 'HEAD'
    if (req.method !== 'GET' && !head) {
      // Read-only: nothing but GET and HEAD, whatever the path.
      res.writeHead(405, {
        ...SECURITY_HEADERS,
        allow: 'GET, HEAD',
        'content-type': 'text/plain; charset=utf-8',
      })
      res.end('The explorer is read-only: only GET and HEAD are answered.\n')
      req.resume()
      return
    }
    const hostHeader = req.headers.host ?? ''
    const hostname = hostHeader.replace(/:\d+$/, '')
    if (!allowedHost(hostname)) {
      // A page on another site that rebinds its DNS name to 127.0.0.1 arrives with its own name.
      errorPage(res, 421, `Host ${hostHeader} is not served here; open the URL mlmd-ts printed.`, head)
      return
    }
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://explorer.invalid')
    } catch {
      errorPage(res, 400, 'Malformed URL', head)
      return
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS)
      res.end()
      return
    }
    const asset = staticAsset(url.pathname)
    if (asset !== undefined) {
      send(res, 200, asset.type, asset.body, head)
      return
    }
    route(store, url).then(
      (page) => {
        if (page === undefined) return errorPage(res, 404, `No page at ${url.pathname}`, head)
        if ('redirect' in page) {
          res.writeHead(302, { ...SECURITY_HEADERS, location: page.redirect })
          res.end()
          return
        }
        send(
          res,
          page.status ?? 200,
          'text/html; charset=utf-8',
          layout(page.title, sourceLabel, page.active, page.body, page.scripts),
          head,
        )
      },
      (error: unknown) => {
        const status = error instanceof MlmdError ? (STATUS_OF_CODE[error.code] ?? 500) : 500
        const message =
          error instanceof MlmdError
            ? error.rawMessage
            : error instanceof Error
              ? error.message
              : String(error)
        errorPage(res, status, message, head)
      },
    )
  }
}

/**
 * Starts the explorer on `host:port` (127.0.0.1 and a free port by default).
 * @throws Unavailable if the address cannot be bound.
 */
export async function startExplorerServer(options: ExplorerServerOptions): Promise<ExplorerServer> {
  const host = options.host ?? '127.0.0.1'
  const label = options.sourceLabel ?? ''
  // On loopback only loopback names are accepted (against DNS rebinding); bound elsewhere the
  // operator chose to expose it and any name reaching it is accepted.
  const allowed = isLoopback(host) ? (name: string) => isLoopback(name) : () => true
  const server: Server = createServer(createRequestHandler(options.store, label, allowed))
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new MlmdError(
          Code.Unavailable,
          `Cannot serve the explorer on ${host}:${options.port ?? 0}: ${error.message}`,
          { cause: error },
        ),
      ),
    )
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${port}/`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      }),
  }
}
