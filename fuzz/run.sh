#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for a bounded time on the committed corpus.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]        (default 60 s, every target)
#
# CI runs it with the default; `just fuzz 1800` runs each target for half an hour. Each target
# first replays its minimised past crashes (fuzz/regressions/TARGET/), then fuzzes from the
# committed seeds (fuzz/corpus/TARGET/) plus what earlier local runs found
# (fuzz/.corpus/TARGET/, not committed), with its dictionary. Any crash, timeout or
# out-of-memory fails the run; the reproducer is printed (libFuzzer's own report, the file
# under fuzz/artifacts/TARGET/, its bytes in base64) with the command that replays it.
#
# Only the stable toolchain is available, so the targets are built without a sanitizer
# (`--sanitizer none`: the library forbids unsafe code, so ASan would add little) but with
# debug assertions and overflow checks (`-a`), which turn silent arithmetic wrap-around into
# crashes. cargo-fuzz is installed at a pinned version into $CARGO_HOME/bin, so a CI cache of
# that directory skips the install.
#
# Environment: KDS_FUZZ_JOBS targets at once (default: the number of CPUs, at most 2);
# KDS_FUZZ_RSS_MB memory limit per target (default 2048).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
CARGO_FUZZ_VERSION=0.13.2
TARGETS_ALL=(review_mutate review_validate manifest_yaml manifest_json policy quantity image_ref tls_pem)
declare -A DICT=(
    [review_mutate]=admission [review_validate]=admission [manifest_yaml]=manifest
    [manifest_json]=admission [policy]=policy [quantity]=quantity [image_ref]=image
)

SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${TARGETS_ALL[@]}")
CPUS=$(nproc 2>/dev/null || echo 1)
JOBS=${KDS_FUZZ_JOBS:-$((CPUS < 2 ? CPUS : 2))}
RSS_MB=${KDS_FUZZ_RSS_MB:-2048}
BUILD_FLAGS=(--sanitizer none --debug-assertions)
BIN_DIR=fuzz/target/x86_64-unknown-linux-gnu/release
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

if [[ $(cargo fuzz --version 2>/dev/null) != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi
cargo fuzz --version

start=$SECONDS
cargo fuzz build "${BUILD_FLAGS[@]}"
echo "fuzz build: $((SECONDS - start)) s"
# cargo fuzz has no --locked: refuse a build that had to change the committed lock file.
git diff --exit-code -- fuzz/Cargo.lock ||
    { echo "fuzz/Cargo.lock is stale: run \`cargo fuzz build\` and commit it"; exit 1; }

# fuzz_one TARGET: replays the regressions, then fuzzes; the log goes to $LOGS/TARGET.log.
fuzz_one() {
    local t=$1 bin=$BIN_DIR/$1 log=$LOGS/$1.log
    local artifacts=fuzz/artifacts/$t/ work=fuzz/.corpus/$t
    mkdir -p "$artifacts" "$work" "fuzz/corpus/$t"
    local opts=(-timeout=10 -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB"
        -artifact_prefix="$artifacts" -print_final_stats=1)
    [[ -n ${DICT[$t]:-} ]] && opts+=(-dict="fuzz/dict/${DICT[$t]}.dict")
    local regressions=()
    if [[ -d fuzz/regressions/$t ]]; then
        while IFS= read -r f; do regressions+=("$f"); done < <(find "fuzz/regressions/$t" -type f | sort)
    fi
    if [[ ${#regressions[@]} -gt 0 ]] &&
        ! "$bin" "${opts[@]}" "${regressions[@]}" >"$log" 2>&1; then
        echo "regression" >"$LOGS/$t.failed"
        return
    fi
    "$bin" "${opts[@]}" -max_total_time="$SECONDS_PER_TARGET" "$work" "fuzz/corpus/$t" \
        >>"$log" 2>&1 || echo "fuzz" >"$LOGS/$t.failed"
}

# report TARGET: one summary line, and the whole story of a failure.
report() {
    local t=$1 log=$LOGS/$1.log
    local stats
    stats=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' || true)
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    printf '%-16s %-5s %8ss %12s runs  %s\n' "$t" \
        "$([[ -f $LOGS/$t.failed ]] && echo FAIL || echo ok)" "$SECONDS_PER_TARGET" "${runs:-?}" "$stats"
    [[ -f $LOGS/$t.failed ]] || return 0
    echo "---- $t failed ($(cat "$LOGS/$t.failed")); libFuzzer's report:"
    grep -vE '^(#[0-9]+|INFO:|WARNING: Failed to find function)' "$log" | tail -60
    local crash
    crash=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //' || true)
    [[ -z $crash ]] && crash=$(grep -oE '^Running: .*' "$log" | tail -1 | sed 's/^Running: //' || true)
    if [[ -n $crash && -f $crash ]]; then
        echo "---- reproducer: $crash ($(wc -c <"$crash") bytes), base64:"
        base64 -w 100 "$crash" | head -40
        echo "---- replay: cargo fuzz run ${BUILD_FLAGS[*]} $t $crash"
        echo "     minimise: cargo fuzz tmin ${BUILD_FLAGS[*]} $t $crash"
    fi
}

running=0
for t in "${TARGETS[@]}"; do
    [[ -x $BIN_DIR/$t ]] || { echo "no such fuzz target: $t"; exit 1; }
    fuzz_one "$t" &
    running=$((running + 1))
    if [[ $running -ge $JOBS ]]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait

echo
printf '%-16s %-5s %9s %17s  %s\n' target result time executions "coverage (libFuzzer)"
failed=0
for t in "${TARGETS[@]}"; do
    report "$t"
    [[ -f $LOGS/$t.failed ]] && failed=$((failed + 1))
done
echo "fuzz: $((${#TARGETS[@]} - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
