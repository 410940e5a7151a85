import { describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { tokenize } from './lexer.js'

function show(query: string): string[] {
  return tokenize(query).map((t) => `${t.kind}${t.quoted ? '`' : ''}:${t.value}`)
}

function lexError(query: string): string {
  try {
    tokenize(query)
  } catch (error) {
    expect(error).toBeInstanceOf(MlmdError)
    expect((error as MlmdError).code).toBe(Code.InvalidArgument)
    return (error as MlmdError).rawMessage
  }
  throw new Error(`tokenize(${JSON.stringify(query)}) did not fail`)
}

describe('lexer', () => {
  describe('tokenize', () => {
    it.each([
      ["name = 'a'", ['ident:name', 'symbol:=', 'string:a', 'end:']],
      [
        'a!=b<>c<=d>=e<f>g',
        [
          'ident:a',
          'symbol:!=',
          'ident:b',
          'symbol:<>',
          'ident:c',
          'symbol:<=',
          'ident:d',
          'symbol:>=',
          'ident:e',
          'symbol:<',
          'ident:f',
          'symbol:>',
          'ident:g',
          'end:',
        ],
      ],
      [
        '(a+b)*c/d-e||f,g',
        [
          'symbol:(',
          'ident:a',
          'symbol:+',
          'ident:b',
          'symbol:)',
          'symbol:*',
          'ident:c',
          'symbol:/',
          'ident:d',
          'symbol:-',
          'ident:e',
          'symbol:||',
          'ident:f',
          'symbol:,',
          'ident:g',
          'end:',
        ],
      ],
      [
        'and Or NOT in LiKe is null true FALSE between',
        [
          'keyword:AND',
          'keyword:OR',
          'keyword:NOT',
          'keyword:IN',
          'keyword:LIKE',
          'keyword:IS',
          'keyword:NULL',
          'keyword:TRUE',
          'keyword:FALSE',
          'keyword:BETWEEN',
          'end:',
        ],
      ],
      [
        'properties.0.int_value',
        ['ident:properties', 'symbol:.', 'ident:0', 'symbol:.', 'ident:int_value', 'end:'],
      ],
      [
        'properties.0abc.and',
        ['ident:properties', 'symbol:.', 'ident:0abc', 'symbol:.', 'ident:and', 'end:'],
      ],
      [
        'custom_properties.`my:custom.property`.bool_value',
        [
          'ident:custom_properties',
          'symbol:.',
          'ident`:my:custom.property',
          'symbol:.',
          'ident:bool_value',
          'end:',
        ],
      ],
      ['contexts_a . name', ['ident:contexts_a', 'symbol:.', 'ident:name', 'end:']],
      ['`and`', ['ident`:and', 'end:']],
      [
        '1 0x1F 1.5 .5 1. 1e9 2.5E-3 7e+2',
        [
          'int:1',
          'int:0x1F',
          'float:1.5',
          'float:.5',
          'float:1.',
          'float:1e9',
          'float:2.5E-3',
          'float:7e+2',
          'end:',
        ],
      ],
      ['a.5', ['ident:a', 'symbol:.', 'ident:5', 'end:']],
      ['-1', ['symbol:-', 'int:1', 'end:']],
      [
        'id = 1 -- comment\n AND # another\n x /* block\n comment */ = 2',
        ['ident:id', 'symbol:=', 'int:1', 'keyword:AND', 'ident:x', 'symbol:=', 'int:2', 'end:'],
      ],
      ['', ['end:']],
      [' \t\r\n\f\v', ['end:']],
    ])('%j', (query, tokens) => {
      expect(show(query)).toEqual(tokens)
    })

    it('records where each token starts and ends', () => {
      expect(tokenize("ab = 'x'").map((t) => [t.start, t.end])).toEqual([
        [0, 2],
        [3, 4],
        [5, 8],
        [8, 8],
      ])
    })
  })

  describe('string literals', () => {
    it.each([
      ["'plain'", 'plain'],
      ['"double"', 'double'],
      [`"it's"`, "it's"],
      [`'say "hi"'`, 'say "hi"'],
      ["'it\\'s'", "it's"],
      ['"a\\"b"', 'a"b'],
      ["'\\a\\b\\f\\n\\r\\t\\v\\\\\\?\\`'", '\x07\b\f\n\r\t\v\\?`'],
      ["'\\x41\\X42'", 'AB'],
      ["'\\101\\102'", 'AB'],
      ["'\\xc3\\xa9'", 'é'],
      ["'\\u00e9\\U0001F600'", 'é😀'],
      ["'''it's a\nmultiline'''", "it's a\nmultiline"],
      ['"""say ""hi"" """', 'say ""hi"" '],
      ["r'back\\slash'", 'back\\slash'],
      ["R'\\d+\\''", "\\d+\\'"],
      ["'%_%'", '%_%'],
      ["''", ''],
    ])('%s is %j', (source, value) => {
      const [token] = tokenize(source)
      expect(token?.kind).toBe('string')
      expect(token?.value).toBe(value)
    })
  })

  describe('errors', () => {
    it.each([
      ["name = 'abc", 'Invalid `filter_query`: Syntax error: Unclosed string literal [at 1:8]'],
      ['name = "abc', 'Invalid `filter_query`: Syntax error: Unclosed string literal [at 1:8]'],
      ["name = 'exe_name_with_''", 'Invalid `filter_query`: Syntax error: Unclosed string literal [at 1:24]'],
      ["'a\nb'", 'Invalid `filter_query`: Syntax error: Unclosed string literal [at 1:1]'],
      ["'''abc''", 'Invalid `filter_query`: Syntax error: Unclosed string literal [at 1:1]'],
      ['`abc', 'Invalid `filter_query`: Syntax error: Unclosed identifier literal [at 1:1]'],
      ['``', 'Invalid `filter_query`: Syntax error: Invalid empty identifier [at 1:1]'],
      ["'a\\qb'", 'Invalid `filter_query`: Syntax error: Illegal escape sequence: \\q [at 1:3]'],
      [
        "'\\x4'",
        "Invalid `filter_query`: Syntax error: Hex escape must be followed by 2 hex digits but saw: \\x4' [at 1:2]",
      ],
      [
        "'\\18'",
        "Invalid `filter_query`: Syntax error: Octal escape must be followed by 3 octal digits but saw: \\18' [at 1:2]",
      ],
      [
        "'\\400'",
        'Invalid `filter_query`: Syntax error: Octal escape must be followed by 3 octal digits but saw: \\400 [at 1:2]',
      ],
      ["'\\ud800'", 'Invalid `filter_query`: Syntax error: Illegal escape sequence: \\ud800 [at 1:2]'],
      ["'\\xff'", 'Invalid `filter_query`: Syntax error: Structurally invalid UTF8 string [at 1:1]'],
      [
        "b'bytes'",
        'Invalid `filter_query`: Syntax error: Bytes literals are not supported; no attribute or property has the type BYTES [at 1:1]',
      ],
      ['id = 1 $', 'Invalid `filter_query`: Syntax error: Illegal input character "$" [at 1:8]'],
      ['name = é', 'Invalid `filter_query`: Syntax error: Illegal input character "é" [at 1:8]'],
      [
        'properties.0:b.int_value = 1',
        'Invalid `filter_query`: Syntax error: Illegal input character ":" [at 1:13]',
      ],
      ['id = 1.5e', 'Invalid `filter_query`: Syntax error: Invalid floating point literal: 1.5e [at 1:6]'],
      ['id = 0x', 'Invalid `filter_query`: Syntax error: Invalid hex integer literal [at 1:6]'],
      ['id = 1abc', 'Invalid `filter_query`: Syntax error: Missing whitespace after the number 1 [at 1:7]'],
      [
        'id = 1.5.6',
        'Invalid `filter_query`: Syntax error: Missing whitespace after the number 1.5 [at 1:9]',
      ],
      ['id = 1 /* open', 'Invalid `filter_query`: Syntax error: Unclosed comment [at 1:8]'],
      ["id = 1 AND\n  name = 'x", 'Invalid `filter_query`: Syntax error: Unclosed string literal [at 2:10]'],
    ])('%j', (query, message) => {
      expect(lexError(query)).toBe(message)
    })
  })
})
