#!/usr/bin/env python3
"""Groups the self time of `benches/profile.sh`'s NAME.syms files into the rows of
BENCHMARKS.md's CPU profile table (first matching pattern wins), one column per profile.

    python3 benches/perf_shares.py before after
"""

import re
import sys

GROUPS = [
    ("serde_json parse", r"serde_json::read|serde_json::de|strict::|admission::fast|wire::|Deserialize|"
                         r"deserialize|bulk_map|from_utf8|serde_core::de|IgnoredAny"),
    ("serde_json/ser + base64", r"serde_json::ser|serde_json::value::ser|base64|Serialize|serialize"),
    ("allocator (mimalloc)", r"^_?mi_|mimalloc"),
    ("memmove/memcpy/memcmp", r"memmove|memcpy|memcmp|memset|memchr"),
    ("log line (tracing, telemetry; clock_gettime shared with timers)",
     r"tracing|telemetry|itoa|nu_ansi|clock_gettime|crossbeam"),
    ("TLS (ring/rustls)", r"ring_core|ring::|rustls"),
    ("hyper/h2/tokio", r"hyper|h2::|tokio|mio::|http::|bytes::|want::|futures"),
    ("kds review logic (and the std code it calls)",
     r"kds_webhook|json_patch|jsonptr|core::fmt|alloc::|core::str|core::slice|btree|hashbrown"),
]


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            m = re.match(r"\s+([\d.]+)%\s+\[(.)\]\s+(.*)", line)
            if m:
                rows.append((float(m.group(1)), m.group(2), m.group(3).strip()))
    return rows


def shares(name):
    syms = load(name + ".syms")
    out = {"kernel (loopback TCP, syscalls, wake-ups)": sum(p for p, k, _ in syms if k == "k")}
    out.update({g: 0.0 for g, _ in GROUPS})
    out["other user"] = 0.0
    for pct, kind, sym in syms:
        if kind == "k":
            continue
        group = next((g for g, pat in GROUPS if re.search(pat, sym)), "other user")
        out[group] += pct
    return out


def main():
    names = sys.argv[1:]
    if not names:
        sys.exit(__doc__)
    cols = [shares(n) for n in names]
    print("| share of server CPU samples | " + " | ".join(names) + " |")
    print("| --- | " + " | ".join(["---:"] * len(names)) + " |")
    for row in cols[0]:
        print(f"| {row} | " + " | ".join(f"{c[row]:.1f}%" for c in cols) + " |")


if __name__ == "__main__":
    main()
