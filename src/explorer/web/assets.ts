/**
 * The UI's own static files (stylesheet and the lineage graph script), kept as strings so they
 * ship inside the compiled package, and the graph libraries served from node_modules (no CDN:
 * the UI works offline and loads no third-party origin).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)

// cytoscape's `exports` hides package.json, so its folder is found from its main entry.
const cytoscapeDist = path.dirname(require.resolve('cytoscape'))

/** Library files by URL path: where each is read from on first request. */
const LIBRARIES: Readonly<Record<string, () => string>> = {
  '/static/cytoscape.min.js': () => path.join(cytoscapeDist, 'cytoscape.min.js'),
  '/static/dagre.min.js': () =>
    path.join(path.dirname(require.resolve('dagre/package.json')), 'dist', 'dagre.min.js'),
  '/static/cytoscape-dagre.js': () => require.resolve('cytoscape-dagre'),
}

/** The scripts a lineage page loads, in order (cytoscape-dagre registers itself on load). */
export const LINEAGE_SCRIPTS = [
  '/static/cytoscape.min.js',
  '/static/dagre.min.js',
  '/static/cytoscape-dagre.js',
  '/static/lineage.js',
] as const

const STYLESHEET = `
:root { --fg: #1d232a; --muted: #68717c; --line: #d9dee4; --accent: #2457a6; --ok: #1f7a3a; --cached: #2366b8; --bad: #b3261e; --busy: #a05a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fafbfc; }
header { display: flex; gap: 24px; align-items: center; padding: 10px 24px; background: #1d2733; color: #fff; }
header a { color: #d5e3f5; text-decoration: none; }
header a.brand { color: #fff; font-weight: 600; }
header nav { display: flex; gap: 16px; }
header nav a.active { color: #fff; border-bottom: 2px solid #8fb8f0; }
header .source { margin-left: auto; color: #9fb0c3; font-size: 12px; }
main { padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 4px 0 12px; }
h1 .name { font-family: ui-monospace, monospace; }
h2 { font-size: 15px; margin: 20px 0 6px; }
a { color: var(--accent); }
.muted, .crumbs { color: var(--muted); }
.crumbs { margin: 0; font-size: 13px; }
table { border-collapse: collapse; background: #fff; }
table.list { width: 100%; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.uri, span.uri, td.value { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; white-space: pre-wrap; }
table.props th { width: 220px; font-weight: 500; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #eef0f3; color: var(--muted); }
.badge.ok { background: #e3f4e8; color: var(--ok); }
.badge.cached { background: #e2edfb; color: var(--cached); }
.badge.bad { background: #fbe7e5; color: var(--bad); }
.badge.busy { background: #fdf0dc; color: var(--busy); }
tr.step.cached td { background: #f5f9ff; }
dl.totals { display: flex; gap: 28px; margin: 0 0 14px; }
dl.totals div { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 6px 14px; }
dl.totals dt { color: var(--muted); font-size: 12px; }
dl.totals dd { margin: 0; font-size: 18px; font-weight: 600; }
form.filter { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; margin-bottom: 12px; }
form.filter input[type=text] { font-family: ui-monospace, monospace; }
.error { color: var(--bad); background: #fbe7e5; border: 1px solid #f0b8b3; padding: 8px 12px; border-radius: 4px; font-family: ui-monospace, monospace; white-space: pre-wrap; }
.empty { color: var(--muted); font-style: italic; }
section.cache-miss { background: #fffaf0; border: 1px solid #f0dcb0; border-radius: 6px; padding: 4px 14px 8px; margin: 14px 0; }
section.cache-miss .summary { font-weight: 600; }
table.differences td.ingredient { font-family: ui-monospace, monospace; font-size: 12px; white-space: nowrap; }
.pager a { margin-right: 16px; }
#lineage-graph { height: 560px; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
.legend { color: var(--muted); font-size: 12px; }
.key { display: inline-block; padding: 1px 8px; border: 1px solid #8a96a3; }
.key.execution { border-radius: 10px; }
`

// Draws the lineage data of the page with Cytoscape and a dagre layered layout; a click on a
// node follows an ordinary link to its page. Labels are set as data and drawn on the canvas as
// text, never parsed as HTML.
const LINEAGE_SCRIPT = `
(function () {
  var container = document.getElementById('lineage-graph');
  var source = document.getElementById('lineage-data');
  if (!container || !source || typeof cytoscape === 'undefined') return;
  var data = JSON.parse(source.textContent);
  var colors = { COMPLETE: '#1f7a3a', LIVE: '#1f7a3a', CACHED: '#2366b8', FAILED: '#b3261e', RUNNING: '#a05a00' };
  var elements = [];
  data.nodes.forEach(function (n) {
    elements.push({ group: 'nodes', data: {
      id: n.id, href: n.href, kind: n.kind, state: n.state,
      label: n.type.split('.').pop() + ' #' + n.nodeId + '\\n' + n.label + '\\n' + n.state,
      color: colors[n.state] || '#68717c'
    }, classes: n.kind + (n.start ? ' start' : '') });
  });
  data.edges.forEach(function (e, i) {
    elements.push({ group: 'edges', data: { id: 'edge' + i, source: e.source, target: e.target, type: e.type } });
  });
  var cy = cytoscape({
    container: container,
    elements: elements,
    style: [
      { selector: 'node', style: {
        'label': 'data(label)', 'text-wrap': 'wrap', 'text-valign': 'center', 'text-halign': 'center',
        'font-size': 10, 'width': 190, 'height': 54, 'background-color': '#ffffff',
        'border-width': 2, 'border-color': 'data(color)', 'color': '#1d232a'
      } },
      { selector: 'node.artifact', style: { 'shape': 'round-rectangle' } },
      { selector: 'node.execution', style: { 'shape': 'ellipse', 'background-color': '#f3f6fa' } },
      { selector: 'node.start', style: { 'border-width': 5, 'background-color': '#fff3c4' } },
      { selector: 'edge', style: {
        'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'width': 1.5,
        'line-color': '#9aa5b1', 'target-arrow-color': '#9aa5b1',
        'label': 'data(type)', 'font-size': 8, 'color': '#68717c', 'text-rotation': 'autorotate'
      } }
    ],
    layout: { name: 'dagre', rankDir: 'LR', nodeSep: 24, rankSep: 70 }
  });
  cy.on('tap', 'node', function (event) { window.location.href = event.target.data('href'); });
  cy.on('mouseover', 'node', function () { container.style.cursor = 'pointer'; });
  cy.on('mouseout', 'node', function () { container.style.cursor = ''; });
  container.setAttribute('data-rendered', String(cy.nodes().length));
  window.lineageGraph = cy;
})();
`

/** The body and content type of a static path, or undefined for an unknown one. */
export function staticAsset(pathname: string): { body: string | Buffer; type: string } | undefined {
  if (pathname === '/static/explorer.css') return { body: STYLESHEET, type: 'text/css; charset=utf-8' }
  if (pathname === '/static/lineage.js')
    return { body: LINEAGE_SCRIPT, type: 'text/javascript; charset=utf-8' }
  const file = LIBRARIES[pathname]
  if (file === undefined) return undefined
  return { body: readFileSync(file()), type: 'text/javascript; charset=utf-8' }
}
