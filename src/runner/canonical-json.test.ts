import { describe, expect, it } from 'vitest'
import { canonicalJson, compareCodePoints } from './canonical-json.js'

describe('canonical-json', () => {
  describe('canonicalJson', () => {
    it.each([
      ['null', null, 'null'],
      ['booleans', [true, false], '[true,false]'],
      ['integers and bigints alike', [5, 5n, -7n], '[5,5,-7]'],
      [
        'int64 extremes exactly',
        [-(2n ** 63n), 2n ** 63n - 1n],
        '[-9223372036854775808,9223372036854775807]',
      ],
      ['shortest round-trip doubles', [0.1, 1e-7, 1e21, 2.5], '[0.1,1e-7,1e+21,2.5]'],
      ['negative zero', -0, '-0'],
      [
        'non-finite numbers as bare words',
        [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
        '[NaN,Infinity,-Infinity]',
      ],
      ['strings with escapes', 'a"b\\c\n\u0001é', '"a\\"b\\\\c\\n\\u0001é"'],
      ['bytes as base64', new Uint8Array([0, 255, 16]), '"AP8Q"'],
      ['nested arrays in order', [[3, 1], [2]], '[[3,1],[2]]'],
    ])('writes %s', (_name, value, text) => {
      expect(canonicalJson(value)).toBe(text)
    })

    it('sorts members and drops undefined ones', () => {
      expect(canonicalJson({ b: 1, a: { d: undefined, c: 'x' }, e: undefined })).toBe('{"a":{"c":"x"},"b":1}')
    })

    it('does not depend on the order members were added', () => {
      const one: Record<string, number> = {}
      const two: Record<string, number> = {}
      for (const key of ['10', '9', 'b', 'a', 'é', 'Z']) one[key] = key.length
      for (const key of ['Z', 'é', 'a', 'b', '9', '10']) two[key] = key.length
      expect(canonicalJson(one)).toBe(canonicalJson(two))
      // Code point order, not JavaScript's integer-keys-first order.
      expect(canonicalJson(one)).toBe('{"10":2,"9":1,"Z":1,"a":1,"b":1,"é":1}')
    })

    it('refuses class instances', () => {
      expect(() => canonicalJson(new Date(0) as never)).toThrow(TypeError)
      expect(() => canonicalJson(new Map() as never)).toThrow(TypeError)
    })
  })

  describe('compareCodePoints', () => {
    it('orders astral characters after the BMP, as UTF-8 bytes do', () => {
      expect(['😀', '\uffff', 'a'].sort(compareCodePoints)).toEqual(['a', '\uffff', '😀'])
      // UTF-16 code unit order would put the surrogate pair of 😀 before U+FFFF.
      expect(['😀', '\uffff'].sort()).toEqual(['😀', '\uffff'])
    })
  })
})
