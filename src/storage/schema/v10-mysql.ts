/**
 * MLMD's MySQL schema at version 10 (ml-metadata 1.11.0 … 1.16.0), kept as data: the tables,
 * keys and index names `SHOW CREATE TABLE` shows for a database the real MLMD created.
 *
 * Ids are INT AUTO_INCREMENT (32-bit), times BIGINT, `int_value` INT (32-bit), flags
 * TINYINT(1), `string_value` MEDIUMTEXT, `proto_value` a MEDIUMBLOB holding base64 text, and
 * string indices cover a 255-character prefix. No character set is named, as MLMD names none:
 * tables take the database's default.
 */

const NODE_TIMES =
  '`create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, `last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0'

function propertyTable(table: string, owner: string, kind: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS \`${table}\` ( \`${owner}\` INT NOT NULL, \`name\` VARCHAR(255) NOT NULL, ` +
    '`is_custom_property` TINYINT(1) NOT NULL, `int_value` INT, `double_value` DOUBLE, ' +
    '`string_value` MEDIUMTEXT, `byte_value` MEDIUMBLOB, `proto_value` MEDIUMBLOB, `bool_value` TINYINT(1), ' +
    `PRIMARY KEY (\`${owner}\`, \`name\`, \`is_custom_property\`), ` +
    `KEY \`idx_${kind}_property_int\` (\`name\`, \`is_custom_property\`, \`int_value\`), ` +
    `KEY \`idx_${kind}_property_double\` (\`name\`, \`is_custom_property\`, \`double_value\`), ` +
    `KEY \`idx_${kind}_property_string\` (\`name\`, \`is_custom_property\`, \`string_value\`(255)) )`
  )
}

/** The tables of schema v10 with their keys, in the order MLMD creates them. */
export const MYSQL_TABLES: readonly { readonly name: string; readonly ddl: string }[] = [
  {
    name: 'Type',
    ddl:
      'CREATE TABLE IF NOT EXISTS `Type` ( `id` INT PRIMARY KEY AUTO_INCREMENT, `name` VARCHAR(255) NOT NULL, ' +
      '`version` VARCHAR(255), `type_kind` TINYINT(1) NOT NULL, `description` TEXT, `input_type` TEXT, ' +
      '`output_type` TEXT, `external_id` VARCHAR(255) UNIQUE, ' +
      'KEY `idx_type_name` (`name`), KEY `idx_type_external_id` (`external_id`) )',
  },
  {
    name: 'ParentType',
    ddl:
      'CREATE TABLE IF NOT EXISTS `ParentType` ( `type_id` INT NOT NULL, `parent_type_id` INT NOT NULL, ' +
      'PRIMARY KEY (`type_id`, `parent_type_id`) )',
  },
  {
    name: 'TypeProperty',
    ddl:
      'CREATE TABLE IF NOT EXISTS `TypeProperty` ( `type_id` INT NOT NULL, `name` VARCHAR(255) NOT NULL, ' +
      '`data_type` INT NULL, PRIMARY KEY (`type_id`, `name`) )',
  },
  {
    name: 'Artifact',
    ddl:
      'CREATE TABLE IF NOT EXISTS `Artifact` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `type_id` INT NOT NULL, ' +
      '`uri` TEXT, `state` INT, `name` VARCHAR(255), `external_id` VARCHAR(255) UNIQUE, ' +
      `${NODE_TIMES}, CONSTRAINT UniqueArtifactTypeName UNIQUE(\`type_id\`, \`name\`), ` +
      'KEY `idx_artifact_uri` (`uri`(255)), ' +
      'KEY `idx_artifact_create_time_since_epoch` (`create_time_since_epoch`), ' +
      'KEY `idx_artifact_last_update_time_since_epoch` (`last_update_time_since_epoch`), ' +
      'KEY `idx_artifact_external_id` (`external_id`) )',
  },
  { name: 'ArtifactProperty', ddl: propertyTable('ArtifactProperty', 'artifact_id', 'artifact') },
  {
    name: 'Execution',
    ddl:
      'CREATE TABLE IF NOT EXISTS `Execution` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `type_id` INT NOT NULL, ' +
      '`last_known_state` INT, `name` VARCHAR(255), `external_id` VARCHAR(255) UNIQUE, ' +
      `${NODE_TIMES}, CONSTRAINT UniqueExecutionTypeName UNIQUE(\`type_id\`, \`name\`), ` +
      'KEY `idx_execution_create_time_since_epoch` (`create_time_since_epoch`), ' +
      'KEY `idx_execution_last_update_time_since_epoch` (`last_update_time_since_epoch`), ' +
      'KEY `idx_execution_external_id` (`external_id`) )',
  },
  { name: 'ExecutionProperty', ddl: propertyTable('ExecutionProperty', 'execution_id', 'execution') },
  {
    name: 'Context',
    ddl:
      'CREATE TABLE IF NOT EXISTS `Context` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `type_id` INT NOT NULL, ' +
      '`name` VARCHAR(255) NOT NULL, `external_id` VARCHAR(255) UNIQUE, ' +
      `${NODE_TIMES}, UNIQUE(\`type_id\`, \`name\`), ` +
      'KEY `idx_context_create_time_since_epoch` (`create_time_since_epoch`), ' +
      'KEY `idx_context_last_update_time_since_epoch` (`last_update_time_since_epoch`), ' +
      'KEY `idx_context_external_id` (`external_id`) )',
  },
  { name: 'ContextProperty', ddl: propertyTable('ContextProperty', 'context_id', 'context') },
  {
    name: 'ParentContext',
    ddl:
      'CREATE TABLE IF NOT EXISTS `ParentContext` ( `context_id` INT NOT NULL, `parent_context_id` INT NOT NULL, ' +
      'PRIMARY KEY (`context_id`, `parent_context_id`), ' +
      'KEY `idx_parentcontext_parent_context_id` (`parent_context_id`) )',
  },
  {
    name: 'Event',
    ddl:
      'CREATE TABLE IF NOT EXISTS `Event` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `artifact_id` INT NOT NULL, ' +
      '`execution_id` INT NOT NULL, `type` INT NOT NULL, `milliseconds_since_epoch` BIGINT, ' +
      'CONSTRAINT UniqueEvent UNIQUE(`artifact_id`, `execution_id`, `type`), ' +
      'KEY `idx_event_execution_id` (`execution_id`) )',
  },
  {
    name: 'EventPath',
    ddl:
      'CREATE TABLE IF NOT EXISTS `EventPath` ( `event_id` INT NOT NULL, `is_index_step` TINYINT(1) NOT NULL, ' +
      '`step_index` INT, `step_key` TEXT, KEY `idx_eventpath_event_id` (`event_id`) )',
  },
  {
    name: 'Association',
    ddl:
      'CREATE TABLE IF NOT EXISTS `Association` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, ' +
      '`context_id` INT NOT NULL, `execution_id` INT NOT NULL, UNIQUE(`context_id`, `execution_id`) )',
  },
  {
    name: 'Attribution',
    ddl:
      'CREATE TABLE IF NOT EXISTS `Attribution` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, ' +
      '`context_id` INT NOT NULL, `artifact_id` INT NOT NULL, UNIQUE(`context_id`, `artifact_id`) )',
  },
  {
    name: 'MLMDEnv',
    ddl: 'CREATE TABLE IF NOT EXISTS `MLMDEnv` ( `schema_version` INTEGER PRIMARY KEY )',
  },
]

/**
 * The two lookup indices mlmd-ts adds on every engine (the contexts of an artifact or an
 * execution), by table and name; MySQL has no `CREATE INDEX IF NOT EXISTS`, so the schema code
 * checks for each first. MLMD ignores indices it did not create.
 */
export const MYSQL_LOOKUP_INDICES: readonly { table: string; name: string; ddl: string }[] = [
  {
    table: 'Attribution',
    name: 'idx_attribution_artifact_id',
    ddl: 'CREATE INDEX `idx_attribution_artifact_id` ON `Attribution` (`artifact_id`)',
  },
  {
    table: 'Association',
    name: 'idx_association_execution_id',
    ddl: 'CREATE INDEX `idx_association_execution_id` ON `Association` (`execution_id`)',
  },
]
