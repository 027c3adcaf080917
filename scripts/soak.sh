#!/usr/bin/env bash
# The endurance load: builds the release binaries, starts a freshly seeded Switchboard on
# loopback and for 30 minutes has 1,000 visitors chat with the built-in assistant (a message a
# second each, half the highest sustained rate in BENCHMARKS.md; reconnecting every 20–40 s,
# sending files, now and then asking for a person), the demo's two agents go live and offline,
# take those chats and hand them back, and three supervisors keep the whole inbox open. It
# prints the server's memory, open sockets and database files as it goes, a table of them over
# time, the pages written per stored message (from /metrics) and what the server logged.
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
# Every socket is a file; take as many as this machine allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
serve_fresh "$TARGET/release/switchboard" "$SOAK_DIR"
note "Switchboard at $SERVER_URL (pid $SERVER_PID)"

step "Chatting (30 minutes unless --seconds says otherwise)"
"$LOADGEN" soak --switchboard "$SERVER_URL" --switchboard-pid "$SERVER_PID" \
  --data-dir "$SOAK_DIR" --metrics-token "$TOKEN" "$@"
step "What the server logged (warnings and errors)"
grep -v "Switchboard is running" "$SOAK_DIR/server.log" || note "nothing"
