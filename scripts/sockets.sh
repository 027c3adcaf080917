#!/usr/bin/env bash
# What idle sockets cost the server: opens idle visitor sockets in steps (2,500 to 19,000 by
# default; `--steps 1000,2000` for others) against a freshly seeded release Switchboard and
# prints its resident memory after each step, a line fitted through them and the projection
# to 50,000 sockets. One process may hold at most `ulimit -Hn` files; the load generator's
# sockets count against its own limit, the server's against the server's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

check_tools rust

# Plain cargo builds in its own directory (see test.sh): no site is needed to hold sockets.
PLAIN_TARGET="$TARGET/plain"
step "Building Switchboard and the load generator (release)"
CARGO_TARGET_DIR="$PLAIN_TARGET" cargo build --release -p server --bin switchboard --bin loadgen

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
note "open files per process: $(ulimit -n)"
server_dir
DIR="$SERVER_DIR"

step "Starting Switchboard (release, fresh database)"
# One client address opens thousands of chats here: lift the per-address limits and the cap
# on connections, which exist for real traffic.
export SWITCHBOARD_CHAT_STARTS_PER_MINUTE=1000000 SWITCHBOARD_VISITOR_SOCKETS_PER_ADDRESS=1000000 \
  SWITCHBOARD_MAX_CONNECTIONS=1000000
serve_fresh "$PLAIN_TARGET/release/switchboard" "$DIR"
note "Switchboard at $SERVER_URL (pid $SERVER_PID)"

step "Holding idle sockets in steps"
"$PLAIN_TARGET/release/loadgen" sockets --switchboard "$SERVER_URL" --switchboard-pid "$SERVER_PID" "$@"
