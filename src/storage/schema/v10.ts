/**
 * MLMD's SQLite schema at version 10 (the schema of ml-metadata 1.11.0 … 1.16.0), kept as data.
 *
 * Table and column definitions, declared types and index names are MLMD's own, because a file
 * must open in the real MLMD without migration and the other way round. The order of tables is
 * the order in which MLMD creates them (it matters only for `sqlite_master` listings), and the
 * column order matters because MLMD's migration scripts copy rows with `SELECT *`.
 */

/** The schema version this library reads and writes (`MLMDEnv.schema_version`). */
export const SCHEMA_VERSION = 10

/** `Type.type_kind` values. Note the order: executions are 0, artifacts 1, contexts 2. */
export const TypeKind = { EXECUTION: 0, ARTIFACT: 1, CONTEXT: 2 } as const
export type TypeKind = (typeof TypeKind)[keyof typeof TypeKind]

/** A node table with the table of its properties and the column that links the two. */
export interface NodeTables {
  readonly node: 'Artifact' | 'Execution' | 'Context'
  readonly property: 'ArtifactProperty' | 'ExecutionProperty' | 'ContextProperty'
  readonly propertyNodeColumn: 'artifact_id' | 'execution_id' | 'context_id'
  readonly typeKind: TypeKind
}

export const ARTIFACT_TABLES: NodeTables = {
  node: 'Artifact',
  property: 'ArtifactProperty',
  propertyNodeColumn: 'artifact_id',
  typeKind: TypeKind.ARTIFACT,
}
export const EXECUTION_TABLES: NodeTables = {
  node: 'Execution',
  property: 'ExecutionProperty',
  propertyNodeColumn: 'execution_id',
  typeKind: TypeKind.EXECUTION,
}
export const CONTEXT_TABLES: NodeTables = {
  node: 'Context',
  property: 'ContextProperty',
  propertyNodeColumn: 'context_id',
  typeKind: TypeKind.CONTEXT,
}

// The eight value columns shared by the three property tables.
const PROPERTY_VALUE_COLUMNS = [
  '`name` VARCHAR(255) NOT NULL',
  '`is_custom_property` TINYINT(1) NOT NULL',
  '`int_value` INT',
  '`double_value` DOUBLE',
  '`string_value` TEXT',
  '`byte_value` BLOB',
  '`proto_value` BLOB',
  '`bool_value` BOOLEAN',
]

function createTable(name: string, columns: readonly string[]): string {
  return `CREATE TABLE IF NOT EXISTS \`${name}\` ( ${columns.join(', ')} )`
}

function propertyTable(name: string, nodeColumn: string): string {
  return createTable(name, [
    `\`${nodeColumn}\` INT NOT NULL`,
    ...PROPERTY_VALUE_COLUMNS,
    `PRIMARY KEY (\`${nodeColumn}\`, \`name\`, \`is_custom_property\`)`,
  ])
}

/** The 15 tables, in MLMD's creation order. */
export const TABLES: readonly { readonly name: string; readonly ddl: string }[] = [
  {
    name: 'Type',
    ddl: createTable('Type', [
      '`id` INTEGER PRIMARY KEY AUTOINCREMENT',
      '`name` VARCHAR(255) NOT NULL',
      '`version` VARCHAR(255)',
      '`type_kind` TINYINT(1) NOT NULL',
      '`description` TEXT',
      '`input_type` TEXT',
      '`output_type` TEXT',
      '`external_id` VARCHAR(255) UNIQUE',
    ]),
  },
  {
    name: 'TypeProperty',
    ddl: createTable('TypeProperty', [
      '`type_id` INT NOT NULL',
      '`name` VARCHAR(255) NOT NULL',
      '`data_type` INT NULL',
      'PRIMARY KEY (`type_id`, `name`)',
    ]),
  },
  {
    name: 'ParentType',
    ddl: createTable('ParentType', [
      '`type_id` INT NOT NULL',
      '`parent_type_id` INT NOT NULL',
      'PRIMARY KEY (`type_id`, `parent_type_id`)',
    ]),
  },
  {
    name: 'Artifact',
    ddl: createTable('Artifact', [
      '`id` INTEGER PRIMARY KEY AUTOINCREMENT',
      '`type_id` INT NOT NULL',
      '`uri` TEXT',
      '`state` INT',
      '`name` VARCHAR(255)',
      '`external_id` VARCHAR(255) UNIQUE',
      '`create_time_since_epoch` INT NOT NULL DEFAULT 0',
      '`last_update_time_since_epoch` INT NOT NULL DEFAULT 0',
      'UNIQUE(`type_id`, `name`)',
    ]),
  },
  { name: 'ArtifactProperty', ddl: propertyTable('ArtifactProperty', 'artifact_id') },
  {
    name: 'Execution',
    ddl: createTable('Execution', [
      '`id` INTEGER PRIMARY KEY AUTOINCREMENT',
      '`type_id` INT NOT NULL',
      '`last_known_state` INT',
      '`name` VARCHAR(255)',
      '`external_id` VARCHAR(255) UNIQUE',
      '`create_time_since_epoch` INT NOT NULL DEFAULT 0',
      '`last_update_time_since_epoch` INT NOT NULL DEFAULT 0',
      'UNIQUE(`type_id`, `name`)',
    ]),
  },
  { name: 'ExecutionProperty', ddl: propertyTable('ExecutionProperty', 'execution_id') },
  {
    name: 'Event',
    ddl: createTable('Event', [
      '`id` INTEGER PRIMARY KEY AUTOINCREMENT',
      '`artifact_id` INT NOT NULL',
      '`execution_id` INT NOT NULL',
      '`type` INT NOT NULL',
      '`milliseconds_since_epoch` INT',
      'UNIQUE(`artifact_id`, `execution_id`, `type`)',
    ]),
  },
  {
    name: 'EventPath',
    ddl: createTable('EventPath', [
      '`event_id` INT NOT NULL',
      '`is_index_step` TINYINT(1) NOT NULL',
      '`step_index` INT',
      '`step_key` TEXT',
    ]),
  },
  { name: 'MLMDEnv', ddl: createTable('MLMDEnv', ['`schema_version` INTEGER PRIMARY KEY']) },
  {
    name: 'Context',
    ddl: createTable('Context', [
      '`id` INTEGER PRIMARY KEY AUTOINCREMENT',
      '`type_id` INT NOT NULL',
      '`name` VARCHAR(255) NOT NULL',
      '`external_id` VARCHAR(255) UNIQUE',
      '`create_time_since_epoch` INT NOT NULL DEFAULT 0',
      '`last_update_time_since_epoch` INT NOT NULL DEFAULT 0',
      'UNIQUE(`type_id`, `name`)',
    ]),
  },
  { name: 'ContextProperty', ddl: propertyTable('ContextProperty', 'context_id') },
  {
    name: 'ParentContext',
    ddl: createTable('ParentContext', [
      '`context_id` INT NOT NULL',
      '`parent_context_id` INT NOT NULL',
      'PRIMARY KEY (`context_id`, `parent_context_id`)',
    ]),
  },
  {
    name: 'Association',
    ddl: createTable('Association', [
      '`id` INTEGER PRIMARY KEY AUTOINCREMENT',
      '`context_id` INT NOT NULL',
      '`execution_id` INT NOT NULL',
      'UNIQUE(`context_id`, `execution_id`)',
    ]),
  },
  {
    name: 'Attribution',
    ddl: createTable('Attribution', [
      '`id` INTEGER PRIMARY KEY AUTOINCREMENT',
      '`context_id` INT NOT NULL',
      '`artifact_id` INT NOT NULL',
      'UNIQUE(`context_id`, `artifact_id`)',
    ]),
  },
]

function index(name: string, table: string, columns: readonly string[], where?: string): string {
  const cols = columns.map((c) => `\`${c}\``).join(', ')
  return `CREATE INDEX IF NOT EXISTS \`${name}\` ON \`${table}\`(${cols})${where ? ` WHERE \`${where}\` IS NOT NULL` : ''}`
}

function propertyIndices(prefix: string, table: string): string[] {
  return (['int', 'double', 'string'] as const).map((kind) =>
    index(
      `idx_${prefix}_property_${kind}`,
      table,
      ['name', 'is_custom_property', `${kind}_value`],
      `${kind}_value`,
    ),
  )
}

/** The 24 secondary indices of schema v10, with MLMD's names, in MLMD's order. */
export const INDICES: readonly string[] = [
  index('idx_artifact_uri', 'Artifact', ['uri']),
  index('idx_artifact_create_time_since_epoch', 'Artifact', ['create_time_since_epoch']),
  index('idx_artifact_last_update_time_since_epoch', 'Artifact', ['last_update_time_since_epoch']),
  index('idx_event_execution_id', 'Event', ['execution_id']),
  index('idx_parentcontext_parent_context_id', 'ParentContext', ['parent_context_id']),
  index('idx_type_name', 'Type', ['name']),
  index('idx_execution_create_time_since_epoch', 'Execution', ['create_time_since_epoch']),
  index('idx_execution_last_update_time_since_epoch', 'Execution', ['last_update_time_since_epoch']),
  index('idx_context_create_time_since_epoch', 'Context', ['create_time_since_epoch']),
  index('idx_context_last_update_time_since_epoch', 'Context', ['last_update_time_since_epoch']),
  index('idx_eventpath_event_id', 'EventPath', ['event_id']),
  ...propertyIndices('artifact', 'ArtifactProperty'),
  ...propertyIndices('execution', 'ExecutionProperty'),
  ...propertyIndices('context', 'ContextProperty'),
  index('idx_type_external_id', 'Type', ['external_id']),
  index('idx_artifact_external_id', 'Artifact', ['external_id']),
  index('idx_execution_external_id', 'Execution', ['external_id']),
  index('idx_context_external_id', 'Context', ['external_id']),
]

/**
 * Two lookup indices mlmd-ts adds to MLMD's set. Schema v10 can find the links of a context
 * (`UNIQUE(context_id, …)`) but not the contexts of an artifact or an execution, so every such
 * read (`GetContextsByArtifact`, the contexts of a lineage subgraph, a `contexts_…` filter term
 * checked per artifact) scans the whole link table and grows with the store. Tables and columns
 * are untouched and MLMD never looks at indices it did not create, so the file stays MLMD's:
 * MLMD 1.16 opens it, reads and writes it, and its own queries use these indices too.
 * Created with the schema, and on opening a writable file that lacks them (a file written by
 * MLMD), so every file mlmd-ts writes to has them.
 */
export const LOOKUP_INDICES: readonly string[] = [
  index('idx_attribution_artifact_id', 'Attribution', ['artifact_id']),
  index('idx_association_execution_id', 'Association', ['execution_id']),
]

/**
 * The "simple types" MLMD seeds into every store, in seeding order. On a fresh file they get
 * ids 1–9. `base_type` on a user type is stored as a `ParentType` link to one of them;
 * `baseType` is the `SystemDefinedBaseType` enum number that stands for each.
 */
export const SIMPLE_TYPES: readonly {
  readonly name: string
  readonly kind: TypeKind
  readonly baseType: number
}[] = [
  { name: 'mlmd.Dataset', kind: TypeKind.ARTIFACT, baseType: 1 },
  { name: 'mlmd.Model', kind: TypeKind.ARTIFACT, baseType: 2 },
  { name: 'mlmd.Metrics', kind: TypeKind.ARTIFACT, baseType: 3 },
  { name: 'mlmd.Statistics', kind: TypeKind.ARTIFACT, baseType: 4 },
  { name: 'mlmd.Train', kind: TypeKind.EXECUTION, baseType: 1 },
  { name: 'mlmd.Transform', kind: TypeKind.EXECUTION, baseType: 2 },
  { name: 'mlmd.Process', kind: TypeKind.EXECUTION, baseType: 3 },
  { name: 'mlmd.Evaluate', kind: TypeKind.EXECUTION, baseType: 4 },
  { name: 'mlmd.Deploy', kind: TypeKind.EXECUTION, baseType: 5 },
]
