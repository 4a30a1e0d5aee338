#!/usr/bin/env bash
# Runs the coverage-guided cargo-fuzz (libFuzzer) targets in fuzz/ briefly, on the stable toolchain.
#
#   bash scripts/fuzz.sh                      # every target, FUZZ_SECS (default 20) seconds each
#   FUZZ_SECS=600 bash scripts/fuzz.sh        # longer
#   bash scripts/fuzz.sh amount_parse         # only the named targets
#   FUZZ_BUILD=release FUZZ_SECS=3600 ...     # optimised build for long runs by hand (default: dev)
#
# - Installs cargo-fuzz 0.13.2 from crates.io (`--locked`) unless that version is there.
# - Builds on whatever toolchain `cargo` is (stable in CI): cargo-fuzz passes nightly-only rustc flags
#   (-Zsanitizer=address and the sanitizer-coverage settings), which stable rustc accepts because this
#   script sets RUSTC_BOOTSTRAP=1 for the fuzz build only. AddressSanitizer (with LeakSanitizer) is
#   used: its runtime ships with stable x86_64-unknown-linux-gnu. FUZZ_SANITIZER=none turns it off.
# - Builds into fuzz/target (cargo-fuzz's default), never touching the main workspace's target/.
# - libFuzzer writes new inputs into the FIRST corpus directory, so each target runs with
#   fuzz/work/corpus/<target> (ignored by git) first and the committed seeds fuzz/corpus/<target>
#   second, which it only reads.
# - Crashes, timeouts, leaks and out-of-memory inputs are saved in fuzz/artifacts/<target>/; the
#   script prints each one's path and the command that replays it.
#
# Output: one line per target, "fuzz: ok   TARGET: ..." or "fuzz: FAIL TARGET: ...", then
# "fuzz: N targets, M findings". Exit status 0 only when every target was built and ran without a
# finding. Full libFuzzer logs: fuzz/work/logs/<target>.log.
set -euo pipefail

CARGO_FUZZ_VERSION="0.13.2"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="$repo_root/fuzz"
fuzz_secs="${FUZZ_SECS:-20}"
sanitizer="${FUZZ_SANITIZER:-address}"
# dev: unoptimised, the whole dependency tree builds in minutes (CI); release: optimised with one
# codegen unit, many times more executions per second but a much longer cold build (long runs by hand)
build_mode="${FUZZ_BUILD:-dev}"
# one input slower than this, or a process larger than this, is a finding
timeout_secs="${FUZZ_TIMEOUT_SECS:-10}"
rss_limit_mb="${FUZZ_RSS_LIMIT_MB:-2048}"
all_targets=(fatturapa_parse amount_parse config_value_parse)
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=("${all_targets[@]}")
fi

say() { printf '[fuzz] %s\n' "$*" >&2; }

case "$fuzz_secs" in
  '' | *[!0-9]*)
    say "FUZZ_SECS must be a whole number of seconds, got '$fuzz_secs'"
    exit 2
    ;;
esac
for target in "${targets[@]}"; do
  if [ ! -f "$fuzz_dir/fuzz_targets/$target.rs" ]; then
    say "no fuzz target '$target' (expected $fuzz_dir/fuzz_targets/$target.rs); targets: ${all_targets[*]}"
    exit 2
  fi
done

export PATH="$HOME/.cargo/bin:$PATH"

# --- cargo-fuzz ---------------------------------------------------------------------------------------
if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz ${CARGO_FUZZ_VERSION}"; then
  say "installing cargo-fuzz ${CARGO_FUZZ_VERSION} (about a minute on 2 cores, once)"
  cargo install cargo-fuzz --version "${CARGO_FUZZ_VERSION}" --locked
fi

# Nightly-only rustc flags on the stable compiler, for the fuzz build only (not exported to the
# caller: this script runs in its own process).
export RUSTC_BOOTSTRAP=1
# config_value_parse writes a scratch config.toml under the temp dir: keep those out of /tmp.
scratch_tmp="$(mktemp -d "${TMPDIR:-/tmp}/openfatture-fuzz.XXXXXX")"
trap 'rm -rf "$scratch_tmp"' EXIT

build_flags=(--fuzz-dir "$fuzz_dir" --sanitizer "$sanitizer")
case "$build_mode" in
  dev) build_flags+=(--dev) ;;
  release) build_flags+=(--release --debug-assertions) ;;
  *)
    say "FUZZ_BUILD must be dev or release, got '$build_mode'"
    exit 2
    ;;
esac
say "$(rustc --version), cargo-fuzz ${CARGO_FUZZ_VERSION}, $build_mode build, sanitizer: $sanitizer, RUSTC_BOOTSTRAP=1"

# --- build (every selected target; an incremental no-op when nothing changed) --------------------------
build_start=$SECONDS
build_ok=1
for target in "${targets[@]}"; do
  if ! cargo fuzz build "${build_flags[@]}" "$target"; then
    build_ok=0
    break
  fi
done
say "build took $((SECONDS - build_start)) s"
if [ "$build_ok" -eq 0 ]; then
  for target in "${targets[@]}"; do
    echo "fuzz: FAIL $target: the fuzz build failed (see the cargo output above)"
  done
  echo "fuzz: ${#targets[@]} targets, ${#targets[@]} findings (build failed)"
  exit 1
fi

# --- run -----------------------------------------------------------------------------------------------
mkdir -p "$fuzz_dir/work/logs"
findings=0
for target in "${targets[@]}"; do
  work_corpus="$fuzz_dir/work/corpus/$target"
  seed_corpus="$fuzz_dir/corpus/$target"
  artifacts="$fuzz_dir/artifacts/$target"
  log="$fuzz_dir/work/logs/$target.log"
  mkdir -p "$work_corpus" "$artifacts"
  before_artifacts="$(find "$artifacts" -type f | sort)"
  say "running $target for $fuzz_secs s (log: $log)"
  status=0
  # The outer timeout is a backstop only: libFuzzer stops itself after -max_total_time.
  TMPDIR="$scratch_tmp" timeout --kill-after=30 "$((fuzz_secs + 300))" \
    cargo fuzz run "${build_flags[@]}" "$target" "$work_corpus" "$seed_corpus" -- \
    -max_total_time="$fuzz_secs" \
    -timeout="$timeout_secs" \
    -rss_limit_mb="$rss_limit_mb" \
    -print_final_stats=1 \
    >"$log" 2>&1 || status=$?

  runs="$(awk -F': *' '/^stat::number_of_executed_units:/ { print $NF }' "$log" | tail -n 1)"
  new_units="$(awk -F': *' '/^stat::new_units_added:/ { print $NF }' "$log" | tail -n 1)"
  # "#123456	DONE   cov: 812 ft: 2301 corp: 140/9133b ..." (or the last status line)
  last_status="$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last_status")"
  corp="$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last_status")"
  work_files="$(find "$work_corpus" -type f | wc -l)"
  new_artifacts="$(comm -13 <(printf '%s\n' "$before_artifacts") <(find "$artifacts" -type f | sort) | sed '/^$/d')"
  summary="${runs:-?} runs in ${fuzz_secs} s, corpus ${corp:-?} inputs (${work_files} in fuzz/work, ${new_units:-?} new), cov ${cov:-?}"

  if [ "$status" -eq 0 ] && [ -z "$new_artifacts" ]; then
    echo "fuzz: ok   $target: $summary"
    continue
  fi

  findings=$((findings + 1))
  echo "----- last lines of $log -----"
  tail -n 60 "$log"
  echo "------------------------------"
  kind="exit status $status"
  if grep -q 'ERROR: libFuzzer: timeout' "$log"; then kind="timeout (> ${timeout_secs} s for one input)"
  elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then kind="out of memory (> ${rss_limit_mb} MB)"
  elif grep -q 'ERROR: LeakSanitizer' "$log"; then kind="memory leak"
  elif grep -q 'ERROR: AddressSanitizer' "$log"; then kind="AddressSanitizer error"
  elif grep -q 'ERROR: libFuzzer: deadly signal' "$log"; then kind="crash (panic or signal)"
  elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then kind="did not stop within $((fuzz_secs + 300)) s"
  fi
  echo "fuzz: FAIL $target: $kind; $summary"
  if [ -n "$new_artifacts" ]; then
    while IFS= read -r artifact; do
      echo "fuzz:   input saved at $artifact"
      echo "fuzz:   replay:   (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run ${build_flags[*]:2} $target ${artifact#"$fuzz_dir/"})"
      echo "fuzz:   minimise: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz tmin ${build_flags[*]:2} $target ${artifact#"$fuzz_dir/"})"
    done <<<"$new_artifacts"
  else
    echo "fuzz:   no input was saved; see $log"
  fi
done

echo "fuzz: ${#targets[@]} targets, $findings findings"
[ "$findings" -eq 0 ]
