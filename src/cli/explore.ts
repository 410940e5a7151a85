/**
 * The explorer's terminal commands: `mlmd-ts ls`, `show`, `lineage` and `runs`, reading a
 * store file (opened read-only) or any MLMD gRPC server.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { type ClientTlsConfig, createMetadataStoreClient } from '../client/metadata-store-client.js'
import {
  type AnyNode,
  artifactStateName,
  cacheMissOf,
  eventTypeName,
  executionStateName,
  getLineage,
  getNodeDetail,
  getPipeline,
  LINEAGE_DIRECTIONS,
  type LineageDirection,
  listNodes,
  listPipelines,
  listTypes,
  NODE_KINDS,
  type NodeKind,
  ORDER_FIELDS,
  type OrderField,
  type PipelineSummary,
  type RunSummary,
} from '../explorer/explorer.js'
import {
  formatDuration,
  formatTable,
  formatTime,
  formatValue,
  lineageToDot,
  lineageToMermaid,
} from '../explorer/format.js'
import { type Json, toProtoJson } from '../explorer/proto-json.js'
import { lineageToSvg } from '../explorer/svg.js'
import type { Artifact, Context, Execution } from '../proto/messages.js'
import type { CacheMissExplanation } from '../runner/explain.js'
import { createMetadataStore, toAsyncMetadataStore } from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import type { CliIo } from './io.js'
import { usageError } from './io.js'
import { readAuthToken } from './serve.js'

/** The `--grpc` connection options, shared by the explorer commands and `mlmd-ts ui`. */
export const GRPC_CLIENT_OPTIONS = `  --auth-token-file PATH with --grpc: send the bearer token in this file
  --tls                  with --grpc: connect over TLS, trusting the system's CAs
  --tls-ca PATH          with --grpc: TLS, trusting the CA certificates in this PEM file
  --tls-cert PATH        with --grpc: TLS with this client certificate (PEM), for a
                         server that verifies clients (mutual TLS); needs --tls-key
  --tls-key PATH         the client certificate's private key (PEM)`

const SOURCE_OPTIONS = `  --db FILE              MLMD SQLite file, opened read-only (default: ./mlmd.sqlite)
  --grpc HOST:PORT       read from an MLMD gRPC server instead (mlmd-ts serve, or MLMD's own)
${GRPC_CLIENT_OPTIONS}`

export const LS_USAGE = `Usage: mlmd-ts ls artifacts|executions|contexts|types [options]

Lists one page of nodes (newest first), or every type.

Options:
${SOURCE_OPTIONS}
  --filter QUERY         MLMD filter_query, e.g. "type = 'Model' AND state = LIVE"
  --limit N              nodes per page, 1..100 (default: 100)
  --page-token TOKEN     continue after a previous page
  --order FIELD          id | create_time | last_update_time (default: id)
  --asc                  ascending order
  --json                 print the response in the protobuf JSON mapping
  -h, --help             show this help`

export const SHOW_USAGE = `Usage: mlmd-ts show artifact|execution|context ID [options]

Prints one node: properties, custom properties, events and contexts.

Options:
${SOURCE_OPTIONS}
  --json                 print it in the protobuf JSON mapping
  -h, --help             show this help`

export const LINEAGE_USAGE = `Usage: mlmd-ts lineage artifact|execution ID [options]

Prints the lineage graph around a node.

Options:
${SOURCE_OPTIONS}
  --hops N               how far to follow events, 0..20 (default: 3)
  --direction DIR        both | upstream | downstream (default: both)
  --format FORMAT        dot (Graphviz) | mermaid | svg | json (default: dot)
  -h, --help             show this help`

export const RUNS_USAGE = `Usage: mlmd-ts runs [PIPELINE] [options]

Lists pipeline runs with their cache hits and the time they saved; with PIPELINE, also the
steps of each run (ran, cached, failed) and, for a cached step, the execution it reused.

Options:
${SOURCE_OPTIONS}
  --limit N              runs per pipeline, newest first (default: 20)
  --json                 print as JSON (int64 values as strings)
  -h, --help             show this help`

/** The parseArgs options of {@link SourceFlags}. */
export const SOURCE_FLAG_OPTIONS = {
  db: { type: 'string' },
  grpc: { type: 'string' },
  'auth-token-file': { type: 'string' },
  tls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const

const sourceOptions = {
  ...SOURCE_FLAG_OPTIONS,
  help: { type: 'boolean', short: 'h', default: false },
} as const

/** The flags that choose what to read. */
export interface SourceFlags {
  readonly db?: string | undefined
  readonly grpc?: string | undefined
  readonly 'auth-token-file'?: string | undefined
  readonly tls?: boolean | undefined
  readonly 'tls-ca'?: string | undefined
  readonly 'tls-cert'?: string | undefined
  readonly 'tls-key'?: string | undefined
}

/** An opened store and how to let go of it. */
export interface OpenedSource {
  readonly store: AsyncMetadataStore
  /** What was opened, for messages: the file or the server address. */
  readonly description: string
  close(): void
}

/** `HOST:PORT` (or `[IPv6]:PORT`) split. @throws InvalidArgument when malformed. */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text)
  const port = Number(match?.[3])
  if (match === null || port < 1 || port > 65535) {
    throw usageError(`--grpc wants HOST:PORT, got "${text}"`)
  }
  return { host: (match[1] ?? match[2]) as string, port }
}

function readPemFile(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw usageError(
      `${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    )
  }
}

/**
 * The TLS settings of the `--tls*` flags (undefined for plaintext): the CA to trust (system
 * CAs without `--tls-ca`), and the client certificate and key for mutual TLS.
 * @throws InvalidArgument when they are given without --grpc, a certificate without its key
 *   (or the reverse), or a file cannot be read.
 */
export function clientTls(values: SourceFlags, cwd: string): ClientTlsConfig | undefined {
  const [ca, cert, key] = [values['tls-ca'], values['tls-cert'], values['tls-key']]
  const wanted = values.tls === true || ca !== undefined || cert !== undefined || key !== undefined
  if (!wanted) return undefined
  if (values.grpc === undefined) throw usageError('--tls, --tls-ca, --tls-cert and --tls-key go with --grpc')
  if ((cert === undefined) !== (key === undefined)) throw usageError('--tls-cert and --tls-key go together')
  const read = (file: string | undefined, flag: string) =>
    file === undefined ? undefined : readPemFile(path.resolve(cwd, file), flag)
  return {
    customCa: read(ca, '--tls-ca'),
    clientCert: read(cert, '--tls-cert'),
    clientKey: read(key, '--tls-key'),
  }
}

/**
 * Opens what `--db` or `--grpc` names: a file read-only in process (it must exist), or a gRPC
 * client. @throws InvalidArgument if both are given.
 */
export function openSource(values: SourceFlags, io: CliIo): OpenedSource {
  if (values.db !== undefined && values.grpc !== undefined)
    throw usageError('give either --db or --grpc, not both')
  const tokenFile = values['auth-token-file']
  if (tokenFile !== undefined && values.grpc === undefined)
    throw usageError('--auth-token-file goes with --grpc')
  const tls = clientTls(values, io.cwd)
  if (values.grpc !== undefined) {
    const authToken = tokenFile === undefined ? undefined : readAuthToken(path.resolve(io.cwd, tokenFile))
    const client = createMetadataStoreClient({ ...parseHostPort(values.grpc), authToken, tls })
    const description = `gRPC ${values.grpc}${tls === undefined ? '' : ' (TLS)'}`
    return { store: client, description, close: () => client.close() }
  }
  const filename = path.resolve(io.cwd, values.db ?? 'mlmd.sqlite')
  const owned = createMetadataStore({ filename, readonly: true, mustExist: true })
  return { store: toAsyncMetadataStore(owned), description: filename, close: () => owned.close() }
}

async function withSource<T>(
  values: SourceFlags,
  io: CliIo,
  use: (store: AsyncMetadataStore) => Promise<T>,
): Promise<T> {
  const source = openSource(values, io)
  try {
    return await use(source.store)
  } finally {
    source.close()
  }
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>({
      args: [...args],
      options,
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw usageError((error as Error).message)
  }
}

function parseId(text: string | undefined, what: string): bigint {
  if (text === undefined || !/^\d{1,19}$/.test(text))
    throw usageError(`${what} must be a node id (a positive integer)`)
  return BigInt(text)
}

function parseInteger(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback
  if (!/^\d+$/.test(text)) throw usageError(`${what} must be a non-negative integer, got "${text}"`)
  return Number(text)
}

const json = (value: Json): string => JSON.stringify(value, null, 2)

const KIND_WORDS: Readonly<Record<string, NodeKind>> = {
  artifact: 'artifact',
  artifacts: 'artifact',
  execution: 'execution',
  executions: 'execution',
  context: 'context',
  contexts: 'context',
}

const MESSAGE: Readonly<Record<NodeKind, string>> = {
  artifact: 'ml_metadata.Artifact',
  execution: 'ml_metadata.Execution',
  context: 'ml_metadata.Context',
}

function nodeState(kind: NodeKind, node: AnyNode): string {
  if (kind === 'artifact') return artifactStateName((node as Artifact).state)
  if (kind === 'execution') return executionStateName((node as Execution).last_known_state)
  return ''
}

/** `mlmd-ts ls`. */
export async function ls(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    ...sourceOptions,
    filter: { type: 'string' },
    limit: { type: 'string' },
    'page-token': { type: 'string' },
    order: { type: 'string' },
    asc: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  })
  if (values.help) {
    io.out(LS_USAGE)
    return 0
  }
  const what = positionals[0]
  if (positionals.length !== 1 || (what !== 'types' && KIND_WORDS[what ?? ''] === undefined)) {
    throw usageError('ls wants one of: artifacts, executions, contexts, types')
  }
  if (values.order !== undefined && !ORDER_FIELDS.includes(values.order as OrderField)) {
    throw usageError(`--order must be one of ${ORDER_FIELDS.join(', ')}`)
  }
  return withSource(values, io, async (store) => {
    if (what === 'types') {
      const types = await listTypes(store)
      if (values.json) {
        io.out(
          json({
            artifactTypes: types.artifact.map((t) => toProtoJson('ml_metadata.ArtifactType', t)),
            executionTypes: types.execution.map((t) => toProtoJson('ml_metadata.ExecutionType', t)),
            contextTypes: types.context.map((t) => toProtoJson('ml_metadata.ContextType', t)),
          }),
        )
        return 0
      }
      const rows = [['kind', 'id', 'name', 'properties']]
      for (const kind of NODE_KINDS) {
        for (const t of types[kind]) {
          rows.push([kind, String(t.id), t.name ?? '', Object.keys(t.properties ?? {}).join(', ')])
        }
      }
      io.out(formatTable(rows))
      return 0
    }
    const kind = KIND_WORDS[what as string] as NodeKind
    const page = await listNodes(store, kind, {
      filter: values.filter,
      pageSize: parseInteger(values.limit, 100, '--limit'),
      pageToken: values['page-token'],
      orderBy: values.order as OrderField | undefined,
      ascending: values.asc,
    })
    if (values.json) {
      const field = `${kind}s`
      const response = {
        [field]: page.nodes,
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      }
      const type = { artifact: 'GetArtifacts', execution: 'GetExecutions', context: 'GetContexts' }[kind]
      io.out(json(toProtoJson(`ml_metadata.${type}Response`, response)))
      return 0
    }
    const rows = [
      [
        'id',
        'type',
        'name',
        ...(kind === 'context' ? [] : ['state']),
        ...(kind === 'artifact' ? ['uri'] : []),
        'created',
      ],
    ]
    for (const n of page.nodes) {
      rows.push([
        String(n.id),
        n.type ?? '',
        n.name ?? '',
        ...(kind === 'context' ? [] : [nodeState(kind, n)]),
        ...(kind === 'artifact' ? [(n as Artifact).uri ?? ''] : []),
        formatTime(n.create_time_since_epoch),
      ])
    }
    io.out(formatTable(rows))
    if (page.nextPageToken) io.out(`\nmore: --page-token ${page.nextPageToken}`)
    return 0
  })
}

function propertyLines(
  title: string,
  props: Readonly<Record<string, Parameters<typeof formatValue>[0]>> | undefined,
): string[] {
  const entries = Object.entries(props ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
  if (entries.length === 0) return []
  return [``, `${title}:`, ...entries.map(([k, v]) => `  ${k}: ${formatValue(v)}`)]
}

function cacheMissToJson(explanation: CacheMissExplanation): Json {
  const earlier = explanation.comparedWith
  return {
    node: explanation.nodeId ?? null,
    summary: explanation.summary,
    comparedWith:
      earlier === undefined
        ? null
        : { executionId: String(earlier.executionId), nodeContext: earlier.nodeContext },
    differences: explanation.differences.map((d) => ({ ...d })),
    lookup: explanation.lookup ?? null,
  }
}

/** `mlmd-ts show`. */
export async function show(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ...sourceOptions, json: { type: 'boolean', default: false } })
  if (values.help) {
    io.out(SHOW_USAGE)
    return 0
  }
  const kind = KIND_WORDS[positionals[0] ?? '']
  if (positionals.length !== 2 || kind === undefined)
    throw usageError('show wants: artifact|execution|context ID')
  const id = parseId(positionals[1], 'ID')
  return withSource(values, io, async (store) => {
    const detail = await getNodeDetail(store, kind, id)
    const cacheMiss = kind === 'execution' ? await cacheMissOf(store, detail.node as Execution) : undefined
    if (values.json) {
      io.out(
        json({
          [kind]: toProtoJson(MESSAGE[kind], detail.node),
          ...(kind === 'context'
            ? {
                parentContexts: detail.contexts.map((c) => toProtoJson('ml_metadata.Context', c)),
                childContexts: detail.children.map((c) => toProtoJson('ml_metadata.Context', c)),
                artifacts: detail.artifacts.map((a) => toProtoJson('ml_metadata.Artifact', a)),
                executions: detail.executions.map((e) => toProtoJson('ml_metadata.Execution', e)),
              }
            : {
                events: detail.events.map((e) => toProtoJson('ml_metadata.Event', e)),
                contexts: detail.contexts.map((c) => toProtoJson('ml_metadata.Context', c)),
              }),
          ...(cacheMiss === undefined ? {} : { cacheMiss: cacheMissToJson(cacheMiss) }),
        }),
      )
      return 0
    }
    const n = detail.node
    const lines = [`${kind} ${n.id}`, `  type: ${n.type ?? ''} (type_id ${n.type_id ?? ''})`]
    if (n.name !== undefined) lines.push(`  name: ${n.name}`)
    if (kind === 'artifact' && (n as Artifact).uri !== undefined) lines.push(`  uri: ${(n as Artifact).uri}`)
    const state = nodeState(kind, n)
    if (state !== '') lines.push(`  state: ${state}`)
    if (n.external_id !== undefined) lines.push(`  external_id: ${n.external_id}`)
    lines.push(`  created: ${formatTime(n.create_time_since_epoch)}`)
    lines.push(`  updated: ${formatTime(n.last_update_time_since_epoch)}`)
    if (cacheMiss !== undefined) {
      lines.push('', 'why it ran (cache miss):', `  ${cacheMiss.summary}`)
      for (const d of cacheMiss.differences) lines.push(`    ${d.ingredient}: ${d.before} → ${d.after}`)
      if (cacheMiss.lookup !== undefined) lines.push(`  cache lookup: ${cacheMiss.lookup}`)
    }
    lines.push(
      ...propertyLines('properties', n.properties),
      ...propertyLines('custom properties', n.custom_properties),
    )
    if (kind !== 'context' && detail.events.length > 0) {
      lines.push('', 'events:')
      const peerKind = kind === 'artifact' ? 'execution' : 'artifact'
      const rows = [['type', peerKind, `${peerKind} type`, 'path']]
      for (const e of detail.events) {
        const peerId = (kind === 'artifact' ? e.execution_id : e.artifact_id) as bigint
        const path = (e.path?.steps ?? [])
          .map((s) => (s.key !== undefined ? s.key : String(s.index)))
          .join('/')
        rows.push([eventTypeName(e.type), String(peerId), detail.eventPeers.get(peerId)?.type ?? '', path])
      }
      lines.push(
        ...formatTable(rows)
          .split('\n')
          .map((l) => `  ${l}`),
      )
    }
    const contextTitle = kind === 'context' ? 'parent contexts' : 'contexts'
    if (detail.contexts.length > 0) {
      lines.push(
        '',
        `${contextTitle}:`,
        ...detail.contexts.map((c) => `  ${c.id}  ${c.type ?? ''}  ${c.name ?? ''}`),
      )
    }
    if (detail.children.length > 0) {
      lines.push(
        '',
        'child contexts:',
        ...detail.children.map((c) => `  ${c.id}  ${c.type ?? ''}  ${c.name ?? ''}`),
      )
    }
    if (detail.executions.length > 0) {
      lines.push('', 'executions:')
      for (const e of detail.executions)
        lines.push(`  ${e.id}  ${e.type ?? ''}  ${executionStateName(e.last_known_state)}`)
    }
    if (detail.artifacts.length > 0) {
      lines.push('', 'artifacts:')
      for (const a of detail.artifacts) lines.push(`  ${a.id}  ${a.type ?? ''}  ${a.uri ?? ''}`)
    }
    io.out(lines.join('\n'))
    return 0
  })
}

/** `mlmd-ts lineage`. */
export async function lineage(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    ...sourceOptions,
    hops: { type: 'string' },
    direction: { type: 'string' },
    format: { type: 'string' },
  })
  if (values.help) {
    io.out(LINEAGE_USAGE)
    return 0
  }
  const kind = KIND_WORDS[positionals[0] ?? '']
  if (positionals.length !== 2 || (kind !== 'artifact' && kind !== 'execution')) {
    throw usageError('lineage wants: artifact|execution ID')
  }
  const id = parseId(positionals[1], 'ID')
  const format = values.format ?? 'dot'
  if (!['dot', 'mermaid', 'svg', 'json'].includes(format))
    throw usageError('--format must be dot, mermaid, svg or json')
  const direction = (values.direction ?? 'both') as LineageDirection
  if (!LINEAGE_DIRECTIONS.includes(direction))
    throw usageError(`--direction must be one of ${LINEAGE_DIRECTIONS.join(', ')}`)
  const hops = parseInteger(values.hops, 3, '--hops')
  return withSource(values, io, async (store) => {
    const view = await getLineage(store, kind, id, { hops, direction })
    if (format === 'dot') io.out(lineageToDot(view))
    else if (format === 'mermaid') io.out(lineageToMermaid(view))
    else if (format === 'svg') io.out(lineageToSvg(view))
    else
      io.out(
        json({
          start: { kind: view.start.kind, id: String(view.start.id) },
          hops: view.hops,
          direction: view.direction,
          nodes: view.nodes.map((n) => ({ ...n, id: String(n.id) })),
          edges: view.edges.map((e) => ({ ...e })),
        }),
      )
    return 0
  })
}

const ms = (value: number | undefined): Json => (value === undefined ? null : value)

function runToJson(summary: RunSummary): Json {
  const contextRef = (c: Context | undefined): Json =>
    c === undefined ? null : { id: String(c.id), name: c.name ?? '' }
  return {
    run: contextRef(summary.run),
    pipeline: contextRef(summary.pipeline),
    totals: { ...summary.totals, wallMs: ms(summary.totals.wallMs) },
    steps: summary.steps.map((s) => ({
      node: s.nodeId,
      executionId: String(s.execution.id),
      status: s.status,
      durationMs: ms(s.durationMs),
      ...(s.reused === undefined
        ? {}
        : {
            reusedExecutionId: String(s.reused.execution.id),
            reusedRun: contextRef(s.reused.run),
            savedMs: ms(s.savedMs),
          }),
    })),
  }
}

function pipelineLines(summary: PipelineSummary, withSteps: boolean): string[] {
  const p = summary.pipeline
  const lines = [
    `pipeline ${p.name} (context ${p.id}): ${summary.runCount} run${summary.runCount === 1 ? '' : 's'}`,
  ]
  const rows = [['run', 'context', 'steps', 'ran', 'cached', 'failed', 'time', 'saved']]
  for (const r of summary.runs) {
    const t = r.totals
    rows.push([
      r.run.name ?? '',
      String(r.run.id),
      String(t.steps),
      String(t.ran),
      String(t.cached),
      String(t.failed),
      formatDuration(t.wallMs),
      t.cached === 0 ? '' : formatDuration(t.savedMs),
    ])
  }
  lines.push(
    ...formatTable(rows)
      .split('\n')
      .map((l) => `  ${l}`),
  )
  if (withSteps) {
    for (const r of summary.runs) {
      lines.push('', `  run ${r.run.name} (context ${r.run.id})`)
      const steps = [['step', 'execution', 'status', 'time', 'reused execution', 'from run', 'saved']]
      for (const s of r.steps) {
        steps.push([
          s.nodeId,
          String(s.execution.id),
          s.status,
          formatDuration(s.durationMs),
          s.reused === undefined ? '' : String(s.reused.execution.id),
          s.reused?.run?.name ?? '',
          s.reused === undefined ? '' : formatDuration(s.savedMs),
        ])
      }
      lines.push(
        ...formatTable(steps)
          .split('\n')
          .map((l) => `    ${l}`),
      )
    }
  }
  return lines
}

/** `mlmd-ts runs`. */
export async function runs(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    ...sourceOptions,
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
  })
  if (values.help) {
    io.out(RUNS_USAGE)
    return 0
  }
  if (positionals.length > 1) throw usageError('runs takes at most one pipeline name')
  const limit = parseInteger(values.limit, 20, '--limit')
  return withSource(values, io, async (store) => {
    const name = positionals[0]
    const names = name === undefined ? (await listPipelines(store)).map((p) => p.id as bigint) : [name]
    const summaries: PipelineSummary[] = []
    for (const p of names) summaries.push(await getPipeline(store, p, limit))
    if (values.json) {
      io.out(
        json(
          summaries.map((s) => ({
            pipeline: { id: String(s.pipeline.id), name: s.pipeline.name ?? '' },
            runCount: s.runCount,
            runs: s.runs.map(runToJson),
          })),
        ),
      )
      return 0
    }
    if (summaries.length === 0) {
      io.out('no pipelines in this store')
      return 0
    }
    io.out(
      summaries
        .flatMap((s, i) => [...(i > 0 ? [''] : []), ...pipelineLines(s, name !== undefined)])
        .join('\n'),
    )
    return 0
  })
}
