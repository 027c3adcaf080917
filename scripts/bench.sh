#!/usr/bin/env bash
# Measures the real-time path: builds the release binaries, starts a freshly seeded Switchboard
# and the bare WebSocket relay (the baseline) on loopback, drives both with the load generator,
# and writes the figures into BENCHMARKS.md; then the same path across two nodes on a
# throwaway PostgreSQL (scripts/bench-nodes.sh). Takes about 8 minutes after the build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

check_tools rust node

build_release
PKG="$ROOT/target/site/pkg"

# wasm_page LABEL GROUP...: "LABEL=RAW/GZIP", the bytes a browser fetches to show a page whose
# code is in those lazy groups (see app/src/lib.rs): the main module and every chunk that
# cargo-leptos's split manifest lists for the groups, each gzipped on its own as it is served.
wasm_page() {
  local label="$1" raw=0 gz=0 name
  shift
  for name in switchboard $(for group in "$@"; do
      awk -v group="\"${group}_" '
        index($0, group) == 1 || index($0, "  " group) == 1 { inside = 1; next }
        inside && /\]/ { inside = 0 }
        inside { gsub(/[", ]/, ""); print }
      ' "$PKG/__wasm_split_manifest.json"
    done | sort -u); do
    raw=$((raw + $(stat -c %s "$PKG/$name.wasm")))
    gz=$((gz + $(gzip -9 -c "$PKG/$name.wasm" | wc -c)))
  done
  echo "$label=$raw/$gz"
}
WASM_PAGES=(
  "$(wasm_page "a visitor's chat (the widget)" visitor_page)"
  "$(wasm_page "sign-in" entrance_page)"
  "$(wasm_page "the inbox and live view" console_page)"
  "$(wasm_page "an administration page" console_page admin_page)"
)
note "WASM per page: ${WASM_PAGES[*]}"

# Every socket is a file; take as many as this machine allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
note "open files per process: $(ulimit -n)"

BENCH_DIR="$(mktemp -d)"
SERVER_PID=""
RELAY_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && { wait "$SERVER_PID" 2>/dev/null || true; }
  [ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null && { wait "$RELAY_PID" 2>/dev/null || true; }
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

step "Starting Switchboard (release, fresh database) and the relay"
# The load generator plays hundreds of visitors from one address, each sending faster than a
# person types: the per-address and per-visitor limits would refuse most of them.
export SWITCHBOARD_CHAT_STARTS_PER_MINUTE=1000000 SWITCHBOARD_VISITOR_MESSAGES_PER_MINUTE=1000000 \
  SWITCHBOARD_VISITOR_SOCKETS_PER_ADDRESS=1000000
serve_fresh "$TARGET/release/switchboard" "$BENCH_DIR"
"$LOADGEN" relay >"$BENCH_DIR/relay.log" 2>&1 &
RELAY_PID=$!
RELAY_URL="$(wait_for_address "$BENCH_DIR/relay.log" "$RELAY_PID")"
note "Switchboard at $SERVER_URL (pid $SERVER_PID), relay at $RELAY_URL (pid $RELAY_PID)"

step "Driving both (a few minutes)"
"$LOADGEN" run \
  --switchboard "$SERVER_URL" --switchboard-pid "$SERVER_PID" \
  --relay "$RELAY_URL" --relay-pid "$RELAY_PID" \
  "${WASM_PAGES[@]/#/--wasm-page=}" \
  --out "$ROOT/BENCHMARKS.md" "$@"

step "Two nodes on PostgreSQL"
cleanup
trap - EXIT
BENCH_RELEASE="$TARGET/release" BENCH_LOADGEN="$LOADGEN" "$ROOT/scripts/bench-nodes.sh"
