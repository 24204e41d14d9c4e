#!/usr/bin/env bash
# Throughput of `kds-webhook validate` on a directory of N manifests (default 1,000): the five
# examples, copied round-robin under unique names, validated RUNS times (default 5) with the
# release binary; prints each run's seconds and files/s, then the median.
#
#   cargo build --release --locked && bash benches/validate-dir.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${1:-1000}
RUNS=${2:-5}
BIN=${KDS_BIN:-target/release/kds-webhook}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
examples=(examples/cni-agent.yaml examples/fluentd-logger.yaml examples/log-shipper.yaml
    examples/node-exporter.yaml examples/security-agent.yaml)
for ((i = 0; i < N; i++)); do
    src=${examples[$((i % ${#examples[@]}))]}
    sed -E "0,/^  name: /s/^  name: (.*)$/  name: \\1-$i/" "$src" >"$DIR/agent-$(printf %04d "$i").yaml"
done
"$BIN" validate -f "$DIR" --summary

# seconds ARGS...: wall time of one `validate` run.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$BIN" validate "$@" --quiet >/dev/null
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Baseline in the same run: one file, which is process start-up, reading and the CRD schema.
one=$(for ((r = 1; r <= RUNS; r++)); do seconds -f "$DIR/agent-0000.yaml"; echo; done | median)
times=()
for ((r = 1; r <= RUNS; r++)); do
    t=$(seconds -f "$DIR")
    times+=("$t")
    awk -v t="$t" -v n="$N" 'BEGIN { printf "run: %.3f s, %.0f files/s\n", t, n / t }'
done
all=$(printf '%s\n' "${times[@]}" | median)
awk -v t="$all" -v o="$one" -v n="$N" -v r="$RUNS" 'BEGIN {
    printf "median of %d runs: %.3f s for %d files, %.0f files/s\n", r, t, n, n / t
    printf "baseline, one file: %.4f s; per file beyond it: %.3f ms\n", o, (t - o) * 1000 / (n - 1)
}'
