#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (a real S3-compatible server) from the Go module proxy, once, into a
# cache outside the repository, and prints the binary's path on stdout. The S3 artifact-store
# tests start it on loopback ports. `go install` refuses this module (its go.mod has replace
# directives), so the module is downloaded, copied somewhere writable and built there.
# Progress goes to stderr; a failure exits non-zero with the reason.
#   scripts/seaweedfs.sh          build if needed, print the path
#   scripts/seaweedfs.sh --check  print the path if built, else exit 3 (never builds)
set -euo pipefail

VERSION="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mlmd-ts/seaweedfs/$VERSION"
BIN="$CACHE/weed"

if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  exit 3
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin /usr/lib/go/bin; do
    if [[ -x "$candidate/go" ]]; then PATH="$candidate:$PATH"; fi
  done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "seaweedfs.sh: no Go toolchain found; installing Debian's golang-go" >&2
  if [[ "$(id -u)" == 0 ]]; then
    apt-get update >&2 && apt-get install -y golang-go >&2
  else
    echo "seaweedfs.sh: not root, cannot install Go; install it and rerun" >&2
    exit 1
  fi
fi

mkdir -p "$CACHE"
# One build at a time: parallel test workers may all ask for the binary.
exec 9>"$CACHE.lock"
flock 9
if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

echo "seaweedfs.sh: building weed $VERSION (once, ~5 minutes on 2 cores)" >&2
MODULE_DIR="$(go mod download -json "github.com/seaweedfs/seaweedfs@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [[ -z "$MODULE_DIR" || ! -d "$MODULE_DIR" ]]; then
  echo "seaweedfs.sh: go mod download gave no module folder" >&2
  exit 1
fi
SRC="$CACHE/src"
rm -rf "$SRC"
cp -r "$MODULE_DIR" "$SRC"
chmod -R u+w "$SRC"
(cd "$SRC" && go build -o "$BIN.tmp" ./weed) >&2
mv "$BIN.tmp" "$BIN"
rm -rf "$SRC"
echo "$BIN"
