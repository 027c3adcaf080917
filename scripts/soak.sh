#!/usr/bin/env bash
# The endurance load: builds the release binaries, starts a freshly seeded Switchboard on
# loopback, has 200 visitors chat with the built-in assistant (a message every 1–3 s each,
# reconnecting every 20–40 s) for 12 minutes, and prints the database files' sizes and the
# server's memory as it goes, then the pages written per stored message (from /metrics).
# Usage: ./scripts/soak.sh [loadgen soak options, e.g. --seconds 60 --visitors 50]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

check_tools rust node

build_release

server_dir
SOAK_DIR="$SERVER_DIR"

step "Starting Switchboard (release, fresh database in $SOAK_DIR)"
TOKEN="soak-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export SWITCHBOARD_METRICS_TOKEN="$TOKEN"
# The load generator plays hundreds of visitors from one address, each sending faster than a
# person types: the per-address and per-visitor limits would refuse most of them.
export SWITCHBOARD_CHAT_STARTS_PER_MINUTE=1000000 SWITCHBOARD_VISITOR_MESSAGES_PER_MINUTE=1000000 \
  SWITCHBOARD_VISITOR_SOCKETS_PER_ADDRESS=1000000
serve_fresh "$TARGET/release/switchboard" "$SOAK_DIR"
note "Switchboard at $SERVER_URL (pid $SERVER_PID)"

step "Chatting (12 minutes unless --seconds says otherwise)"
"$TARGET/release/loadgen" soak --switchboard "$SERVER_URL" --switchboard-pid "$SERVER_PID" \
  --data-dir "$SOAK_DIR" --metrics-token "$TOKEN" "$@"
step "What the server logged (warnings and errors)"
grep -v "Switchboard is running" "$SOAK_DIR/server.log" || note "nothing"
