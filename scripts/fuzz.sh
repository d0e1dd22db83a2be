#!/usr/bin/env bash
# Coverage-guided fuzzing of the function crate (fuzz/, cargo-fuzz and libFuzzer on nightly Rust):
# every target in fuzz/fuzz_targets/ runs for the given time, one after the other.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]      # default 30
#
# Installs cargo-fuzz (pinned) when it is missing or another version. Needs the nightly toolchain
# (`cargo +nightly`); stable stays the project's toolchain. Each target starts from its committed
# seeds (fuzz/seeds/<target>/) and from what earlier runs found (fuzz/corpus/<target>/, not
# committed); crash artifacts go to fuzz/artifacts/<target>/. Prints, per target, the executions,
# the final coverage and the corpus size; exits non-zero if a target crashes, naming the artifact
# (reproduce in fuzz/ with `cargo +nightly fuzz run --sanitizer none --codegen-units 16 <target>
# <artifact>`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO_FUZZ_VERSION=0.13.2
SECONDS_PER_TARGET=${1:-30}
# How the targets are built (the same for `build` and `run`, so that `run` builds nothing):
# - no sanitizer: the function crate is safe Rust but for one SSE2 load of a fixed-size array, so
#   AddressSanitizer would find nothing that Rust's own checks (bounds, overflow, debug
#   assertions: on) miss; without it the build is shorter and the runs faster, and
#   libFuzzer's own interceptors still feed it the bytes of failed comparisons;
# - 16 codegen units instead of one: the AWS SDK crates, linked but never run, are each hundreds
#   of megabytes of code, and one unit each would leave one of the two cores idle for minutes.
BUILD_FLAGS=(--sanitizer none --codegen-units 16)

say() { echo "fuzz.sh: $*"; }
die() {
    echo "fuzz.sh: $*" >&2
    exit 1
}

[[ $SECONDS_PER_TARGET =~ ^[1-9][0-9]*$ ]] || die "usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET] (a whole number of seconds, got '$SECONDS_PER_TARGET')"

if ! cargo +nightly --version >/dev/null 2>&1; then
    die "the nightly Rust toolchain is missing: fuzzing needs it (libFuzzer's instrumentation and sanitizers are nightly-only). Install it with 'rustup toolchain install nightly --profile minimal', then run this script again."
fi

installed=$(cargo fuzz --version 2>/dev/null | awk '{print $2}' || true)
if [[ $installed != "$CARGO_FUZZ_VERSION" ]]; then
    say "installing cargo-fuzz $CARGO_FUZZ_VERSION (found: ${installed:-none})"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
say "$(cargo +nightly --version), cargo-fuzz $(cargo fuzz --version | awk '{print $2}')"

cd fuzz
mapfile -t targets < <(cargo +nightly fuzz list)
((${#targets[@]} > 0)) || die "no fuzz targets in fuzz/fuzz_targets"

# One build of every target first, so that each run's time is spent fuzzing.
say "building ${targets[*]}"
build_start=$SECONDS
cargo +nightly fuzz build "${BUILD_FLAGS[@]}"
say "built in $((SECONDS - build_start)) s"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
for target in "${targets[@]}"; do
    corpus=corpus/$target
    seeds=seeds/$target
    mkdir -p "$corpus" "$seeds"
    log=$logs/$target.log
    say "running $target for ${SECONDS_PER_TARGET} s"
    status=0
    # A dictionary of the tokens the target's parser compares against, when there is one.
    dict=()
    [[ -f dicts/$target.dict ]] && dict=("-dict=dicts/$target.dict")
    cargo +nightly fuzz run "${BUILD_FLAGS[@]}" "$target" "$corpus" "$seeds" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
        >"$log" 2>&1 || status=$?
    # libFuzzer's last status line: "#N  DONE  cov: C ft: F corp: K/S ..."; then its final stats.
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last")
    echo "$target: ${execs:-?} executions (${rate:-?}/s), cov: ${cov:-?} ft: ${ft:-?}, corpus ${corp:-?} (inputs/bytes)"
    if ((status != 0)); then
        echo "$target: FAILED (exit $status); the last lines of its log:" >&2
        tail -n 40 "$log" >&2
        artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)
        [[ -n $artifact ]] && echo "$target: crash artifact $artifact" >&2
        failed+=("$target")
    fi
done

if ((${#failed[@]} > 0)); then
    die "crashed: ${failed[*]}"
fi
say "no crash in ${targets[*]} (${SECONDS_PER_TARGET} s each)"
