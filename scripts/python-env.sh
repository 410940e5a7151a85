#!/usr/bin/env bash
# Provision the Python venv used by the conformance tests (real ML Metadata).
#
# Creates <repo root>/.venv and installs conformance/python/requirements.txt.
# Idempotent: if the venv exists and its stamp records the sha256 of the
# current requirements.txt, it does nothing. Prints one short line.
#
# Env: PYTHON selects the interpreter used to create the venv. By default the
# first of python3.11, python3.10, python3.9, python3 on PATH is used, since
# ml-metadata 1.16.0 ships wheels only for CPython 3.9-3.11.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/conformance/python/requirements.txt"
STAMP="$VENV/.requirements.sha256"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.11 python3.10 python3.9 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import venv' >/dev/null 2>&1; then
      PY="$cand"
      break
    fi
  done
  PY="${PY:-python3}"
fi

if [ ! -f "$REQ" ]; then
  echo "python-env: missing $REQ" >&2
  exit 1
fi

hash_file() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

WANT="$(hash_file "$REQ")"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  echo "python-env: $VENV up to date"
  exit 0
fi

# Outside CI a machine without a suitable Python still runs the TS suites: the suites that need
# the real MLMD skip with a message. On CI (CI set) a missing interpreter fails the run.
skip_or_fail() {
  echo "python-env: $1" >&2
  case "${CI:-}" in
    ""|0|false|False|FALSE)
      echo "python-env: continuing without the venv; the suites that compare with the real MLMD will be skipped" >&2
      exit 0 ;;
  esac
  exit 1
}

if ! command -v "$PY" >/dev/null 2>&1; then
  skip_or_fail "'$PY' not found; install Python 3.9-3.11 (3.11 preferred) to run the MLMD conformance tests"
fi

if ! "$PY" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 11) else 1)'; then
  skip_or_fail "$("$PY" --version 2>&1) is unsupported: ml-metadata 1.16.0 needs CPython 3.9-3.11 (set PYTHON=...)"
fi

START=$(date +%s)
rm -f "$STAMP"
if [ ! -x "$VENV/bin/python" ]; then
  rm -rf "$VENV"
  if ! "$PY" -m venv "$VENV"; then
    echo "python-env: '$PY -m venv $VENV' failed" >&2
    exit 1
  fi
fi

LOG="$(mktemp)"
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      -r "$REQ" >"$LOG" 2>&1; then
  cat "$LOG" >&2
  rm -f "$LOG"
  echo "python-env: pip install -r $REQ failed" >&2
  exit 1
fi
rm -f "$LOG"

echo "$WANT" >"$STAMP"
echo "python-env: installed $REQ into $VENV in $(( $(date +%s) - START ))s"
