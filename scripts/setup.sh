#!/usr/bin/env bash
# Installs whatever Switchboard's build and tests need and is missing on this machine.
# Idempotent: each step checks first and says what it is doing. Sourced by start.sh and test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }

APT_UPDATED=0
apt_install() {
  # apt_install COMMAND PACKAGE...: installs the packages unless COMMAND is already on PATH.
  local probe="$1"; shift
  if command -v "$probe" >/dev/null 2>&1 || [ -x "$probe" ]; then
    note "$probe: present"
    return
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ "$APT_UPDATED" -eq 0 ]; then
    step "Updating the Debian package lists"
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  step "Installing $* from Debian's packages"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

wasm_bindgen_version() {
  # The wasm-bindgen version Cargo.lock pins; the CLI must match it exactly.
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

setup_rust() {
  command -v cargo >/dev/null || { echo "Rust (cargo) is required: install it with rustup first." >&2; exit 1; }
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  else
    note "wasm32-unknown-unknown: present"
  fi
  if ! cargo leptos --version >/dev/null 2>&1; then
    step "Installing cargo-leptos 0.3.10 (about 15 minutes on 2 cores, once per machine)"
    cargo install cargo-leptos@0.3.10 --locked --features no_downloads
  else
    note "cargo-leptos: $(cargo leptos --version)"
  fi
  local want
  want="$(wasm_bindgen_version)"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    step "Installing wasm-bindgen-cli $want (about 4 minutes, once per machine)"
    cargo install wasm-bindgen-cli --version "$want" --force
  else
    note "wasm-bindgen: $want"
  fi
}

setup_node() {
  command -v npm >/dev/null || apt_install npm nodejs npm
  if [ ! -x "$ROOT/node_modules/.bin/tailwindcss" ] || [ ! -x "$ROOT/node_modules/.bin/wasm-opt" ]; then
    step "Installing the Tailwind CSS CLI and binaryen from npm"
    (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error)
  else
    note "tailwindcss, wasm-opt: present"
  fi
}

setup_postgres() {
  # The tests start throwaway PostgreSQL servers of their own (in temporary folders, as the
  # postgres user when run as root); they need Debian's server programs, not a running server.
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    note "PostgreSQL: $(ls -d /usr/lib/postgresql/*/ | xargs -n1 basename | sort -n | tail -n1)"
    return
  fi
  apt_install /usr/lib/postgresql/15/bin/initdb postgresql
}

setup_nats() {
  # The tests of several nodes start a throwaway NATS server of their own.
  apt_install nats-server nats-server
}

setup_end2end() {
  apt_install /usr/bin/chromium chromium
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]; then
    step "Installing Playwright (it uses Debian's Chromium; no browser download)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error)
  else
    note "Playwright: present"
  fi
}

wait_for_address() {
  # wait_for_address LOG PID: prints the http:// address the process announced in LOG, or
  # stops the script with its log when the process died or said nothing.
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

wait_until_ready() {
  # wait_until_ready URL PID: returns once URL/readyz answers (the database is open).
  until curl -fsS "$1/readyz" >/dev/null 2>&1; do
    kill -0 "$2" 2>/dev/null || { echo "It stopped before it was ready." >&2; exit 1; }
    sleep 0.2
  done
}

check_tools() {
  # check_tools rust node …: installs what is missing (setup_rust, setup_node, …), then works
  # from the project's root with TARGET set to cargo's target folder.
  step "Checking tools"
  local tool
  for tool in "$@"; do "setup_$tool"; done
  cd "$ROOT"
  TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
}

server_dir() {
  # server_dir: a new temporary folder, SERVER_DIR, for a server that serve_fresh starts; when
  # the script exits the server is stopped and the folder removed.
  SERVER_DIR="$(mktemp -d)"
  SERVER_PID=""
  trap stop_server EXIT
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null; then wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
  rm -rf "$SERVER_DIR"
}

build_release() {
  # The release binaries of the load generator and of Switchboard with its site. The server
  # binary comes from cargo-leptos: it compiles in the names of the site's files (a plain
  # `cargo build` of it would ask browsers for a WASM file that does not exist). The load
  # generator is built by plain cargo in its own folder: cargo-leptos compiles Leptos with its
  # own settings, and sharing a folder would rebuild both every time. Sets LOADGEN.
  step "Building the load generator (release)"
  CARGO_TARGET_DIR="$TARGET/plain" cargo build --release -p server --bin loadgen
  LOADGEN="$TARGET/plain/release/loadgen"
  step "Building Switchboard and its site (release)"
  CARGO_TARGET_DIR="$TARGET" cargo leptos build --release --split
}

serve_fresh() {
  # serve_fresh BINARY DIR: seeds the demo workspace into a new database in DIR, starts the
  # server on a free loopback port (its output in DIR/server.log) and waits until it is ready;
  # sets SERVER_PID and SERVER_URL.
  export SWITCHBOARD_DATA_DIR="$2" SWITCHBOARD_SITE_ROOT="$ROOT/target/site" SWITCHBOARD_LOG="${SWITCHBOARD_LOG:-warn}"
  "$1" seed-demo >/dev/null
  SWITCHBOARD_LISTEN=127.0.0.1:0 "$1" serve >"$2/server.log" 2>&1 &
  SERVER_PID=$!
  SERVER_URL="$(wait_for_address "$2/server.log" "$SERVER_PID")"
  wait_until_ready "$SERVER_URL" "$SERVER_PID"
}
