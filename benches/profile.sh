#!/usr/bin/env bash
# CPU profile of `kds-webhook serve` under load, for BENCHMARKS.md's "CPU profile" table.
#
#   benches/profile.sh NAME [BINARY] [BODY] [REQUESTS]
#   python3 benches/perf_shares.py NAME [NAME...]      # the table, from NAME.syms files
#
# The server is pinned to core 0 and h2load (HTTP/1.1, 16 connections, /mutate and /validate
# alternating) to core 1; `perf record -e cpu-clock` (no hardware counters needed) samples the
# server for 6 s while the load runs. Writes NAME.data (perf's record) and NAME.syms (self time
# per symbol) in the current directory. BINARY defaults to target/release/kds-webhook, BODY to
# the 3 KB review fixture. Traffic goes to 127.0.0.1 only. Needs perf and h2load.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=$1
bin=${2:-$root/target/release/kds-webhook}
body=${3:-$root/benches/fixtures/review-3KB.json}
requests=${4:-300000}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" certs --out "$work/certs" --dns-name localhost >/dev/null 2>&1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
admin=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
taskset -c 0 "$bin" serve --addr "127.0.0.1:$port" --admin-addr "127.0.0.1:$admin" \
    --tls-cert "$work/certs/tls.crt" --tls-key "$work/certs/tls.key" >"$work/server.log" 2>&1 &
server=$!
sleep 1.5
url="https://127.0.0.1:$port"
taskset -c 1 h2load --h1 -n "$requests" -c 16 -d "$body" -H 'content-type: application/json' \
    "$url/mutate?timeout=10s" "$url/validate?timeout=10s" >"$work/h2load.out" 2>&1 &
load=$!
sleep 1
perf record -e cpu-clock -F 2000 -g -p "$server" -o "$name.data" -- sleep 6 >/dev/null 2>&1
wait "$load"
grep -E '^requests:' "$work/h2load.out"
perf report -i "$name.data" --no-children --sort sym --stdio -g none 2>/dev/null \
    | grep -E '^ +[0-9]' >"$name.syms"
echo "wrote $name.data and $name.syms"
