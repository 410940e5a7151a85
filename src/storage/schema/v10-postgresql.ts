/**
 * MLMD's PostgreSQL schema at version 10 (ml-metadata 1.11.0 … 1.16.0), kept as data.
 *
 * Names are unquoted, as MLMD writes them, so PostgreSQL folds them to lower case (`artifact`,
 * `artifactproperty`, `mlmdenv`), and the constraint names PostgreSQL derives from them are
 * MLMD's (`artifact_pkey`, `artifact_external_id_key`, `uniqueartifacttypename`). Ids are
 * SERIAL (32-bit), times BIGINT, `int_value` INTEGER (32-bit), flags BOOLEAN, `type_kind`
 * SMALLINT, and `proto_value` holds the serialized Any as raw BYTEA — not the base64 text of the
 * SQLite and MySQL schemas. A database the real MLMD created is served as it is, and the other
 * way round.
 */

const PROPERTY_COLUMNS =
  'name VARCHAR(255) NOT NULL, is_custom_property BOOLEAN NOT NULL, int_value INT, ' +
  'double_value DOUBLE PRECISION, string_value TEXT, byte_value BYTEA, proto_value BYTEA, bool_value BOOLEAN'

const NODE_TIMES =
  'create_time_since_epoch BIGINT NOT NULL DEFAULT 0, last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0'

/** The tables of schema v10, in the order MLMD creates them. */
export const POSTGRESQL_TABLES: readonly { readonly name: string; readonly ddl: string }[] = [
  {
    name: 'type',
    ddl:
      'CREATE TABLE IF NOT EXISTS Type ( id SERIAL PRIMARY KEY, name VARCHAR(255) NOT NULL, ' +
      'version VARCHAR(255), type_kind SMALLINT NOT NULL, description TEXT, input_type TEXT, ' +
      'output_type TEXT, external_id VARCHAR(255) UNIQUE )',
  },
  {
    name: 'parenttype',
    ddl:
      'CREATE TABLE IF NOT EXISTS ParentType ( type_id INT NOT NULL, parent_type_id INT NOT NULL, ' +
      'PRIMARY KEY (type_id, parent_type_id) )',
  },
  {
    name: 'typeproperty',
    ddl:
      'CREATE TABLE IF NOT EXISTS TypeProperty ( type_id INT NOT NULL, name VARCHAR(255) NOT NULL, ' +
      'data_type INT NULL, PRIMARY KEY (type_id, name) )',
  },
  {
    name: 'artifact',
    ddl:
      'CREATE TABLE IF NOT EXISTS Artifact ( id SERIAL PRIMARY KEY, type_id INT NOT NULL, uri TEXT, ' +
      `state INT, name VARCHAR(255), external_id VARCHAR(255) UNIQUE, ${NODE_TIMES}, ` +
      'CONSTRAINT UniqueArtifactTypeName UNIQUE(type_id, name) )',
  },
  {
    name: 'artifactproperty',
    ddl:
      `CREATE TABLE IF NOT EXISTS ArtifactProperty ( artifact_id INT NOT NULL, ${PROPERTY_COLUMNS}, ` +
      'PRIMARY KEY (artifact_id, name, is_custom_property) )',
  },
  {
    name: 'execution',
    ddl:
      'CREATE TABLE IF NOT EXISTS Execution ( id SERIAL PRIMARY KEY, type_id INT NOT NULL, ' +
      `last_known_state INT, name VARCHAR(255), external_id VARCHAR(255) UNIQUE, ${NODE_TIMES}, ` +
      'CONSTRAINT UniqueExecutionTypeName UNIQUE(type_id, name) )',
  },
  {
    name: 'executionproperty',
    ddl:
      `CREATE TABLE IF NOT EXISTS ExecutionProperty ( execution_id INT NOT NULL, ${PROPERTY_COLUMNS}, ` +
      'PRIMARY KEY (execution_id, name, is_custom_property) )',
  },
  {
    name: 'context',
    ddl:
      'CREATE TABLE IF NOT EXISTS Context ( id SERIAL PRIMARY KEY, type_id INT NOT NULL, ' +
      `name VARCHAR(255) NOT NULL, external_id VARCHAR(255) UNIQUE, ${NODE_TIMES}, UNIQUE(type_id, name) )`,
  },
  {
    name: 'contextproperty',
    ddl:
      `CREATE TABLE IF NOT EXISTS ContextProperty ( context_id INT NOT NULL, ${PROPERTY_COLUMNS}, ` +
      'PRIMARY KEY (context_id, name, is_custom_property) )',
  },
  {
    name: 'parentcontext',
    ddl:
      'CREATE TABLE IF NOT EXISTS ParentContext ( context_id INT NOT NULL, parent_context_id INT NOT NULL, ' +
      'PRIMARY KEY (context_id, parent_context_id) )',
  },
  {
    name: 'event',
    ddl:
      'CREATE TABLE IF NOT EXISTS Event ( id SERIAL PRIMARY KEY, artifact_id INT NOT NULL, ' +
      'execution_id INT NOT NULL, type INT NOT NULL, milliseconds_since_epoch BIGINT, ' +
      'CONSTRAINT UniqueEvent UNIQUE(artifact_id, execution_id, type) )',
  },
  {
    name: 'eventpath',
    ddl:
      'CREATE TABLE IF NOT EXISTS EventPath ( event_id INT NOT NULL, is_index_step BOOLEAN NOT NULL, ' +
      'step_index INT, step_key TEXT )',
  },
  {
    name: 'association',
    ddl:
      'CREATE TABLE IF NOT EXISTS Association ( id SERIAL PRIMARY KEY, context_id INT NOT NULL, ' +
      'execution_id INT NOT NULL, UNIQUE(context_id, execution_id) )',
  },
  {
    name: 'attribution',
    ddl:
      'CREATE TABLE IF NOT EXISTS Attribution ( id SERIAL PRIMARY KEY, context_id INT NOT NULL, ' +
      'artifact_id INT NOT NULL, UNIQUE(context_id, artifact_id) )',
  },
  { name: 'mlmdenv', ddl: 'CREATE TABLE IF NOT EXISTS MLMDEnv ( schema_version INTEGER PRIMARY KEY )' },
]

function index(name: string, table: string, columns: readonly string[]): string {
  return `CREATE INDEX IF NOT EXISTS ${name} ON ${table} (${columns.join(', ')})`
}

function propertyIndices(kind: string, table: string): string[] {
  return (['int', 'double', 'string'] as const).map((value) =>
    index(`idx_${kind}_property_${value}`, table, ['name', 'is_custom_property', `${value}_value`]),
  )
}

/** MLMD's secondary indices of schema v10 on PostgreSQL, with its names. */
export const POSTGRESQL_INDICES: readonly string[] = [
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
 * The two lookup indices mlmd-ts adds on every engine (the contexts of an artifact or an
 * execution; MLMD's schema can only find the links of a context). MLMD ignores indices it did
 * not create, so the database stays MLMD's.
 */
export const POSTGRESQL_LOOKUP_INDICES: readonly string[] = [
  index('idx_attribution_artifact_id', 'Attribution', ['artifact_id']),
  index('idx_association_execution_id', 'Association', ['execution_id']),
]
