#!/usr/bin/env bash
# Makes the release package: dist/openfatture-<version>-<target>.tar.gz with the `openfatture` binary
# (the web app compiled into it: feature embed-site), the systemd unit and INSTALL (packaging/).
#   bash scripts/package.sh                 build the site, the binary, the tarball, then check them
#   bash scripts/package.sh --check-unit    only check packaging/openfatture.service (systemd-analyze)
#   bash scripts/package.sh --check-binary BINARY
#                                           only check that BINARY serves the site from an empty directory
# Environment: PROFILE=debug packages a debug build (quicker, for trying this script);
# SKIP_SITE_BUILD=1 embeds the site already in OPENFATTURE_SITE_DIR (default target/site) as it is.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'package.sh: %s\n' "$*" >&2; exit 1; }

# Hardening the unit must keep (checked by --check-unit, besides systemd-analyze verify).
required_unit_lines=(
  "DynamicUser=yes" "StateDirectory=openfatture" "Environment=OPENFATTURE_HOME=/var/lib/openfatture"
  "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" "PrivateDevices=yes"
  "ProtectKernelTunables=yes" "ProtectKernelModules=yes" "ProtectKernelLogs=yes" "ProtectControlGroups=yes"
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "RestrictNamespaces=yes" "LockPersonality=yes"
  "MemoryDenyWriteExecute=yes" "SystemCallFilter=@system-service" "CapabilityBoundingSet=" "UMask=0077"
  "Restart=on-failure"
)

# Checks packaging/openfatture.service: every hardening line above is there, and
# `systemd-analyze verify` accepts it without a single warning (it exits 0 on unknown keys and bad
# values, so any output fails). ExecStart points at BINARY if given (verify wants it to exist).
check_unit() {
  local unit="$repo_root/packaging/openfatture.service" binary="${1:-}"
  local line missing=0
  for line in "${required_unit_lines[@]}"; do
    if ! grep -qxF -- "$line" "$unit"; then
      echo "packaging/openfatture.service lacks: $line" >&2
      missing=1
    fi
  done
  [ "$missing" -eq 0 ] || return 1
  if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "skipped: systemd-analyze verify (systemd-analyze is not installed; on Debian: apt-get install systemd)"
    return 0
  fi
  [ -n "$binary" ] && [ -x "$binary" ] || binary="$(command -v true)"
  local dir output status=0
  dir="$(mktemp -d "${TMPDIR:-/tmp}/openfatture-unit.XXXXXX")"
  sed "s|^ExecStart=/usr/local/bin/openfatture |ExecStart=$binary |" "$unit" >"$dir/openfatture.service"
  output="$(cd "$dir" && systemd-analyze verify ./openfatture.service 2>&1)" || status=$?
  rm -rf "$dir"
  if [ "$status" -ne 0 ] || [ -n "$output" ]; then
    echo "systemd-analyze verify packaging/openfatture.service (status $status):" >&2
    echo "$output" >&2
    return 1
  fi
  echo "systemd-analyze verify: packaging/openfatture.service is clean"
}

# Runs BINARY from an empty directory with no LEPTOS_SITE_ROOT (and no site next to it) and checks
# over HTTP that it serves the shell at /, the wasm module the shell loads, the app's JS and the
# service worker, byte for byte as in SITE (when given), with the right types and cache headers.
check_binary() {
  local binary="$1" site="${2:-}"
  [ -x "$binary" ] || die "no executable at $binary"
  local work pid url status=0
  work="$(mktemp -d "${TMPDIR:-/tmp}/openfatture-package-check.XXXXXX")"
  mkdir -p "$work/empty" "$work/home" "$work/bin"
  # a copy with nothing around it: the binary also looks for ../site next to itself
  cp "$binary" "$work/bin/openfatture"
  (cd "$work/empty" && exec env -u LEPTOS_SITE_ROOT OPENFATTURE_HOME="$work/home" \
    LIGHTNING_COINGECKO_ENABLED=false LIGHTNING_KRAKEN_ENABLED=false LIGHTNING_BITSTAMP_ENABLED=false LIGHTNING_COINBASE_ENABLED=false LIGHTNING_FALLBACK_RATE=45000 "$work/bin/openfatture" serve --listen 127.0.0.1:0 \
    >"$work/serve.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 300); do
    url="$(sed -n 's|^OpenFatture Lightning on \(http://[0-9.:]*\).*|\1|p' "$work/serve.log")"
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "the binary did not start:" >&2
    cat "$work/serve.log" >&2
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$work"
    return 1
  fi
  fail() { echo "package check: $*" >&2; status=1; }
  # expect PATH CONTENT_TYPE: GET PATH into $work/body; checks 200 and the content type
  expect() {
    local code type
    read -r code type < <(curl -sS -o "$work/body" -w '%{http_code} %{content_type}\n' -D "$work/headers" "$url$1") || true
    [ "$code" = 200 ] || { fail "GET $1 answered ${code:-nothing}"; return 1; }
    [ "${type%%;*}" = "$2" ] || { fail "GET $1 has content type '$type', not $2"; return 1; }
  }
  same_as_site() {
    if [ -n "$site" ] && ! cmp -s "$work/body" "$site$1"; then fail "GET $1 differs from $site$1"; fi
  }
  no_cache() {
    grep -qi '^cache-control: no-cache' "$work/headers" || fail "GET $1 lacks Cache-Control: no-cache"
  }
  if expect / text/html; then
    grep -q 'import init from "/pkg/openfatture.js"' "$work/body" || fail "the page at / does not start the app: $(head -c 300 "$work/body")"
    local wasm
    wasm="$(sed -n 's|.*module_or_path: "\(/pkg/[^"]*\.wasm\)".*|\1|p' "$work/body")"
    [ -n "$wasm" ] || fail "the page at / names no wasm module"
    if [ -n "$wasm" ] && expect "$wasm" application/wasm; then
      [ "$(head -c 4 "$work/body" | od -An -tx1 | tr -d ' \n')" = 0061736d ] || fail "$wasm is not WebAssembly"
      same_as_site "$wasm"
      no_cache "$wasm"
    fi
  fi
  if expect /pkg/openfatture.js text/javascript; then same_as_site /pkg/openfatture.js; no_cache /pkg/openfatture.js; fi
  if expect /sw.js text/javascript; then same_as_site /sw.js; no_cache /sw.js; fi
  expect /manifest.webmanifest application/manifest+json || true
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "--- serve output:" >&2
    cat "$work/serve.log" >&2
  else
    echo "the binary serves /, the wasm, the JS and the service worker from an empty directory ($url)"
  fi
  rm -rf "$work"
  return "$status"
}

case "${1:-}" in
  --check-unit) check_unit "${2:-}"; exit ;;
  --check-binary) [ -n "${2:-}" ] || die "usage: --check-binary BINARY [SITE_DIR]"; check_binary "$2" "${3:-}"; exit ;;
  "") ;;
  *) die "unknown option $1 (see the top of scripts/package.sh)" ;;
esac

profile="${PROFILE:-release}"
case "$profile" in
  release) cargo_profile=(--release) ;;
  debug) cargo_profile=() ;;
  *) die "PROFILE must be release or debug, not $profile" ;;
esac
export LEPTOS_OUTPUT_NAME="${LEPTOS_OUTPUT_NAME:-openfatture}"
target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
# the site root of [[workspace.metadata.leptos]] (cargo-leptos and the xtask write it there)
export OPENFATTURE_SITE_DIR="${OPENFATTURE_SITE_DIR:-$repo_root/target/site}"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
host="$(rustc -vV | sed -n 's/^host: //p')"
[ -n "$version" ] && [ -n "$host" ] || die "cannot read the version (Cargo.toml) or the target (rustc -vV)"
name="openfatture-$version-$host"

# 1. the site (wasm, JS, CSS, assets, service worker)
if [ "${SKIP_SITE_BUILD:-0}" = 1 ]; then
  say "using the site already in $OPENFATTURE_SITE_DIR"
elif [ -f "$repo_root/xtask/Cargo.toml" ]; then
  say "cargo xtask build ($profile)"
  xtask_args=(build)
  [ "$profile" = release ] && xtask_args+=(--release)
  cargo run --quiet -p xtask -- "${xtask_args[@]}"
else
  say "cargo leptos build --split ($profile)"
  command -v cargo-leptos >/dev/null 2>&1 || die "cargo-leptos is missing: run scripts/setup.sh (or bash scripts/run.sh) once"
  cargo leptos build "${cargo_profile[@]}" --split
fi
[ -f "$OPENFATTURE_SITE_DIR/pkg/openfatture.js" ] || die "no built site in $OPENFATTURE_SITE_DIR"

# 2. the binary with the site inside
say "cargo build -p server --bin openfatture --features embed-site ($profile)"
cargo build "${cargo_profile[@]}" -p server --bin openfatture --features embed-site
binary="$target_dir/$profile/openfatture"

# 3. the tarball
say "dist/$name.tar.gz"
stage="$repo_root/dist/$name"
rm -rf "$stage" "$repo_root/dist/$name.tar.gz"
mkdir -p "$stage"
install -m 0755 "$binary" "$stage/openfatture"
install -m 0644 "$repo_root/packaging/openfatture.service" "$stage/openfatture.service"
sed -e "s/@VERSION@/$version/g" -e "s/@TARGET@/$host/g" "$repo_root/packaging/INSTALL" >"$stage/INSTALL"
tar -C "$repo_root/dist" -czf "$repo_root/dist/$name.tar.gz" "$name"
rm -rf "$stage"

# 4. check what is in the tarball: the unit, and the binary serving the site on its own
say "checking the package"
check_dir="$(mktemp -d "${TMPDIR:-/tmp}/openfatture-dist.XXXXXX")"
tar -C "$check_dir" -xzf "$repo_root/dist/$name.tar.gz"
check_status=0
check_unit "$check_dir/$name/openfatture" || check_status=1
check_binary "$check_dir/$name/openfatture" "$OPENFATTURE_SITE_DIR" || check_status=1
rm -rf "$check_dir"
[ "$check_status" -eq 0 ] || die "the package check failed (dist/$name.tar.gz is left for inspection)"
echo "dist/$name.tar.gz ($(du -h "$repo_root/dist/$name.tar.gz" | cut -f1))"
