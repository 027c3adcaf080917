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

setup_end2end() {
  apt_install /usr/bin/chromium chromium
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]; then
    step "Installing Playwright (it uses Debian's Chromium; no browser download)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error)
  else
    note "Playwright: present"
  fi
}
