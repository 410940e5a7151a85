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
 */
import type { MigrationScheme } from './migration-scheme.js'
import { SQLITE_MIGRATIONS } from './sqlite.js'

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

const SCHEMES: ReadonlyMap<number, MigrationScheme> = new Map<number, MigrationScheme>([
  [0, { upgrade: [], downgrade: ['DROP TABLE IF EXISTS `MLMDEnv`'], shape: shape(0) }],
  [
    1,
    {
      upgrade: [
        'CREATE TABLE IF NOT EXISTS `MLMDEnv` ( `schema_version` INTEGER PRIMARY KEY )',
        'INSERT INTO `MLMDEnv`(`schema_version`) VALUES(0)',
      ],
      downgrade: [
        'DELETE FROM `Type` WHERE `type_kind` = 2',
        'ALTER TABLE `Type` CHANGE COLUMN `type_kind` `is_artifact_type` TINYINT(1) NOT NULL',
      ],
      shape: shape(1),
    },
  ],
  [
    2,
    {
      upgrade: ['ALTER TABLE `Type` CHANGE COLUMN `is_artifact_type` `type_kind` TINYINT(1) NOT NULL'],
      downgrade: ['DROP TABLE IF EXISTS `Context`', 'DROP TABLE IF EXISTS `ContextProperty`'],
      shape: shape(2),
    },
  ],
  [
    3,
    {
      upgrade: [
        'CREATE TABLE IF NOT EXISTS `Context` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `type_id` INT NOT NULL, ' +
          '`name` VARCHAR(255) NOT NULL, UNIQUE(`type_id`, `name`) )',
        'CREATE TABLE IF NOT EXISTS `ContextProperty` ( `context_id` INT NOT NULL, `name` VARCHAR(255) NOT NULL, ' +
          '`is_custom_property` TINYINT(1) NOT NULL, `int_value` INT, `double_value` DOUBLE, `string_value` TEXT, ' +
          'PRIMARY KEY (`context_id`, `name`, `is_custom_property`) )',
      ],
      downgrade: ['DROP TABLE IF EXISTS `Association`', 'DROP TABLE IF EXISTS `Attribution`'],
      shape: shape(3),
    },
  ],
  [
    4,
    {
      upgrade: [
        'CREATE TABLE IF NOT EXISTS `Association` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, ' +
          '`context_id` INT NOT NULL, `execution_id` INT NOT NULL, UNIQUE(`context_id`, `execution_id`) )',
        'CREATE TABLE IF NOT EXISTS `Attribution` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, ' +
          '`context_id` INT NOT NULL, `artifact_id` INT NOT NULL, UNIQUE(`context_id`, `artifact_id`) )',
      ],
      downgrade: [
        'ALTER TABLE `Artifact` DROP INDEX `UniqueArtifactTypeName`',
        'ALTER TABLE `Artifact` DROP COLUMN `state`, DROP COLUMN `name`, DROP COLUMN `create_time_since_epoch`, ' +
          'DROP COLUMN `last_update_time_since_epoch`',
        'ALTER TABLE `Execution` DROP INDEX `UniqueExecutionTypeName`',
        'ALTER TABLE `Execution` DROP COLUMN `last_known_state`, DROP COLUMN `name`, ' +
          'DROP COLUMN `create_time_since_epoch`, DROP COLUMN `last_update_time_since_epoch`',
        'ALTER TABLE `Context` DROP COLUMN `create_time_since_epoch`, DROP COLUMN `last_update_time_since_epoch`',
      ],
      shape: shape(4),
    },
  ],
  [
    5,
    {
      upgrade: [
        'ALTER TABLE `Artifact` ADD ( `state` INT, `name` VARCHAR(255), ' +
          '`create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, `last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0 ), ' +
          'ADD CONSTRAINT UniqueArtifactTypeName UNIQUE(`type_id`, `name`)',
        'ALTER TABLE `Execution` ADD ( `last_known_state` INT, `name` VARCHAR(255), ' +
          '`create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, `last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0 ), ' +
          'ADD CONSTRAINT UniqueExecutionTypeName UNIQUE(`type_id`, `name`)',
        'ALTER TABLE `Context` ADD ( `create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, ' +
          '`last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0 )',
      ],
      downgrade: [
        'DROP TABLE `ParentType`',
        'DROP TABLE `ParentContext`',
        'ALTER TABLE `Type` DROP COLUMN `version`, DROP COLUMN `description`',
        'ALTER TABLE `Artifact` DROP INDEX `idx_artifact_uri`, ' +
          TIME_INDICES.Artifact.map((i) => `DROP INDEX \`${i}\``).join(', '),
        'ALTER TABLE `Event` DROP INDEX `idx_event_artifact_id`, DROP INDEX `idx_event_execution_id`',
        'ALTER TABLE `Type` DROP INDEX `idx_type_name`',
        `ALTER TABLE \`Execution\` ${TIME_INDICES.Execution.map((i) => `DROP INDEX \`${i}\``).join(', ')}`,
        `ALTER TABLE \`Context\` ${TIME_INDICES.Context.map((i) => `DROP INDEX \`${i}\``).join(', ')}`,
      ],
      shape: shape(5),
    },
  ],
  [
    6,
    {
      upgrade: [
        'CREATE TABLE IF NOT EXISTS `ParentType` ( `type_id` INT NOT NULL, `parent_type_id` INT NOT NULL, ' +
          'PRIMARY KEY (`type_id`, `parent_type_id`) )',
        'CREATE TABLE IF NOT EXISTS `ParentContext` ( `context_id` INT NOT NULL, `parent_context_id` INT NOT NULL, ' +
          'PRIMARY KEY (`context_id`, `parent_context_id`) )',
        'ALTER TABLE `Type` ADD ( `version` VARCHAR(255), `description` TEXT )',
        'ALTER TABLE `Artifact` ADD INDEX `idx_artifact_uri` (`uri`(255)), ' +
          TIME_INDICES.Artifact.map(
            (i) => `ADD INDEX \`${i}\` (\`${i.replace(/^idx_artifact_/, '')}\`)`,
          ).join(', '),
        'ALTER TABLE `Event` ADD INDEX `idx_event_artifact_id` (`artifact_id`), ' +
          'ADD INDEX `idx_event_execution_id` (`execution_id`)',
        'ALTER TABLE `ParentContext` ADD INDEX `idx_parentcontext_parent_context_id` (`parent_context_id`)',
        'ALTER TABLE `Type` ADD INDEX `idx_type_name` (`name`)',
        `ALTER TABLE \`Execution\` ${TIME_INDICES.Execution.map((i) => `ADD INDEX \`${i}\` (\`${i.replace(/^idx_execution_/, '')}\`)`).join(', ')}`,
        `ALTER TABLE \`Context\` ${TIME_INDICES.Context.map((i) => `ADD INDEX \`${i}\` (\`${i.replace(/^idx_context_/, '')}\`)`).join(', ')}`,
      ],
      // Version 6 kept string values as TEXT (65,535 bytes); longer ones are cut, as in MLMD.
      downgrade: [
        ...PROPERTY_TABLES.map(({ table }) => `ALTER TABLE \`${table}\` DROP COLUMN \`byte_value\``),
        'ALTER TABLE `EventPath` DROP INDEX `idx_eventpath_event_id`',
        ...PROPERTY_TABLES.flatMap(({ table }) => [
          `UPDATE \`${table}\` SET \`string_value\` = SUBSTRING(\`string_value\`, 1, 65535)`,
          `ALTER TABLE \`${table}\` MODIFY COLUMN \`string_value\` TEXT`,
        ]),
      ],
      shape: shape(6),
    },
  ],
  [
    7,
    {
      upgrade: [
        ...PROPERTY_TABLES.map(
          ({ table }) =>
            `ALTER TABLE \`${table}\` MODIFY COLUMN \`string_value\` MEDIUMTEXT, ADD COLUMN \`byte_value\` MEDIUMBLOB`,
        ),
        'ALTER TABLE `EventPath` ADD INDEX `idx_eventpath_event_id` (`event_id`)',
      ],
      downgrade: [
        'ALTER TABLE `Event` DROP INDEX `UniqueEvent`',
        'ALTER TABLE `Event` ADD INDEX `idx_event_artifact_id` (`artifact_id`)',
        ...PROPERTY_TABLES.flatMap(({ table, prefix }) =>
          ['int', 'double', 'string'].map(
            (kind) => `ALTER TABLE \`${table}\` DROP INDEX \`idx_${prefix}_property_${kind}\``,
          ),
        ),
      ],
      shape: shape(7),
    },
  ],
  [
    8,
    {
      upgrade: [
        ...PROPERTY_TABLES.flatMap(({ table, prefix }) =>
          ['int', 'double', 'string'].map(
            (kind) =>
              `ALTER TABLE \`${table}\` ADD INDEX \`idx_${prefix}_property_${kind}\` ` +
              `(\`name\`, \`is_custom_property\`, \`${kind}_value\`${kind === 'string' ? '(255)' : ''})`,
          ),
        ),
        // One event per (artifact, execution, type) from now on: the newest one is kept.
        'CREATE TABLE `EventTemp` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `artifact_id` INT NOT NULL, ' +
          '`execution_id` INT NOT NULL, `type` INT NOT NULL, `milliseconds_since_epoch` BIGINT, ' +
          'CONSTRAINT UniqueEvent UNIQUE(`artifact_id`, `execution_id`, `type`) )',
        'INSERT IGNORE INTO `EventTemp` (`id`, `artifact_id`, `execution_id`, `type`, `milliseconds_since_epoch`) ' +
          'SELECT `id`, `artifact_id`, `execution_id`, `type`, `milliseconds_since_epoch` FROM `Event` ORDER BY `id` DESC',
        'DROP TABLE `Event`',
        'ALTER TABLE `EventTemp` RENAME TO `Event`, ADD INDEX `idx_event_execution_id` (`execution_id`)',
        'DELETE FROM `EventPath` WHERE `event_id` NOT IN (SELECT `id` FROM `Event`)',
      ],
      downgrade: [
        ...EXTERNAL_ID_TABLES.map(
          (t) => `ALTER TABLE \`${t}\` DROP INDEX \`idx_${t.toLowerCase()}_external_id\``,
        ),
        ...EXTERNAL_ID_TABLES.map((t) => `ALTER TABLE \`${t}\` DROP COLUMN \`external_id\``),
      ],
      shape: shape(8),
    },
  ],
  [
    9,
    {
      upgrade: [
        ...EXTERNAL_ID_TABLES.map(
          (t) =>
            `ALTER TABLE \`${t}\` ADD ( \`external_id\` VARCHAR(255) ), ADD CONSTRAINT Unique${t}ExternalId UNIQUE(\`external_id\`)`,
        ),
        ...EXTERNAL_ID_TABLES.map(
          (t) => `ALTER TABLE \`${t}\` ADD INDEX \`idx_${t.toLowerCase()}_external_id\` (\`external_id\`)`,
        ),
      ],
      downgrade: PROPERTY_TABLES.map(
        ({ table }) => `ALTER TABLE \`${table}\` DROP COLUMN \`proto_value\`, DROP COLUMN \`bool_value\``,
      ),
      shape: shape(9),
    },
  ],
  [
    10,
    {
      upgrade: PROPERTY_TABLES.map(
        ({ table }) =>
          `ALTER TABLE \`${table}\` ADD COLUMN \`proto_value\` MEDIUMBLOB, ADD COLUMN \`bool_value\` BOOLEAN`,
      ),
      downgrade: [],
      shape: shape(10),
    },
  ],
])

/** MLMD's MySQL migrations, versions 0 to 10. */
export const MYSQL_MIGRATIONS = {
  engine: 'mysql',
  oldest: 0,
  latest: 10,
  schemes: SCHEMES,
  setVersion: 'UPDATE `MLMDEnv` SET `schema_version` = ?',
} as const
