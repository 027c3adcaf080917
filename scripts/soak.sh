#!/usr/bin/env bash
# The endurance load: builds the release binaries, starts a freshly seeded Switchboard on
# loopback, has 200 visitors chat with the built-in assistant (a message every 1–3 s each,
# reconnecting every 20–40 s) for 12 minutes, and prints the database files' sizes and the
# server's memory as it goes, then the pages written per stored message (from /metrics).
# Usage: ./scripts/soak.sh [loadgen soak options, e.g. --seconds 60 --visitors 50]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

step "Checking tools"
setup_rust
setup_node

cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
step "Building the load generator (release)"
CARGO_TARGET_DIR="$TARGET" cargo build --release -p server --bin loadgen
# As in bench.sh: the server binary comes from cargo-leptos, which compiles in its site's names.
step "Building Switchboard (release)"
CARGO_TARGET_DIR="$TARGET" cargo leptos build --release --split

SOAK_DIR="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$SOAK_DIR"
}
trap cleanup EXIT

step "Starting Switchboard (release, fresh database in $SOAK_DIR)"
TOKEN="soak-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export SWITCHBOARD_DATA_DIR="$SOAK_DIR" SWITCHBOARD_SITE_ROOT="$ROOT/target/site" SWITCHBOARD_LOG="warn" \
  SWITCHBOARD_METRICS_TOKEN="$TOKEN"
"$TARGET/release/switchboard" seed-demo >/dev/null
SWITCHBOARD_LISTEN=127.0.0.1:0 "$TARGET/release/switchboard" serve >"$SOAK_DIR/server.log" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 1 150); do
  URL="$(grep -o 'http://127.0.0.1:[0-9]*' "$SOAK_DIR/server.log" | head -n1 || true)"
  [ -n "$URL" ] && curl -fsS "$URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SOAK_DIR/server.log"; echo "Switchboard did not start." >&2; exit 1; }
  sleep 0.2
done
note "Switchboard at $URL (pid $SERVER_PID)"

step "Chatting (12 minutes unless --seconds says otherwise)"
"$TARGET/release/loadgen" soak --switchboard "$URL" --switchboard-pid "$SERVER_PID" \
  --data-dir "$SOAK_DIR" --metrics-token "$TOKEN" "$@"
step "What the server logged (warnings and errors)"
grep -v "Switchboard is running" "$SOAK_DIR/server.log" || note "nothing"
