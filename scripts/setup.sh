#!/usr/bin/env bash
# Installs what building and testing OpenFatture Lightning needs, skipping whatever is already there:
#   - the wasm32-unknown-unknown Rust target
#   - the npm packages in end2end/ (Playwright; binaryen for wasm-opt and esbuild to minify, in release builds)
#   - Chromium from Debian (/usr/bin/chromium) for the browser tests
#   - PostgreSQL's server programs from Debian, for the storage tests on PostgreSQL (each test starts
#     its own throw-away server; nothing is started here)
# Nothing else: the web app is built by `cargo xtask build` (xtask/, a workspace member), which runs
# wasm-bindgen and the wasm splitting in-process, so neither cargo-leptos nor wasm-bindgen-cli is installed.
# Source it (`source scripts/setup.sh`) to also get end2end/node_modules/.bin (wasm-opt) on PATH,
# or run it (`bash scripts/setup.sh`) just to install.
# OPENFATTURE_SETUP_FOR=run (what scripts/run.sh sets) installs only what running the product needs (the wasm
# target and the npm packages, for wasm-opt): Chromium and PostgreSQL are for the tests, so a first run skips them.

_of_setup() {
  set -euo pipefail
  local repo_root
  repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

  _of_say() { printf '[setup] %s\n' "$*" >&2; }
  _of_need() {
    command -v "$1" >/dev/null 2>&1 || {
      _of_say "'$1' is not installed: $2"
      return 1
    }
  }

  export PATH="$HOME/.cargo/bin:$PATH"
  _of_need cargo "install Rust from https://rustup.rs, then run this again"
  _of_need rustup "install Rust with rustup (https://rustup.rs); the wasm target is added through it"
  _of_need node "install Node.js 20 or newer (https://nodejs.org or NodeSource packages)"
  _of_need npm "install npm (it comes with Node.js 20 or newer)"
  _of_need python3 "install Python 3 (Debian: apt-get install python3): the tests check the import graph with it"
  local node_major
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$node_major" -lt 20 ]; then
    _of_say "Node.js $(node --version) is too old: Playwright 1.65 needs Node.js 20 or newer"
    return 1
  fi

  # 1. wasm target
  if ! rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
    _of_say "adding Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi

  # 2. npm packages for the browser tests and wasm-opt (never `npx playwright install`: we use system Chromium)
  if [ ! -x "$repo_root/end2end/node_modules/.bin/playwright" ] || [ ! -x "$repo_root/end2end/node_modules/.bin/wasm-opt" ] || [ ! -x "$repo_root/end2end/node_modules/.bin/esbuild" ] \
    || [ "$repo_root/end2end/package-lock.json" -nt "$repo_root/end2end/node_modules/.package-lock.json" ]; then
    _of_say "installing npm packages in end2end/"
    (cd "$repo_root/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
  export PATH="$repo_root/end2end/node_modules/.bin:$PATH"

  # 3. Debian packages: Chromium for Playwright, PostgreSQL for the storage tests (one apt run); not to run
  if [ "${OPENFATTURE_SETUP_FOR:-test}" = run ]; then
    return 0
  fi
  local packages=()
  if [ ! -x /usr/bin/chromium ]; then packages+=(chromium); fi
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then packages+=(postgresql); fi
  if [ "${#packages[@]}" -gt 0 ]; then
    _of_need apt-get "install ${packages[*]} from Debian"
    local sudo=""
    if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
    _of_say "installing from Debian: ${packages[*]}"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${packages[@]}"
  fi
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  # Sourced: install in a subshell (its `set -e` must not leak into the caller), then extend PATH here.
  ( _of_setup )
  _of_rc=$?
  unset -f _of_setup
  if [ "$_of_rc" -ne 0 ]; then
    unset _of_rc
    return 1
  fi
  unset _of_rc
  export PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
else
  _of_setup
fi
