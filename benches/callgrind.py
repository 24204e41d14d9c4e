#!/usr/bin/env python3
"""Instructions per admission review, counted by valgrind's callgrind.

Runs the `instructions` bench binary (benches/instructions.rs: `admission::review` in a plain
loop) under callgrind twice per case, with a few and with many iterations; the difference over
the extra iterations is one review's cost in instructions, start-up and first-use costs
excluded. Instruction counts do not depend on the machine's load, so they are the figure to
iterate on when the machine is shared; time under load is `benches/load.py`'s job.

    python3 benches/callgrind.py                      # build, count, print a Markdown table
    python3 benches/callgrind.py --keep DIR           # also keep callgrind.out.* for callgrind_annotate

Needs valgrind (Debian: valgrind).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = [("3KB", "mutate"), ("3KB", "validate"), ("100KB", "mutate"), ("100KB", "validate")]
# (few, many) iterations per body: enough that the difference dwarfs the noise of start-up.
ITERATIONS = {"3KB": (10, 210), "100KB": (3, 23)}


def bench_binary():
    out = subprocess.run(
        ["cargo", "bench", "--locked", "--bench", "instructions", "--no-run", "--message-format=json"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg["target"]["name"] == "instructions":
            return msg["executable"]
    sys.exit("could not find the instructions bench binary")


def count(binary, body, webhook, n, out_file):
    """Instructions executed by one run of `binary body webhook n`."""
    r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", binary,
                        body, webhook, str(n)], capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        sys.exit(f"callgrind failed:\n{r.stderr[-3000:]}")
    m = re.search(r"Collected\s*:\s*(\d+)", r.stderr)
    if not m:
        sys.exit(f"no instruction count in callgrind's output:\n{r.stderr[-3000:]}")
    return int(m.group(1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keep", help="keep the callgrind output files (the 'many' runs) in this folder")
    p.add_argument("--label", default="instructions per review", help="column label")
    p.add_argument("--binary", help="an already built instructions bench binary (no build)")
    args = p.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind not found (Debian: apt-get install valgrind)")
    binary = args.binary or bench_binary()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.keep or tmp
        os.makedirs(out_dir, exist_ok=True)
        for body, webhook in CASES:
            few, many = ITERATIONS[body]
            a = count(binary, body, webhook, few, os.path.join(tmp, "few.out"))
            b = count(binary, body, webhook, many, os.path.join(out_dir, f"callgrind.out.{body}-{webhook}"))
            per = (b - a) / (many - few)
            rows.append((body, webhook, per))
            print(f"# {body} {webhook}: {per:,.0f}", file=sys.stderr)
    print(f"| body | webhook | {args.label} |")
    print("| --- | --- | ---: |")
    for body, webhook, per in rows:
        print(f"| {body} | {webhook} | {per:,.0f} |")


if __name__ == "__main__":
    main()
