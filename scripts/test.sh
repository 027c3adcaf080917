#!/usr/bin/env bash
# Installs what is missing and runs every test: unit and integration (cargo), then end-to-end
# (Playwright in Debian's Chromium against a freshly built, freshly seeded server).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

check_tools rust node postgres nats end2end

# Plain cargo gets its own target directory: cargo-leptos builds with other flags, and the
# two would otherwise keep rebuilding each other's artefacts.
PLAIN_TARGET="$TARGET/plain"

step "Unit tests of the shared app crate"
CARGO_TARGET_DIR="$PLAIN_TARGET" cargo test -p app --features ssr

step "Unit and integration tests of the server (SQLite; the store's conformance also on PostgreSQL)"
CARGO_TARGET_DIR="$PLAIN_TARGET" cargo test -p server

step "The integration tests again, on PostgreSQL (a throwaway server, a database per test)"
SWITCHBOARD_TEST_DATABASE=postgres CARGO_TARGET_DIR="$PLAIN_TARGET" cargo test -p server --test api

step "Building the site for the end-to-end tests"
CARGO_TARGET_DIR="$TARGET" cargo leptos build --split

step "Starting a fresh server for the end-to-end tests"
server_dir
E2E_DIR="$SERVER_DIR"
# The webhook specs receive deliveries on loopback, which a real server refuses by default.
export SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true SWITCHBOARD_WEBHOOK_RETRY_MS=200
serve_fresh "$TARGET/debug/switchboard" "$E2E_DIR"
note "server at $SERVER_URL"

step "End-to-end tests (Playwright, Chromium)"
# Some specs run the `switchboard` command on the server's data directory (create-owner,
# reset-password), as an operator would on the server.
(cd end2end && SWITCHBOARD_URL="$SERVER_URL" SWITCHBOARD_BIN="$TARGET/debug/switchboard" \
  SWITCHBOARD_E2E_DATA_DIR="$E2E_DIR" npx playwright test)
