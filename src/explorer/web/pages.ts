/**
 * The explorer's pages as server-rendered HTML. Each view has its own URL, and every link is
 * an ordinary `<a href>`, so back, bookmarks and "open in new tab" work. Everything from the
 * store goes through {@link html}, which escapes it; URIs are shown as text, never as links.
 */
import {
  type Artifact,
  type Context,
  type Execution,
  PropertyType,
  type Value,
} from '../../proto/messages.js'
import type { CacheMissExplanation } from '../../runner/explain.js'
import { CUSTOM_PROPERTY } from '../../runner/tfx-records.js'
import type { AsyncMetadataStore } from '../../store/metadata-store-api.js'
import {
  type AnyNode,
  artifactStateName,
  cacheMissOf,
  enumName,
  eventTypeName,
  executionStateName,
  getLineage,
  getNodeDetail,
  getPipeline,
  getRun,
  LINEAGE_DIRECTIONS,
  type LineageDirection,
  listNodes,
  listPipelines,
  listTypes,
  NODE_KINDS,
  type NodeKind,
  ORDER_FIELDS,
  type OrderField,
  type StepSummary,
} from '../explorer.js'
import { formatDuration, formatTime, formatValue } from '../format.js'
import { html, jsonScriptContent, query, type SafeHtml } from './html.js'

/** Where each kind of node lives. */
export const KIND_PATH: Readonly<Record<NodeKind, string>> = {
  artifact: 'artifacts',
  execution: 'executions',
  context: 'contexts',
}

const nodeHref = (kind: NodeKind, id: bigint | undefined): string => `/${KIND_PATH[kind]}/${id}`

const NAV: readonly [string, string][] = [
  ['/pipelines', 'Pipelines'],
  ['/artifacts', 'Artifacts'],
  ['/executions', 'Executions'],
  ['/contexts', 'Contexts'],
  ['/types', 'Types'],
]

/** A whole page around `body`. */
export function layout(
  title: string,
  source: string,
  active: string,
  body: SafeHtml,
  scripts: readonly string[] = [],
): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · mlmd-ts explorer</title>
<link rel="stylesheet" href="/static/explorer.css">
</head>
<body>
<header>
<a class="brand" href="/pipelines">mlmd-ts explorer</a>
<nav>${NAV.map(([href, label]) => html`<a href="${href}"${active === href ? html` class="active" aria-current="page"` : ''}>${label}</a>`)}</nav>
<span class="source" title="read-only">${source}</span>
</header>
<main>
${body}
</main>
${scripts.map((src) => html`<script src="${src}"></script>`)}
</body>
</html>
`.text
}

const STATUS_CLASS: Readonly<Record<string, string>> = {
  ran: 'ok',
  COMPLETE: 'ok',
  LIVE: 'ok',
  cached: 'cached',
  CACHED: 'cached',
  failed: 'bad',
  FAILED: 'bad',
  running: 'busy',
  RUNNING: 'busy',
}

const badge = (status: string): SafeHtml =>
  status === '' ? html`` : html`<span class="badge ${STATUS_CLASS[status] ?? 'other'}">${status}</span>`

const nodeLink = (kind: NodeKind, node: AnyNode | undefined, id: bigint | undefined): SafeHtml =>
  html`<a href="${nodeHref(kind, id)}">${kind} ${id}</a>${node?.type ? html` <span class="muted">${node.type}</span>` : ''}`

function stateOf(kind: NodeKind, node: AnyNode): string {
  if (kind === 'artifact') return artifactStateName((node as Artifact).state)
  if (kind === 'execution') return executionStateName((node as Execution).last_known_state)
  return ''
}

// ---------------------------------------------------------------------------------------------

/** `/pipelines`: every pipeline with its run count and newest run. */
export async function pipelinesPage(store: AsyncMetadataStore): Promise<{ title: string; body: SafeHtml }> {
  const pipelines = await listPipelines(store)
  const children =
    pipelines.length === 0
      ? {}
      : ((await store.getChildrenContextsByContexts({ context_ids: pipelines.map((p) => p.id as bigint) }))
          .contexts ?? {})
  const rows = pipelines.map((p) => {
    const runs = (children[String(p.id)]?.children_contexts ?? []).filter((c) => c.type === 'pipeline_run')
    const newest = runs.reduce<Context | undefined>(
      (a, c) => (a === undefined || (c.id as bigint) > (a.id as bigint) ? c : a),
      undefined,
    )
    return html`<tr><td><a href="/pipelines/${p.id}">${p.name}</a></td><td class="num">${runs.length}</td>
<td>${newest === undefined ? '' : html`<a href="/runs/${newest.id}">${newest.name}</a>`}</td><td>${formatTime(p.create_time_since_epoch)}</td></tr>`
  })
  return {
    title: 'Pipelines',
    body: html`<h1>Pipelines</h1>
${
  rows.length === 0
    ? html`<p class="empty">No pipelines in this store (no contexts of type <code>pipeline</code>).</p>`
    : html`<table class="list"><thead><tr><th>pipeline</th><th>runs</th><th>newest run</th><th>created</th></tr></thead><tbody>${rows}</tbody></table>`
}`,
  }
}

/** `/pipelines/ID`: the pipeline's newest runs with cache hits and time saved. */
export async function pipelinePage(
  store: AsyncMetadataStore,
  id: bigint,
): Promise<{ title: string; body: SafeHtml }> {
  const summary = await getPipeline(store, id, 50)
  const rows = summary.runs.map((r) => {
    const t = r.totals
    return html`<tr><td><a href="/runs/${r.run.id}">${r.run.name}</a></td><td>${formatTime(r.run.create_time_since_epoch)}</td>
<td class="num">${t.steps}</td><td class="num">${t.ran}</td><td class="num">${t.cached}</td><td class="num">${t.failed}</td>
<td class="num">${formatDuration(t.wallMs)}</td><td class="num">${t.cached === 0 ? '' : formatDuration(t.savedMs)}</td></tr>`
  })
  return {
    title: `Pipeline ${summary.pipeline.name}`,
    body: html`<p class="crumbs"><a href="/pipelines">Pipelines</a> ›</p>
<h1>Pipeline <span class="name">${summary.pipeline.name}</span></h1>
<p>${summary.runCount} run${summary.runCount === 1 ? '' : 's'}${summary.runCount > summary.runs.length ? html`, newest ${summary.runs.length} shown` : ''} · <a href="/contexts/${summary.pipeline.id}">context ${summary.pipeline.id}</a></p>
<table class="list runs"><thead><tr><th>run</th><th>started</th><th>steps</th><th>ran</th><th>cached</th><th>failed</th><th>time</th><th>saved</th></tr></thead>
<tbody>${rows}</tbody></table>`,
  }
}

function stepRow(s: StepSummary): SafeHtml {
  const reused =
    s.reused === undefined
      ? html``
      : html`<a href="/executions/${s.reused.execution.id}">execution ${s.reused.execution.id}</a>${
          s.reused.run === undefined
            ? ''
            : html` of run <a href="/runs/${s.reused.run.id}">${s.reused.run.name}</a>`
        }`
  return html`<tr class="step ${s.status}"><td><a href="/executions/${s.execution.id}">${s.nodeId}</a></td><td>${badge(s.status)}</td>
<td class="num">${formatDuration(s.durationMs)}</td><td>${reused}</td><td class="num">${s.reused === undefined ? '' : formatDuration(s.savedMs)}</td>
<td><a href="/lineage/execution/${s.execution.id}">lineage</a>${
    (s.status === 'ran' || s.status === 'failed') &&
    s.execution.custom_properties?.[CUSTOM_PROPERTY.cacheKeyIngredients] !== undefined
      ? html` · <a href="/executions/${s.execution.id}#why-it-ran">why it ran</a>`
      : ''
  }</td></tr>`
}

/** `/runs/ID`: the steps of one run: ran, cached (from which execution and run), failed. */
export async function runPage(
  store: AsyncMetadataStore,
  id: bigint,
): Promise<{ title: string; body: SafeHtml }> {
  const run = await getRun(store, id)
  const t = run.totals
  return {
    title: `Run ${run.run.name}`,
    body: html`<p class="crumbs"><a href="/pipelines">Pipelines</a> › ${
      run.pipeline === undefined
        ? ''
        : html`<a href="/pipelines/${run.pipeline.id}">${run.pipeline.name}</a> ›`
    }</p>
<h1>Run <span class="name">${run.run.name}</span></h1>
<dl class="totals">
<div><dt>steps</dt><dd>${t.steps}</dd></div>
<div><dt>ran</dt><dd>${t.ran}</dd></div>
<div><dt>cached</dt><dd>${t.cached}</dd></div>
<div><dt>failed</dt><dd>${t.failed}</dd></div>
<div><dt>time</dt><dd>${formatDuration(t.wallMs)}</dd></div>
<div><dt>saved by the cache</dt><dd>${formatDuration(t.savedMs)}</dd></div>
</dl>
<table class="list steps"><thead><tr><th>step</th><th>status</th><th>time</th><th>reused</th><th>saved</th><th></th></tr></thead>
<tbody>${run.steps.map(stepRow)}</tbody></table>
<p class="muted">A cached step's time is the cache lookup; "saved" is how long the execution it reused took. <a href="/contexts/${run.run.id}">Run context ${run.run.id}</a></p>`,
  }
}

// ---------------------------------------------------------------------------------------------

/** The query of a list page, as read from the URL. */
export interface ListParams {
  readonly filter: string
  readonly order: OrderField
  readonly asc: boolean
  readonly size: number
  readonly pageToken: string
}

/** Reads list parameters from a URL's query, falling back to defaults for unknown values. */
export function listParams(search: URLSearchParams): ListParams {
  const order = search.get('order') ?? 'id'
  const size = Number(search.get('size') ?? '20')
  return {
    filter: search.get('filter') ?? '',
    order: ORDER_FIELDS.includes(order as OrderField) ? (order as OrderField) : 'id',
    asc: search.get('asc') === '1',
    size: Number.isInteger(size) && size >= 1 && size <= 100 ? size : 20,
    pageToken: search.get('page_token') ?? '',
  }
}

const TITLES: Readonly<Record<NodeKind, string>> = {
  artifact: 'Artifacts',
  execution: 'Executions',
  context: 'Contexts',
}

const FILTER_EXAMPLES: Readonly<Record<NodeKind, string>> = {
  artifact: "type = 'Model' AND state = LIVE",
  execution: "last_known_state = CACHED AND contexts_a.name = 'seed-b'",
  context: "type = 'pipeline_run'",
}

/**
 * `/artifacts`, `/executions`, `/contexts`: one page, with a filter_query box; a bad query is
 * shown inline with MLMD's message (`error`), the form kept as typed.
 */
export async function listPage(
  store: AsyncMetadataStore,
  kind: NodeKind,
  params: ListParams,
): Promise<{ title: string; body: SafeHtml; status: number }> {
  let nodes: readonly AnyNode[] = []
  let next: string | undefined
  let error: string | undefined
  try {
    const page = await listNodes(store, kind, {
      filter: params.filter,
      orderBy: params.order,
      ascending: params.asc,
      pageSize: params.size,
      pageToken: params.pageToken || undefined,
    })
    nodes = page.nodes
    next = page.nextPageToken
  } catch (e) {
    error =
      e instanceof Error && 'rawMessage' in e ? String((e as { rawMessage: string }).rawMessage) : String(e)
  }
  const base = `/${KIND_PATH[kind]}`
  const keep = {
    filter: params.filter,
    order: params.order === 'id' ? undefined : params.order,
    asc: params.asc ? '1' : undefined,
    size: params.size === 20 ? undefined : params.size,
  }
  const header = html`<tr><th>id</th><th>type</th><th>name</th>${kind === 'context' ? '' : html`<th>state</th>`}${kind === 'artifact' ? html`<th>uri</th>` : ''}<th>created</th><th>updated</th></tr>`
  const rows = nodes.map(
    (
      n,
    ) => html`<tr><td><a href="${base}/${n.id}">${n.id}</a></td><td>${n.type}</td><td class="name">${n.name}</td>
${kind === 'context' ? '' : html`<td>${badge(stateOf(kind, n))}</td>`}${kind === 'artifact' ? html`<td class="uri">${(n as Artifact).uri}</td>` : ''}
<td>${formatTime(n.create_time_since_epoch)}</td><td>${formatTime(n.last_update_time_since_epoch)}</td></tr>`,
  )
  return {
    title: TITLES[kind],
    status: error === undefined ? 200 : 400,
    body: html`<h1>${TITLES[kind]}</h1>
<form class="filter" method="get" action="${base}">
<label>filter_query <input type="text" name="filter" value="${params.filter}" size="60" placeholder="${FILTER_EXAMPLES[kind]}"></label>
<label>order <select name="order">${ORDER_FIELDS.map((f) => html`<option value="${f}"${f === params.order ? html` selected` : ''}>${f}</option>`)}</select></label>
<label><input type="checkbox" name="asc" value="1"${params.asc ? html` checked` : ''}> ascending</label>
<label>per page <input type="number" name="size" min="1" max="100" value="${params.size}"></label>
<button type="submit">Apply</button>
</form>
${error === undefined ? '' : html`<p class="error" role="alert">${error}</p>`}
${
  error === undefined && nodes.length === 0
    ? html`<p class="empty">Nothing matches.</p>`
    : error === undefined
      ? html`<table class="list nodes"><thead>${header}</thead><tbody>${rows}</tbody></table>`
      : ''
}
<p class="pager">${params.pageToken ? html`<a href="${base}${query(keep)}">First page</a> ` : ''}${
      next === undefined
        ? ''
        : html`<a rel="next" href="${base}${query({ ...keep, page_token: next })}">Next page</a>`
    }</p>`,
  }
}

/** `/types`: artifact, execution and context types with their declared properties. */
export async function typesPage(store: AsyncMetadataStore): Promise<{ title: string; body: SafeHtml }> {
  const types = await listTypes(store)
  const section = (kind: NodeKind) => html`<h2>${kind} types</h2>
<table class="list types"><thead><tr><th>id</th><th>name</th><th>version</th><th>properties</th><th>nodes</th></tr></thead><tbody>
${types[kind].map(
  (t) => html`<tr><td>${t.id}</td><td class="name">${t.name}</td><td>${t.version}</td>
<td>${Object.entries(t.properties ?? {}).map(([k, v]) => html`<code>${k}</code>: ${enumName(PropertyType, v)} `)}</td>
<td><a href="/${KIND_PATH[kind]}${query({ filter: `type = '${(t.name ?? '').replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` })}">list</a></td></tr>`,
)}</tbody></table>`
  return { title: 'Types', body: html`<h1>Types</h1>${NODE_KINDS.map(section)}` }
}

// ---------------------------------------------------------------------------------------------

function propertyTable(title: string, props: Readonly<Record<string, Value>> | undefined): SafeHtml {
  const entries = Object.entries(props ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
  return html`<h2>${title}</h2>${
    entries.length === 0
      ? html`<p class="empty">none</p>`
      : html`<table class="props"><tbody>${entries.map(([k, v]) => html`<tr><th>${k}</th><td class="value">${formatValue(v)}</td></tr>`)}</tbody></table>`
  }`
}

const contextRows = (contexts: readonly Context[]): SafeHtml =>
  html`${contexts.map((c) => html`<tr><td><a href="/contexts/${c.id}">${c.id}</a></td><td>${c.type}</td><td class="name">${c.name}</td></tr>`)}`

function cacheMissSection(explanation: CacheMissExplanation | undefined): SafeHtml {
  if (explanation === undefined) return html``
  const earlier = explanation.comparedWith
  return html`<section class="cache-miss" aria-labelledby="why-it-ran">
<h2 id="why-it-ran">Why it ran (cache miss)</h2>
<p class="summary">${explanation.nodeId}: ${explanation.summary}</p>
${
  earlier === undefined
    ? ''
    : html`<p>Compared with <a class="compared-with" href="/executions/${earlier.executionId}">execution ${earlier.executionId}</a> <span class="muted">(${earlier.nodeContext})</span>, the closest earlier successful run of node <code>${explanation.nodeId}</code>.</p>`
}${
  explanation.differences.length === 0
    ? ''
    : html`<table class="list differences"><thead><tr><th>changed</th><th>then</th><th>now</th></tr></thead><tbody>${explanation.differences.map(
        (d) =>
          html`<tr><td class="ingredient">${d.ingredient}</td><td class="value">${d.before}</td><td class="value">${d.after}</td></tr>`,
      )}</tbody></table>`
}${explanation.lookup === undefined ? '' : html`<p class="muted">Cache lookup: ${explanation.lookup}</p>`}
</section>`
}

/** `/artifacts/ID`, `/executions/ID`, `/contexts/ID`: a node with properties, events, contexts. */
export async function nodePage(
  store: AsyncMetadataStore,
  kind: NodeKind,
  id: bigint,
): Promise<{ title: string; body: SafeHtml }> {
  const d = await getNodeDetail(store, kind, id)
  const n = d.node
  const cacheMiss = kind === 'execution' ? await cacheMissOf(store, n as Execution) : undefined
  const state = stateOf(kind, n)
  const facts: [string, SafeHtml | string][] = [
    ['id', String(n.id)],
    ['type', html`${n.type} <span class="muted">(type ${n.type_id})</span>`],
    ['name', n.name ?? ''],
    ...(kind === 'artifact'
      ? ([['uri', html`<span class="uri">${(n as Artifact).uri}</span>`]] as [string, SafeHtml][])
      : []),
    ...(state === '' ? [] : ([['state', badge(state)]] as [string, SafeHtml][])),
    ['external_id', n.external_id ?? ''],
    ['created', formatTime(n.create_time_since_epoch)],
    ['updated', formatTime(n.last_update_time_since_epoch)],
  ]
  const peerKind: NodeKind = kind === 'artifact' ? 'execution' : 'artifact'
  const events =
    kind === 'context'
      ? html``
      : html`<h2>Events</h2>${
          d.events.length === 0
            ? html`<p class="empty">none</p>`
            : html`<table class="list events"><thead><tr><th>type</th><th>${peerKind}</th><th>path</th><th>time</th></tr></thead><tbody>${d.events.map(
                (e) => {
                  const peer = (kind === 'artifact' ? e.execution_id : e.artifact_id) as bigint
                  const path = (e.path?.steps ?? [])
                    .map((s) => (s.key !== undefined ? s.key : String(s.index)))
                    .join('/')
                  return html`<tr><td>${eventTypeName(e.type)}</td><td>${nodeLink(peerKind, d.eventPeers.get(peer), peer)}</td><td>${path}</td><td>${formatTime(e.milliseconds_since_epoch)}</td></tr>`
                },
              )}</tbody></table>`
        }`
  const contexts = html`<h2>${kind === 'context' ? 'Parent contexts' : 'Contexts'}</h2>${
    d.contexts.length === 0
      ? html`<p class="empty">none</p>`
      : html`<table class="list"><tbody>${contextRows(d.contexts)}</tbody></table>`
  }`
  const ofContext =
    kind !== 'context'
      ? html``
      : html`<h2>Child contexts</h2>${
          d.children.length === 0
            ? html`<p class="empty">none</p>`
            : html`<table class="list"><tbody>${contextRows(d.children)}</tbody></table>`
        }
<h2>Executions</h2>${
          d.executions.length === 0
            ? html`<p class="empty">none</p>`
            : html`<ul>${d.executions.map((e) => html`<li>${nodeLink('execution', e, e.id)} ${badge(executionStateName(e.last_known_state))}</li>`)}</ul>`
        }
<p><a href="/executions${query({ filter: `contexts_a.id = ${id}` })}">all executions of this context</a></p>
<h2>Artifacts</h2>${
          d.artifacts.length === 0
            ? html`<p class="empty">none</p>`
            : html`<ul>${d.artifacts.map((a) => html`<li>${nodeLink('artifact', a, a.id)} <span class="uri">${a.uri}</span></li>`)}</ul>`
        }
<p><a href="/artifacts${query({ filter: `contexts_a.id = ${id}` })}">all artifacts of this context</a></p>`
  const runLink =
    kind === 'context' && n.type === 'pipeline_run' ? html` · <a href="/runs/${id}">run view</a>` : ''
  const pipelineLink =
    kind === 'context' && n.type === 'pipeline' ? html` · <a href="/pipelines/${id}">pipeline view</a>` : ''
  return {
    title: `${kind} ${id}`,
    body: html`<p class="crumbs"><a href="/${KIND_PATH[kind]}">${TITLES[kind]}</a> ›</p>
<h1>${kind} ${id} <span class="muted">${n.type}</span></h1>
<p>${kind === 'context' ? '' : html`<a class="lineage-link" href="/lineage/${kind}/${id}">Lineage graph</a>`}${runLink}${pipelineLink}</p>
<table class="props facts"><tbody>${facts.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>
${cacheMissSection(cacheMiss)}
${propertyTable('Properties', n.properties)}
${propertyTable('Custom properties', n.custom_properties)}
${events}
${contexts}
${ofContext}`,
  }
}

// ---------------------------------------------------------------------------------------------

/** `/lineage/KIND/ID`: the interactive graph (data embedded as JSON, drawn by lineage.js). */
export async function lineagePage(
  store: AsyncMetadataStore,
  kind: 'artifact' | 'execution',
  id: bigint,
  search: URLSearchParams,
): Promise<{ title: string; body: SafeHtml }> {
  const hopsText = search.get('hops') ?? '3'
  const hops = /^\d{1,2}$/.test(hopsText) ? Number(hopsText) : 3
  const direction = (LINEAGE_DIRECTIONS as readonly string[]).includes(search.get('direction') ?? '')
    ? (search.get('direction') as LineageDirection)
    : 'both'
  const view = await getLineage(store, kind, id, { hops, direction })
  const data = {
    nodes: view.nodes.map((n) => ({
      id: n.key,
      kind: n.kind,
      nodeId: String(n.id),
      type: n.typeName,
      label: n.label,
      state: n.state,
      start: n.start,
      href: nodeHref(n.kind, n.id),
    })),
    edges: view.edges.map((e) => ({ source: e.from, target: e.to, type: e.eventType })),
  }
  return {
    title: `Lineage of ${kind} ${id}`,
    body: html`<p class="crumbs"><a href="${nodeHref(kind, id)}">${kind} ${id}</a> ›</p>
<h1>Lineage of ${kind} ${id}</h1>
<form class="filter" method="get" action="/lineage/${kind}/${id}">
<label>hops <input type="number" name="hops" min="0" max="20" value="${hops}"></label>
<label>direction <select name="direction">${LINEAGE_DIRECTIONS.map((d) => html`<option value="${d}"${d === direction ? html` selected` : ''}>${d}</option>`)}</select></label>
<button type="submit">Apply</button>
<span class="legend"><span class="key artifact">artifact</span> <span class="key execution">execution</span>
<span class="badge ok">COMPLETE / LIVE</span> <span class="badge cached">CACHED</span> <span class="badge bad">FAILED</span></span>
</form>
<div id="lineage-graph" aria-label="lineage graph" data-nodes="${view.nodes.length}"></div>
<script type="application/json" id="lineage-data">${jsonScriptContent(data)}</script>
<details><summary>${view.nodes.length} nodes, ${view.edges.length} edges (as a list)</summary>
<ul class="lineage-list">${view.nodes.map((n) => html`<li><a href="${nodeHref(n.kind, n.id)}">${n.kind} ${n.id}</a> ${n.typeName} · ${n.label} ${badge(n.state)}</li>`)}</ul>
</details>`,
  }
}
