/**
 * MLMD's SQLite schema history as data: for each version 0 (ml-metadata 0.13.2) to 10
 * (ml-metadata 1.11 … 1.16), the statements that upgrade to it, the statements that downgrade
 * to it, and the tables and indices a database has at it.
 *
 * The statements do what MLMD 1.16's SQLite `migration_schemes` do, step for step, so that a
 * file migrated here reads back in MLMD exactly like one MLMD migrated (the Python interop
 * suite in conformance/python/migration.test.ts compares the two at every version). SQLite
 * cannot drop or retype a column in place, so most steps rebuild a table: create `<T>Temp` in
 * the new shape, copy the rows with their ids, drop `<T>`, rename `<T>Temp` to `<T>`. A
 * dropped table takes its indices with it; the steps recreate the ones the version keeps.
 *
 * Where MLMD's steps lose data, these do too (a downgrade is asked for knowingly, and the file
 * is copied first): downgrading below 10 drops proto and bool property values, below 9 external
 * ids, below 7 byte values, below 5 node states, names and timestamps, below 2 context types.
 * Upgrading from 7 keeps one event per (artifact, execution, type), the newest, and drops the
 * paths of the others, because version 8 makes that triple unique.
 */
import type { DirectTx } from '../../transaction-executor.js'
import type { EngineMigrations, MigrationScheme, SchemaShape } from './migration-scheme.js'

const q = (name: string): string => `\`${name}\``

// Column declarations, named once so that every rebuild declares a column the same way as
// MLMD's CREATE TABLE of that version (the declared type decides SQLite's column affinity).
const COLUMN: Readonly<Record<string, string>> = {
  id: '`id` INTEGER PRIMARY KEY AUTOINCREMENT',
  name: '`name` VARCHAR(255) NOT NULL',
  nodeName: '`name` VARCHAR(255)',
  typeId: '`type_id` INT NOT NULL',
  isArtifactType: '`is_artifact_type` TINYINT(1) NOT NULL',
  typeKind: '`type_kind` TINYINT(1) NOT NULL',
  version: '`version` VARCHAR(255)',
  description: '`description` TEXT',
  inputType: '`input_type` TEXT',
  outputType: '`output_type` TEXT',
  externalId: '`external_id` VARCHAR(255) UNIQUE',
  uri: '`uri` TEXT',
  state: '`state` INT',
  lastKnownState: '`last_known_state` INT',
  createTime: '`create_time_since_epoch` INT NOT NULL DEFAULT 0',
  updateTime: '`last_update_time_since_epoch` INT NOT NULL DEFAULT 0',
  uniqueName: 'UNIQUE(`type_id`, `name`)',
}

function createTable(table: string, declarations: readonly string[], ifNotExists = false): string {
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${q(table)} ( ${declarations.join(', ')} )`
}

/**
 * Rebuilds `table` in a new shape: `copy` maps each new column to the old column (or
 * expression) it is filled from; columns left out take their defaults.
 */
function rebuild(
  table: string,
  declarations: readonly string[],
  copy: Readonly<Record<string, string>>,
  options: { orIgnore?: boolean; orderBy?: string } = {},
): string[] {
  const temp = `${table}Temp`
  const targets = Object.keys(copy).map(q).join(', ')
  const sources = Object.values(copy).join(', ')
  return [
    createTable(temp, declarations),
    `INSERT ${options.orIgnore ? 'OR IGNORE ' : ''}INTO ${q(temp)} (${targets}) SELECT ${sources} FROM ${q(table)}` +
      (options.orderBy === undefined ? '' : ` ORDER BY ${options.orderBy}`),
    `DROP TABLE ${q(table)}`,
    `ALTER TABLE ${q(temp)} RENAME TO ${q(table)}`,
  ]
}

// Every column copied as itself.
const same = (columns: readonly string[]): Record<string, string> =>
  Object.fromEntries(columns.map((c) => [c, q(c)]))

// ---------------------------------------------------------------------------------------------
// Indices (names and definitions are MLMD's)
// ---------------------------------------------------------------------------------------------

function index(name: string, table: string, columns: readonly string[], where?: string): string {
  const cols = columns.map(q).join(', ')
  return `CREATE INDEX IF NOT EXISTS ${q(name)} ON ${q(table)}(${cols})${where === undefined ? '' : ` WHERE ${q(where)} IS NOT NULL`}`
}

const NODE_TIME_INDICES = {
  artifact: [
    index('idx_artifact_uri', 'Artifact', ['uri']),
    index('idx_artifact_create_time_since_epoch', 'Artifact', ['create_time_since_epoch']),
    index('idx_artifact_last_update_time_since_epoch', 'Artifact', ['last_update_time_since_epoch']),
  ],
  execution: [
    index('idx_execution_create_time_since_epoch', 'Execution', ['create_time_since_epoch']),
    index('idx_execution_last_update_time_since_epoch', 'Execution', ['last_update_time_since_epoch']),
  ],
  context: [
    index('idx_context_create_time_since_epoch', 'Context', ['create_time_since_epoch']),
    index('idx_context_last_update_time_since_epoch', 'Context', ['last_update_time_since_epoch']),
  ],
}
const TYPE_NAME_INDEX = index('idx_type_name', 'Type', ['name'])
const EVENT_ARTIFACT_INDEX = index('idx_event_artifact_id', 'Event', ['artifact_id'])
const EVENT_EXECUTION_INDEX = index('idx_event_execution_id', 'Event', ['execution_id'])
const PARENT_CONTEXT_INDEX = index('idx_parentcontext_parent_context_id', 'ParentContext', [
  'parent_context_id',
])
const EVENT_PATH_INDEX = index('idx_eventpath_event_id', 'EventPath', ['event_id'])

const PROPERTY_TABLES = [
  { table: 'ArtifactProperty', node: 'artifact_id', prefix: 'artifact' },
  { table: 'ExecutionProperty', node: 'execution_id', prefix: 'execution' },
  { table: 'ContextProperty', node: 'context_id', prefix: 'context' },
] as const

const PROPERTY_INDICES = PROPERTY_TABLES.flatMap(({ table, prefix }) =>
  (['int', 'double', 'string'] as const).map((kind) =>
    index(
      `idx_${prefix}_property_${kind}`,
      table,
      ['name', 'is_custom_property', `${kind}_value`],
      `${kind}_value`,
    ),
  ),
)

const EXTERNAL_ID_INDICES = [
  index('idx_type_external_id', 'Type', ['external_id']),
  index('idx_artifact_external_id', 'Artifact', ['external_id']),
  index('idx_execution_external_id', 'Execution', ['external_id']),
  index('idx_context_external_id', 'Context', ['external_id']),
]

const indexName = (ddl: string): string => /`([^`]+)`/.exec(ddl)?.[1] ?? ''
const dropIndices = (ddls: readonly string[]): string[] =>
  ddls.map((ddl) => `DROP INDEX IF EXISTS ${q(indexName(ddl))}`)

// ---------------------------------------------------------------------------------------------
// Table declarations per era
// ---------------------------------------------------------------------------------------------

const PROPERTY_VALUE_COLUMNS = {
  v0: ['`int_value` INT', '`double_value` DOUBLE', '`string_value` TEXT'],
  v7: ['`int_value` INT', '`double_value` DOUBLE', '`string_value` TEXT', '`byte_value` BLOB'],
}

function propertyTable(table: string, node: string, values: readonly string[], ifNotExists = false): string {
  return createTable(
    table,
    [
      `${q(node)} INT NOT NULL`,
      COLUMN.name,
      '`is_custom_property` TINYINT(1) NOT NULL',
      ...values,
      `PRIMARY KEY (${q(node)}, \`name\`, \`is_custom_property\`)`,
    ] as string[],
    ifNotExists,
  )
}

const col = (key: string): string => COLUMN[key] as string

const TYPE_V2 = ['id', 'name', 'typeKind', 'inputType', 'outputType'].map(col)
const TYPE_V6 = ['id', 'name', 'version', 'typeKind', 'description', 'inputType', 'outputType'].map(col)
const TYPE_V9 = [...TYPE_V6, col('externalId')]
const ARTIFACT_V5 = [
  'id',
  'typeId',
  'uri',
  'state',
  'nodeName',
  'createTime',
  'updateTime',
  'uniqueName',
].map(col)
const ARTIFACT_V9 = [
  'id',
  'typeId',
  'uri',
  'state',
  'nodeName',
  'externalId',
  'createTime',
  'updateTime',
  'uniqueName',
].map(col)
const EXECUTION_V5 = [
  'id',
  'typeId',
  'lastKnownState',
  'nodeName',
  'createTime',
  'updateTime',
  'uniqueName',
].map(col)
const EXECUTION_V9 = [
  'id',
  'typeId',
  'lastKnownState',
  'nodeName',
  'externalId',
  'createTime',
  'updateTime',
  'uniqueName',
].map(col)
const CONTEXT_V3 = ['id', 'typeId', 'name', 'uniqueName'].map(col)
const CONTEXT_V5 = ['id', 'typeId', 'name', 'createTime', 'updateTime', 'uniqueName'].map(col)
const CONTEXT_V9 = ['id', 'typeId', 'name', 'externalId', 'createTime', 'updateTime', 'uniqueName'].map(col)
const EVENT_COLUMNS = [
  col('id'),
  '`artifact_id` INT NOT NULL',
  '`execution_id` INT NOT NULL',
  '`type` INT NOT NULL',
  '`milliseconds_since_epoch` INT',
]

// ---------------------------------------------------------------------------------------------
// Shapes: what a database holds at each version
// ---------------------------------------------------------------------------------------------

const PROPERTY_COLUMNS_V0 = ['name', 'is_custom_property', 'int_value', 'double_value', 'string_value']
const PROPERTY_COLUMNS_V7 = [...PROPERTY_COLUMNS_V0, 'byte_value']
const PROPERTY_COLUMNS_V10 = [...PROPERTY_COLUMNS_V7, 'proto_value', 'bool_value']
const TIMES = ['create_time_since_epoch', 'last_update_time_since_epoch']

function evolve(
  previous: SchemaShape,
  change: {
    tables?: Record<string, readonly string[]>
    addIndices?: readonly string[]
    dropIndices?: readonly string[]
  },
): SchemaShape {
  const dropped = new Set(change.dropIndices ?? [])
  return {
    tables: { ...previous.tables, ...change.tables },
    indices: [
      ...previous.indices.filter((i) => !dropped.has(i)),
      ...(change.addIndices ?? []).map(indexName),
    ],
  }
}

const SHAPE_V0: SchemaShape = {
  tables: {
    Type: ['id', 'name', 'is_artifact_type', 'input_type', 'output_type'],
    TypeProperty: ['type_id', 'name', 'data_type'],
    Artifact: ['id', 'type_id', 'uri'],
    ArtifactProperty: ['artifact_id', ...PROPERTY_COLUMNS_V0],
    Execution: ['id', 'type_id'],
    ExecutionProperty: ['execution_id', ...PROPERTY_COLUMNS_V0],
    Event: ['id', 'artifact_id', 'execution_id', 'type', 'milliseconds_since_epoch'],
    EventPath: ['event_id', 'is_index_step', 'step_index', 'step_key'],
  },
  indices: [],
}
const SHAPE_V1 = evolve(SHAPE_V0, { tables: { MLMDEnv: ['schema_version'] } })
const SHAPE_V2 = evolve(SHAPE_V1, {
  tables: { Type: ['id', 'name', 'type_kind', 'input_type', 'output_type'] },
})
const SHAPE_V3 = evolve(SHAPE_V2, {
  tables: { Context: ['id', 'type_id', 'name'], ContextProperty: ['context_id', ...PROPERTY_COLUMNS_V0] },
})
const SHAPE_V4 = evolve(SHAPE_V3, {
  tables: {
    Association: ['id', 'context_id', 'execution_id'],
    Attribution: ['id', 'context_id', 'artifact_id'],
  },
})
const SHAPE_V5 = evolve(SHAPE_V4, {
  tables: {
    Artifact: ['id', 'type_id', 'uri', 'state', 'name', ...TIMES],
    Execution: ['id', 'type_id', 'last_known_state', 'name', ...TIMES],
    Context: ['id', 'type_id', 'name', ...TIMES],
  },
})
const V6_INDICES = [
  ...NODE_TIME_INDICES.artifact,
  EVENT_ARTIFACT_INDEX,
  EVENT_EXECUTION_INDEX,
  PARENT_CONTEXT_INDEX,
  TYPE_NAME_INDEX,
  ...NODE_TIME_INDICES.execution,
  ...NODE_TIME_INDICES.context,
]
const SHAPE_V6 = evolve(SHAPE_V5, {
  tables: {
    Type: ['id', 'name', 'version', 'type_kind', 'description', 'input_type', 'output_type'],
    ParentType: ['type_id', 'parent_type_id'],
    ParentContext: ['context_id', 'parent_context_id'],
  },
  addIndices: V6_INDICES,
})
const SHAPE_V7 = evolve(SHAPE_V6, {
  tables: Object.fromEntries(PROPERTY_TABLES.map((p) => [p.table, [p.node, ...PROPERTY_COLUMNS_V7]])),
  addIndices: [EVENT_PATH_INDEX],
})
const SHAPE_V8 = evolve(SHAPE_V7, {
  addIndices: PROPERTY_INDICES,
  dropIndices: [indexName(EVENT_ARTIFACT_INDEX)],
})
const SHAPE_V9 = evolve(SHAPE_V8, {
  tables: {
    Type: ['id', 'name', 'version', 'type_kind', 'description', 'input_type', 'output_type', 'external_id'],
    Artifact: ['id', 'type_id', 'uri', 'state', 'name', 'external_id', ...TIMES],
    Execution: ['id', 'type_id', 'last_known_state', 'name', 'external_id', ...TIMES],
    Context: ['id', 'type_id', 'name', 'external_id', ...TIMES],
  },
  addIndices: EXTERNAL_ID_INDICES,
})
const SHAPE_V10 = evolve(SHAPE_V9, {
  tables: Object.fromEntries(PROPERTY_TABLES.map((p) => [p.table, [p.node, ...PROPERTY_COLUMNS_V10]])),
})

// ---------------------------------------------------------------------------------------------
// The schemes
// ---------------------------------------------------------------------------------------------

const rebuildProperties = (values: readonly string[], copied: readonly string[]): string[] =>
  PROPERTY_TABLES.flatMap(({ table, node }) => [
    propertyTable(`${table}Temp`, node, values),
    `INSERT INTO ${q(`${table}Temp`)} (${[node, ...copied].map(q).join(', ')}) SELECT ${[node, ...copied].map(q).join(', ')} FROM ${q(table)}`,
    `DROP TABLE ${q(table)}`,
    `ALTER TABLE ${q(`${table}Temp`)} RENAME TO ${q(table)}`,
  ])

const addColumn = (table: string, declaration: string): string =>
  `ALTER TABLE ${q(table)} ADD COLUMN ${declaration}`

const SCHEMES: readonly MigrationScheme[] = [
  // 0: ml-metadata 0.13.2, which had no MLMDEnv table.
  { upgrade: [], downgrade: ['DROP TABLE IF EXISTS `MLMDEnv`'], shape: SHAPE_V0 },
  // 1: MLMDEnv records the schema version.
  {
    upgrade: [
      createTable('MLMDEnv', ['`schema_version` INTEGER PRIMARY KEY'], true),
      'INSERT INTO `MLMDEnv`(`schema_version`) VALUES(0)',
    ],
    // Version 1 has no context types: MLMD deletes them (their TypeProperty rows stay).
    downgrade: [
      'DELETE FROM `Type` WHERE `type_kind` = 2',
      ...rebuild('Type', ['id', 'name', 'isArtifactType', 'inputType', 'outputType'].map(col), {
        id: '`id`',
        name: '`name`',
        is_artifact_type: '`type_kind`',
        input_type: '`input_type`',
        output_type: '`output_type`',
      }),
    ],
    shape: SHAPE_V1,
  },
  // 2: `Type.is_artifact_type` becomes `type_kind`, to make room for context types.
  {
    upgrade: rebuild('Type', TYPE_V2, {
      id: '`id`',
      name: '`name`',
      type_kind: '`is_artifact_type`',
      input_type: '`input_type`',
      output_type: '`output_type`',
    }),
    downgrade: ['DROP TABLE IF EXISTS `Context`', 'DROP TABLE IF EXISTS `ContextProperty`'],
    shape: SHAPE_V2,
  },
  // 3: contexts.
  {
    upgrade: [
      createTable('Context', CONTEXT_V3, true),
      propertyTable('ContextProperty', 'context_id', PROPERTY_VALUE_COLUMNS.v0, true),
    ],
    downgrade: ['DROP TABLE IF EXISTS `Association`', 'DROP TABLE IF EXISTS `Attribution`'],
    shape: SHAPE_V3,
  },
  // 4: attributions and associations.
  {
    upgrade: [
      createTable(
        'Association',
        [
          col('id'),
          '`context_id` INT NOT NULL',
          '`execution_id` INT NOT NULL',
          'UNIQUE(`context_id`, `execution_id`)',
        ],
        true,
      ),
      createTable(
        'Attribution',
        [
          col('id'),
          '`context_id` INT NOT NULL',
          '`artifact_id` INT NOT NULL',
          'UNIQUE(`context_id`, `artifact_id`)',
        ],
        true,
      ),
    ],
    downgrade: [
      ...rebuild('Artifact', ['id', 'typeId', 'uri'].map(col), same(['id', 'type_id', 'uri'])),
      ...rebuild('Execution', ['id', 'typeId'].map(col), same(['id', 'type_id'])),
      ...rebuild('Context', CONTEXT_V3, same(['id', 'type_id', 'name'])),
    ],
    shape: SHAPE_V4,
  },
  // 5: node state, names unique per type, and timestamps.
  {
    upgrade: [
      ...rebuild('Artifact', ARTIFACT_V5, same(['id', 'type_id', 'uri'])),
      ...rebuild('Execution', EXECUTION_V5, same(['id', 'type_id'])),
      addColumn('Context', col('createTime')),
      addColumn('Context', col('updateTime')),
    ],
    downgrade: [
      'DROP TABLE IF EXISTS `ParentType`',
      'DROP TABLE IF EXISTS `ParentContext`',
      ...rebuild('Type', TYPE_V2, same(['id', 'name', 'type_kind', 'input_type', 'output_type'])),
      ...dropIndices([...NODE_TIME_INDICES.artifact, EVENT_ARTIFACT_INDEX, EVENT_EXECUTION_INDEX]),
      ...dropIndices([...NODE_TIME_INDICES.execution, ...NODE_TIME_INDICES.context]),
    ],
    shape: SHAPE_V5,
  },
  // 6: parent types and contexts, type versions and descriptions, the first indices.
  {
    upgrade: [
      createTable(
        'ParentType',
        [
          '`type_id` INT NOT NULL',
          '`parent_type_id` INT NOT NULL',
          'PRIMARY KEY (`type_id`, `parent_type_id`)',
        ],
        true,
      ),
      createTable(
        'ParentContext',
        [
          '`context_id` INT NOT NULL',
          '`parent_context_id` INT NOT NULL',
          'PRIMARY KEY (`context_id`, `parent_context_id`)',
        ],
        true,
      ),
      ...rebuild('Type', TYPE_V6, same(['id', 'name', 'type_kind', 'input_type', 'output_type'])),
      ...V6_INDICES,
    ],
    downgrade: [
      ...rebuildProperties(PROPERTY_VALUE_COLUMNS.v0, PROPERTY_COLUMNS_V0),
      ...dropIndices([EVENT_PATH_INDEX]),
    ],
    shape: SHAPE_V6,
  },
  // 7: byte values, and an index on event paths.
  {
    upgrade: [...PROPERTY_TABLES.map(({ table }) => addColumn(table, '`byte_value` BLOB')), EVENT_PATH_INDEX],
    downgrade: [
      ...rebuild(
        'Event',
        EVENT_COLUMNS,
        same(['id', 'artifact_id', 'execution_id', 'type', 'milliseconds_since_epoch']),
      ),
      EVENT_ARTIFACT_INDEX,
      EVENT_EXECUTION_INDEX,
      ...dropIndices(PROPERTY_INDICES),
    ],
    shape: SHAPE_V7,
  },
  // 8: property indices, and events unique per (artifact, execution, type).
  {
    upgrade: [
      ...PROPERTY_INDICES,
      // Copied newest first, so that of duplicate events the newest is kept.
      ...rebuild(
        'Event',
        [...EVENT_COLUMNS, 'UNIQUE(`artifact_id`, `execution_id`, `type`)'],
        same(['id', 'artifact_id', 'execution_id', 'type', 'milliseconds_since_epoch']),
        { orIgnore: true, orderBy: '`id` DESC' },
      ),
      EVENT_EXECUTION_INDEX,
      'DELETE FROM `EventPath` WHERE `event_id` NOT IN (SELECT `id` FROM `Event`)',
    ],
    downgrade: [
      ...dropIndices(EXTERNAL_ID_INDICES),
      ...rebuild(
        'Type',
        TYPE_V6,
        same(['id', 'name', 'version', 'type_kind', 'description', 'input_type', 'output_type']),
      ),
      ...rebuild('Artifact', ARTIFACT_V5, same(['id', 'type_id', 'uri', 'state', 'name', ...TIMES])),
      ...rebuild('Execution', EXECUTION_V5, same(['id', 'type_id', 'last_known_state', 'name', ...TIMES])),
      ...rebuild('Context', CONTEXT_V5, same(['id', 'type_id', 'name', ...TIMES])),
      ...NODE_TIME_INDICES.artifact,
      TYPE_NAME_INDEX,
      ...NODE_TIME_INDICES.execution,
      ...NODE_TIME_INDICES.context,
    ],
    shape: SHAPE_V8,
  },
  // 9: external ids on types and nodes.
  {
    upgrade: [
      ...rebuild(
        'Type',
        TYPE_V9,
        same(['id', 'name', 'version', 'type_kind', 'description', 'input_type', 'output_type']),
      ),
      ...rebuild('Artifact', ARTIFACT_V9, same(['id', 'type_id', 'uri', 'state', 'name', ...TIMES])),
      ...rebuild('Execution', EXECUTION_V9, same(['id', 'type_id', 'last_known_state', 'name', ...TIMES])),
      ...rebuild('Context', CONTEXT_V9, same(['id', 'type_id', 'name', ...TIMES])),
      ...NODE_TIME_INDICES.artifact,
      TYPE_NAME_INDEX,
      ...NODE_TIME_INDICES.execution,
      ...NODE_TIME_INDICES.context,
      ...EXTERNAL_ID_INDICES,
    ],
    downgrade: [...rebuildProperties(PROPERTY_VALUE_COLUMNS.v7, PROPERTY_COLUMNS_V7), ...PROPERTY_INDICES],
    shape: SHAPE_V9,
  },
  // 10: proto and bool values.
  {
    upgrade: PROPERTY_TABLES.flatMap(({ table }) => [
      addColumn(table, '`proto_value` BLOB'),
      addColumn(table, '`bool_value` BOOLEAN'),
    ]),
    downgrade: [],
    shape: SHAPE_V10,
  },
]

/** The tables (with columns in order) and index names of a SQLite database. */
export function readSqliteShape(tx: DirectTx): SchemaShape {
  const tables: Record<string, string[]> = {}
  const names = tx.all<{ name: string }>({
    sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    params: [],
  })
  for (const { name } of names) {
    tables[name] = tx
      .all<{ name: string }>({ sql: 'SELECT name FROM pragma_table_info(?) ORDER BY cid', params: [name] })
      .map((c) => c.name)
  }
  const indices = tx
    .all<{ name: string }>({
      sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
      params: [],
    })
    .map((r) => r.name)
  return { tables, indices }
}

/** MLMD's SQLite migrations, versions 0 to 10. */
export const SQLITE_MIGRATIONS: EngineMigrations = {
  engine: 'sqlite',
  latest: SCHEMES.length - 1,
  schemes: new Map(SCHEMES.map((scheme, version) => [version, scheme])),
  setVersion: 'UPDATE `MLMDEnv` SET `schema_version` = ?',
  readShape: readSqliteShape,
}
