/**
 * Test support for the filter compiler's tests (not part of the build): checks that compiled
 * SQL is made only of the compiler's own vocabulary, so that no text of a query ever reaches
 * the SQL.
 */

// Every word the compiler may write: SQL keywords, the schema's names, functions.
const SQL_WORDS = new Set([
  'SELECT',
  'DISTINCT',
  'EXISTS',
  'FROM',
  'AS',
  'JOIN',
  'ON',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'ESCAPE',
  'BETWEEN',
  'IS',
  'NULL',
  'TRUE',
  'FALSE',
  'CAST',
  'REAL',
  'id',
  'name',
  'type',
  'type_id',
  'type_kind',
  'uri',
  'state',
  'last_known_state',
  'external_id',
  'create_time_since_epoch',
  'last_update_time_since_epoch',
  'artifact_id',
  'execution_id',
  'context_id',
  'parent_context_id',
  'milliseconds_since_epoch',
  'is_custom_property',
  'int_value',
  'double_value',
  'string_value',
  'bool_value',
  'lower',
  'upper',
  'length',
  'trim',
  'ltrim',
  'rtrim',
  'LOWER',
  'UPPER',
  'LENGTH',
  'TRIM',
  'LTRIM',
  'RTRIM',
])
const TABLES = [
  'Artifact',
  'Execution',
  'Context',
  'Type',
  'Event',
  'Attribution',
  'Association',
  'ParentContext',
  'ArtifactProperty',
  'ExecutionProperty',
  'ContextProperty',
]
// One SQL token: a quoted table, a word, a parameter, the ESCAPE character, a schema constant
// (type_kind 0–2, is_custom_property 0/1), an operator, or a space.
const SQL_TOKEN = new RegExp(
  `\`(?:${TABLES.join('|')})\`|[A-Za-z_][A-Za-z0-9_]*|\\?|'\\\\'|\\b[0-2]\\b|<>|!=|<=|>=|\\|\\||[(),.=<>+\\-*/]| `,
  'gy',
)

/** The SQL consists only of the compiler's own words; returns the offending text otherwise. */
export function foreignText(sql: string): string | undefined {
  SQL_TOKEN.lastIndex = 0
  let at = 0
  for (const match of sql.matchAll(SQL_TOKEN)) {
    const word = match[0]
    if (match.index !== at) return sql.slice(at, match.index)
    at = match.index + word.length
    if (/^[A-Za-z_]/.test(word) && !SQL_WORDS.has(word) && !/^table_\d+(_link|_type)?$/.test(word))
      return word
  }
  return at === sql.length ? undefined : sql.slice(at)
}
