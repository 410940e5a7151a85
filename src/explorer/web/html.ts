/**
 * HTML built with a tagged template that escapes every interpolated value, so text from the
 * store (names, URIs, property values, filter queries) can only ever render as text. Markup
 * passes through only as {@link SafeHtml}, which only this module's template makes.
 */

/** HTML that is already escaped. */
export class SafeHtml {
  /** @internal use {@link html}. */
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Text as HTML text or attribute value (both quote kinds escaped). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

type Interpolation =
  | SafeHtml
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | readonly Interpolation[]

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.text
  if (value === null || value === undefined || value === false) return ''
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

/** `html\`<td>${name}</td>\``: literal parts as written, every value escaped (arrays joined). */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] as string
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] as string)
  })
  return new SafeHtml(out)
}

/**
 * A value for a `<script type="application/json">` element: JSON in which `<`, `>` and `&`
 * are written as Unicode escapes, so no string in it can close the element.
 */
export function jsonScriptContent(value: unknown): SafeHtml {
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v))
  return new SafeHtml(
    json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  )
}

/** A query string from parameters, leaving out empty ones (values URL-encoded). */
export function query(
  params: Readonly<Record<string, string | number | bigint | boolean | undefined>>,
): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '' && v !== false)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
  return parts.length === 0 ? '' : `?${parts.join('&')}`
}
