/**
 * MLMD's PostgreSQL schema history as data: for each version 1 to 10, the statements that
 * upgrade to it and the statements that downgrade to it. PostgreSQL came to MLMD after schema
 * version 0, so, as in MLMD, there is no version 0 here (a downgrade to it is refused).
 *
 * The steps keep MLMD's results (what each version holds, what a downgrade drops) but not three
 * of its PostgreSQL statements, which lose data or break the database:
 * - MLMD's step to 9 rebuilds `Type`, `Artifact`, `Execution` and `Context` with INT time
 *   columns, so a database holding any real timestamp (milliseconds since 1970 exceed 32 bits)
 *   fails to upgrade with "integer out of range"; and the rebuilt tables get new id sequences
 *   starting at 1, so the next insert would collide with an existing id. Here the step adds
 *   `external_id` in place: the times stay BIGINT, the sequences stay.
 * - MLMD's step to 8 rebuilds `Event` the same way (its sequence restarts); here the duplicate
 *   events are deleted in place, keeping the newest one of each (artifact, execution, type) as
 *   MLMD does, before the unique constraint is added.
 * - MLMD's downgrade from 9 to 8 runs nothing, leaving the external ids behind (its step to 9
 *   then drops their values); here the downgrade drops them, as the SQLite and MySQL ones do.
 * The step to 10 also turns the 0/1 SMALLINT flags of databases created before version 10 into
 * the BOOLEAN columns MLMD's version 10 creates, so an upgraded database has the same column
 * types as a new one.
 *
 * PostgreSQL folds the unquoted names to lower case, as in MLMD's own statements.
 */
import type { MigrationScheme } from './migration-scheme.js'
import { SQLITE_MIGRATIONS } from './sqlite.js'

const PROPERTY_TABLES = [
  { table: 'ArtifactProperty', prefix: 'artifact' },
  { table: 'ExecutionProperty', prefix: 'execution' },
  { table: 'ContextProperty', prefix: 'context' },
] as const

const index = (name: string, table: string, columns: string): string =>
  `CREATE INDEX IF NOT EXISTS ${name} ON ${table} (${columns})`

const PROPERTY_INDICES = PROPERTY_TABLES.flatMap(({ table, prefix }) =>
  (['int', 'double', 'string'] as const).map((kind) => ({
    name: `idx_${prefix}_property_${kind}`,
    ddl: index(`idx_${prefix}_property_${kind}`, table, `name, is_custom_property, ${kind}_value`),
  })),
)

const V6_INDICES = [
  { name: 'idx_artifact_uri', ddl: index('idx_artifact_uri', 'Artifact', 'uri') },
  ...(['Artifact', 'Execution', 'Context'] as const).flatMap((table) =>
    (['create_time_since_epoch', 'last_update_time_since_epoch'] as const).map((column) => ({
      name: `idx_${table.toLowerCase()}_${column}`,
      ddl: index(`idx_${table.toLowerCase()}_${column}`, table, column),
    })),
  ),
  { name: 'idx_event_artifact_id', ddl: index('idx_event_artifact_id', 'Event', 'artifact_id') },
  { name: 'idx_event_execution_id', ddl: index('idx_event_execution_id', 'Event', 'execution_id') },
  {
    name: 'idx_parentcontext_parent_context_id',
    ddl: index('idx_parentcontext_parent_context_id', 'ParentContext', 'parent_context_id'),
  },
  { name: 'idx_type_name', ddl: index('idx_type_name', 'Type', 'name') },
]

const EXTERNAL_ID_TABLES = ['Type', 'Artifact', 'Execution', 'Context'] as const

// The shape of each version is the same on every engine (table and column names); only the
// column types differ, which the checks do not compare.
const shape = (version: number) => {
  const scheme = SQLITE_MIGRATIONS.schemes.get(version)
  if (scheme === undefined) throw new Error(`no SQLite shape for version ${version}`)
  return { tables: scheme.shape.tables, indices: [] }
}

const SCHEMES: ReadonlyMap<number, MigrationScheme> = new Map<number, MigrationScheme>([
  [
    1,
    {
      upgrade: ['CREATE TABLE IF NOT EXISTS MLMDEnv ( schema_version INT PRIMARY KEY )'],
      // Context types go with version 2's column, which becomes a flag again.
      downgrade: [
        'DELETE FROM Type WHERE type_kind = 2',
        'ALTER TABLE Type RENAME COLUMN type_kind TO is_artifact_type',
      ],
      shape: shape(1),
    },
  ],
  [
    2,
    {
      upgrade: ['ALTER TABLE Type RENAME COLUMN is_artifact_type TO type_kind'],
      downgrade: ['DROP TABLE IF EXISTS Context', 'DROP TABLE IF EXISTS ContextProperty'],
      shape: shape(2),
    },
  ],
  [
    3,
    {
      upgrade: [
        'CREATE TABLE IF NOT EXISTS Context ( id SERIAL PRIMARY KEY, type_id INT NOT NULL, ' +
          'name VARCHAR(255) NOT NULL, UNIQUE(type_id, name) )',
        'CREATE TABLE IF NOT EXISTS ContextProperty ( context_id INT NOT NULL, name VARCHAR(255) NOT NULL, ' +
          'is_custom_property SMALLINT NOT NULL, int_value INT, double_value DOUBLE PRECISION, ' +
          'string_value TEXT, PRIMARY KEY (context_id, name, is_custom_property) )',
      ],
      downgrade: ['DROP TABLE IF EXISTS Association', 'DROP TABLE IF EXISTS Attribution'],
      shape: shape(3),
    },
  ],
  [
    4,
    {
      upgrade: [
        'CREATE TABLE IF NOT EXISTS Association ( id SERIAL PRIMARY KEY, context_id INT NOT NULL, ' +
          'execution_id INT NOT NULL, UNIQUE(context_id, execution_id) )',
        'CREATE TABLE IF NOT EXISTS Attribution ( id SERIAL PRIMARY KEY, context_id INT NOT NULL, ' +
          'artifact_id INT NOT NULL, UNIQUE(context_id, artifact_id) )',
      ],
      // Dropping `name` drops the (type_id, name) constraints and the time indices with it.
      downgrade: [
        'ALTER TABLE Artifact DROP COLUMN state, DROP COLUMN name, DROP COLUMN create_time_since_epoch, ' +
          'DROP COLUMN last_update_time_since_epoch',
        'ALTER TABLE Execution DROP COLUMN last_known_state, DROP COLUMN name, ' +
          'DROP COLUMN create_time_since_epoch, DROP COLUMN last_update_time_since_epoch',
        'ALTER TABLE Context DROP COLUMN create_time_since_epoch, DROP COLUMN last_update_time_since_epoch',
      ],
      shape: shape(4),
    },
  ],
  [
    5,
    {
      upgrade: [
        'ALTER TABLE Artifact ADD COLUMN state INT, ADD COLUMN name VARCHAR(255), ' +
          'ADD COLUMN create_time_since_epoch BIGINT NOT NULL DEFAULT 0, ' +
          'ADD COLUMN last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0, ' +
          'ADD CONSTRAINT UniqueArtifactTypeName UNIQUE (type_id, name)',
        'ALTER TABLE Execution ADD COLUMN last_known_state INT, ADD COLUMN name VARCHAR(255), ' +
          'ADD COLUMN create_time_since_epoch BIGINT NOT NULL DEFAULT 0, ' +
          'ADD COLUMN last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0, ' +
          'ADD CONSTRAINT UniqueExecutionTypeName UNIQUE (type_id, name)',
        'ALTER TABLE Context ADD COLUMN create_time_since_epoch BIGINT NOT NULL DEFAULT 0, ' +
          'ADD COLUMN last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0',
      ],
      downgrade: [
        'DROP TABLE IF EXISTS ParentType',
        'DROP TABLE IF EXISTS ParentContext',
        'ALTER TABLE Type DROP COLUMN version, DROP COLUMN description',
        ...V6_INDICES.map((i) => `DROP INDEX IF EXISTS ${i.name}`),
      ],
      shape: shape(5),
    },
  ],
  [
    6,
    {
      upgrade: [
        'CREATE TABLE IF NOT EXISTS ParentType ( type_id INT NOT NULL, parent_type_id INT NOT NULL, ' +
          'PRIMARY KEY (type_id, parent_type_id) )',
        'CREATE TABLE IF NOT EXISTS ParentContext ( context_id INT NOT NULL, parent_context_id INT NOT NULL, ' +
          'PRIMARY KEY (context_id, parent_context_id) )',
        'ALTER TABLE Type ADD COLUMN version VARCHAR(255), ADD COLUMN description TEXT',
        ...V6_INDICES.map((i) => i.ddl),
      ],
      // MLMD cuts string values to MySQL TEXT's 65,535 characters on every engine.
      downgrade: [
        ...PROPERTY_TABLES.flatMap(({ table }) => [
          `ALTER TABLE ${table} DROP COLUMN byte_value`,
          `UPDATE ${table} SET string_value = SUBSTRING(string_value, 1, 65535) WHERE length(string_value) > 65535`,
        ]),
        'DROP INDEX IF EXISTS idx_eventpath_event_id',
      ],
      shape: shape(6),
    },
  ],
  [
    7,
    {
      upgrade: [
        ...PROPERTY_TABLES.map(({ table }) => `ALTER TABLE ${table} ADD COLUMN byte_value BYTEA`),
        index('idx_eventpath_event_id', 'EventPath', 'event_id'),
      ],
      downgrade: [
        'ALTER TABLE Event DROP CONSTRAINT IF EXISTS UniqueEvent',
        index('idx_event_artifact_id', 'Event', 'artifact_id'),
        ...PROPERTY_INDICES.map((i) => `DROP INDEX IF EXISTS ${i.name}`),
      ],
      shape: shape(7),
    },
  ],
  [
    8,
    {
      upgrade: [
        ...PROPERTY_INDICES.map((i) => i.ddl),
        // One event per (artifact, execution, type): the newest, as MLMD keeps.
        'DELETE FROM Event AS older USING Event AS newer WHERE older.artifact_id = newer.artifact_id ' +
          'AND older.execution_id = newer.execution_id AND older.type = newer.type AND older.id < newer.id',
        'ALTER TABLE Event ADD CONSTRAINT UniqueEvent UNIQUE (artifact_id, execution_id, type)',
        'DROP INDEX IF EXISTS idx_event_artifact_id',
        index('idx_event_execution_id', 'Event', 'execution_id'),
        'DELETE FROM EventPath WHERE event_id NOT IN (SELECT id FROM Event)',
      ],
      downgrade: [
        ...EXTERNAL_ID_TABLES.map((t) => `DROP INDEX IF EXISTS idx_${t.toLowerCase()}_external_id`),
        ...EXTERNAL_ID_TABLES.map((t) => `ALTER TABLE ${t} DROP COLUMN IF EXISTS external_id`),
      ],
      shape: shape(8),
    },
  ],
  [
    9,
    {
      // A database MLMD downgraded below 9 still has the columns (see above); MLMD's step to 9
      // does not carry their values over, and neither does this one.
      upgrade: [
        ...EXTERNAL_ID_TABLES.map(
          (t) =>
            `ALTER TABLE ${t} DROP COLUMN IF EXISTS external_id, ADD COLUMN external_id VARCHAR(255) UNIQUE`,
        ),
        ...EXTERNAL_ID_TABLES.map((t) => index(`idx_${t.toLowerCase()}_external_id`, t, 'external_id')),
      ],
      // Bool and proto values go; a property that held one stays as a row without a value, as
      // in MLMD.
      downgrade: PROPERTY_TABLES.map(
        ({ table }) => `ALTER TABLE ${table} DROP COLUMN proto_value, DROP COLUMN bool_value`,
      ),
      shape: shape(9),
    },
  ],
  [
    10,
    {
      upgrade: [
        ...PROPERTY_TABLES.flatMap(({ table }) => [
          `ALTER TABLE ${table} ADD COLUMN proto_value BYTEA, ADD COLUMN bool_value BOOLEAN`,
          `ALTER TABLE ${table} ALTER COLUMN is_custom_property TYPE BOOLEAN USING is_custom_property::int <> 0`,
        ]),
        'ALTER TABLE EventPath ALTER COLUMN is_index_step TYPE BOOLEAN USING is_index_step::int <> 0',
      ],
      downgrade: [],
      shape: shape(10),
    },
  ],
])

/** MLMD's PostgreSQL migrations, versions 1 to 10. */
export const POSTGRESQL_MIGRATIONS = {
  engine: 'postgresql',
  oldest: 1,
  latest: 10,
  schemes: SCHEMES,
  setVersion: 'UPDATE MLMDEnv SET schema_version = $1',
} as const
