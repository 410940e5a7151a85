import { describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import {
  checkParameterValue,
  type ParameterValue,
  parameterToCustomProperties,
  pythonFloatRepr,
  pythonJsonDumps,
} from './parameters.js'

// Expected texts are what CPython 3.11 prints for the same values (repr / json.dumps).
describe('parameters', () => {
  describe('pythonFloatRepr', () => {
    it.each([
      [0.001, '0.001'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1e16, '1e+16'],
      [1.5e16, '1.5e+16'],
      [123456789012345.6, '123456789012345.6'],
      [2.5, '2.5'],
      [100, '100.0'],
      [0.1, '0.1'],
      [-0.0001, '-0.0001'],
      [1e22, '1e+22'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [0, '0.0'],
      [-0, '-0.0'],
      [Number.POSITIVE_INFINITY, 'inf'],
      [Number.NaN, 'nan'],
    ])('repr(%s) is %s', (value, text) => {
      expect(pythonFloatRepr(value)).toBe(text)
    })
  })

  describe('pythonJsonDumps', () => {
    it('writes json.dumps(sort_keys=True) text', () => {
      expect(pythonJsonDumps({ b: [1, 2.5, 'é\n', true], a: { z: 1n } })).toBe(
        '{"a": {"z": 1}, "b": [1, 2.5, "\\u00e9\\n", true]}',
      )
    })
    it('escapes astral characters as surrogate pairs and DEL as \\u007f', () => {
      expect(pythonJsonDumps('😀\u007f')).toBe('"\\ud83d\\ude00\\u007f"')
    })
  })

  describe('parameterToCustomProperties', () => {
    const schema = (valueType: object): string => JSON.stringify({ value_type: valueType }, null, 2)
    it.each<[string, ParameterValue, Record<string, unknown>]>([
      ['an int', 7, { p: { int_value: 7n } }],
      ['a bigint', 2n ** 62n, { p: { int_value: 2n ** 62n } }],
      ['a float', 0.25, { p: { double_value: 0.25 } }],
      ['an unsafe integer as a float', 2 ** 60, { p: { double_value: 2 ** 60 } }],
      ['a string', 'x', { p: { string_value: 'x' } }],
      [
        'a bool as JSON with a boolean schema',
        true,
        { p: { string_value: 'true' }, __schema__p__: { string_value: schema({ boolean_type: {} }) } },
      ],
      [
        'a list as JSON with a list schema',
        ['a', 'b'],
        { p: { string_value: '["a", "b"]' }, __schema__p__: { string_value: schema({ list_type: {} }) } },
      ],
      [
        'a list of bools with a nested boolean schema',
        [true, 1],
        {
          p: { string_value: '[true, 1]' },
          __schema__p__: { string_value: schema({ list_type: { boolean_type: {} } }) },
        },
      ],
      [
        'a dict as sorted JSON with a dict schema',
        { k: 1, a: [0.5] },
        {
          p: { string_value: '{"a": [0.5], "k": 1}' },
          __schema__p__: { string_value: schema({ dict_type: { list_type: {} } }) },
        },
      ],
    ])('encodes %s as TFX does', (_name, value, expected) => {
      expect(parameterToCustomProperties('p', value)).toEqual(expected)
    })

    it('pretty-prints the schema as MessageToJson does', () => {
      expect(parameterToCustomProperties('p', false).__schema__p__?.string_value).toBe(
        '{\n  "value_type": {\n    "boolean_type": {}\n  }\n}',
      )
    })
  })

  describe('checkParameterValue', () => {
    it.each([
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['null', null],
      ['undefined', undefined],
      ['a Date', new Date(0)],
      ['a bigint beyond int64', 2n ** 63n],
      ['a nested function', { f: () => 1 }],
    ])('rejects %s', (_name, value) => {
      expect(() => checkParameterValue(value, 'p')).toThrow(
        expect.objectContaining({ code: Code.InvalidArgument }),
      )
    })
    it('accepts nested lists and dicts', () => {
      expect(() => checkParameterValue({ a: [1, 'x', { b: true }], c: -3n }, 'p')).not.toThrow()
    })
  })
})
