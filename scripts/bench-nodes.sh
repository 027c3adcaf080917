#!/usr/bin/env bash
# The real-time path across two nodes: starts a throwaway PostgreSQL (Debian's server programs,
# in a temporary folder), two release Switchboard nodes on it with a bus between them, and has
# the load generator drive the same load twice — the customers' chats on the operators' node,
# then on the other node — writing both figures into BENCHMARKS.md. `./scripts/bench.sh` runs
# it after its own run; alone it takes a few minutes after the build.
#   BUS=nats ./scripts/bench-nodes.sh   events over a throwaway nats-server instead of NOTIFY
#   extra arguments go to `loadgen nodes` (--conversations, --operators, --rate, --secs)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

check_tools rust postgres nats

# Plain cargo builds in its own directory (see test.sh): no site is needed for sockets.
PLAIN_TARGET="$TARGET/plain"
# bench.sh has built both already and says where (BENCH_RELEASE).
RELEASE="${BENCH_RELEASE:-}"
if [ -z "$RELEASE" ]; then
  step "Building Switchboard and the load generator (release)"
  CARGO_TARGET_DIR="$PLAIN_TARGET" cargo build --release -p server --bin switchboard --bin loadgen
  RELEASE="$PLAIN_TARGET/release"
fi
BIN="$RELEASE/switchboard"
# bench.sh's load generator comes from plain cargo's folder, not from cargo-leptos's.
LOADGEN="${BENCH_LOADGEN:-$RELEASE/loadgen}"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
DIR="$(mktemp -d)"
chmod 755 "$DIR"
PIDS=()
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
as_postgres() {
  # initdb refuses to run as root: the server runs as the postgres user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }; done
  as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "Starting PostgreSQL (throwaway)"
mkdir -p "$DIR/pg"
[ "$(id -u)" = 0 ] && chown postgres "$DIR/pg"
as_postgres "$PG_BIN/initdb" -D "$DIR/pg/data" -A trust -U switchboard --no-sync >/dev/null
PG_PORT="$(free_port)"
as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/log" -w \
  -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U switchboard switchboard
export DATABASE_URL="postgres://switchboard@127.0.0.1:$PG_PORT/switchboard"

BUS="${BUS:-postgres}"
case "$BUS" in
  postgres) BUS_NAME="PostgreSQL LISTEN/NOTIFY" ;;
  nats)
    NATS_PORT="$(free_port)"
    /usr/sbin/nats-server -a 127.0.0.1 -p "$NATS_PORT" >"$DIR/nats.log" 2>&1 &
    PIDS+=($!)
    export SWITCHBOARD_NATS_URL="nats://127.0.0.1:$NATS_PORT"
    until grep -q "Server is ready" "$DIR/nats.log"; do sleep 0.1; done
    BUS_NAME="NATS (nats-server on loopback)"
    ;;
  *) echo "BUS must be postgres or nats" >&2; exit 2 ;;
esac

step "Starting two nodes (release, one database, bus = $BUS)"
# The load generator plays hundreds of customers from one address, each faster than a person.
export SWITCHBOARD_DATA_DIR="$DIR/data" SWITCHBOARD_LOG="${SWITCHBOARD_LOG:-warn}" SWITCHBOARD_BUS="$BUS" \
  SWITCHBOARD_CHAT_STARTS_PER_MINUTE=1000000 SWITCHBOARD_VISITOR_MESSAGES_PER_MINUTE=1000000 \
  SWITCHBOARD_VISITOR_SOCKETS_PER_ADDRESS=1000000
"$BIN" seed-demo >/dev/null
URLS=()
for node in a b; do
  SWITCHBOARD_LISTEN=127.0.0.1:0 "$BIN" serve >"$DIR/node-$node.log" 2>&1 &
  PIDS+=($!)
  url="$(wait_for_address "$DIR/node-$node.log" "$!")"
  wait_until_ready "$url" "$!"
  URLS+=("$url")
done
note "node A at ${URLS[0]}, node B at ${URLS[1]}"

step "Driving both setups"
SECTION="$("$LOADGEN" nodes --a "${URLS[0]}" --b "${URLS[1]}" --bus "$BUS_NAME" "$@")"
echo "$SECTION"

# Into BENCHMARKS.md, between its markers (replacing the last run's figures).
BEGIN="<!-- nodes:begin -->"
END="<!-- nodes:end -->"
python3 - "$ROOT/BENCHMARKS.md" "$BEGIN" "$END" "$SECTION" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(git rev-parse --short HEAD)" <<'EOF'
import sys
path, begin, end, section, when, commit = sys.argv[1:]
text = open(path).read()
body = f"{begin}\nMeasured {when} on {commit} by `./scripts/bench-nodes.sh` (also run by `./scripts/bench.sh`).\n\n{section.strip()}\n{end}"
if begin in text and end in text:
    text = text[: text.index(begin)] + body + text[text.index(end) + len(end):]
else:
    text = text.rstrip() + "\n\n## Two nodes on PostgreSQL (issue: several nodes)\n\n" + body + "\n"
open(path, "w").write(text)
EOF
note "wrote the two-node figures into BENCHMARKS.md"
