#!/usr/bin/env python3
"""The controller end to end: reconcile latency and memory with N KubernetesDaemonSets.

Runs the release `kds-webhook controller` against the loopback fake API server
(`examples/fake_apiserver/`), which creates N KubernetesDaemonSets (the node exporter with a
config map, one namespace) once the controller watches, simulates a DaemonSet controller that
makes every pod available, and reports, per object, the time from its creation (the watch
event the controller receives) to the first apply of its DaemonSet. The controller's RSS is
sampled from /proc every 200 ms; its own metrics are read from its admin port at the end.

    cargo build --release --bin kds-webhook --example fake_apiserver
    python3 benches/controller.py --objects 1 --objects 1000

Loopback only, bounded in time (each run gives up after --timeout seconds).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "kds-webhook")
FAKE = os.path.join(ROOT, "target", "release", "examples", "fake_apiserver")


def rss_kib(pid):
    """(VmRSS, VmHWM) of a process in KiB."""
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))
    hwm = int(re.search(r"VmHWM:\s+(\d+)", text).group(1))
    return rss, hwm


def metric(text, name):
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def run(objects, timeout, concurrency):
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = os.path.join(tmp, "kubeconfig")
        fake = subprocess.Popen(
            [FAKE, "--addr", "127.0.0.1:18080", "--objects", str(objects),
             "--kubeconfig", kubeconfig, "--timeout", str(timeout)],
            stdout=subprocess.PIPE, text=True)
        # The fake writes the kubeconfig first thing.
        fake.stdout.readline()
        env = dict(os.environ, KUBECONFIG=kubeconfig, KDS_WEBHOOK_LOG_LEVEL="warn")
        ctl = subprocess.Popen(
            [BIN, "controller", "--leader-elect=false", "--admin-addr", "127.0.0.1:18081",
             "--concurrency", str(concurrency)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        samples = []
        start = time.time()
        try:
            while fake.poll() is None and time.time() - start < timeout + 10:
                samples.append(rss_kib(ctl.pid))
                time.sleep(0.2)
            out = fake.stdout.read()
            with urllib.request.urlopen("http://127.0.0.1:18081/metrics", timeout=5) as r:
                metrics = r.read().decode()
            samples.append(rss_kib(ctl.pid))
        finally:
            ctl.terminate()
            try:
                ctl.wait(timeout=15)
            except subprocess.TimeoutExpired:
                ctl.kill()
            fake.kill()
        ready = re.search(r"ready (\d+) of (\d+) in ([\d.]+)s", out)
        lat = re.search(r"p50 ([\d.]+) p90 ([\d.]+) p99 ([\d.]+) max ([\d.]+)", out)
        count = metric(metrics, 'kds_controller_reconciles_total{result="applied"}') or 0
        total = metric(metrics, "kds_controller_reconcile_duration_seconds_sum") or 0
        n = metric(metrics, "kds_controller_reconcile_duration_seconds_count") or 1
        return {
            "objects": objects,
            "ready": f"{ready.group(1)}/{ready.group(2)} in {float(ready.group(3)):.1f} s" if ready else "?",
            "p50": lat.group(1) if lat else "?",
            "p99": lat.group(3) if lat else "?",
            "max": lat.group(4) if lat else "?",
            "reconciles": int(count),
            "mean_ms": f"{total / n * 1000:.1f}",
            "rss_end": f"{samples[-1][0] / 1024:.1f}",
            "rss_peak": f"{max(s[1] for s in samples) / 1024:.1f}",
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, action="append", help="KubernetesDaemonSets per run (repeatable)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    for path in (BIN, FAKE):
        if not os.path.exists(path):
            sys.exit(f"{path} missing: cargo build --release --bin kds-webhook --example fake_apiserver")
    print("| objects | all Ready | created → DaemonSet applied p50 / p99 / max (ms) | reconciles (applied) | mean reconcile (ms) | RSS at end / peak (MiB) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in args.objects or [1, 1000]:
        r = run(n, args.timeout, args.concurrency)
        print(f"| {r['objects']} | {r['ready']} | {r['p50']} / {r['p99']} / {r['max']} | {r['reconciles']} | {r['mean_ms']} | {r['rss_end']} / {r['rss_peak']} |", flush=True)


if __name__ == "__main__":
    main()
