import { describe, expect, it } from 'vitest'
import type { LineageView } from './explorer.js'
import { formatDuration, formatTable, formatValue, lineageToDot, lineageToMermaid } from './format.js'
import { toProtoJson } from './proto-json.js'
import { lineageToSvg } from './svg.js'

const hostile: LineageView = {
  start: { kind: 'artifact', id: 1n },
  hops: 1,
  direction: 'both',
  nodes: [
    {
      key: 'a1',
      kind: 'artifact',
      id: 1n,
      typeName: 'T"x',
      label: 'a\\b"];\n"evil" -> "x',
      state: 'LIVE',
      start: true,
    },
    {
      key: 'e2',
      kind: 'execution',
      id: 2n,
      typeName: 'E',
      label: '"]) --> z[<script>#1',
      state: 'COMPLETE',
      start: false,
    },
  ],
  edges: [{ from: 'a1', to: 'e2', eventType: 'INPUT' }],
}

describe('lineage text formats', () => {
  it('DOT quotes every label so names cannot add statements', () => {
    const dot = lineageToDot(hostile)
    expect(dot).toContain('"a1" [label="T\\"x #1\\na\\\\b\\"];\\n\\"evil\\" -> \\"x\\nLIVE", shape=box')
    // One statement per node and edge: nothing the names contain breaks a line.
    expect(dot.split('\n')).toHaveLength(4 + 2 + 1 + 1)
    expect(dot.split('\n').filter((l) => l.startsWith('  "a1" ->'))).toEqual([
      '  "a1" -> "e2" [label="INPUT"];',
    ])
  })

  it('Mermaid encodes quotes, brackets and # as entities', () => {
    const mermaid = lineageToMermaid(hostile)
    expect(mermaid).toContain('e2(["E #35;2<br/>#quot;]) --#gt; z[#lt;script#gt;#35;1<br/>COMPLETE"])')
    expect(mermaid).not.toContain('<script>')
    expect(mermaid.split('\n').filter((l) => l.includes('-->'))).toEqual(['  a1 -->|INPUT| e2'])
  })
})

describe('lineage as SVG', () => {
  it('draws one shape per node and one line per edge, with labels escaped', () => {
    const svg = lineageToSvg(hostile)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="')).toBe(true)
    expect(svg.match(/<g class="node artifact">/g)).toHaveLength(1)
    expect(svg.match(/<g class="node execution">/g)).toHaveLength(1)
    expect(svg.match(/<polyline class="edge"/g)).toHaveLength(1)
    expect(svg).toContain('&quot;]) --&gt; z[&lt;script&gt;#1</text>')
    expect(svg).not.toMatch(/<script|<a\b|on\w+=/)
    // The start node is highlighted.
    expect(svg).toMatch(/<rect [^>]*fill="#fff3c4"/)
  })
})

describe('formatting', () => {
  it('prints each Value kind on one line', () => {
    expect(formatValue({ int_value: -(2n ** 63n) })).toBe('-9223372036854775808')
    expect(formatValue({ double_value: 0.25 })).toBe('0.25')
    expect(formatValue({ bool_value: false })).toBe('false')
    expect(formatValue({ string_value: '' })).toBe('')
    expect(
      formatValue({
        struct_value: { fields: { a: { list_value: { values: [{ number_value: 1 }, { null_value: 0 }] } } } },
      }),
    ).toBe('{"a":[1,null]}')
  })

  it('aligns tables and keeps each row on one line', () => {
    expect(
      formatTable([
        ['id', 'name'],
        ['10', 'a\nb'],
      ]),
    ).toBe('id  name\n10  a b')
  })

  it('formats durations', () => {
    expect([undefined, 12.4, 1500, 125_000].map(formatDuration)).toEqual([
      '—',
      '12 ms',
      '1.50 s',
      '2 min 5 s',
    ])
  })
})

describe('protobuf JSON mapping', () => {
  it('writes int64 as strings, enums by name, Struct as JSON, unset fields left out', () => {
    expect(
      toProtoJson('ml_metadata.Artifact', {
        id: 2n ** 62n + 1n,
        state: 2,
        uri: '',
        properties: {},
        custom_properties: {
          s: { struct_value: { fields: { k: { bool_value: true } } } },
          n: { double_value: Number.NaN },
        },
      }),
    ).toEqual({
      id: '4611686018427387905',
      state: 'LIVE',
      uri: '',
      customProperties: { s: { structValue: { k: true } }, n: { doubleValue: 'NaN' } },
    })
  })
})
