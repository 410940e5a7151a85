import { describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { defineArtifactType } from './artifact-type.js'
import { createPipeline, node, outputRef } from './pipeline.js'
import { defineStep } from './step.js'

const Data = defineArtifactType({ name: 'Data' })
const Model = defineArtifactType({ name: 'Model' })
const noop = (): void => undefined
const source = defineStep({ type: 't.Source', outputs: { data: Data }, parameters: { n: 1 }, run: noop })
const transform = defineStep({
  type: 't.Transform',
  inputs: { data: Data },
  outputs: { data: Data },
  run: noop,
})
const join = defineStep({
  type: 't.Join',
  inputs: { left: Data, right: Data },
  outputs: { data: Data },
  run: noop,
})
const train = defineStep({ type: 't.Train', inputs: { data: Data }, outputs: { model: Model }, run: noop })
const invalid = (message: RegExp) =>
  expect.objectContaining({ code: Code.InvalidArgument, message: expect.stringMatching(message) })

describe('pipeline', () => {
  const a = node('a', source)
  const b = node('b', transform, { inputs: { data: a.outputs.data } })
  const c = node('c', transform, { inputs: { data: a.outputs.data } })
  const d = node('d', join, { inputs: { left: b.outputs.data, right: c.outputs.data } })

  describe('node', () => {
    it('applies parameter overrides over the step defaults', () => {
      expect(node('a', source, { parameters: { n: 5 } }).parameters).toEqual({ n: 5 })
      expect(a.parameters).toEqual({ n: 1 })
    })
    it('offers typed references to its outputs', () => {
      expect(a.outputs.data).toEqual({ node: 'a', key: 'data', type: Data })
    })
    it('types the wiring at compile time', () => {
      const t = node('t', train, { inputs: { data: a.outputs.data } })
      // @ts-expect-error a Model output cannot feed a Data input
      expect(() => node('x', transform, { inputs: { data: t.outputs.model } })).not.toThrow()
      // @ts-expect-error a step with inputs needs them wired
      expect(() => node('y', transform)).not.toThrow()
    })
    it('takes the step cache default unless told otherwise', () => {
      expect(a.enableCache).toBe(true)
      expect(node('a', source, { enableCache: false }).enableCache).toBe(false)
    })
    it.each([
      ['an unknown parameter', () => node('a', source, { parameters: { m: 1 } as never })],
      ['a parameter that is no value', () => node('a', source, { parameters: { n: Number.NaN } })],
      ['an id that is no plain name', () => node('a/b', source)],
      ['an id starting with a dot', () => node('.system', source)],
    ])('rejects %s', (_name, make) => {
      expect(make).toThrow(expect.objectContaining({ code: Code.InvalidArgument }))
    })
  })

  describe('createPipeline', () => {
    it('orders nodes by dependency, declaration order among independent ones', () => {
      const pipeline = createPipeline('p', [d, c, b, a])
      expect(pipeline.nodes.map((n) => n.id)).toEqual(['a', 'c', 'b', 'd'])
      expect(pipeline.upstreamOf('d')).toEqual(['b', 'c'])
    })

    it('is immutable', () => {
      const pipeline = createPipeline('p', [a, b])
      expect(Object.isFrozen(pipeline)).toBe(true)
      expect(Object.isFrozen(pipeline.nodes)).toBe(true)
      expect(() => (pipeline.nodes as unknown as unknown[]).push(c)).toThrow(TypeError)
    })

    it.each([
      ['an empty name', () => createPipeline('', [a])],
      ['two nodes with one id', () => createPipeline('p', [a, node('a', source)])],
      ['an input wired to a missing node', () => createPipeline('p', [b])],
      [
        'an input wired to a missing output',
        () =>
          createPipeline('p', [a, node('x', transform, { inputs: { data: outputRef('a', 'nope', Data) } })]),
      ],
      [
        'an input wired to an output of another artifact type',
        () => {
          const t = node('t', train, { inputs: { data: a.outputs.data } })
          return createPipeline('p', [
            a,
            t,
            node('x', transform, { inputs: { data: t.outputs.model as never } }),
          ])
        },
      ],
      [
        'a reference that misstates the output type',
        () =>
          createPipeline('p', [
            a,
            node('x', transform, { inputs: { data: outputRef('a', 'data', Model) as never } }),
          ]),
      ],
      ['an unwired input', () => createPipeline('p', [a, node('x', transform, { inputs: {} as never })])],
      [
        'an input the step does not declare',
        () =>
          createPipeline('p', [
            a,
            node('x', transform, { inputs: { data: a.outputs.data, extra: a.outputs.data } as never }),
          ]),
      ],
    ])('rejects %s', (_name, make) => {
      expect(make).toThrow(expect.objectContaining({ code: Code.InvalidArgument }))
    })

    it('names the missing node', () => {
      expect(() => createPipeline('p', [b])).toThrow(
        invalid(/input data needs a\.data, but there is no node a/),
      )
    })

    it('rejects a cycle and names it', () => {
      const x = node('x', transform, { inputs: { data: outputRef('z', 'data', Data) } })
      const y = node('y', transform, { inputs: { data: x.outputs.data } })
      const z = node('z', transform, { inputs: { data: y.outputs.data } })
      expect(() => createPipeline('p', [a, x, y, z])).toThrow(invalid(/cycle: x → y → z → x/))
    })

    it('rejects a node wired to itself', () => {
      const self = node('s', transform, { inputs: { data: outputRef('s', 'data', Data) } })
      expect(() => createPipeline('p', [self])).toThrow(invalid(/cycle: s → s/))
    })
  })

  describe('copy and replace', () => {
    const original = createPipeline('a', [a, b, node('t', train, { inputs: { data: b.outputs.data } })])

    it('copy gives the same nodes under a new name and keeps the cache scope', () => {
      const copy = original.copy('b')
      expect(copy).not.toBe(original)
      expect(copy.name).toBe('b')
      expect(copy.cacheScope).toBe('a')
      expect(copy.nodes).toEqual(original.nodes)
      expect(copy.copy('c').cacheScope).toBe('a')
      expect(original.copy('b', { cacheScope: 'b' }).cacheScope).toBe('b')
    })

    it('replace swaps one node and leaves the original alone', () => {
      const other = defineStep({
        type: 't.OtherTrain',
        inputs: { data: Data },
        outputs: { model: Model },
        run: noop,
      })
      const replaced = original.copy('b').replace(node('t', other, { inputs: { data: a.outputs.data } }))
      expect(replaced.node('t')?.step.type).toBe('t.OtherTrain')
      expect(replaced.upstreamOf('t')).toEqual(['a'])
      expect(original.node('t')?.step.type).toBe('t.Train')
      expect(replaced.cacheScope).toBe('a')
    })

    it('replace checks the result', () => {
      expect(() => original.replace(node('zz', source))).toThrow(invalid(/no node zz/))
      // b is replaced by a node that reads t's output, while t reads b's: a cycle.
      const loop = node('b', transform, { inputs: { data: outputRef('t', 'data', Data) } })
      expect(() => original.replace(loop)).toThrow(invalid(/t has no such output|cycle/))
      const cycle = node('b', transform, { inputs: { data: outputRef('b', 'data', Data) } })
      expect(() => original.replace(cycle)).toThrow(invalid(/cycle/))
    })
  })
})
