/**
 * A lineage view as a standalone SVG picture: laid out by dagre (the layered layout the web
 * UI uses), drawn as plain shapes and text. Every label is XML-escaped, and the picture holds
 * no script or link.
 */
import { createRequire } from 'node:module'
import type { LineageView } from './explorer.js'

// The part of dagre's API used here (dagre ships no types).
interface DagreGraph {
  setGraph(options: Record<string, unknown>): void
  setDefaultEdgeLabel(label: () => object): void
  setNode(id: string, value: { width: number; height: number }): void
  setEdge(from: string, to: string): void
  node(id: string): { x: number; y: number; width: number; height: number }
  edge(from: string, to: string): { points: { x: number; y: number }[] }
  graph(): { width?: number; height?: number }
}
interface Dagre {
  graphlib: { Graph: new () => DagreGraph }
  layout(graph: DagreGraph): void
}

const dagre = createRequire(import.meta.url)('dagre') as Dagre

const escapeXml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  )

const STATE_COLOR: Readonly<Record<string, string>> = {
  COMPLETE: '#1f7a3a',
  LIVE: '#1f7a3a',
  CACHED: '#2366b8',
  FAILED: '#b3261e',
  RUNNING: '#a05a00',
}

const FONT_SIZE = 11
// An estimate of the average glyph width of a sans-serif font at FONT_SIZE.
const CHAR_WIDTH = 6.4
const LINE_HEIGHT = 14

/** The lineage view as an SVG document. */
export function lineageToSvg(view: LineageView): string {
  const g = new dagre.graphlib.Graph()
  g.setGraph({ rankdir: 'LR', nodesep: 20, ranksep: 60, marginx: 16, marginy: 16 })
  g.setDefaultEdgeLabel(() => ({}))
  const lines = new Map<string, string[]>()
  for (const n of view.nodes) {
    const text = [`${n.typeName} #${n.id}`, n.label, n.state]
    lines.set(n.key, text)
    const longest = Math.max(...text.map((t) => t.length))
    const padding = n.kind === 'execution' ? 44 : 20
    g.setNode(n.key, {
      width: Math.ceil(longest * CHAR_WIDTH + padding),
      height: text.length * LINE_HEIGHT + 16,
    })
  }
  for (const e of view.edges) g.setEdge(e.from, e.to)
  dagre.layout(g)
  const { width = 0, height = 0 } = g.graph()
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#9aa5b1"/></marker></defs>',
  ]
  for (const e of view.edges) {
    const points = g
      .edge(e.from, e.to)
      .points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
      .join(' ')
    out.push(
      `<polyline class="edge" points="${points}" fill="none" stroke="#9aa5b1" stroke-width="1.5" marker-end="url(#arrow)"><title>${escapeXml(e.eventType)}</title></polyline>`,
    )
  }
  for (const n of view.nodes) {
    const { x, y, width: w, height: h } = g.node(n.key)
    const stroke = STATE_COLOR[n.state] ?? '#68717c'
    const fill = n.start ? '#fff3c4' : n.kind === 'execution' ? '#f3f6fa' : '#ffffff'
    const strokeWidth = n.start ? 4 : 2
    out.push(`<g class="node ${n.kind}">`)
    out.push(
      n.kind === 'artifact'
        ? `<rect x="${(x - w / 2).toFixed(1)}" y="${(y - h / 2).toFixed(1)}" width="${w}" height="${h}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="${strokeWidth}"/>`
        : `<ellipse cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" rx="${(w / 2).toFixed(1)}" ry="${(h / 2).toFixed(1)}" fill="${fill}" stroke="${stroke}" stroke-width="${strokeWidth}"/>`,
    )
    const text = lines.get(n.key) ?? []
    const top = y - ((text.length - 1) * LINE_HEIGHT) / 2
    text.forEach((line, i) => {
      out.push(
        `<text x="${x.toFixed(1)}" y="${(top + i * LINE_HEIGHT).toFixed(1)}" text-anchor="middle" dominant-baseline="middle">${escapeXml(line)}</text>`,
      )
    })
    out.push('</g>')
  }
  out.push('</svg>')
  return out.join('\n')
}
