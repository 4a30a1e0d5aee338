#!/usr/bin/env bash
# Builds OpenFatture Lightning (gateway + web app, release mode) and starts it:
#   bash scripts/run.sh [openfatture serve options...]
# With no lightning_host configured it starts the embedded simulated node, so this works out of the box.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# only what running needs (Chromium and PostgreSQL are for the tests)
export OPENFATTURE_SETUP_FOR=run
# shellcheck source=scripts/setup.sh
source "$repo_root/scripts/setup.sh"
unset OPENFATTURE_SETUP_FOR

# the site (wasm split into lazily loaded chunks, wasm-opt) and the gateway, as `cargo leptos build --release --split`
cargo xtask build --release

export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$repo_root/target/site}"
exec "${CARGO_TARGET_DIR:-$repo_root/target}/release/openfatture" serve "$@"
