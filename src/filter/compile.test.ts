import { describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import type { SqlValue } from '../storage/transaction-executor.js'
import type { FilterNodeKind } from './catalog.js'
import { MAX_BOUND_PARAMETERS } from './compile.js'
import { compileFilterQuery } from './index.js'

const A: FilterNodeKind = 'artifact'
const E: FilterNodeKind = 'execution'
const C: FilterNodeKind = 'context'

describe('compile', () => {
  describe('compileFilterQuery', () => {
    // [kind, filter, SQL after `SELECT DISTINCT table_0.id FROM `, bound parameters]
    it.each<[FilterNodeKind, string, string, SqlValue[]]>([
      [A, "name = 'a'", '`Artifact` AS table_0 WHERE (table_0.name = ?)', ['a']],
      [
        A,
        "type = 'Model'",
        '`Artifact` AS table_0 JOIN `Type` AS table_1 ON table_1.id = table_0.type_id AND table_1.type_kind = 1 WHERE (table_1.name = ?)',
        ['Model'],
      ],
      [A, "uri LIKE 's3://%'", "`Artifact` AS table_0 WHERE (table_0.uri LIKE ? ESCAPE '\\')", ['s3://%']],
      [
        A,
        "uri NOT LIKE 'x\\\\_%'",
        "`Artifact` AS table_0 WHERE (table_0.uri NOT LIKE ? ESCAPE '\\')",
        ['x\\_%'],
      ],
      [A, 'state = LIVE', '`Artifact` AS table_0 WHERE (table_0.state = ?)', [2n]],
      [
        A,
        'state != LIVE',
        '`Artifact` AS table_0 WHERE ((table_0.state <> ?) OR (table_0.state IS NULL))',
        [2n],
      ],
      [A, 'state IN (LIVE)', '`Artifact` AS table_0 WHERE (table_0.state IN (?))', [2n]],
      [
        A,
        'state NOT IN (LIVE, DELETED)',
        '`Artifact` AS table_0 WHERE ((table_0.state NOT IN (?, ?)) OR (table_0.state IS NULL))',
        [2n, 4n],
      ],
      [A, 'state IS NULL', '`Artifact` AS table_0 WHERE (table_0.state IS NULL)', []],
      [
        A,
        "contexts_run.name = 'r1'",
        '`Artifact` AS table_0 JOIN `Attribution` AS table_1_link ON table_1_link.artifact_id = table_0.id JOIN `Context` AS table_1 ON table_1.id = table_1_link.context_id AND table_1.type_id IN (SELECT id FROM `Type` WHERE type_kind = 2) WHERE (table_1.name = ?)',
        ['r1'],
      ],
      [
        A,
        "contexts_a.type = 'x' OR contexts_a.id = 1",
        '`Artifact` AS table_0 JOIN `Attribution` AS table_1_link ON table_1_link.artifact_id = table_0.id JOIN `Context` AS table_1 ON table_1.id = table_1_link.context_id AND table_1.type_id IN (SELECT id FROM `Type` WHERE type_kind = 2) JOIN `Type` AS table_1_type ON table_1_type.id = table_1.type_id WHERE ((table_1_type.name = ?) OR (table_1.id = ?))',
        ['x', 1n],
      ],
      [
        A,
        'events_0.type = INPUT AND events_0.execution_id = 5',
        '`Artifact` AS table_0 JOIN `Event` AS table_1 ON table_1.artifact_id = table_0.id WHERE ((table_1.type = ?) AND (table_1.execution_id = ?))',
        [3n, 5n],
      ],
      [
        A,
        'properties.p.int_value > 3',
        '`Artifact` AS table_0 JOIN `ArtifactProperty` AS table_1 ON table_1.artifact_id = table_0.id AND table_1.name = ? AND table_1.is_custom_property = 0 WHERE (table_1.int_value > ?)',
        ['p', 3n],
      ],
      [
        A,
        'custom_properties.`my p`.bool_value',
        '`Artifact` AS table_0 JOIN `ArtifactProperty` AS table_1 ON table_1.artifact_id = table_0.id AND table_1.name = ? AND table_1.is_custom_property = 1 WHERE (table_1.bool_value)',
        ['my p'],
      ],
      [
        A,
        'properties.p.int_value = 1 OR custom_properties.p.double_value < 0.5',
        '`Artifact` AS table_0 JOIN `ArtifactProperty` AS table_1 ON table_1.artifact_id = table_0.id AND table_1.name = ? AND table_1.is_custom_property = 0 JOIN `ArtifactProperty` AS table_2 ON table_2.artifact_id = table_0.id AND table_2.name = ? AND table_2.is_custom_property = 1 WHERE ((table_1.int_value = ?) OR (table_2.double_value < ?))',
        ['p', 'p', 1n, 0.5],
      ],
      [A, 'id / 2 = 1.5', '`Artifact` AS table_0 WHERE ((CAST(table_0.id AS REAL) / ?) = ?)', [2n, 1.5]],
      [A, '-id = -1', '`Artifact` AS table_0 WHERE ((-table_0.id) = ?)', [-1n]],
      [
        A,
        '(id + 1) * 2 - 3 >= 4',
        '`Artifact` AS table_0 WHERE ((((table_0.id + ?) * ?) - ?) >= ?)',
        [1n, 2n, 3n, 4n],
      ],
      [A, "name || 'x' = 'ax'", '`Artifact` AS table_0 WHERE ((table_0.name || ?) = ?)', ['x', 'ax']],
      [A, "LOWER(name) = 'a'", '`Artifact` AS table_0 WHERE (lower(table_0.name) = ?)', ['a']],
      [
        A,
        'id BETWEEN 1 AND 2 OR id NOT BETWEEN 5 AND 6',
        '`Artifact` AS table_0 WHERE ((table_0.id BETWEEN ? AND ?) OR (table_0.id NOT BETWEEN ? AND ?))',
        [1n, 2n, 5n, 6n],
      ],
      [
        A,
        'properties.b.bool_value IS NOT TRUE',
        '`Artifact` AS table_0 JOIN `ArtifactProperty` AS table_1 ON table_1.artifact_id = table_0.id AND table_1.name = ? AND table_1.is_custom_property = 0 WHERE (table_1.bool_value IS NOT TRUE)',
        ['b'],
      ],
      [
        A,
        "NOT (id = 1 OR name = 'x')",
        '`Artifact` AS table_0 WHERE (NOT ((table_0.id = ?) OR (table_0.name = ?)))',
        [1n, 'x'],
      ],
      [A, 'id IN (1, 2, 3)', '`Artifact` AS table_0 WHERE (table_0.id IN (?, ?, ?))', [1n, 2n, 3n]],
      [A, 'id NOT IN (1)', '`Artifact` AS table_0 WHERE (table_0.id NOT IN (?))', [1n]],
      [A, 'TRUE', '`Artifact` AS table_0 WHERE (?)', [1n]],
      [A, 'NULL IS NULL', '`Artifact` AS table_0 WHERE (NULL IS NULL)', []],
      [
        A,
        'id < 18446744073709551615',
        '`Artifact` AS table_0 WHERE (table_0.id < ?)',
        [18446744073709552000],
      ],
      [
        A,
        'properties.b.bool_value = FALSE',
        '`Artifact` AS table_0 JOIN `ArtifactProperty` AS table_1 ON table_1.artifact_id = table_0.id AND table_1.name = ? AND table_1.is_custom_property = 0 WHERE (table_1.bool_value = ?)',
        ['b', 0n],
      ],
      [
        E,
        'last_known_state != COMPLETE',
        '`Execution` AS table_0 WHERE ((table_0.last_known_state <> ?) OR (table_0.last_known_state IS NULL))',
        [3n],
      ],
      [
        E,
        'contexts_run.id = 5 AND custom_properties.parent_dag_id.int_value = 7',
        '`Execution` AS table_0 JOIN `Association` AS table_1_link ON table_1_link.execution_id = table_0.id JOIN `Context` AS table_1 ON table_1.id = table_1_link.context_id AND table_1.type_id IN (SELECT id FROM `Type` WHERE type_kind = 2) JOIN `ExecutionProperty` AS table_2 ON table_2.execution_id = table_0.id AND table_2.name = ? AND table_2.is_custom_property = 1 WHERE ((table_1.id = ?) AND (table_2.int_value = ?))',
        ['parent_dag_id', 5n, 7n],
      ],
      [
        E,
        'events_0.artifact_id = 1 AND events_0.type != OUTPUT',
        '`Execution` AS table_0 JOIN `Event` AS table_1 ON table_1.execution_id = table_0.id WHERE ((table_1.artifact_id = ?) AND ((table_1.type <> ?) OR (table_1.type IS NULL)))',
        [1n, 4n],
      ],
      [
        E,
        "type = 'Trainer'",
        '`Execution` AS table_0 JOIN `Type` AS table_1 ON table_1.id = table_0.type_id AND table_1.type_kind = 0 WHERE (table_1.name = ?)',
        ['Trainer'],
      ],
      [
        C,
        "parent_contexts_p.type = 'Pipeline'",
        '`Context` AS table_0 JOIN `ParentContext` AS table_1_link ON table_1_link.context_id = table_0.id JOIN `Context` AS table_1 ON table_1.id = table_1_link.parent_context_id AND table_1.type_id IN (SELECT id FROM `Type` WHERE type_kind = 2) JOIN `Type` AS table_1_type ON table_1_type.id = table_1.type_id WHERE (table_1_type.name = ?)',
        ['Pipeline'],
      ],
      [
        C,
        "child_contexts_c.name = 'x'",
        '`Context` AS table_0 JOIN `ParentContext` AS table_1_link ON table_1_link.parent_context_id = table_0.id JOIN `Context` AS table_1 ON table_1.id = table_1_link.context_id AND table_1.type_id IN (SELECT id FROM `Type` WHERE type_kind = 2) WHERE (table_1.name = ?)',
        ['x'],
      ],
      [
        C,
        'artifacts_a.state != LIVE',
        '`Context` AS table_0 JOIN `Attribution` AS table_1_link ON table_1_link.context_id = table_0.id JOIN `Artifact` AS table_1 ON table_1.id = table_1_link.artifact_id AND table_1.type_id IN (SELECT id FROM `Type` WHERE type_kind = 1) WHERE ((table_1.state <> ?) OR (table_1.state IS NULL))',
        [2n],
      ],
      [
        C,
        'executions_e.last_known_state IN (COMPLETE, CACHED)',
        '`Context` AS table_0 JOIN `Association` AS table_1_link ON table_1_link.context_id = table_0.id JOIN `Execution` AS table_1 ON table_1.id = table_1_link.execution_id AND table_1.type_id IN (SELECT id FROM `Type` WHERE type_kind = 0) WHERE (table_1.last_known_state IN (?, ?))',
        [3n, 5n],
      ],
      [
        C,
        "properties.p.string_value = 'x'",
        '`Context` AS table_0 JOIN `ContextProperty` AS table_1 ON table_1.context_id = table_0.id AND table_1.name = ? AND table_1.is_custom_property = 0 WHERE (table_1.string_value = ?)',
        ['p', 'x'],
      ],
      [
        C,
        "type = 'Run'",
        '`Context` AS table_0 JOIN `Type` AS table_1 ON table_1.id = table_0.type_id AND table_1.type_kind = 2 WHERE (table_1.name = ?)',
        ['Run'],
      ],
    ])('%s: %s', (kind, query, sql, params) => {
      expect(compileFilterQuery(kind, query)).toMatchObject({
        sql: `SELECT DISTINCT table_0.id FROM ${sql}`,
        params,
      })
    })

    it('writes long AND/OR chains as groups of at most 8, so SQLite sees a shallow tree', () => {
      const query = Array.from({ length: 20 }, (_, i) => `id = ${i}`).join(' OR ')
      const term = '(table_0.id = ?)'
      const group = (n: number) => `(${Array(n).fill(term).join(' OR ')})`
      expect(compileFilterQuery(A, query)).toMatchObject({
        sql: `SELECT DISTINCT table_0.id FROM \`Artifact\` AS table_0 WHERE (${[...Array(6).fill(group(3)), group(2)].join(' OR ')})`,
        params: Array.from({ length: 20 }, (_, i) => BigInt(i)),
      })
    })

    it.each<[FilterNodeKind, string, string, SqlValue[]]>([
      [A, "uri = 'u' AND state = LIVE", '((table_0.uri = ?) AND (table_0.state = ?))', ['u', 2n]],
      [
        A,
        "type = 'Model'",
        'EXISTS (SELECT 1 FROM `Type` AS table_1 WHERE table_1.id = table_0.type_id AND table_1.type_kind = 1 AND (table_1.name = ?))',
        ['Model'],
      ],
      [
        E,
        "custom_properties.p.int_value = 3 AND contexts_r.name = 'r'",
        'EXISTS (SELECT 1 FROM `ExecutionProperty` AS table_1 JOIN `Association` AS table_2_link ON table_2_link.execution_id = table_0.id JOIN `Context` AS table_2 ON table_2.id = table_2_link.context_id AND table_2.type_id IN (SELECT id FROM `Type` WHERE type_kind = 2) WHERE table_1.execution_id = table_0.id AND table_1.name = ? AND table_1.is_custom_property = 1 AND ((table_1.int_value = ?) AND (table_2.name = ?)))',
        ['p', 3n, 'r'],
      ],
    ])(
      'also compiles %s: %s to a condition on the row table_0',
      (kind, query, condition, conditionParams) => {
        expect(compileFilterQuery(kind, query)).toMatchObject({ condition, conditionParams })
      },
    )

    // A neighbour reached through a link table, for writing the expected SQL below.
    interface Linked {
      readonly link: string
      readonly node: string
      readonly nodeColumn: string
      readonly otherColumn: string
      readonly typeKind: number
    }
    const CONTEXT_OF_ARTIFACT: Linked = {
      link: 'Attribution',
      node: 'Context',
      nodeColumn: 'artifact_id',
      otherColumn: 'context_id',
      typeKind: 2,
    }
    const CONTEXT_OF_EXECUTION: Linked = {
      ...CONTEXT_OF_ARTIFACT,
      link: 'Association',
      nodeColumn: 'execution_id',
    }
    const PARENT: Linked = {
      ...CONTEXT_OF_ARTIFACT,
      link: 'ParentContext',
      nodeColumn: 'context_id',
      otherColumn: 'parent_context_id',
    }
    const CHILD: Linked = { ...PARENT, nodeColumn: 'parent_context_id', otherColumn: 'context_id' }
    const ARTIFACT_OF_CONTEXT: Linked = {
      link: 'Attribution',
      node: 'Artifact',
      nodeColumn: 'context_id',
      otherColumn: 'artifact_id',
      typeKind: 1,
    }
    const EXECUTION_OF_CONTEXT: Linked = {
      ...ARTIFACT_OF_CONTEXT,
      link: 'Association',
      node: 'Execution',
      otherColumn: 'execution_id',
      typeKind: 0,
    }
    const nodeOf = (l: Linked, t: string) =>
      `\`${l.node}\` AS ${t} ON ${t}.id = ${t}_link.${l.otherColumn} AND ${t}.type_id IN (SELECT id FROM \`Type\` WHERE type_kind = ${l.typeKind})`
    /** The neighbour `t` joined to the statement. */
    const join = (l: Linked, t: string) =>
      `JOIN \`${l.link}\` AS ${t}_link ON ${t}_link.${l.nodeColumn} = table_0.id JOIN ${nodeOf(l, t)}`
    /** The neighbour `t` as a correlated EXISTS, with a condition on its row. */
    const exists = (l: Linked, t: string, condition?: string, typed = false) =>
      `EXISTS (SELECT 1 FROM \`${l.link}\` AS ${t}_link JOIN ${nodeOf(l, t)}${typed ? ` JOIN \`Type\` AS ${t}_type ON ${t}_type.id = ${t}.type_id` : ''} WHERE ${t}_link.${l.nodeColumn} = table_0.id${condition === undefined ? '' : ` AND (${condition})`})`
    /** The neighbour `t` as a set of listed nodes: `table_0.id IN (SELECT …)`. */
    const member = (l: Linked, t: string, condition: string, typed = false) =>
      `table_0.id IN (SELECT ${t}_link.${l.nodeColumn} FROM \`${l.link}\` AS ${t}_link JOIN ${nodeOf(l, t)}${typed ? ` JOIN \`Type\` AS ${t}_type ON ${t}_type.id = ${t}.type_id` : ''} WHERE ${condition})`
    const event = (t: string, condition: string) =>
      `EXISTS (SELECT 1 FROM \`Event\` AS ${t} WHERE ${t}.artifact_id = table_0.id AND (${condition}))`
    const ctx = (t: string, condition?: string) => exists(CONTEXT_OF_ARTIFACT, t, condition)

    // [kind, filter, set form after `SELECT DISTINCT table_0.id FROM `, row form, parameters of both]
    it.each<[FilterNodeKind, string, string, string, SqlValue[]]>([
      [
        A,
        "contexts_a.name != 'zz' AND contexts_b.name != 'zz' AND contexts_c.name != 'zz' AND contexts_d.name != 'zz'",
        `\`Artifact\` AS table_0 ${join(CONTEXT_OF_ARTIFACT, 'table_1')} WHERE ((table_1.name <> ?) AND (${ctx('table_2', 'table_2.name <> ?')}) AND (${ctx('table_3', 'table_3.name <> ?')}) AND (${ctx('table_4', 'table_4.name <> ?')}))`,
        `((${ctx('table_1', 'table_1.name <> ?')}) AND (${ctx('table_2', 'table_2.name <> ?')}) AND (${ctx('table_3', 'table_3.name <> ?')}) AND (${ctx('table_4', 'table_4.name <> ?')}))`,
        ['zz', 'zz', 'zz', 'zz'],
      ],
      [
        A,
        'contexts_a.id = 1 AND contexts_b.id = 2',
        `\`Artifact\` AS table_0 ${join(CONTEXT_OF_ARTIFACT, 'table_1')} WHERE ((table_1.id = ?) AND (${ctx('table_2', 'table_2.id = ?')}))`,
        `((${ctx('table_1', 'table_1.id = ?')}) AND (${ctx('table_2', 'table_2.id = ?')}))`,
        [1n, 2n],
      ],
      // The set form joins the alias compared by equality on an indexed column.
      [
        A,
        "contexts_a.name != 'zz' AND contexts_b.name = 'r1'",
        `\`Artifact\` AS table_0 ${join(CONTEXT_OF_ARTIFACT, 'table_2')} WHERE ((${ctx('table_1', 'table_1.name <> ?')}) AND (table_2.name = ?))`,
        `((${ctx('table_1', 'table_1.name <> ?')}) AND (${ctx('table_2', 'table_2.name = ?')}))`,
        ['zz', 'r1'],
      ],
      // Under OR, both aliases must still have a row. The set form finds the nodes of an
      // indexed equality through the index (IN), the row form tests one node (EXISTS).
      [
        A,
        "contexts_a.name = 'x' OR contexts_b.name = 'y'",
        `\`Artifact\` AS table_0 WHERE ((${ctx('table_1')}) AND (${ctx('table_2')}) AND ((${member(CONTEXT_OF_ARTIFACT, 'table_1', 'table_1.name = ?')}) OR (${member(CONTEXT_OF_ARTIFACT, 'table_2', 'table_2.name = ?')})))`,
        `((${ctx('table_1')}) AND (${ctx('table_2')}) AND ((${ctx('table_1', 'table_1.name = ?')}) OR (${ctx('table_2', 'table_2.name = ?')})))`,
        ['x', 'y'],
      ],
      // NOT moves inward until it applies to one alias's predicate, which it complements.
      [
        A,
        "NOT (contexts_a.name = 'x' AND contexts_b.name = 'y')",
        `\`Artifact\` AS table_0 WHERE ((${ctx('table_1')}) AND (${ctx('table_2')}) AND ((${ctx('table_1', 'table_1.name <> ?')}) OR (${ctx('table_2', 'table_2.name <> ?')})))`,
        `((${ctx('table_1')}) AND (${ctx('table_2')}) AND ((${ctx('table_1', 'table_1.name <> ?')}) OR (${ctx('table_2', 'table_2.name <> ?')})))`,
        ['x', 'y'],
      ],
      // (A LIKE cannot use an index, so its operand of OR stays EXISTS in the set form too.)
      [
        A,
        "NOT (contexts_a.name != 'x' AND NOT (contexts_b.id IN (1) OR contexts_b.name LIKE 'y%'))",
        `\`Artifact\` AS table_0 WHERE ((${ctx('table_1')}) AND (${ctx('table_2')}) AND ((${member(CONTEXT_OF_ARTIFACT, 'table_1', 'table_1.name = ?')}) OR (${ctx('table_2', "(table_2.id IN (?)) OR (table_2.name LIKE ? ESCAPE '\\')")})))`,
        `((${ctx('table_1')}) AND (${ctx('table_2')}) AND ((${ctx('table_1', 'table_1.name = ?')}) OR (${ctx('table_2', "(table_2.id IN (?)) OR (table_2.name LIKE ? ESCAPE '\\')")})))`,
        ['x', 1n, 'y%'],
      ],
      // One alias on both sides of AND is one row: the other alias is looked up for that row.
      [
        A,
        "contexts_a.name = 'x' AND (contexts_a.id = 1 OR contexts_b.id = 2)",
        `\`Artifact\` AS table_0 WHERE (${ctx('table_1', `(table_1.name = ?) AND (${ctx('table_2', '(table_1.id = ?) OR (table_2.id = ?)')})`)})`,
        `(${ctx('table_1', `(table_1.name = ?) AND (${ctx('table_2', '(table_1.id = ?) OR (table_2.id = ?)')})`)})`,
        ['x', 1n, 2n],
      ],
      // A predicate on two aliases binds both.
      [
        A,
        "contexts_a.id = contexts_b.id AND contexts_c.name = 'x'",
        `\`Artifact\` AS table_0 ${join(CONTEXT_OF_ARTIFACT, 'table_3')} WHERE ((EXISTS (SELECT 1 FROM \`Attribution\` AS table_1_link JOIN ${nodeOf(CONTEXT_OF_ARTIFACT, 'table_1')} ${join(CONTEXT_OF_ARTIFACT, 'table_2')} WHERE table_1_link.artifact_id = table_0.id AND (table_1.id = table_2.id))) AND (table_3.name = ?))`,
        `((EXISTS (SELECT 1 FROM \`Attribution\` AS table_1_link JOIN ${nodeOf(CONTEXT_OF_ARTIFACT, 'table_1')} ${join(CONTEXT_OF_ARTIFACT, 'table_2')} WHERE table_1_link.artifact_id = table_0.id AND (table_1.id = table_2.id))) AND (${ctx('table_3', 'table_3.name = ?')}))`,
        ['x'],
      ],
      [
        A,
        'events_a.type = INPUT AND events_b.type = OUTPUT',
        `\`Artifact\` AS table_0 JOIN \`Event\` AS table_1 ON table_1.artifact_id = table_0.id WHERE ((table_1.type = ?) AND (${event('table_2', 'table_2.type = ?')}))`,
        `((${event('table_1', 'table_1.type = ?')}) AND (${event('table_2', 'table_2.type = ?')}))`,
        [3n, 4n],
      ],
      // The listed node's type and its properties (one row at most each) stay joins.
      [
        E,
        "custom_properties.p.int_value = 3 AND contexts_a.name = 'r' AND type = 'T' AND contexts_b.name LIKE 's%'",
        `\`Execution\` AS table_0 JOIN \`ExecutionProperty\` AS table_1 ON table_1.execution_id = table_0.id AND table_1.name = ? AND table_1.is_custom_property = 1 ${join(CONTEXT_OF_EXECUTION, 'table_2')} JOIN \`Type\` AS table_3 ON table_3.id = table_0.type_id AND table_3.type_kind = 0 WHERE ((table_1.int_value = ?) AND (table_2.name = ?) AND (table_3.name = ?) AND (${exists(CONTEXT_OF_EXECUTION, 'table_4', "table_4.name LIKE ? ESCAPE '\\'")}))`,
        `EXISTS (SELECT 1 FROM \`ExecutionProperty\` AS table_1 JOIN \`Type\` AS table_3 ON table_3.id = table_0.type_id AND table_3.type_kind = 0 WHERE table_1.execution_id = table_0.id AND table_1.name = ? AND table_1.is_custom_property = 1 AND ((table_1.int_value = ?) AND (${exists(CONTEXT_OF_EXECUTION, 'table_2', 'table_2.name = ?')}) AND (table_3.name = ?) AND (${exists(CONTEXT_OF_EXECUTION, 'table_4', "table_4.name LIKE ? ESCAPE '\\'")})))`,
        ['p', 3n, 'r', 'T', 's%'],
      ],
      [
        C,
        "parent_contexts_p.type = 'P' OR child_contexts_c.id IN (1, 2)",
        `\`Context\` AS table_0 WHERE ((${exists(PARENT, 'table_1', undefined, true)}) AND (${exists(CHILD, 'table_2')}) AND ((${member(PARENT, 'table_1', 'table_1_type.name = ?', true)}) OR (${member(CHILD, 'table_2', 'table_2.id IN (?, ?)')})))`,
        `((${exists(PARENT, 'table_1', undefined, true)}) AND (${exists(CHILD, 'table_2')}) AND ((${exists(PARENT, 'table_1', 'table_1_type.name = ?', true)}) OR (${exists(CHILD, 'table_2', 'table_2.id IN (?, ?)')})))`,
        ['P', 1n, 2n],
      ],
      [
        C,
        "artifacts_a.external_id = 'x' AND executions_e.external_id = 'y'",
        `\`Context\` AS table_0 ${join(ARTIFACT_OF_CONTEXT, 'table_1')} WHERE ((table_1.external_id = ?) AND (${exists(EXECUTION_OF_CONTEXT, 'table_2', 'table_2.external_id = ?')}))`,
        `((${exists(ARTIFACT_OF_CONTEXT, 'table_1', 'table_1.external_id = ?')}) AND (${exists(EXECUTION_OF_CONTEXT, 'table_2', 'table_2.external_id = ?')}))`,
        ['x', 'y'],
      ],
    ])('compiles %s: %s with semi-joins', (kind, query, sql, condition, params) => {
      expect(compileFilterQuery(kind, query)).toEqual({
        sql: `SELECT DISTINCT table_0.id FROM ${sql}`,
        params,
        condition,
        conditionParams: params,
        joins: expect.any(Number),
      })
    })

    it('binds every value and never copies query text into the SQL', () => {
      const hostile = "x'; DROP TABLE `Artifact`; --"
      const query = `name = ${JSON.stringify(hostile)} AND custom_properties.\`${hostile.replace(/`/g, '\\`')}\`.string_value = '${hostile.replace(/'/g, "\\'")}'`
      const { sql, params } = compileFilterQuery(A, query)
      expect(sql).not.toContain('DROP')
      expect(params).toEqual([hostile, hostile, hostile])
    })

    it(`rejects more than ${MAX_BOUND_PARAMETERS} bound values`, () => {
      const list = (n: number) => `id IN (${Array(n).fill('1').join(',')})`
      expect(compileFilterQuery(A, list(MAX_BOUND_PARAMETERS)).params).toHaveLength(MAX_BOUND_PARAMETERS)
      let error: unknown
      try {
        compileFilterQuery(A, list(MAX_BOUND_PARAMETERS + 1))
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(MlmdError)
      expect((error as MlmdError).code).toBe(Code.InvalidArgument)
      expect((error as MlmdError).rawMessage).toBe(
        `Invalid \`filter_query\`: The query has too many literals: ${MAX_BOUND_PARAMETERS + 1}; at most ${MAX_BOUND_PARAMETERS} are accepted`,
      )
    })
  })
})
