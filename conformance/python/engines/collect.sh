#!/usr/bin/env bash
# Lets the real MLMD (.venv, ml-metadata 1.16.0) create and fill its schema on a throwaway
# PostgreSQL and MariaDB (scripts/engine-servers.sh) and writes what it did into OUT_DIR:
#   mlmd-{postgresql,mysql}-v10.sql         the schema MLMD creates, and the rows it seeds
#   mlmd-{postgresql,mysql}-rows.txt        every table's raw rows after a sample put through MLMD
#   mlmd-{postgresql,mysql}-probe.txt       MLMD's answers to edge cases (int32, names, doubles, …)
#   mlmd-{postgresql,mysql}-statements.txt  the SQL MLMD sends for three calls (server logs)
#   mlmd-mysql-charset.txt                  how MLMD's MySQL connection encodes non-ASCII text
# Usage: conformance/python/engines/collect.sh OUT_DIR   (servers are stopped on exit)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
OUT="$(mkdir -p "${1:?usage: collect.sh OUT_DIR}" && cd "$1" && pwd)"
PY="$ROOT/.venv/bin/python"
ENGINES="$ROOT/scripts/engine-servers.sh"
MLMD="$ROOT/conformance/python/engines/mlmd_engines.py"
[[ -x "$PY" ]] || bash "$ROOT/scripts/python-env.sh" >&2

RUN="$(mktemp -d "${TMPDIR:-/tmp}/mlmd-ts-engines-XXXXXX")"
trap 'bash "$ENGINES" stop "$RUN"' EXIT
# Every statement into the server logs, to see the SQL MLMD issues.
export MLMD_TS_PG_OPTIONS="-c log_statement=all -c log_line_prefix='%m [%p] db=%d '"
export MLMD_TS_MARIADB_OPTIONS="--general-log=1 --general-log-file=$RUN/mysql/general.log"

value() { grep "^$1=" <<<"$2" | head -n 1 | cut -d= -f2-; }

versions() {
  echo "-- ml-metadata $("$PY" -c 'import ml_metadata; print(ml_metadata.__version__)')," \
    "server $1, written by conformance/python/engines/collect.sh on $(date -u +%F)"
}

# --- PostgreSQL ---------------------------------------------------------------------------------
PG="$(bash "$ENGINES" start postgresql "$RUN" $$)"
PG_BIN="$(value bin_dir "$PG")"
export PGHOST=127.0.0.1 PGPORT="$(value port "$PG")" PGUSER="$(value user "$PG")"
export PGPASSWORD="$(value password "$PG")"
PG_LOG="$(value log "$PG")"
PG_CONN=(--engine postgresql --port "$PGPORT" --user "$PGUSER" --password "$PGPASSWORD")
pg_create() { "$PG_BIN/psql" -X -q -d postgres -c "CREATE DATABASE $1"; }
pg_version="$("$PG_BIN/psql" -X -A -t -d postgres -c 'SHOW server_version')"

pg_create mlmd_schema
"$PY" "$MLMD" create-schema "${PG_CONN[@]}" --database mlmd_schema >&2
{
  versions "PostgreSQL $pg_version"
  echo "-- pg_dump --schema-only of a database in which MLMD created its schema"
  "$PG_BIN/pg_dump" --schema-only --no-owner --no-privileges -d mlmd_schema
  echo "-- The rows MLMD wrote while creating the schema (pg_dump --data-only --inserts)"
  "$PG_BIN/pg_dump" --data-only --inserts --no-owner --no-privileges -d mlmd_schema
} >"$OUT/mlmd-postgresql-v10.sql"

pg_tables() {
  "$PG_BIN/psql" -X -A -t -d "$1" -c \
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
}
pg_rows() {
  local db="$1" table columns
  for table in $(pg_tables "$db"); do
    columns="$("$PG_BIN/psql" -X -A -t -d "$db" -c "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '$table'")"
    echo "### $table"
    "$PG_BIN/psql" -X -x -d "$db" -c "SELECT * FROM $table ORDER BY $(seq -s, 1 "$columns")"
  done
}

pg_create mlmd_sample
{
  versions "PostgreSQL $pg_version"
  echo "-- The sample put through MLMD's Python API (mlmd_engines.py fill):"
  "$PY" "$MLMD" fill "${PG_CONN[@]}" --database mlmd_sample | sed 's/^/-- /'
  echo
  echo "-- Every table's rows (psql, one column per line; bytea shown in hex as psql does):"
  pg_rows mlmd_sample
  echo "### encodings: proto_value bytes, a non-ASCII string, doubles as text"
  "$PG_BIN/psql" -X -x -d mlmd_sample -c "SELECT artifact_id, name, octet_length(proto_value) AS proto_bytes,
      encode(proto_value, 'escape') AS proto_escaped FROM artifactproperty WHERE proto_value IS NOT NULL ORDER BY 1, 2"
  "$PG_BIN/psql" -X -x -d mlmd_sample -c "SELECT name, string_value, convert_to(string_value, 'UTF8') AS utf8_bytes
      FROM artifactproperty WHERE name = 'c_string'"
  "$PG_BIN/psql" -X -d mlmd_sample -c "SELECT name, double_value, double_value::text AS as_text,
      float8send(double_value) AS ieee754 FROM artifactproperty WHERE double_value IS NOT NULL ORDER BY 1"
} >"$OUT/mlmd-postgresql-rows.txt"

pg_create mlmd_probe
{
  versions "PostgreSQL $pg_version"
  "$PY" "$MLMD" probe "${PG_CONN[@]}" --database mlmd_probe
} >"$OUT/mlmd-postgresql-probe.txt" 2>&1

pg_create mlmd_statements
{
  versions "PostgreSQL $pg_version (log_statement=all)"
  "$PY" "$MLMD" statements "${PG_CONN[@]}" --database mlmd_statements --log "$PG_LOG"
} >"$OUT/mlmd-postgresql-statements.txt"

# --- MariaDB ------------------------------------------------------------------------------------
MY="$(bash "$ENGINES" start mysql "$RUN" $$)"
MY_PORT="$(value port "$MY")"
MY_USER="$(value user "$MY")"
MY_PASSWORD="$(value password "$MY")"
my() { mariadb --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u "$MY_USER" "-p$MY_PASSWORD" "$@"; }
MY_CONN=(--engine mysql --port "$MY_PORT" --user "$MY_USER" --password "$MY_PASSWORD")
my_create() { my -e "CREATE DATABASE $1"; }
my_version="$(my -N -B -e 'SELECT VERSION()')"
my_tables() { my -N -B "$1" -e 'SHOW TABLES'; }

my_create mlmd_schema
"$PY" "$MLMD" create-schema "${MY_CONN[@]}" --database mlmd_schema >&2
{
  versions "MariaDB $my_version"
  echo "-- SHOW CREATE TABLE of every table MLMD created"
  for table in $(my_tables mlmd_schema); do
    my -N -B -r mlmd_schema -e "SHOW CREATE TABLE \`$table\`" | cut -f2-
    echo ";"
  done
  echo "-- The rows MLMD wrote while creating the schema (mariadb-dump --no-create-info)"
  mariadb-dump --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u "$MY_USER" "-p$MY_PASSWORD" \
    --no-create-info --skip-extended-insert --compact --skip-lock-tables mlmd_schema
} >"$OUT/mlmd-mysql-v10.sql"

my_create mlmd_sample
{
  versions "MariaDB $my_version"
  echo "-- The sample put through MLMD's Python API (mlmd_engines.py fill):"
  "$PY" "$MLMD" fill "${MY_CONN[@]}" --database mlmd_sample | sed 's/^/-- /'
  echo
  echo "-- Every table's rows (mariadb client, one column per line; blobs printed as stored):"
  for table in $(my_tables mlmd_sample); do
    columns="$(my -N -B -e "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'mlmd_sample' AND table_name = '$table'")"
    echo "### $table"
    my -E mlmd_sample -e "SELECT * FROM \`$table\` ORDER BY $(seq -s, 1 "$columns")"
  done
  echo "### encodings: proto_value, a non-ASCII string (MLMD's connection charset), doubles"
  my -E mlmd_sample -e "SELECT artifact_id, name, proto_value, HEX(proto_value) AS proto_hex,
      HEX(FROM_BASE64(proto_value)) AS decoded_hex FROM ArtifactProperty WHERE proto_value IS NOT NULL ORDER BY 1, 2"
  my -E mlmd_sample -e "SELECT name, string_value, HEX(string_value) AS stored_utf8mb4_hex,
      CONVERT(CAST(CONVERT(string_value USING latin1) AS BINARY) USING utf8mb4) AS read_back_as_latin1_bytes
      FROM ArtifactProperty WHERE name = 'c_string'"
  my -t mlmd_sample -e "SELECT name, double_value, CAST(double_value AS CHAR) AS as_text
      FROM ArtifactProperty WHERE double_value IS NOT NULL ORDER BY 1"
} >"$OUT/mlmd-mysql-rows.txt"

# MLMD's MySQL connection does not choose a character set (no SET NAMES), so the client library's
# default applies. Rows written by another client over utf8mb4 and over latin1, read by MLMD:
{
  echo
  echo "## character sets: a string written by the mariadb client, then read by MLMD"
  my --default-character-set=utf8mb4 mlmd_sample -e "INSERT INTO ArtifactProperty
      (artifact_id, name, is_custom_property, string_value) VALUES (1, 'written_over_utf8mb4', 1, 'Grüße ✓')"
  my --default-character-set=latin1 mlmd_sample -e "INSERT INTO ArtifactProperty
      (artifact_id, name, is_custom_property, string_value) VALUES (1, 'written_over_latin1', 1, 'Grüße ✓')"
  echo "(both written from the UTF-8 text 'Grüße ✓', utf-8 bytes $(printf 'Grüße ✓' | od -An -tx1 | tr -d ' \n'))"
  my -t mlmd_sample -e "SELECT name, HEX(string_value) AS stored_utf8mb4_hex FROM ArtifactProperty
      WHERE artifact_id = 1 AND name IN ('c_string', 'written_over_utf8mb4', 'written_over_latin1') ORDER BY name"
  "$PY" "$MLMD" read "${MY_CONN[@]}" --database mlmd_sample --artifact-id 1 | grep -E 'c_string|written_over'
} >"$OUT/mlmd-mysql-charset.txt" 2>&1

my_create mlmd_probe
{
  versions "MariaDB $my_version"
  "$PY" "$MLMD" probe "${MY_CONN[@]}" --database mlmd_probe
} >"$OUT/mlmd-mysql-probe.txt" 2>&1

my_create mlmd_statements
{
  versions "MariaDB $my_version (general log)"
  "$PY" "$MLMD" statements "${MY_CONN[@]}" --database mlmd_statements --log "$RUN/mysql/general.log"
} >"$OUT/mlmd-mysql-statements.txt"

ls -l "$OUT" >&2
