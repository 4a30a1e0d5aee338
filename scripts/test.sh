#!/usr/bin/env bash
# Runs every test of OpenFatture Lightning:
#   0. cargo fmt --check, cargo clippy -D warnings (host, all targets; and the browser build for wasm32)
#      and the import-graph check (scripts/import_graph.py: no import loops between files)
#   1. cargo test --workspace (unit and integration tests, host)
#   2. cargo fuzz: the libFuzzer targets in fuzz/, briefly (scripts/fuzz.sh; FUZZ_SECS per target)
#   3. cargo xtask build (debug: gateway + wasm web app, back office as a lazily loaded chunk; xtask/)
#   4. Playwright browser tests in end2end/ against `target/debug/openfatture serve`, over HTTP and
#      again over HTTPS (HTTP/2)
# Ends with one line "N passed, M failed" (cargo tests + browser tests) and a non-zero exit status if
# anything failed. Every stage runs even if an earlier one failed, except that the browser tests need
# the build.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# shellcheck source=scripts/setup.sh
source "$repo_root/scripts/setup.sh"

log_dir="$(mktemp -d "${TMPDIR:-/tmp}/openfatture-test.XXXXXX")"
trap 'rm -rf "$log_dir"' EXIT

# where cargo puts binaries (honours CARGO_TARGET_DIR); the site always goes to target/site (Cargo.toml)
target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
passed=0
failed=0
stage_failures=()
say() { printf '\n==> %s\n' "$*"; }

# A one-off run (CI, a fresh clone) never reuses incremental state: without it the build is as fast
# and target/ is about 3 GB smaller. A developer's own runs keep cargo's default.
if [ -n "${CI:-}" ]; then
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
fi

# Free disk space, printed between stages: a run needs about 10 GB of it (bench/RESULTS.md).
disk_free() { df -h --output=avail "$repo_root" 2>/dev/null | tail -n 1 | tr -d ' '; }
echo "disk free at start: $(disk_free)"

# The same value cargo-leptos gives the server build: without it, switching between `cargo test` and
# `cargo leptos build` would recompile leptos and everything above it each time.
export LEPTOS_OUTPUT_NAME="${LEPTOS_OUTPUT_NAME:-openfatture}"

# --- 0. the compiler and the house as caretakers --------------------------------------------------
# Each check counts as one test: "passed" when clean, "failed" otherwise.
check() {
  local name="$1"
  shift
  say "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    stage_failures+=("$name")
  fi
}
check "cargo fmt --check" cargo fmt --all --check
check "cargo clippy (host, all targets)" cargo clippy --workspace --all-targets --color never -- -D warnings
check "cargo clippy (browser build, wasm32)" cargo clippy -p frontend --target wasm32-unknown-unknown --color never -- -D warnings
check "import graph (no loops between files)" python3 "$repo_root/scripts/import_graph.py"
check "amounts formatted only by app/src/format.rs" python3 "$repo_root/scripts/check_formats.py"

# --- 1. cargo test ------------------------------------------------------------------------------------
say "cargo test --workspace"
cargo_status=0
cargo test --workspace --color never 2>&1 | tee "$log_dir/cargo-test.log" || cargo_status=$?
# "test result: ok. 12 passed; 0 failed; 0 ignored; ..." once per test binary and doc-test run
read -r cargo_passed cargo_failed < <(
  awk '/^test result: / {
         for (i = 1; i <= NF; i++) {
           if ($(i+1) ~ /^passed;?$/) p += $i
           if ($(i+1) ~ /^failed;?$/) f += $i
         }
       }
       END { printf "%d %d\n", p, f }' "$log_dir/cargo-test.log"
)
passed=$((passed + cargo_passed))
failed=$((failed + cargo_failed))
if [ "$cargo_status" -ne 0 ]; then
  stage_failures+=("cargo test exited with status $cargo_status")
  if [ "$cargo_failed" -eq 0 ]; then
    failed=$((failed + 1)) # it failed before reporting a failing test (e.g. a build error)
  fi
fi

# --- 2. cargo fuzz (coverage-guided, brief) ----------------------------------------------------------
# Each target is one test: "fuzz: ok <target>" passes, "fuzz: FAIL <target>" fails.
echo "disk free after cargo test: $(disk_free)"
say "cargo fuzz (libFuzzer, ${FUZZ_SECS:-20} s per target)"
fuzz_status=0
bash "$repo_root/scripts/fuzz.sh" 2>&1 | tee "$log_dir/fuzz.log" || fuzz_status=$?
fuzz_ok=$(grep -c '^fuzz: ok ' "$log_dir/fuzz.log" || true)
fuzz_fail=$(grep -c '^fuzz: FAIL ' "$log_dir/fuzz.log" || true)
passed=$((passed + fuzz_ok))
failed=$((failed + fuzz_fail))
if [ "$fuzz_status" -ne 0 ]; then
  stage_failures+=("scripts/fuzz.sh exited with status $fuzz_status")
  if [ "$fuzz_fail" -eq 0 ]; then
    failed=$((failed + 1)) # it failed before judging a target (e.g. installing cargo-fuzz)
  fi
fi

# The fuzz build (fuzz/target) is of no use to the rest of the run: on a one-off run (CI) it goes,
# so the site build starts with that space free.
if [ -n "${CI:-}" ]; then
  rm -rf "$repo_root/fuzz/target"
fi
echo "disk free after the fuzz stage: $(disk_free)"

# --- 3. cargo xtask build (debug) ----------------------------------------------------------------------
say "cargo xtask build"
build_status=0
# split, as scripts/run.sh builds it: the back-office pages become a wasm chunk the POS never loads
cargo xtask build || build_status=$?
if [ "$build_status" -ne 0 ]; then
  stage_failures+=("cargo xtask build exited with status $build_status (browser tests not run)")
  failed=$((failed + 1))
fi

# --- 4. Playwright -------------------------------------------------------------------------------------
if [ "$build_status" -eq 0 ]; then
  # The wasm the browser downloads names no path of this machine (its home, the checkout, the
  # target dir): panic locations are remapped by .cargo/config.toml.
  say "no build-machine paths in the wasm"
  wasm_paths=0
  for wasm in "$repo_root"/target/site/pkg/*.wasm; do
    [ -f "$wasm" ] || continue
    for prefix in "$HOME/" "$repo_root/" "$target_dir/" "${CARGO_HOME:-$HOME/.cargo}/"; do
      count="$(strings "$wasm" | grep -cF -- "$prefix" || true)"
      if [ "$count" -gt 0 ]; then
        echo "$(basename "$wasm"): $count strings contain $prefix, e.g.: $(strings "$wasm" | grep -F -- "$prefix" | head -n 1 | cut -c1-160)"
        wasm_paths=$((wasm_paths + count))
      fi
    done
  done
  if [ "$wasm_paths" -eq 0 ]; then
    passed=$((passed + 1))
  else
    stage_failures+=("the wasm carries $wasm_paths build-machine paths (see --remap-path-prefix in .cargo/config.toml)")
    failed=$((failed + 1))
  fi

  # Twice: over plain HTTP, then over HTTPS with HTTP/2 (E2E_HTTPS=1: a certificate made by
  # playwright.config.ts, as a shop serves its tablet); each pass on a fresh gateway and home.
  export LEPTOS_SITE_ROOT="$repo_root/target/site"
  export OPENFATTURE_BIN="$target_dir/debug/openfatture"
  mkdir -p "$repo_root/end2end/screenshots"
  for e2e_https in 0 1; do
    scheme="HTTP"
    if [ "$e2e_https" = 1 ]; then scheme="HTTPS"; fi
    say "Playwright browser tests (end2end/) over $scheme"
    # a free port on 127.0.0.1 for the gateway under test
    E2E_PORT="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
    e2e_home="$(mktemp -d "${TMPDIR:-/tmp}/openfatture-e2e-home.XXXXXX")"
    results="$repo_root/end2end/test-results/results.json"
    rm -f "$results"
    e2e_status=0
    (cd "$repo_root/end2end" && E2E_PORT="$E2E_PORT" E2E_HTTPS="$e2e_https" E2E_OPENFATTURE_HOME="$e2e_home" \
      ./node_modules/.bin/playwright test) || e2e_status=$?
    rm -rf "$e2e_home"
    if [ -f "$results" ]; then
      read -r e2e_passed e2e_failed < <(
        node -e '
          const s = require(process.argv[1]).stats;
          console.log(`${s.expected + (s.flaky || 0)} ${s.unexpected}`);
        ' "$results"
      )
    else
      e2e_passed=0
      e2e_failed=0
    fi
    passed=$((passed + e2e_passed))
    failed=$((failed + e2e_failed))
    if [ "$e2e_status" -ne 0 ]; then
      stage_failures+=("playwright over $scheme exited with status $e2e_status")
      if [ "$e2e_failed" -eq 0 ]; then
        failed=$((failed + 1)) # e.g. the server did not start
      fi
    fi
  done
fi

# The release package's systemd unit: hardening lines present, `systemd-analyze verify` clean
# (scripts/package.sh; skipped with the reason when systemd-analyze is not installed).
check_package_unit() {
  if command -v systemd-analyze >/dev/null 2>&1; then
    check "systemd unit (packaging/openfatture.service)" bash "$repo_root/scripts/package.sh" --check-unit "$target_dir/debug/openfatture"
  else
    say "skipped: systemd-analyze verify packaging/openfatture.service (systemd-analyze is not installed)"
  fi
}
check_package_unit

echo "disk free at the end: $(disk_free)"
echo
for failure in "${stage_failures[@]+"${stage_failures[@]}"}"; do
  echo "FAILED: $failure"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "${#stage_failures[@]}" -eq 0 ]
