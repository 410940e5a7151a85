import { describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import type { FilterNodeKind } from './catalog.js'
import { parseFilterQuery } from './parser.js'
import { MAX_JOINED_TABLES, type ResolvedFilter, resolveFilterQuery } from './resolve.js'

/** Which node kinds a case applies to: A(rtifact), E(xecution), C(ontext). */
type On = 'AEC' | 'A' | 'E' | 'C' | 'AE' | 'AC' | 'EC'

const KINDS: Record<string, FilterNodeKind> = { A: 'artifact', E: 'execution', C: 'context' }

function expand<T extends readonly unknown[]>(
  rows: readonly (readonly [string, ...T, On])[],
): [FilterNodeKind, string, ...T][] {
  return rows.flatMap((row) => {
    const on = row[row.length - 1] as On
    const [query, ...rest] = row.slice(0, -1) as [string, ...T]
    return [...on].map((k) => [KINDS[k] as FilterNodeKind, query, ...rest] as [FilterNodeKind, string, ...T])
  })
}

function analyze(kind: FilterNodeKind, query: string): ResolvedFilter {
  return resolveFilterQuery(kind, parseFilterQuery(query), query)
}

function analyzeError(kind: FilterNodeKind, query: string): string {
  try {
    analyze(kind, query)
  } catch (error) {
    expect(error).toBeInstanceOf(MlmdError)
    expect((error as MlmdError).code).toBe(Code.InvalidArgument)
    return (error as MlmdError).rawMessage
  }
  throw new Error(`${kind}: ${JSON.stringify(query)} did not fail`)
}

// MLMD's kInValidTestQueriesWithErrors (filter_query_ast_resolver_test.cc, v1.16.0): each
// query with the substring its error must contain, on the node kinds the upstream case names.
// One substring differs, marked: our parser reports the missing parentheses after IN itself.
const MLMD_INVALID: readonly (readonly [string, string, On])[] = [
  ['', 'Syntax error', 'AEC'],
  ["a == 'a'", 'Syntax error', 'AEC'],
  ['a', 'Unrecognized name', 'AEC'],
  ["a = 'a'", 'Unrecognized name', 'AEC'],
  ["'a'", 'not a valid boolean expression', 'AEC'],
  ['type_id', 'not a valid boolean expression', 'AEC'],
  ["id = 'a'", 'No matching signature for operator = for argument types', 'AEC'],
  ["type_id = 'a'", 'No matching signature for operator = for argument types', 'AEC'],
  ['type = 1', 'No matching signature for operator = for argument types', 'AEC'],
  ['uri = 1', 'No matching signature for operator = for argument types', 'A'],
  ['uri = 1', 'Unrecognized name', 'EC'],
  ["create_time_since_epoch = 'a'", 'No matching signature for operator = for argument types', 'AEC'],
  ['create_time_since_epoch = a', 'Unrecognized name', 'AEC'],
  ["last_update_time_since_epoch = 'a'", 'No matching signature for operator = for argument types', 'AEC'],
  ['last_update_time_since_epoch = a', 'Unrecognized name', 'AEC'],
  ['name = 1', 'No matching signature for operator = for argument types', 'AEC'],
  ['name = a', 'Unrecognized name', 'AEC'],
  ['external_id = 1', 'No matching signature for operator = for argument types', 'AEC'],
  ['external_id = a', 'Unrecognized name', 'AEC'],
  ['contexts', 'Unrecognized name', 'AEC'],
  ['contexts_0', 'Unrecognized name', 'AEC'],
  ['contexts_0.foo', 'Field name foo does not exist', 'AE'],
  ['contexts_0.id.', 'Unexpected end of expression', 'AE'],
  ['contexts_0.id.bar', 'Cannot access field bar', 'AE'],
  ['artifacts', 'Unrecognized name', 'AEC'],
  ['artifacts_0', 'Unrecognized name', 'AEC'],
  ['artifacts_0.foo', 'Field name foo does not exist', 'C'],
  ['artifacts_0.id.', 'Unexpected end of expression', 'C'],
  ['artifacts_0.id.bar', 'Cannot access field bar', 'C'],
  ['executions', 'Unrecognized name', 'AEC'],
  ['executions_0', 'Unrecognized name', 'AEC'],
  ['executions_0.foo', 'Field name foo does not exist', 'C'],
  ['executions_0.id.', 'Unexpected end of expression', 'C'],
  ['executions_0.id.bar', 'Cannot access field bar', 'C'],
  ['properties', 'Unrecognized name', 'AEC'],
  ['properties.foo', 'Unrecognized name', 'AEC'],
  ['properties.bar.', 'Unexpected end of expression', 'AEC'],
  ['properties.baz.int', 'Field name int does not exist', 'AEC'],
  ['properties.0:b.int_value = 1', 'Syntax error', 'AEC'],
  ['custom_properties', 'Unrecognized name', 'AEC'],
  ['custom_properties.foo', 'Unrecognized name', 'AEC'],
  ['custom_properties.bar.', 'Unexpected end of expression', 'AEC'],
  ['custom_properties.baz.string', 'Field name string does not exist', 'AEC'],
  ['custom_properties.0:b.string_value', 'Syntax error', 'AEC'],
  ['child_contexts', 'Unrecognized name', 'C'],
  ['child_contexts_0', 'Unrecognized name', 'C'],
  ['child_contexts_0.foo', 'Field name foo does not exist', 'C'],
  ['child_contexts_0.id.', 'Unexpected end of expression', 'C'],
  ['child_contexts_0.id.bar', 'Cannot access field bar', 'C'],
  ['parent_contexts', 'Unrecognized name', 'C'],
  ['parent_contexts_0', 'Unrecognized name', 'C'],
  ['parent_contexts_0.foo', 'Field name foo does not exist', 'C'],
  ['parent_contexts_0.id.', 'Unexpected end of expression', 'C'],
  ['parent_contexts_0.id.bar', 'Cannot access field bar', 'C'],
  ['state', 'not a valid boolean expression', 'A'],
  ["state = 'LIVE'", 'No matching signature for operator = for argument types', 'A'],
  ['state = 1', 'Unsupported enum value specified', 'A'],
  ['last_known_state', 'not a valid boolean expression', 'E'],
  ["last_known_state = 'RUNNING'", 'No matching signature for operator', 'E'],
  ['last_known_state = 1', 'Unsupported enum value specified', 'E'],
  ['state = RUNNING', 'Unsupported enum value specified', 'A'],
  // MLMD: "Expected a list of enum values enclosed in parentheses".
  ['state IN RUNNING', 'Expected a list of values enclosed in parentheses', 'A'],
  ['last_known_state = LIVE', 'Unsupported enum value specified', 'E'],
  ['last_known_state IN ()', 'Syntax error', 'E'],
  ['last_known_state NOT IN (PENDING)', 'Unsupported enum value specified', 'E'],
  ["events_0.field_1 = '1'", 'Field name field_1 does not exist', 'AE'],
  ['events', 'Unrecognized name', 'AE'],
  ['events_0.execution_id.', 'Unexpected end of expression', 'AE'],
  ['events_0.type = SOME_ENUM', 'Unsupported enum value specified in the query: SOME_ENUM', 'AE'],
  ['events_0.type IN (SOME_ENUM)', 'Unsupported enum value specified in the query: SOME_ENUM', 'AE'],
  ['events_0.artifact_id = 1', 'Field name artifact_id does not exist', 'A'],
  ['events_0.execution_id = 1', 'Field name execution_id does not exist', 'E'],
  ['events_0.artifact_id = 1', 'Unrecognized name', 'C'],
  ['events_0.execution_id = 1', 'Unrecognized name', 'C'],
]

// MLMD's kValidTestQueries, on the node kinds the upstream case names.
const MLMD_VALID: readonly (readonly [string, On])[] = [
  ['id != 1', 'AEC'],
  ['id IN (1, 3)', 'AEC'],
  ['type_id = 1', 'AEC'],
  ['type_id > 1', 'AEC'],
  ['type_id + 1 > 1', 'AEC'],
  ["type = 'Dataset'", 'AEC'],
  ['type IS NOT NULL', 'AEC'],
  ["uri = 'abc'", 'A'],
  ["uri like 'abc'", 'A'],
  ["uri LIKE 'abc'", 'A'],
  ['uri IS NOT NULL', 'A'],
  ["name = 'a'", 'AEC'],
  ["external_id = 'a'", 'AEC'],
  ['create_time_since_epoch = 1', 'AEC'],
  ['create_time_since_epoch > 1', 'AEC'],
  ['create_time_since_epoch + 1 > 1', 'AEC'],
  ['last_update_time_since_epoch = 1', 'AEC'],
  ['last_update_time_since_epoch > 1', 'AEC'],
  ['last_update_time_since_epoch + 1 > 1', 'AEC'],
  ['contexts_0.id = 1', 'AE'],
  ["contexts_2.name = '1'", 'AE'],
  ["contexts_abc.type = 'foo'", 'AE'],
  ['contexts_abc.create_time_since_epoch = 1', 'AE'],
  ['contexts_abc.last_update_time_since_epoch = 1', 'AE'],
  ['artifacts_0.id = 1', 'C'],
  ["artifacts_2.name = '1'", 'C'],
  ["artifacts_abc.type = 'foo'", 'C'],
  ['artifacts_abc.create_time_since_epoch = 1', 'C'],
  ['artifacts_abc.last_update_time_since_epoch = 1', 'C'],
  ['executions_0.id = 1', 'C'],
  ["executions_2.name = '1'", 'C'],
  ["executions_abc.type = 'foo'", 'C'],
  ['executions_abc.create_time_since_epoch = 1', 'C'],
  ['executions_abc.last_update_time_since_epoch = 1', 'C'],
  ["type_id = 1 AND uri != 'abc'", 'A'],
  ["type_id = 1 OR uri != 'abc'", 'A'],
  ['NOT(type_id = 1)', 'AEC'],
  ["NOT(type_id = 1) AND (contexts_foo.type = 'bar' OR uri like 'x%')", 'A'],
  ['properties.0.int_value = 1', 'AEC'],
  ["properties.foo.string_value = '2'", 'AEC'],
  ['properties.bar_baz.double_value IS NOT NULL', 'AEC'],
  ['properties.qux.bool_value = true', 'AEC'],
  ['custom_properties.0.double_value > 1.0', 'AEC'],
  ["custom_properties.1.string_value = '2'", 'AEC'],
  ['custom_properties.2.int_value != 0', 'AEC'],
  ['custom_properties.3.bool_value != false', 'AEC'],
  ['properties.`0:b`.int_value = 1', 'AEC'],
  ["custom_properties.`0 b`.string_value != '1'", 'AEC'],
  [
    "properties.`0:b`.int_value = 1 AND properties.foo.double_value = 1 AND custom_properties.`0 b`.string_value != '1'",
    'AEC',
  ],
  ['properties.0.int_value > 1 OR custom_properties.0.int_value > 1 ', 'AEC'],
  [
    "type_id = 1 OR type = 'Dataset' AND contexts_0.name = '1' AND (properties.0.int_value > 1 OR custom_properties.0.int_value > 1) AND custom_properties.1.string_value IS NOT NULL",
    'AE',
  ],
  ['child_contexts_0.id = 1', 'C'],
  ["child_contexts_2.name = '1'", 'C'],
  ["child_contexts_abc.type = 'foo'", 'C'],
  ['parent_contexts_0.id = 1', 'C'],
  ["parent_contexts_2.name = '1'", 'C'],
  ["parent_contexts_abc.type = 'foo'", 'C'],
  ['state = PENDING', 'A'],
  ['state=PENDING', 'A'],
  ['state != PENDING', 'A'],
  ['state = LIVE', 'A'],
  ['state = PENDING AND state = LIVE', 'A'],
  ['state IN (PENDING, LIVE)', 'A'],
  ['state NOT IN (DELETED)', 'A'],
  ['last_known_state = RUNNING', 'E'],
  ['last_known_state != RUNNING', 'E'],
  ['last_known_state = CANCELED', 'E'],
  ['last_known_state!=COMPLETE', 'E'],
  ['last_known_state IN (COMPLETE, RUNNING)', 'E'],
  ['state IS NULL', 'A'],
  ['last_known_state IS NOT NULL', 'E'],
  ['events_0.execution_id = 1', 'A'],
  ['events_0.artifact_id = 1', 'E'],
  ['events_0.milliseconds_since_epoch = 1', 'AE'],
  ['events_0.type = INPUT', 'E'],
  ['events_0.type=OUTPUT', 'E'],
  ['events_0.type IN (OUTPUT, DECLARED_OUTPUT)', 'E'],
]

// Our own cases: the complete message, position and hint included.
const ERRORS: readonly (readonly [string, string, On])[] = [
  ['a', 'Unrecognized name: a [at 1:1]', 'AEC'],
  ['id = 1 AND x = 1', 'Unrecognized name: x [at 1:12]', 'AEC'],
  ["x = 1 AND id = 'a'", 'Unrecognized name: x [at 1:1]', 'AEC'],
  [
    "id = 'a' AND x = 1",
    'No matching signature for operator = for argument types: INT64, STRING [at 1:1]',
    'AEC',
  ],
  [
    'executions_c.id = 123',
    'Unrecognized name: executions_c; executions_<alias> can be used when listing contexts only [at 1:1]',
    'AE',
  ],
  [
    'artifacts_c.id = 123',
    'Unrecognized name: artifacts_c; artifacts_<alias> can be used when listing contexts only [at 1:1]',
    'AE',
  ],
  [
    'contexts_c.id = 1',
    'Unrecognized name: contexts_c; contexts_<alias> can be used when listing artifacts and executions only [at 1:1]',
    'C',
  ],
  [
    'events_0.type = INPUT',
    'Unrecognized name: events_0; events_<alias> can be used when listing artifacts and executions only [at 1:1]',
    'C',
  ],
  [
    'contexts_0 = 1',
    'Unrecognized name: contexts_0; expected contexts_0.<field>, one of id, name, type, create_time_since_epoch, last_update_time_since_epoch [at 1:1]',
    'AE',
  ],
  ['contexts_.id = 1', 'Unrecognized name: contexts_ [at 1:1]', 'AE'],
  [
    'contexts_0.foo',
    'Field name foo does not exist in STRUCT<id INT64, name STRING, type STRING, create_time_since_epoch INT64, last_update_time_since_epoch INT64> [at 1:12]',
    'AE',
  ],
  [
    'contexts_0.external_id = 1',
    'Field name external_id does not exist in STRUCT<id INT64, name STRING, type STRING, create_time_since_epoch INT64, last_update_time_since_epoch INT64> [at 1:12]',
    'AE',
  ],
  [
    'artifacts_0.last_known_state = COMPLETE',
    'Field name last_known_state does not exist in STRUCT<id INT64, name STRING, type STRING, create_time_since_epoch INT64, last_update_time_since_epoch INT64, state ENUM<Artifact.State>, uri STRING, external_id STRING> [at 1:13]',
    'C',
  ],
  [
    'events_0.artifact_id = 1',
    'Field name artifact_id does not exist in STRUCT<type ENUM<Event.Type>, milliseconds_since_epoch INT64, execution_id INT64> [at 1:10]',
    'A',
  ],
  ['contexts_0.id.bar = 1', 'Cannot access field bar on a value with type INT64 [at 1:15]', 'AE'],
  ['id.x = 1', 'Cannot access field x on a value with type INT64 [at 1:4]', 'AEC'],
  ['properties.p.int_value.x = 1', 'Cannot access field x on a value with type INT64 [at 1:24]', 'AEC'],
  [
    'properties.foo',
    'Unrecognized name: properties; expected properties.<name>.<int_value|double_value|string_value|bool_value> [at 1:1]',
    'AEC',
  ],
  ['PROPERTIES.p.int_value = 1', 'Unrecognized name: PROPERTIES [at 1:1]', 'AEC'],
  [
    'properties.p.int = 1',
    'Field name int does not exist in STRUCT<int_value INT64, double_value DOUBLE, string_value STRING, bool_value BOOL> [at 1:14]',
    'AEC',
  ],
  [
    'properties.p.struct_value IS NULL',
    'Field name struct_value does not exist in STRUCT<int_value INT64, double_value DOUBLE, string_value STRING, bool_value BOOL> [at 1:14]',
    'AEC',
  ],
  // Types.
  ['name = 1', 'No matching signature for operator = for argument types: STRING, INT64 [at 1:1]', 'AEC'],
  [
    'properties.p.int_value = TRUE',
    'No matching signature for operator = for argument types: INT64, BOOL [at 1:1]',
    'AEC',
  ],
  [
    'properties.p.bool_value = 1',
    'No matching signature for operator = for argument types: BOOL, INT64 [at 1:1]',
    'AEC',
  ],
  ['name < 1.5', 'No matching signature for operator < for argument types: STRING, DOUBLE [at 1:1]', 'AEC'],
  ['id = NULL', 'Operands of = cannot be literal NULL; use IS NULL or IS NOT NULL [at 1:6]', 'AEC'],
  ['NULL != id', 'Operands of != cannot be literal NULL; use IS NULL or IS NOT NULL [at 1:1]', 'AEC'],
  [
    "id IN (1, 'a')",
    'No matching signature for operator IN for argument types INT64 and {INT64, STRING} [at 1:1]',
    'AEC',
  ],
  [
    'name NOT IN (1)',
    'No matching signature for operator NOT IN for argument types STRING and {INT64} [at 1:1]',
    'AEC',
  ],
  [
    'name LIKE 1',
    'No matching signature for operator LIKE for argument types: STRING, INT64. Supported signature: STRING LIKE STRING [at 1:1]',
    'AEC',
  ],
  [
    "id LIKE 'a'",
    'No matching signature for operator LIKE for argument types: INT64, STRING. Supported signature: STRING LIKE STRING [at 1:1]',
    'AEC',
  ],
  ["name LIKE 'a\\\\'", 'LIKE pattern ends with a backslash [at 1:11]', 'AEC'],
  [
    "id BETWEEN 1 AND 'a'",
    'No matching signature for operator BETWEEN for argument types: INT64, INT64, STRING. Supported signature: (ANY) BETWEEN (ANY) AND (ANY) of comparable types [at 1:1]',
    'AEC',
  ],
  [
    'id IS TRUE',
    'No matching signature for operator IS TRUE for argument types: INT64. Supported signature: (BOOL) IS TRUE [at 1:1]',
    'AEC',
  ],
  [
    'id AND id',
    'No matching signature for operator AND for argument types: INT64, INT64. Supported signature: BOOL AND ([BOOL, ...]) [at 1:1]',
    'AEC',
  ],
  [
    "id = 1 OR 'x'",
    'No matching signature for operator OR for argument types: BOOL, STRING. Supported signature: BOOL OR ([BOOL, ...]) [at 1:1]',
    'AEC',
  ],
  [
    'NOT id',
    'No matching signature for operator NOT for argument types: INT64. Supported signature: NOT (BOOL) [at 1:1]',
    'AEC',
  ],
  ["-name = 'a'", 'No matching signature for operator - for argument types: STRING [at 1:1]', 'AEC'],
  [
    "name + 1 = 'a'",
    'No matching signature for operator + for argument types: STRING, INT64 [at 1:1]',
    'AEC',
  ],
  [
    "id || 'a' = 'a'",
    'No matching signature for operator || for argument types: INT64, STRING [at 1:1]',
    'AEC',
  ],
  ['typeof(id) = 1', 'Function not found: typeof [at 1:1]', 'AEC'],
  [
    "LOWER(id) = 'a'",
    'No matching signature for function LOWER for argument types: INT64. Supported signature: LOWER(STRING) [at 1:1]',
    'AEC',
  ],
  [
    'LENGTH(name, 1) = 1',
    'No matching signature for function LENGTH for argument types: STRING, INT64. Supported signature: LENGTH(STRING) [at 1:1]',
    'AEC',
  ],
  ['NULL', 'Given query string is not a valid boolean expression: NULL', 'AEC'],
  ['1 + 1', 'Given query string is not a valid boolean expression: 1 + 1', 'AEC'],
  // Enums.
  [
    "state = 'LIVE'",
    'No matching signature for operator = for argument types: ENUM<Artifact.State>, STRING; write the enum name without quotes, one of UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:9]',
    'A',
  ],
  [
    'state = 1',
    'Unsupported enum value specified in the query: 1; Artifact.State accepts UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:9]',
    'A',
  ],
  [
    'state = NULL',
    'Unsupported enum value specified in the query: NULL; use IS NULL or IS NOT NULL [at 1:9]',
    'A',
  ],
  [
    'state = live',
    'Unsupported enum value specified in the query: live; Artifact.State accepts UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:9]',
    'A',
  ],
  [
    'state = ABANDONED',
    'Unsupported enum value specified in the query: ABANDONED; Artifact.State accepts UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:9]',
    'A',
  ],
  [
    'state = REFERENCE',
    'Unsupported enum value specified in the query: REFERENCE; Artifact.State accepts UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:9]',
    'A',
  ],
  [
    'state = id',
    'Unsupported enum value specified in the query: id; Artifact.State accepts UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:9]',
    'A',
  ],
  [
    'state = contexts_a.id',
    'Unsupported enum value specified in the query; Artifact.State accepts UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:9]',
    'A',
  ],
  [
    'state IN (LIVE, 1)',
    'Unsupported enum value specified in the query: 1; Artifact.State accepts UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:17]',
    'A',
  ],
  [
    'state > LIVE',
    'Operator > is not supported for ENUM<Artifact.State>; use =, !=, IN or NOT IN with the names UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:1]',
    'A',
  ],
  [
    'state > 1',
    'Operator > is not supported for ENUM<Artifact.State>; use =, !=, IN or NOT IN with the names UNKNOWN, PENDING, LIVE, MARKED_FOR_DELETION, DELETED [at 1:1]',
    'A',
  ],
  [
    '1 = state',
    'No matching signature for operator = for argument types: INT64, ENUM<Artifact.State>; an enum attribute goes on the left: `state = LIVE` [at 1:1]',
    'A',
  ],
  ['LIVE = state', 'Unrecognized name: LIVE [at 1:1]', 'A'],
  [
    'state + 0 = 2',
    'No matching signature for operator + for argument types: ENUM<Artifact.State>, INT64 [at 1:1]',
    'A',
  ],
  [
    'state BETWEEN 1 AND 2',
    'No matching signature for operator BETWEEN for argument types: ENUM<Artifact.State>, INT64, INT64. Supported signature: (ANY) BETWEEN (ANY) AND (ANY) of comparable types [at 1:1]',
    'A',
  ],
  [
    'state IS TRUE',
    'No matching signature for operator IS TRUE for argument types: ENUM<Artifact.State>. Supported signature: (BOOL) IS TRUE [at 1:1]',
    'A',
  ],
  [
    'last_known_state = LIVE',
    'Unsupported enum value specified in the query: LIVE; Execution.State accepts UNKNOWN, NEW, RUNNING, COMPLETE, FAILED, CACHED, CANCELED [at 1:20]',
    'E',
  ],
  [
    'events_0.type = UNKNOWN',
    'Unsupported enum value specified in the query: UNKNOWN; Event.Type accepts INPUT, OUTPUT, DECLARED_INPUT, DECLARED_OUTPUT, INTERNAL_INPUT, INTERNAL_OUTPUT [at 1:17]',
    'AE',
  ],
  [
    'events_0.type = PENDING_OUTPUT',
    'Unsupported enum value specified in the query: PENDING_OUTPUT; Event.Type accepts INPUT, OUTPUT, DECLARED_INPUT, DECLARED_OUTPUT, INTERNAL_INPUT, INTERNAL_OUTPUT [at 1:17]',
    'AE',
  ],
  [
    'events_0.type = 3',
    'Unsupported enum value specified in the query: 3; Event.Type accepts INPUT, OUTPUT, DECLARED_INPUT, DECLARED_OUTPUT, INTERNAL_INPUT, INTERNAL_OUTPUT [at 1:17]',
    'AE',
  ],
  ['state = LIVE', 'Unrecognized name: state [at 1:1]', 'EC'],
  ['last_known_state = NEW', 'Unrecognized name: last_known_state [at 1:1]', 'AC'],
]

// Valid queries beyond MLMD's table: what MLMD also accepts, and the places we go further.
const VALID: readonly (readonly [string, On])[] = [
  ["ID = 1 AND Name = 'x' AND `type_id` = 2", 'AEC'],
  ["contexts_a.NAME = 'x' AND contexts_a.Type = 'y'", 'AE'],
  ['properties.p.INT_VALUE = 1', 'AEC'],
  ['STATE = LIVE AND state <> DELETED AND state in (UNKNOWN, PENDING)', 'A'],
  ['artifacts_a.state != LIVE AND artifacts_b.state NOT IN (LIVE, DELETED)', 'C'],
  ['executions_a.last_known_state != COMPLETE AND executions_a.last_known_state NOT IN (NEW)', 'C'],
  ["artifacts_a.external_id = 'x' AND executions_b.external_id = 'y'", 'C'],
  [
    'parent_contexts_a.create_time_since_epoch > 0 AND child_contexts_b.last_update_time_since_epoch > 0',
    'C',
  ],
  ['events_a.type != INPUT AND events_b.type NOT IN (OUTPUT)', 'AE'],
  ['state IS NULL OR state IS NOT NULL', 'A'],
  ["name || '-' || uri = 'a-b'", 'A'],
  ["LOWER(name) = 'a' AND UPPER(name) = 'A' AND LENGTH(TRIM(name)) > 0", 'AEC'],
  ['id / 2 = 0.5 AND id * 1.5 > 0 AND -id < 0 AND id - 1 >= 0 AND id = 1.0', 'AEC'],
  ["name BETWEEN 'a' AND 'b' AND id NOT BETWEEN 1 AND 2.5", 'AEC'],
  ['properties.b.bool_value AND NOT custom_properties.c.bool_value', 'AEC'],
  ['properties.b.bool_value IS TRUE OR properties.b.bool_value IS NOT FALSE', 'AEC'],
  ['(id = 1) = TRUE', 'AEC'],
  ['NULL IS NULL AND id IN (1, NULL) AND id < NULL', 'AEC'],
  ['id < 18446744073709551615', 'AEC'],
  ["name = 'x' -- trailing comment", 'AEC'],
  ["name = r'\\d'", 'AEC'],
]

describe('resolve', () => {
  describe('rejects the invalid queries of MLMD', () => {
    it.each(expand<[string]>(MLMD_INVALID))('%s: %j', (kind, query, error) => {
      const message = analyzeError(kind, query)
      expect(message.startsWith('Invalid `filter_query`: ')).toBe(true)
      expect(message).toContain(error)
    })
  })

  describe('accepts the valid queries of MLMD', () => {
    it.each(expand<[]>(MLMD_VALID))('%s: %j', (kind, query) => {
      expect(analyze(kind, query).where.type).toBe('BOOL')
    })
  })

  describe('reports where and what was expected', () => {
    it.each(expand<[string]>(ERRORS))('%s: %j', (kind, query, message) => {
      expect(analyzeError(kind, query)).toBe(`Invalid \`filter_query\`: ${message}`)
    })
  })

  describe('accepts', () => {
    it.each(expand<[]>(VALID))('%s: %j', (kind, query) => {
      expect(analyze(kind, query).where.type).toBe('BOOL')
    })
  })

  describe('joins', () => {
    it('numbers joins in first-mention order, one per distinct alias and property', () => {
      const { joins } = analyze(
        'artifact',
        "contexts_b.id = 1 AND type = 'T' AND properties.p.int_value = 1 AND contexts_a.type = 'x' AND " +
          "contexts_b.name = 'y' AND custom_properties.p.int_value = 2 AND properties.p.string_value = 'z' AND events_0.type = INPUT",
      )
      expect(
        joins.map((j) => [j.alias, j.kind, 'relation' in j ? j.relation.prefix : 'name' in j ? j.name : '']),
      ).toEqual([
        ['table_1', 'neighbour', 'contexts_'],
        ['table_2', 'type', ''],
        ['table_3', 'property', 'p'],
        ['table_4', 'neighbour', 'contexts_'],
        ['table_5', 'property', 'p'],
        ['table_6', 'neighbour', 'events_'],
      ])
      expect(joins.map((j) => (j.kind === 'neighbour' ? j.withType : null))).toEqual([
        false,
        null,
        null,
        true,
        null,
        false,
      ])
    })

    it('treats aliases and property names as case-sensitive', () => {
      const { joins } = analyze(
        'artifact',
        'contexts_a.id = 1 AND contexts_A.id = 2 AND properties.p.int_value = 1 AND properties.P.int_value = 1',
      )
      expect(joins).toHaveLength(4)
    })

    it(`rejects a query that needs more than ${MAX_JOINED_TABLES} tables`, () => {
      const ok = Array.from(
        { length: MAX_JOINED_TABLES - 1 },
        (_, i) => `properties.p${i}.int_value = 1`,
      ).join(' AND ')
      expect(analyze('artifact', ok).joins).toHaveLength(MAX_JOINED_TABLES - 1)
      expect(analyzeError('artifact', `${ok} AND properties.one_more.int_value = 1`)).toContain(
        `The query needs more than ${MAX_JOINED_TABLES} joined tables`,
      )
      const aliases = Array.from({ length: 32 }, (_, i) => `contexts_${i}.id = 1`).join(' OR ')
      expect(analyzeError('execution', aliases)).toContain(
        `The query needs more than ${MAX_JOINED_TABLES} joined tables`,
      )
    })

    it('returns a frozen result', () => {
      const resolved = analyze('context', "artifacts_a.type = 'x' AND NOT (name = 'y')")
      expect(Object.isFrozen(resolved)).toBe(true)
      expect(Object.isFrozen(resolved.joins)).toBe(true)
      expect(resolved.joins.every((j) => Object.isFrozen(j))).toBe(true)
      expect(Object.isFrozen(resolved.where)).toBe(true)
    })
  })
})
