#!/usr/bin/env bash
# Throwaway PostgreSQL and MariaDB servers for the server-engine tests: installs the Debian
# packages when missing (root only), starts one instance per engine inside a run folder on a free
# loopback port, and stops it again. Nothing outside the run folder is written, and a watchdog
# stops a server when the process that owns the run (the vitest main process) has gone, so a
# killed test run leaves nothing behind.
#
#   engine-servers.sh install [postgresql] [mysql]   install what is missing (root), print timings
#   engine-servers.sh check ENGINE                   exit 0 if ENGINE's programs are present, else 3
#   engine-servers.sh start ENGINE RUN_DIR OWNER_PID start ENGINE once per RUN_DIR (later calls reuse
#                                                    it) and print its connection as KEY=VALUE lines
#   engine-servers.sh stop RUN_DIR [ENGINE]          stop the servers in RUN_DIR and delete their data
#
# ENGINE is `postgresql` or `mysql` (served by MariaDB). Each server has one ordinary user,
# `mlmd_ts`, with a password: on PostgreSQL it may create databases, on MariaDB it owns every
# database whose name starts with `mlmd_`. Administrative access stays on the server's own
# socket inside the run folder. Extra server settings: MLMD_TS_PG_OPTIONS (e.g.
# "-c log_statement=all") and MLMD_TS_MARIADB_OPTIONS (e.g. "--general-log=1").
# Exit status 3 means the engine is not installed; anything else non-zero is a real failure.
set -euo pipefail

SCRIPT="$(readlink -f "$0")"
USER_NAME=mlmd_ts
# Characters that need percent-encoding in a URL, so URL parsing is exercised by every test. No
# space: MLMD's PostgreSQL source puts the password unquoted into a libpq connection string.
PASSWORD='mlmd-ts:p@ss/w%rd'

die() {
  echo "engine-servers.sh: $*" >&2
  exit 1
}
is_root() { [[ "$(id -u)" == 0 ]]; }

# --- locating the programs ----------------------------------------------------------------------

pg_bin_dir() {
  local initdb
  if initdb="$(command -v initdb 2>/dev/null)"; then
    dirname "$(readlink -f "$initdb")"
    return 0
  fi
  # Debian keeps the server programs out of PATH, one folder per major version.
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] || return 1
  echo "$dir"
}

mariadb_program() {
  # MariaDB renamed its programs (mysqld → mariadbd, …); older names remain as fallbacks.
  local name
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
    if [[ -x "/usr/sbin/$name" ]]; then
      echo "/usr/sbin/$name"
      return 0
    fi
  done
  return 1
}

engine_present() {
  case "$1" in
    postgresql) pg_bin_dir >/dev/null ;;
    mysql)
      mariadb_program mariadbd mysqld >/dev/null &&
        mariadb_program mariadb-install-db mysql_install_db >/dev/null &&
        mariadb_program mariadb mysql >/dev/null
      ;;
    *) die "unknown engine '$1' (postgresql or mysql)" ;;
  esac
}

# --- install ------------------------------------------------------------------------------------

install_engines() {
  local engines=("$@") packages=() engine
  [[ ${#engines[@]} -gt 0 ]] || engines=(postgresql mysql)
  for engine in "${engines[@]}"; do
    if engine_present "$engine"; then continue; fi
    case "$engine" in
      postgresql) packages+=(postgresql) ;;
      mysql) packages+=(mariadb-server) ;;
    esac
  done
  if [[ ${#packages[@]} -eq 0 ]]; then
    echo "engine-servers.sh: ${engines[*]} already installed" >&2
    return 0
  fi
  is_root || die "not root, cannot install ${packages[*]}; run: sudo apt-get install -y --no-install-recommends ${packages[*]}"
  local started=$SECONDS own_policy=""
  export DEBIAN_FRONTEND=noninteractive
  # The packages' install scripts start a system-wide server; tests start their own, so forbid it.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  echo "engine-servers.sh: installing ${packages[*]}" >&2
  apt-get update >&2
  local status=0
  apt-get install -y --no-install-recommends "${packages[@]}" >&2 || status=$?
  if [[ -n "$own_policy" ]]; then rm -f /usr/sbin/policy-rc.d; fi
  [[ $status -eq 0 ]] || die "apt-get install ${packages[*]} failed ($status)"
  for engine in "${engines[@]}"; do
    engine_present "$engine" || die "$engine is still missing after installing ${packages[*]}"
  done
  echo "engine-servers.sh: installed ${packages[*]} in $((SECONDS - started)) s" >&2
}

# --- ports --------------------------------------------------------------------------------------

# A loopback port nothing listens on now. A race with another process is caught by the server
# failing to start, and the caller tries another port.
free_port() {
  local port attempt
  for attempt in $(seq 1 100); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free loopback port found"
}

# --- PostgreSQL ---------------------------------------------------------------------------------

# PostgreSQL refuses to run as root; as root its programs run as the `postgres` user.
as_pg() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgresql() {
  local dir="$1" bin port attempt
  bin="$(pg_bin_dir)" || return 3
  if is_root; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    chown postgres "$dir"
  fi
  as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # shellcheck disable=SC2086 # MLMD_TS_PG_OPTIONS is a list of server options
    if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off \
          -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${MLMD_TS_PG_OPTIONS:-}" \
      start >"$dir/pg_ctl.log" 2>&1 9>&-; then
      break
    fi
    if grep -q "could not bind\|Address already in use" "$dir/server.log" 2>/dev/null && [[ $attempt -lt 5 ]]; then
      continue
    fi
    cat "$dir/pg_ctl.log" "$dir/server.log" >&2 2>/dev/null || true
    die "PostgreSQL did not start"
  done
  # The tests drop each database WITH (FORCE), which also ends an autovacuum worker that happens
  # to be in it; a role that is not a superuser may end it only as a member of pg_signal_backend.
  "$bin/psql" -X -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE $USER_NAME LOGIN CREATEDB PASSWORD '$PASSWORD'" \
    -c "GRANT pg_signal_backend TO $USER_NAME" >&2 ||
    die "could not create the PostgreSQL user"
  {
    echo "engine=postgresql"
    echo "host=127.0.0.1"
    echo "port=$port"
    echo "user=$USER_NAME"
    echo "password=$PASSWORD"
    echo "admin_database=postgres"
    echo "socket_dir=$dir"
    echo "bin_dir=$bin"
    echo "log=$dir/server.log"
  } >"$dir/server.env"
}

stop_postgresql() {
  local dir="$1" bin
  [[ -f "$dir/data/postmaster.pid" ]] || return 0
  bin="$(pg_bin_dir)" || return 0
  as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
}

# --- MariaDB ------------------------------------------------------------------------------------

start_mysql() {
  local dir="$1" mariadbd install_db client admin port attempt pid run_as=()
  mariadbd="$(mariadb_program mariadbd mysqld)" || return 3
  install_db="$(mariadb_program mariadb-install-db mysql_install_db)" || return 3
  client="$(mariadb_program mariadb mysql)" || return 3
  admin="$(mariadb_program mariadb-admin mysqladmin)" || return 3
  if is_root; then
    # mariadbd refuses to run as root unless told to; the package's `mysql` user owns the data.
    id mysql >/dev/null 2>&1 || useradd --system --home-dir /nonexistent mysql
    chown mysql "$dir"
    run_as=(--user=mysql)
  fi
  # --no-defaults: the machine's /etc/mysql configuration must not leak into a test server. Without
  # it the server default would be latin1, so the server is told utf8mb4 (as Debian's and MySQL 8's
  # defaults are) below.
  "$install_db" --no-defaults "${run_as[@]}" --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >"$dir/install-db.log" 2>&1 ||
    { cat "$dir/install-db.log" >&2; die "mariadb-install-db failed"; }
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    rm -f "$dir/server.log"
    # shellcheck disable=SC2086 # MLMD_TS_MARIADB_OPTIONS is a list of server options
    setsid "$mariadbd" --no-defaults "${run_as[@]}" --datadir="$dir/data" --bind-address=127.0.0.1 \
      --port="$port" --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/server.log" \
      --skip-log-bin --skip-name-resolve --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=64M \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --max-connections=300 ${MLMD_TS_MARIADB_OPTIONS:-} </dev/null >/dev/null 2>&1 9>&- &
    pid=$!
    local deadline=$((SECONDS + 60)) up=""
    while [[ $SECONDS -lt $deadline ]]; do
      if "$admin" --no-defaults --socket="$dir/mysqld.sock" -uroot --connect-timeout=2 ping >/dev/null 2>&1; then
        up=1
        break
      fi
      process_alive "$pid" || break
      sleep 0.3
    done
    if [[ -n "$up" ]]; then break; fi
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if grep -q "Address already in use\|Do you already have another" "$dir/server.log" 2>/dev/null &&
      [[ $attempt -lt 5 ]]; then
      continue
    fi
    cat "$dir/server.log" >&2 2>/dev/null || true
    die "MariaDB did not start"
  done
  echo "$pid" >"$dir/server.pid"
  # With --skip-name-resolve, TCP clients match '127.0.0.1' and socket clients 'localhost'.
  "$client" --no-defaults --socket="$dir/mysqld.sock" -uroot -e "
    CREATE USER '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
    CREATE USER '$USER_NAME'@'localhost' IDENTIFIED BY '$PASSWORD';
    GRANT ALL PRIVILEGES ON \`mlmd\\_%\`.* TO '$USER_NAME'@'127.0.0.1';
    GRANT ALL PRIVILEGES ON \`mlmd\\_%\`.* TO '$USER_NAME'@'localhost';" >&2 ||
    die "could not create the MariaDB user"
  {
    echo "engine=mysql"
    echo "host=127.0.0.1"
    echo "port=$port"
    echo "user=$USER_NAME"
    echo "password=$PASSWORD"
    echo "admin_database="
    echo "socket=$dir/mysqld.sock"
    echo "log=$dir/server.log"
  } >"$dir/server.env"
}

# Running, and not a zombie waiting for an init process that may be slow to reap it.
process_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

stop_mysql() {
  local dir="$1" pid
  [[ -f "$dir/server.pid" ]] || return 0
  pid="$(cat "$dir/server.pid")"
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 30))
  while process_alive "$pid" && [[ $SECONDS -lt $deadline ]]; do sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

# --- start / stop / watchdog --------------------------------------------------------------------

start_engine() {
  local engine="$1" run_dir="$2" owner="$3" dir status
  [[ -d "$run_dir" ]] || die "run folder $run_dir does not exist"
  engine_present "$engine" || {
    echo "engine-servers.sh: $engine is not installed (bash scripts/engine-servers.sh install $engine)" >&2
    exit 3
  }
  dir="$run_dir/$engine"
  # Test workers ask at the same time; the first starts the server, the others wait and reuse it.
  exec 9>"$run_dir/$engine.lock"
  flock 9
  if [[ -f "$dir/server.env" ]]; then
    cat "$dir/server.env"
    return 0
  fi
  if [[ -f "$dir/failed" ]]; then
    cat "$dir/failed" >&2
    die "$engine failed to start earlier in this run"
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  # The server users must reach their folder inside the (private) temporary run folder.
  chmod 755 "$run_dir"
  local started=$SECONDS
  status=0
  ("start_$engine" "$dir") 2>"$dir/start.err" || status=$?
  if [[ $status -ne 0 ]]; then
    cat "$dir/start.err" >&2
    cp "$dir/start.err" "$dir/failed" 2>/dev/null || echo "start failed" >"$dir/failed"
    "stop_$engine" "$dir"
    exit "$status"
  fi
  echo "start_seconds=$((SECONDS - started))" >>"$dir/server.env"
  nohup setsid bash "$SCRIPT" watch "$run_dir" "$engine" "$owner" </dev/null >/dev/null 2>&1 9>&- &
  echo "$!" >"$dir/watchdog.pid"
  cat "$dir/server.env"
}

stop_engine() {
  local run_dir="$1" engine="$2" dir="$1/$2"
  [[ -d "$dir" ]] || return 0
  "stop_$engine" "$dir"
  rm -rf "$dir" "$run_dir/$engine.lock"
  # The last engine out removes the run folder (harmless when something else is still in it).
  rmdir "$run_dir" 2>/dev/null || true
}

watch_owner() {
  local run_dir="$1" engine="$2" owner="$3"
  while kill -0 "$owner" 2>/dev/null && [[ -f "$run_dir/$engine/server.env" ]]; do sleep 2; done
  stop_engine "$run_dir" "$engine"
}

stop_run() {
  local run_dir="$1" engine pid
  shift
  local engines=("$@")
  [[ ${#engines[@]} -gt 0 ]] || engines=(postgresql mysql)
  for engine in "${engines[@]}"; do
    if [[ -f "$run_dir/$engine/watchdog.pid" ]]; then
      pid="$(cat "$run_dir/$engine/watchdog.pid")"
      kill "$pid" 2>/dev/null || true
    fi
    stop_engine "$run_dir" "$engine"
    rm -f "$run_dir/$engine.lock"
  done
  rmdir "$run_dir" 2>/dev/null || true
}

case "${1:-}" in
  install)
    shift
    install_engines "$@"
    ;;
  check)
    [[ $# -eq 2 ]] || die "usage: $0 check ENGINE"
    engine_present "$2" || exit 3
    ;;
  start)
    [[ $# -eq 4 ]] || die "usage: $0 start ENGINE RUN_DIR OWNER_PID"
    start_engine "$2" "$3" "$4"
    ;;
  stop)
    [[ $# -ge 2 ]] || die "usage: $0 stop RUN_DIR [ENGINE...]"
    shift
    stop_run "$@"
    ;;
  watch) watch_owner "$2" "$3" "$4" ;;
  *) die "usage: $0 install|check|start|stop …" ;;
esac
