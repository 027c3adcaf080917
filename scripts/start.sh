#!/usr/bin/env bash
# Installs what is missing, builds Switchboard (release), creates the SQLite database with the
# demo workspace, prints the address and the demo sign-ins, and serves until Ctrl-C.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

check_tools rust node

step "Building Switchboard (release; the first build takes several minutes)"
cargo leptos build --release --split --precompress

export SWITCHBOARD_SITE_ROOT="${SWITCHBOARD_SITE_ROOT:-$ROOT/target/site}"
export SWITCHBOARD_DATA_DIR="${SWITCHBOARD_DATA_DIR:-$ROOT/data}"
step "Preparing the database in $SWITCHBOARD_DATA_DIR"
"$TARGET/release/switchboard" seed-demo

step "Starting Switchboard at http://${SWITCHBOARD_LISTEN:-127.0.0.1:3000} (Ctrl-C stops it)"
exec "$TARGET/release/switchboard" serve
