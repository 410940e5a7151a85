/**
 * The filter_query lexer: ZetaSQL's lexical rules for the part of the language MLMD filters use.
 *
 * - Keywords (`AND OR NOT IN LIKE IS NULL TRUE FALSE BETWEEN`) are case-insensitive.
 * - Identifiers are `[A-Za-z_][A-Za-z0-9_]*` or backquoted (`` `my property` ``, with string
 *   escapes). Right after a `.`, a bare word may start with a digit (`properties.0.int_value`).
 * - Strings: `'…'`, `"…"`, `'''…'''`, `"""…"""`, raw `r'…'`; escapes `\n \t \\ \' \" \x41 \101
 *   \u00e9 \U0001F600` and the others ZetaSQL knows. Bytes literals (`b'…'`) are rejected.
 * - Numbers: `1`, `0x1F`, `1.5`, `.5`, `1.`, `1e9`, `2.5E-3`.
 * - Comments: `# …`, `-- …` (to the end of the line) and `/* … *\/`.
 *
 * The lexer runs in one pass over the text, never backtracks and keeps no regular expressions
 * over the input, so its time is linear in the query length whatever the input.
 */
import { filterError } from './filter-error.js'

/** The reserved words of the language, upper-cased. */
export const KEYWORDS = ['AND', 'OR', 'NOT', 'IN', 'LIKE', 'IS', 'NULL', 'TRUE', 'FALSE', 'BETWEEN'] as const
export type Keyword = (typeof KEYWORDS)[number]
const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS)

/** Operators and punctuation. */
export const SYMBOLS = [
  '=',
  '!=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '||',
  '(',
  ')',
  ',',
  '.',
] as const
export type SymbolText = (typeof SYMBOLS)[number]

export type TokenKind = 'ident' | 'keyword' | 'int' | 'float' | 'string' | 'symbol' | 'end'

/** One token. `value` is decoded: an identifier's name, a keyword in upper case, a string's content. */
export interface Token {
  readonly kind: TokenKind
  readonly value: string
  /** Offset of the first character in the query. */
  readonly start: number
  /** Offset just past the last character. */
  readonly end: number
  /** For identifiers: written in backquotes (so never a keyword or a function name). */
  readonly quoted: boolean
}

enum Ch {
  Tab = 9,
  LineFeed = 10,
  VerticalTab = 11,
  FormFeed = 12,
  CarriageReturn = 13,
  Space = 32,
  Bang = 33,
  DoubleQuote = 34,
  Hash = 35,
  SingleQuote = 39,
  LeftParen = 40,
  RightParen = 41,
  Star = 42,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Seven = 55,
  Nine = 57,
  Less = 60,
  Equals = 61,
  Greater = 62,
  Backslash = 92,
  Backquote = 96,
  Pipe = 124,
}

function isDigit(c: number): boolean {
  return c >= Ch.Zero && c <= Ch.Nine
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
}
function isWordChar(c: number): boolean {
  return isIdentStart(c) || isDigit(c)
}
function isWhitespace(c: number): boolean {
  return (
    c === Ch.Space ||
    c === Ch.Tab ||
    c === Ch.LineFeed ||
    c === Ch.CarriageReturn ||
    c === Ch.FormFeed ||
    c === Ch.VerticalTab
  )
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '?': '?',
  '"': '"',
  "'": "'",
  '`': '`',
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })
const UTF8_ENCODER = new TextEncoder()

/**
 * Splits `query` into tokens, ending with one `end` token.
 * @throws InvalidArgument (`Syntax error: …`) on an illegal character, an unclosed string,
 *   comment or backquoted identifier, a bad escape or a malformed number.
 */
export function tokenize(query: string): Token[] {
  const tokens: Token[] = []
  const n = query.length
  let i = 0

  const fail = (offset: number, message: string): never => {
    throw filterError(query, offset, `Syntax error: ${message}`)
  }
  const push = (kind: TokenKind, value: string, start: number, quoted = false): void => {
    tokens.push({ kind, value, start, end: i, quoted })
  }

  // Reads a quoted body starting at the opening quote(s); returns the decoded content.
  const readQuoted = (quote: number, raw: boolean, what: 'string' | 'identifier'): string => {
    const start = i
    const triple = what === 'string' && query.charCodeAt(i + 1) === quote && query.charCodeAt(i + 2) === quote
    i += triple ? 3 : 1
    const parts: (string | Uint8Array)[] = []
    let runStart = i
    const flush = (): void => {
      if (i > runStart) parts.push(query.slice(runStart, i))
    }
    for (;;) {
      if (i >= n) {
        fail(start, what === 'string' ? 'Unclosed string literal' : 'Unclosed identifier literal')
      }
      const c = query.charCodeAt(i)
      if (c === quote) {
        if (!triple) break
        if (query.charCodeAt(i + 1) === quote && query.charCodeAt(i + 2) === quote) break
        i++
        continue
      }
      if (!triple && (c === Ch.LineFeed || c === Ch.CarriageReturn)) {
        fail(start, what === 'string' ? 'Unclosed string literal' : 'Unclosed identifier literal')
      }
      if (c !== Ch.Backslash) {
        i++
        continue
      }
      if (i + 1 >= n) fail(i, 'Illegal escape sequence: \\')
      if (raw) {
        // In a raw string a backslash stays, but it still keeps the next character (a quote)
        // from ending the literal.
        i += 2
        continue
      }
      flush()
      const escapeStart = i
      const e = query[i + 1] as string
      const simple = SIMPLE_ESCAPES[e]
      if (simple !== undefined) {
        parts.push(simple)
        i += 2
      } else if (e === 'x' || e === 'X') {
        const hex = query.slice(i + 2, i + 4)
        if (hex.length !== 2 || !isHexDigit(hex.charCodeAt(0)) || !isHexDigit(hex.charCodeAt(1))) {
          fail(
            escapeStart,
            `Hex escape must be followed by 2 hex digits but saw: \\${query.slice(i + 1, i + 4)}`,
          )
        }
        parts.push(Uint8Array.of(Number.parseInt(hex, 16)))
        i += 4
      } else if (isDigit(e.charCodeAt(0)) && e.charCodeAt(0) <= Ch.Seven) {
        const oct = query.slice(i + 1, i + 4)
        let valid = oct.length === 3
        for (let k = 0; k < oct.length; k++) {
          const d = oct.charCodeAt(k)
          valid &&= d >= Ch.Zero && d <= Ch.Seven
        }
        const value = valid ? Number.parseInt(oct, 8) : 256
        if (value > 255)
          fail(escapeStart, `Octal escape must be followed by 3 octal digits but saw: \\${oct}`)
        parts.push(Uint8Array.of(value))
        i += 4
      } else if (e === 'u' || e === 'U') {
        const width = e === 'u' ? 4 : 8
        const hex = query.slice(i + 2, i + 2 + width)
        let valid = hex.length === width
        for (let k = 0; k < hex.length; k++) valid &&= isHexDigit(hex.charCodeAt(k))
        const code = valid ? Number.parseInt(hex, 16) : -1
        if (code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
          fail(escapeStart, `Illegal escape sequence: \\${e}${hex}`)
        }
        parts.push(String.fromCodePoint(code))
        i += 2 + width
      } else {
        fail(escapeStart, `Illegal escape sequence: \\${e}`)
      }
      runStart = i
    }
    flush()
    i += triple ? 3 : 1
    if (parts.every((p) => typeof p === 'string')) return parts.join('')
    // \x and octal escapes give bytes; the whole literal must then still be valid UTF-8.
    const chunks = parts.map((p) => (typeof p === 'string' ? UTF8_ENCODER.encode(p) : p))
    const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0))
    chunks.reduce((offset, chunk) => {
      bytes.set(chunk, offset)
      return offset + chunk.length
    }, 0)
    try {
      return UTF8.decode(bytes)
    } catch {
      return fail(start, 'Structurally invalid UTF8 string')
    }
  }

  const readNumber = (): void => {
    const start = i
    let kind: 'int' | 'float' = 'int'
    if (query.charCodeAt(i) === Ch.Zero && (query[i + 1] === 'x' || query[i + 1] === 'X')) {
      i += 2
      const digitsStart = i
      while (i < n && isHexDigit(query.charCodeAt(i))) i++
      if (i === digitsStart) fail(start, 'Invalid hex integer literal')
    } else {
      while (i < n && isDigit(query.charCodeAt(i))) i++
      if (query.charCodeAt(i) === Ch.Dot) {
        kind = 'float'
        i++
        while (i < n && isDigit(query.charCodeAt(i))) i++
      }
      if (query[i] === 'e' || query[i] === 'E') {
        kind = 'float'
        i++
        if (query[i] === '+' || query[i] === '-') i++
        const expStart = i
        while (i < n && isDigit(query.charCodeAt(i))) i++
        if (i === expStart) fail(start, `Invalid floating point literal: ${query.slice(start, i)}`)
      }
    }
    if (i < n && (isWordChar(query.charCodeAt(i)) || query.charCodeAt(i) === Ch.Dot)) {
      fail(i, `Missing whitespace after the number ${query.slice(start, i)}`)
    }
    push(kind, query.slice(start, i), start)
  }

  while (i < n) {
    const c = query.charCodeAt(i)
    const start = i
    if (isWhitespace(c)) {
      i++
      continue
    }
    // Comments: `#` and `--` to the end of the line, `/* … */`.
    if (c === Ch.Hash || (c === Ch.Minus && query.charCodeAt(i + 1) === Ch.Minus)) {
      while (i < n && query.charCodeAt(i) !== Ch.LineFeed && query.charCodeAt(i) !== Ch.CarriageReturn) i++
      continue
    }
    if (c === Ch.Slash && query.charCodeAt(i + 1) === Ch.Star) {
      const close = query.indexOf('*/', i + 2)
      if (close < 0) fail(start, 'Unclosed comment')
      i = close + 2
      continue
    }
    const previous = tokens[tokens.length - 1]
    const afterDot = previous?.kind === 'symbol' && previous.value === '.'
    if (afterDot && isWordChar(c)) {
      // A path segment: `properties.0.int_value`, `contexts_a.name`. Never a keyword here.
      while (i < n && isWordChar(query.charCodeAt(i))) i++
      push('ident', query.slice(start, i), start)
      continue
    }
    if (c === Ch.Backquote) {
      const name = readQuoted(Ch.Backquote, false, 'identifier')
      if (name === '') fail(start, 'Invalid empty identifier')
      push('ident', name, start, true)
      continue
    }
    if (c === Ch.SingleQuote || c === Ch.DoubleQuote) {
      push('string', readQuoted(c, false, 'string'), start)
      continue
    }
    if (isIdentStart(c)) {
      while (i < n && isWordChar(query.charCodeAt(i))) i++
      const word = query.slice(start, i)
      const next = query.charCodeAt(i)
      if (next === Ch.SingleQuote || next === Ch.DoubleQuote) {
        const prefix = word.toLowerCase()
        if (prefix === 'r') {
          push('string', readQuoted(next, true, 'string'), start)
          continue
        }
        if (prefix === 'b' || prefix === 'rb' || prefix === 'br') {
          fail(start, 'Bytes literals are not supported; no attribute or property has the type BYTES')
        }
      }
      const upper = word.toUpperCase()
      if (KEYWORD_SET.has(upper)) push('keyword', upper, start)
      else push('ident', word, start)
      continue
    }
    if (isDigit(c) || (c === Ch.Dot && isDigit(query.charCodeAt(i + 1)) && !isPathEnd(previous))) {
      readNumber()
      continue
    }
    const two = query.slice(i, i + 2)
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=' || two === '||') {
      i += 2
      push('symbol', two, start)
      continue
    }
    switch (c) {
      case Ch.Equals:
      case Ch.Less:
      case Ch.Greater:
      case Ch.Plus:
      case Ch.Minus:
      case Ch.Star:
      case Ch.Slash:
      case Ch.LeftParen:
      case Ch.RightParen:
      case Ch.Comma:
      case Ch.Dot:
        i++
        push('symbol', String.fromCharCode(c), start)
        continue
    }
    const shown = String.fromCodePoint(query.codePointAt(i) ?? c)
    fail(start, `Illegal input character ${JSON.stringify(shown)}`)
  }
  tokens.push({ kind: 'end', value: '', start: n, end: n, quoted: false })
  return tokens
}

// After an identifier, `.5` continues a path (`a.5` is field 5 of a) rather than starting a number.
function isPathEnd(token: Token | undefined): boolean {
  return token?.kind === 'ident'
}
