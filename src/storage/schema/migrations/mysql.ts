/**
 * MLMD's MySQL schema history as data: for each version 0 (ml-metadata 0.13.2) to 10, the
 * statements that upgrade to it and the statements that downgrade to it. They do what MLMD
 * 1.16's MySQL migration queries do, step for step (MySQL can alter tables in place, so unlike
 * SQLite only `Event` is ever rebuilt), so a database migrated here reads back in MLMD exactly
 * like one MLMD migrated.
 *
 * MySQL commits every DDL statement on its own: a step cannot be undone once it has started.
 * The runner records the version after every step, so an interrupted migration leaves the
 * database at the last version it completed, plus part of the next step (see `migrate.ts`).
 * So that such a half step never blocks the next run, every statement that cannot simply run
 * twice names the catalog facts that show it has run (`done`), and the re-run skips it. Two
 * steps differ from MLMD's statements for the same reason: the step to 1 creates and fills
 * `MLMDEnv` in one statement (MLMD's two leave an empty `MLMDEnv` between them, a database
 * whose version nobody can tell), and the step to 8 swaps the rebuilt `Event` in with one
 * atomic `RENAME TABLE` instead of dropping the old table first (MLMD's order leaves a database
 * without `Event` between the two statements).
 */
import type { CatalogFact, MigrationScheme } from './migration-scheme.js'
import { SQLITE_MIGRATIONS } from './sqlite.js'

/** A statement, and what shows it has run (absent: it may run again). */
interface Statement {
  readonly sql: string
  readonly done?: readonly CatalogFact[]
}

const column = (table: string, name: string, present = true): CatalogFact => ({
  table,
  column: name,
  present,
})
const index = (table: string, name: string, present = true): CatalogFact => ({ table, index: name, present })
const table = (name: string, present = true): CatalogFact => ({ table: name, present })
const run = (sql: string, ...done: CatalogFact[]): Statement => (done.length > 0 ? { sql, done } : { sql })

const PROPERTY_TABLES = [
  { table: 'ArtifactProperty', prefix: 'artifact' },
  { table: 'ExecutionProperty', prefix: 'execution' },
  { table: 'ContextProperty', prefix: 'context' },
] as const
const EXTERNAL_ID_TABLES = ['Type', 'Artifact', 'Execution', 'Context'] as const

const shape = (version: number) => {
  const scheme = SQLITE_MIGRATIONS.schemes.get(version)
  if (scheme === undefined) throw new Error(`no SQLite shape for version ${version}`)
  return { tables: scheme.shape.tables, indices: [] }
}

const TIME_INDICES = {
  Artifact: ['idx_artifact_create_time_since_epoch', 'idx_artifact_last_update_time_since_epoch'],
  Execution: ['idx_execution_create_time_since_epoch', 'idx_execution_last_update_time_since_epoch'],
  Context: ['idx_context_create_time_since_epoch', 'idx_context_last_update_time_since_epoch'],
} as const

// Per version: the statements up to it and down to it (see the header for `done`).
const STEPS: ReadonlyMap<number, { up: readonly Statement[]; down: readonly Statement[] }> = new Map([
  [0, { up: [], down: [run('DROP TABLE IF EXISTS `MLMDEnv`')] }],
  [
    1,
    {
      up: [
        run(
          'CREATE TABLE `MLMDEnv` ( `schema_version` INTEGER PRIMARY KEY ) SELECT 0 AS `schema_version`',
          table('MLMDEnv'),
        ),
      ],
      down: [
        run('DELETE FROM `Type` WHERE `type_kind` = 2', column('Type', 'type_kind', false)),
        run(
          'ALTER TABLE `Type` CHANGE COLUMN `type_kind` `is_artifact_type` TINYINT(1) NOT NULL',
          column('Type', 'type_kind', false),
        ),
      ],
    },
  ],
  [
    2,
    {
      up: [
        run(
          'ALTER TABLE `Type` CHANGE COLUMN `is_artifact_type` `type_kind` TINYINT(1) NOT NULL',
          column('Type', 'type_kind'),
        ),
      ],
      down: [run('DROP TABLE IF EXISTS `Context`'), run('DROP TABLE IF EXISTS `ContextProperty`')],
    },
  ],
  [
    3,
    {
      up: [
        run(
          'CREATE TABLE IF NOT EXISTS `Context` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `type_id` INT NOT NULL, ' +
            '`name` VARCHAR(255) NOT NULL, UNIQUE(`type_id`, `name`) )',
        ),
        run(
          'CREATE TABLE IF NOT EXISTS `ContextProperty` ( `context_id` INT NOT NULL, `name` VARCHAR(255) NOT NULL, ' +
            '`is_custom_property` TINYINT(1) NOT NULL, `int_value` INT, `double_value` DOUBLE, `string_value` TEXT, ' +
            'PRIMARY KEY (`context_id`, `name`, `is_custom_property`) )',
        ),
      ],
      down: [run('DROP TABLE IF EXISTS `Association`'), run('DROP TABLE IF EXISTS `Attribution`')],
    },
  ],
  [
    4,
    {
      up: [
        run(
          'CREATE TABLE IF NOT EXISTS `Association` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, ' +
            '`context_id` INT NOT NULL, `execution_id` INT NOT NULL, UNIQUE(`context_id`, `execution_id`) )',
        ),
        run(
          'CREATE TABLE IF NOT EXISTS `Attribution` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, ' +
            '`context_id` INT NOT NULL, `artifact_id` INT NOT NULL, UNIQUE(`context_id`, `artifact_id`) )',
        ),
      ],
      down: [
        run(
          'ALTER TABLE `Artifact` DROP INDEX `UniqueArtifactTypeName`',
          index('Artifact', 'UniqueArtifactTypeName', false),
        ),
        run(
          'ALTER TABLE `Artifact` DROP COLUMN `state`, DROP COLUMN `name`, DROP COLUMN `create_time_since_epoch`, ' +
            'DROP COLUMN `last_update_time_since_epoch`',
          column('Artifact', 'state', false),
        ),
        run(
          'ALTER TABLE `Execution` DROP INDEX `UniqueExecutionTypeName`',
          index('Execution', 'UniqueExecutionTypeName', false),
        ),
        run(
          'ALTER TABLE `Execution` DROP COLUMN `last_known_state`, DROP COLUMN `name`, ' +
            'DROP COLUMN `create_time_since_epoch`, DROP COLUMN `last_update_time_since_epoch`',
          column('Execution', 'last_known_state', false),
        ),
        run(
          'ALTER TABLE `Context` DROP COLUMN `create_time_since_epoch`, DROP COLUMN `last_update_time_since_epoch`',
          column('Context', 'create_time_since_epoch', false),
        ),
      ],
    },
  ],
  [
    5,
    {
      up: [
        run(
          'ALTER TABLE `Artifact` ADD ( `state` INT, `name` VARCHAR(255), ' +
            '`create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, `last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0 ), ' +
            'ADD CONSTRAINT UniqueArtifactTypeName UNIQUE(`type_id`, `name`)',
          column('Artifact', 'state'),
        ),
        run(
          'ALTER TABLE `Execution` ADD ( `last_known_state` INT, `name` VARCHAR(255), ' +
            '`create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, `last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0 ), ' +
            'ADD CONSTRAINT UniqueExecutionTypeName UNIQUE(`type_id`, `name`)',
          column('Execution', 'last_known_state'),
        ),
        run(
          'ALTER TABLE `Context` ADD ( `create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, ' +
            '`last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0 )',
          column('Context', 'create_time_since_epoch'),
        ),
      ],
      down: [
        run('DROP TABLE `ParentType`', table('ParentType', false)),
        run('DROP TABLE `ParentContext`', table('ParentContext', false)),
        run(
          'ALTER TABLE `Type` DROP COLUMN `version`, DROP COLUMN `description`',
          column('Type', 'version', false),
        ),
        run(
          'ALTER TABLE `Artifact` DROP INDEX `idx_artifact_uri`, ' +
            TIME_INDICES.Artifact.map((i) => `DROP INDEX \`${i}\``).join(', '),
          index('Artifact', 'idx_artifact_uri', false),
        ),
        run(
          'ALTER TABLE `Event` DROP INDEX `idx_event_artifact_id`, DROP INDEX `idx_event_execution_id`',
          index('Event', 'idx_event_artifact_id', false),
        ),
        run('ALTER TABLE `Type` DROP INDEX `idx_type_name`', index('Type', 'idx_type_name', false)),
        run(
          `ALTER TABLE \`Execution\` ${TIME_INDICES.Execution.map((i) => `DROP INDEX \`${i}\``).join(', ')}`,
          index('Execution', TIME_INDICES.Execution[0], false),
        ),
        run(
          `ALTER TABLE \`Context\` ${TIME_INDICES.Context.map((i) => `DROP INDEX \`${i}\``).join(', ')}`,
          index('Context', TIME_INDICES.Context[0], false),
        ),
      ],
    },
  ],
  [
    6,
    {
      up: [
        run(
          'CREATE TABLE IF NOT EXISTS `ParentType` ( `type_id` INT NOT NULL, `parent_type_id` INT NOT NULL, ' +
            'PRIMARY KEY (`type_id`, `parent_type_id`) )',
        ),
        run(
          'CREATE TABLE IF NOT EXISTS `ParentContext` ( `context_id` INT NOT NULL, `parent_context_id` INT NOT NULL, ' +
            'PRIMARY KEY (`context_id`, `parent_context_id`) )',
        ),
        run(
          'ALTER TABLE `Type` ADD ( `version` VARCHAR(255), `description` TEXT )',
          column('Type', 'version'),
        ),
        run(
          'ALTER TABLE `Artifact` ADD INDEX `idx_artifact_uri` (`uri`(255)), ' +
            TIME_INDICES.Artifact.map(
              (i) => `ADD INDEX \`${i}\` (\`${i.replace(/^idx_artifact_/, '')}\`)`,
            ).join(', '),
          index('Artifact', 'idx_artifact_uri'),
        ),
        run(
          'ALTER TABLE `Event` ADD INDEX `idx_event_artifact_id` (`artifact_id`), ' +
            'ADD INDEX `idx_event_execution_id` (`execution_id`)',
          index('Event', 'idx_event_artifact_id'),
        ),
        run(
          'ALTER TABLE `ParentContext` ADD INDEX `idx_parentcontext_parent_context_id` (`parent_context_id`)',
          index('ParentContext', 'idx_parentcontext_parent_context_id'),
        ),
        run('ALTER TABLE `Type` ADD INDEX `idx_type_name` (`name`)', index('Type', 'idx_type_name')),
        run(
          `ALTER TABLE \`Execution\` ${TIME_INDICES.Execution.map((i) => `ADD INDEX \`${i}\` (\`${i.replace(/^idx_execution_/, '')}\`)`).join(', ')}`,
          index('Execution', TIME_INDICES.Execution[0]),
        ),
        run(
          `ALTER TABLE \`Context\` ${TIME_INDICES.Context.map((i) => `ADD INDEX \`${i}\` (\`${i.replace(/^idx_context_/, '')}\`)`).join(', ')}`,
          index('Context', TIME_INDICES.Context[0]),
        ),
      ],
      // Version 6 kept string values as TEXT (65,535 bytes); longer ones are cut, as in MLMD.
      down: [
        ...PROPERTY_TABLES.map(({ table: t }) =>
          run(`ALTER TABLE \`${t}\` DROP COLUMN \`byte_value\``, column(t, 'byte_value', false)),
        ),
        run(
          'ALTER TABLE `EventPath` DROP INDEX `idx_eventpath_event_id`',
          index('EventPath', 'idx_eventpath_event_id', false),
        ),
        ...PROPERTY_TABLES.flatMap(({ table: t }) => [
          run(`UPDATE \`${t}\` SET \`string_value\` = SUBSTRING(\`string_value\`, 1, 65535)`),
          run(`ALTER TABLE \`${t}\` MODIFY COLUMN \`string_value\` TEXT`),
        ]),
      ],
    },
  ],
  [
    7,
    {
      up: [
        ...PROPERTY_TABLES.map(({ table: t }) =>
          run(
            `ALTER TABLE \`${t}\` MODIFY COLUMN \`string_value\` MEDIUMTEXT, ADD COLUMN \`byte_value\` MEDIUMBLOB`,
            column(t, 'byte_value'),
          ),
        ),
        run(
          'ALTER TABLE `EventPath` ADD INDEX `idx_eventpath_event_id` (`event_id`)',
          index('EventPath', 'idx_eventpath_event_id'),
        ),
      ],
      down: [
        run('ALTER TABLE `Event` DROP INDEX `UniqueEvent`', index('Event', 'UniqueEvent', false)),
        run(
          'ALTER TABLE `Event` ADD INDEX `idx_event_artifact_id` (`artifact_id`)',
          index('Event', 'idx_event_artifact_id'),
        ),
        ...PROPERTY_TABLES.flatMap(({ table: t, prefix }) =>
          ['int', 'double', 'string'].map((kind) =>
            run(
              `ALTER TABLE \`${t}\` DROP INDEX \`idx_${prefix}_property_${kind}\``,
              index(t, `idx_${prefix}_property_${kind}`, false),
            ),
          ),
        ),
      ],
    },
  ],
  [
    8,
    {
      up: [
        ...PROPERTY_TABLES.flatMap(({ table: t, prefix }) =>
          ['int', 'double', 'string'].map((kind) =>
            run(
              `ALTER TABLE \`${t}\` ADD INDEX \`idx_${prefix}_property_${kind}\` ` +
                `(\`name\`, \`is_custom_property\`, \`${kind}_value\`${kind === 'string' ? '(255)' : ''})`,
              index(t, `idx_${prefix}_property_${kind}`),
            ),
          ),
        ),
        // One event per (artifact, execution, type) from now on: the newest one is kept. The
        // rebuilt table is done once `Event` has UniqueEvent; until then a re-run refills
        // `EventTemp` (INSERT IGNORE skips the rows it holds already) and swaps it in.
        run(
          'CREATE TABLE `EventTemp` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `artifact_id` INT NOT NULL, ' +
            '`execution_id` INT NOT NULL, `type` INT NOT NULL, `milliseconds_since_epoch` BIGINT, ' +
            'CONSTRAINT UniqueEvent UNIQUE(`artifact_id`, `execution_id`, `type`) )',
          table('EventTemp'),
          index('Event', 'UniqueEvent'),
        ),
        run(
          'INSERT IGNORE INTO `EventTemp` (`id`, `artifact_id`, `execution_id`, `type`, `milliseconds_since_epoch`) ' +
            'SELECT `id`, `artifact_id`, `execution_id`, `type`, `milliseconds_since_epoch` FROM `Event` ORDER BY `id` DESC',
          index('Event', 'UniqueEvent'),
        ),
        run('RENAME TABLE `Event` TO `EventOld`, `EventTemp` TO `Event`', index('Event', 'UniqueEvent')),
        run('DROP TABLE IF EXISTS `EventOld`'),
        run(
          'ALTER TABLE `Event` ADD INDEX `idx_event_execution_id` (`execution_id`)',
          index('Event', 'idx_event_execution_id'),
        ),
        run('DELETE FROM `EventPath` WHERE `event_id` NOT IN (SELECT `id` FROM `Event`)'),
      ],
      down: [
        ...EXTERNAL_ID_TABLES.map((t) =>
          run(
            `ALTER TABLE \`${t}\` DROP INDEX \`idx_${t.toLowerCase()}_external_id\``,
            index(t, `idx_${t.toLowerCase()}_external_id`, false),
          ),
        ),
        ...EXTERNAL_ID_TABLES.map((t) =>
          run(`ALTER TABLE \`${t}\` DROP COLUMN \`external_id\``, column(t, 'external_id', false)),
        ),
      ],
    },
  ],
  [
    9,
    {
      up: [
        ...EXTERNAL_ID_TABLES.map((t) =>
          run(
            `ALTER TABLE \`${t}\` ADD ( \`external_id\` VARCHAR(255) ), ADD CONSTRAINT Unique${t}ExternalId UNIQUE(\`external_id\`)`,
            column(t, 'external_id'),
          ),
        ),
        ...EXTERNAL_ID_TABLES.map((t) =>
          run(
            `ALTER TABLE \`${t}\` ADD INDEX \`idx_${t.toLowerCase()}_external_id\` (\`external_id\`)`,
            index(t, `idx_${t.toLowerCase()}_external_id`),
          ),
        ),
      ],
      down: PROPERTY_TABLES.map(({ table: t }) =>
        run(
          `ALTER TABLE \`${t}\` DROP COLUMN \`proto_value\`, DROP COLUMN \`bool_value\``,
          column(t, 'proto_value', false),
        ),
      ),
    },
  ],
  [
    10,
    {
      up: PROPERTY_TABLES.map(({ table: t }) =>
        run(
          `ALTER TABLE \`${t}\` ADD COLUMN \`proto_value\` MEDIUMBLOB, ADD COLUMN \`bool_value\` BOOLEAN`,
          column(t, 'proto_value'),
        ),
      ),
      down: [],
    },
  ],
])

const SCHEMES: ReadonlyMap<number, MigrationScheme> = new Map(
  [...STEPS].map(([version, { up, down }]) => [
    version,
    { upgrade: up.map((s) => s.sql), downgrade: down.map((s) => s.sql), shape: shape(version) },
  ]),
)

// The facts per statement text (texts are unique across all steps).
const DONE_WHEN: ReadonlyMap<string, readonly CatalogFact[]> = new Map(
  [...STEPS.values()].flatMap(({ up, down }) =>
    [...up, ...down].flatMap((s) => (s.done === undefined ? [] : [[s.sql, s.done] as const])),
  ),
)

/** MLMD's MySQL migrations, versions 0 to 10. */
export const MYSQL_MIGRATIONS = {
  engine: 'mysql',
  oldest: 0,
  latest: 10,
  schemes: SCHEMES,
  setVersion: 'UPDATE `MLMDEnv` SET `schema_version` = ?',
  doneWhen: DONE_WHEN,
} as const
