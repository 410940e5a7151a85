/**
 * Plain-text forms shared by the terminal and the web UI: property values, durations, times,
 * and the lineage graph as Graphviz DOT and Mermaid.
 */
import type { Value } from '../proto/messages.js'
import type { LineageView } from './explorer.js'

/** A property value as one line of text. */
export function formatValue(value: Value): string {
  if (value.int_value !== undefined) return String(value.int_value)
  if (value.double_value !== undefined) return String(value.double_value)
  if (value.string_value !== undefined) return value.string_value
  if (value.bool_value !== undefined) return String(value.bool_value)
  if (value.struct_value !== undefined) return JSON.stringify(structToPlain(value.struct_value))
  if (value.proto_value !== undefined) return `proto ${value.proto_value.type_url ?? ''}`
  return ''
}

type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain }

function structToPlain(struct: NonNullable<Value['struct_value']>): Plain {
  return Object.fromEntries(Object.entries(struct.fields ?? {}).map(([k, v]) => [k, structValueToPlain(v)]))
}

function structValueToPlain(v: NonNullable<NonNullable<Value['struct_value']>['fields']>[string]): Plain {
  if (v.number_value !== undefined) return v.number_value
  if (v.string_value !== undefined) return v.string_value
  if (v.bool_value !== undefined) return v.bool_value
  if (v.struct_value !== undefined) return structToPlain(v.struct_value)
  if (v.list_value !== undefined) return (v.list_value.values ?? []).map(structValueToPlain)
  return null
}

/** `1.23 s`, `45 ms`, or `—` when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** An epoch-milliseconds time as ISO 8601 UTC (to the second), or empty. */
export function formatTime(ms: bigint | undefined): string {
  if (ms === undefined) return ''
  const date = new Date(Number(ms))
  return Number.isNaN(date.getTime()) ? String(ms) : `${date.toISOString().slice(0, 19)}Z`
}

/** Rows as aligned columns (the first row is the header). */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const clean = rows.map((row) => row.map((cell) => cell.replace(/[\r\n\t]+/g, ' ')))
  const widths: number[] = []
  for (const row of clean) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length)
  }
  return clean
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

const nodeTitle = (n: LineageView['nodes'][number]): string => `${n.typeName} #${n.id}`

// DOT double-quoted strings: only `"` and `\` need escaping; a newline becomes the `\n` escape.
const dotString = (text: string): string =>
  `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`

/** A lineage view as a Graphviz digraph: artifacts as boxes, executions as ellipses. */
export function lineageToDot(view: LineageView): string {
  const lines = [
    'digraph lineage {',
    '  rankdir=LR;',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=8];',
  ]
  for (const n of view.nodes) {
    const attrs = [
      `label=${dotString(`${nodeTitle(n)}\n${n.label}\n${n.state}`)}`,
      n.kind === 'artifact' ? 'shape=box' : 'shape=ellipse',
      ...(n.start ? ['penwidth=2.5', 'style=filled', 'fillcolor="#fff3c4"'] : []),
    ]
    lines.push(`  ${dotString(n.key)} [${attrs.join(', ')}];`)
  }
  for (const e of view.edges)
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [label=${dotString(e.eventType)}];`)
  lines.push('}')
  return lines.join('\n')
}

// Mermaid labels are double-quoted; quotes and angle brackets inside become entity codes so a
// name cannot end the label or inject markup into the rendered diagram.
const mermaidString = (text: string): string =>
  `"${text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\r?\n/g, '<br/>')}"`

/** A lineage view as a Mermaid flowchart: artifacts as rectangles, executions as stadiums. */
export function lineageToMermaid(view: LineageView): string {
  const lines = ['flowchart LR']
  for (const n of view.nodes) {
    const label = mermaidString(`${nodeTitle(n)}\n${n.label}\n${n.state}`)
    lines.push(n.kind === 'artifact' ? `  ${n.key}[${label}]` : `  ${n.key}([${label}])`)
  }
  for (const e of view.edges) lines.push(`  ${e.from} -->|${e.eventType}| ${e.to}`)
  const start = view.nodes.find((n) => n.start)
  if (start !== undefined) {
    lines.push('  classDef start stroke-width:3px,fill:#fff3c4')
    lines.push(`  class ${start.key} start`)
  }
  return lines.join('\n')
}
