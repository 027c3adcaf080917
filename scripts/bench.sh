#!/usr/bin/env bash
# Measures the real-time path: builds the release binaries, starts a freshly seeded Switchboard
# and the bare WebSocket relay (the baseline) on loopback, drives both with the load generator,
# and writes the figures into BENCHMARKS.md. Takes about 5 minutes after the build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

step "Checking tools"
setup_rust
setup_node

cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
step "Building the release site (its WASM bundle is measured too)"
CARGO_TARGET_DIR="$TARGET" cargo leptos build --release
WASM="$ROOT/target/site/pkg/switchboard.wasm"
WASM_BYTES="$(stat -c %s "$WASM")"
WASM_GZIP_BYTES="$(gzip -9 -c "$WASM" | wc -c)"
note "WASM bundle: $WASM_BYTES bytes, $WASM_GZIP_BYTES gzipped"
step "Building the release binaries (switchboard, loadgen)"
CARGO_TARGET_DIR="$TARGET" cargo build --release -p server --bin switchboard --bin loadgen

# Every socket is a file; take as many as this machine allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
note "open files per process: $(ulimit -n)"

BENCH_DIR="$(mktemp -d)"
SERVER_PID=""
RELAY_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

wait_for_address() {
  # wait_for_address LOG PID: prints the http:// address the process announced.
  local url=""
  for _ in $(seq 1 150); do
    url="$(grep -o 'http://127.0.0.1:[0-9]*' "$1" | head -n1 || true)"
    [ -n "$url" ] && { echo "$url"; return; }
    kill -0 "$2" 2>/dev/null || { cat "$1" >&2; echo "It did not start." >&2; exit 1; }
    sleep 0.2
  done
  cat "$1" >&2
  echo "It did not report its address." >&2
  exit 1
}

step "Starting Switchboard (release, fresh database) and the relay"
export SWITCHBOARD_DATA_DIR="$BENCH_DIR" SWITCHBOARD_SITE_ROOT="$ROOT/target/site" SWITCHBOARD_LOG="warn"
"$TARGET/release/switchboard" seed-demo >/dev/null
SWITCHBOARD_LISTEN=127.0.0.1:0 "$TARGET/release/switchboard" serve >"$BENCH_DIR/server.log" 2>&1 &
SERVER_PID=$!
"$TARGET/release/loadgen" relay >"$BENCH_DIR/relay.log" 2>&1 &
RELAY_PID=$!
SERVER_URL="$(wait_for_address "$BENCH_DIR/server.log" "$SERVER_PID")"
RELAY_URL="$(wait_for_address "$BENCH_DIR/relay.log" "$RELAY_PID")"
until curl -fsS "$SERVER_URL/readyz" >/dev/null 2>&1; do sleep 0.2; done
note "Switchboard at $SERVER_URL (pid $SERVER_PID), relay at $RELAY_URL (pid $RELAY_PID)"

step "Driving both (a few minutes)"
"$TARGET/release/loadgen" run \
  --switchboard "$SERVER_URL" --switchboard-pid "$SERVER_PID" \
  --relay "$RELAY_URL" --relay-pid "$RELAY_PID" \
  --wasm-bytes "$WASM_BYTES" --wasm-gzip-bytes "$WASM_GZIP_BYTES" \
  --out "$ROOT/BENCHMARKS.md" "$@"
