#!/usr/bin/env python3
"""Soak test: `kds-webhook serve` at about 80% of its measured capacity for ten minutes.

Loopback only (127.0.0.1), bounded in time (capacity probe + soak + a few seconds). Steps:

1. Start the release `serve` (pinned to core 0) with `--http2`, a policy file, and its
   certificates in a temporary directory; h2load runs on core 1.
2. Capacity: four closed-loop h2load streams at once for --probe seconds, the traffic mix of
   the soak: {HTTP/1.1, HTTP/2} x {3 KB review, 100 KB review}, each alternating `/mutate`
   and `/validate`. Each stream's requests/s is its capacity share.
3. Soak: the same four streams open-loop (h2load `--rps` per client) at --load (0.8) of their
   measured rate, in segments of --segment seconds (every segment opens new connections, so
   TLS handshakes meet the rotated certificates). Meanwhile the certificate and CA are
   rewritten every 60 s (`kds-webhook certs --force`) and the policy file every 30 s
   (alternating the two example policies, written to a temporary name and renamed as
   Kubernetes updates a mounted ConfigMap), and every --sample seconds the server's RSS, open
   file descriptors and the `kds_webhook_admission_in_flight_requests` gauge are sampled.
4. Pass when: no review failed (every request got HTTP 200; a denial is a 200), RSS and open
   fds grew by less than 5% from the end of warm-up (the first two minutes) to the end,
   the reload counters show every rotation was picked up without a reload failure, and
   latency stayed stable (no segment's p99 above 2x the median segment p99).

Writes docs/soak/report.md, docs/soak/samples.csv and docs/soak/soak.png (RSS and p99 over
time; needs matplotlib, e.g. `.venv/bin/pip install matplotlib`).

    python3 benches/soak.py                     # 10 minutes, as documented in BENCHMARKS.md
    python3 benches/soak.py --duration 120      # a quick look (warm-up scales down)

Needs h2load (Debian: nghttp2-client) and taskset.
"""

import argparse
import csv
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "kds-webhook")
BODIES = {"3KB": "benches/fixtures/review-3KB.json", "100KB": "benches/fixtures/review-100KB.json"}
POLICIES = ["examples/policies/multi-tenant.yaml", "examples/policies/single-team.yaml"]
STREAMS = [(proto, size) for proto in ("h1", "h2") for size in BODIES]
# Clients per stream: enough concurrency to fill the server, few enough that per-client
# rates stay above one request per second.
CLIENTS = {"3KB": 8, "100KB": 4}


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def metrics(admin):
    with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(kds_webhook_[a-z_]+?)(?:_total)?(?:\{[^}]*\})? ([0-9.eE+-]+)$", line)
        if m and "bucket" not in m.group(1):
            out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(2))
    return out


class Server:
    def __init__(self, work):
        self.port, self.admin = free_port(), free_port()
        self.certs = os.path.join(work, "certs")
        self.policy = os.path.join(work, "policy.yaml")
        subprocess.run([BIN, "certs", "--out", self.certs], check=True, capture_output=True)
        shutil.copy(os.path.join(ROOT, POLICIES[0]), self.policy)
        cmd = ["taskset", "-c", "0", BIN, "serve", "--addr", f"127.0.0.1:{self.port}",
               "--admin-addr", f"127.0.0.1:{self.admin}", "--cert-dir", self.certs,
               "--policy", self.policy, "--http2", "--reload-interval", "2s",
               "--log-level", "warn"]
        self.log = open(os.path.join(work, "serve.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/readyz", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit("serve did not become ready in 30 s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def h2load(port, proto, size, seconds, log_file, rps=None):
    """One h2load stream; returns (its process, the command)."""
    clients = CLIENTS[size]
    cmd = ["taskset", "-c", "1", "h2load", "-D", str(seconds), "-c", str(clients),
           "-t", "1", "-m", "1" if proto == "h1" else "4", "-d", os.path.join(ROOT, BODIES[size]),
           "-H", "Content-Type: application/json", "--log-file", log_file]
    if rps:
        cmd += ["--rps", f"{max(rps / clients, 0.1):.3f}"]
    cmd += ["--h1"] if proto == "h1" else ["--npn-list", "h2"]
    base = f"https://127.0.0.1:{port}"
    cmd += [f"{base}/mutate?timeout=10s", f"{base}/validate?timeout=10s"]
    if os.path.exists(log_file):
        os.remove(log_file)  # h2load appends
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), cmd


def parse_h2load(out):
    """Requests done, failed (any non-2xx, error or timeout) and requests/s from h2load's summary."""
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", out)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    rps = re.search(r"finished in [0-9.]+m?s, ([0-9.]+) req/s", out)
    if not m or not codes:
        return {"done": 0, "failed": 1, "rps": 0.0, "raw": out[-2000:]}
    done, failed, errored, timeout = (int(m.group(i)) for i in (3, 5, 6, 7))
    non2xx = sum(int(codes.group(i)) for i in (2, 3, 4))
    return {"done": done, "failed": failed + errored + timeout + non2xx,
            "rps": float(rps.group(1)) if rps else 0.0, "raw": ""}


def latencies_ms(log_file):
    """Per-request durations (ms) from an h2load --log-file (start, status, duration in us)."""
    out = []
    with open(log_file) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) >= 3:
                out.append(int(parts[2]) / 1000.0)
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def run_streams(server, seconds, work, tag, rates=None):
    procs = {}
    for proto, size in STREAMS:
        log = os.path.join(work, f"{tag}-{proto}-{size}.log")
        rps = rates[(proto, size)] if rates else None
        procs[(proto, size)] = (h2load(server.port, proto, size, seconds, log, rps)[0], log)
    results = {}
    for key, (p, log) in procs.items():
        out, _ = p.communicate(timeout=seconds + 60)
        r = parse_h2load(out)
        r["lat"] = latencies_ms(log) if os.path.exists(log) else []
        results[key] = r
    return results


class Rotator(threading.Thread):
    """Rewrites the certificate every 60 s and the policy every 30 s until stopped."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.stop_event = server, threading.Event()
        self.cert_rotations = self.policy_writes = 0
        self.errors = []

    def run(self):
        start = time.time()
        next_cert, next_policy = 60, 30
        while not self.stop_event.wait(0.5):
            t = time.time() - start
            if t >= next_policy:
                next_policy += 30
                self.policy_writes += 1
                src = os.path.join(ROOT, POLICIES[self.policy_writes % 2])
                tmp = self.server.policy + ".tmp"
                shutil.copy(src, tmp)
                os.replace(tmp, self.server.policy)
            if t >= next_cert:
                next_cert += 60
                r = subprocess.run([BIN, "certs", "--force", "--out", self.server.certs],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    self.errors.append(r.stdout + r.stderr)
                else:
                    self.cert_rotations += 1


def plot(samples, segments, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install matplotlib)")
        return False
    fig, ax1 = plt.subplots(figsize=(9, 4.5))
    ax1.plot([s["t"] / 60 for s in samples], [s["rss_kib"] / 1024 for s in samples], color="tab:blue",
             label="RSS (MiB)")
    ax1.set_xlabel("minutes")
    ax1.set_ylabel("RSS (MiB)", color="tab:blue")
    ax1.set_ylim(bottom=0)
    ax2 = ax1.twinx()
    for size, style in (("3KB", "-"), ("100KB", "--")):
        ax2.plot([s["t_end"] / 60 for s in segments], [s["p99"][size] for s in segments], style,
                 color="tab:red", marker=".", label=f"p99 {size} (ms)")
    ax2.set_ylabel("p99 latency (ms)", color="tab:red")
    ax2.set_ylim(bottom=0)
    fig.legend(loc="lower right")
    ax1.set_title("kds-webhook serve soak: RSS and p99 latency per segment")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=600, help="soak seconds (default 600)")
    ap.add_argument("--probe", type=int, default=20, help="capacity probe seconds")
    ap.add_argument("--load", type=float, default=0.8, help="share of capacity to drive")
    ap.add_argument("--segment", type=int, default=30, help="seconds per h2load segment")
    ap.add_argument("--sample", type=float, default=5, help="seconds between samples")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "soak"))
    ap.add_argument("--no-build", action="store_true", help="use the existing release binary")
    args = ap.parse_args()
    for tool in ("h2load", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (Debian: apt-get install nghttp2-client util-linux)")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "kds-webhook"], cwd=ROOT,
                       check=True)
    os.makedirs(args.out, exist_ok=True)
    warmup = min(120, args.duration // 5)
    work = tempfile.mkdtemp(prefix="kds-soak-")
    server = Server(work)
    try:
        print(f"capacity probe: {args.probe} s, closed loop")
        cap = run_streams(server, args.probe, work, "probe")
        rates = {k: v["rps"] * args.load for k, v in cap.items()}
        for k, v in cap.items():
            print(f"  {k[0]} {k[1]:>5}: {v['rps']:8.1f} req/s, p99 {pct(v['lat'], 0.99):.1f} ms "
                  f"-> soak at {rates[k]:.1f} req/s")
        pid = server.proc.pid
        samples, segments, failures = [], [], 0
        stop = threading.Event()
        t0 = time.time()

        def sampler():
            while not stop.is_set():
                m = metrics(server.admin)
                samples.append({"t": time.time() - t0, "rss_kib": rss_kib(pid), "fds": open_fds(pid),
                                "in_flight": m.get("kds_webhook_admission_in_flight_requests", 0),
                                "tls_reloads": m.get("kds_webhook_tls_reloads", 0),
                                "policy_reloads": m.get("kds_webhook_policy_reloads", 0)})
                stop.wait(args.sample)

        sampling = threading.Thread(target=sampler, daemon=True)
        sampling.start()
        rotator = Rotator(server)
        rotator.start()
        before = metrics(server.admin)
        while time.time() - t0 < args.duration - 1:
            seconds = int(min(args.segment, args.duration - (time.time() - t0)))
            res = run_streams(server, seconds, work, "soak", rates)
            seg = {"t_end": time.time() - t0, "done": 0, "failed": 0, "p50": {}, "p99": {}}
            for size in BODIES:
                lat = [x for (proto, sz), r in res.items() if sz == size for x in r["lat"]]
                seg["p50"][size], seg["p99"][size] = pct(lat, 0.5), pct(lat, 0.99)
            for k, r in res.items():
                seg["done"] += r["done"]
                seg["failed"] += r["failed"]
                if r["raw"]:
                    print(f"  h2load {k} gave no summary:\n{r['raw']}")
            failures += seg["failed"]
            segments.append(seg)
            print(f"  t={seg['t_end']:6.0f}s done {seg['done']:7d} failed {seg['failed']} "
                  f"p99 3KB {seg['p99']['3KB']:.1f} ms 100KB {seg['p99']['100KB']:.1f} ms "
                  f"rss {samples[-1]['rss_kib'] / 1024:.1f} MiB fds {samples[-1]['fds']}")
        rotator.stop_event.set()
        rotator.join()
        time.sleep(3)  # the last rotation's reload
        stop.set()
        sampling.join()
        after = metrics(server.admin)
    finally:
        server.stop()
    verdict = judge(args, warmup, samples, segments, failures, rotator, before, after)
    write_report(args, warmup, cap, rates, samples, segments, failures, rotator, before, after, verdict)
    shutil.rmtree(work, ignore_errors=True)
    print("soak: " + ("PASS" if all(ok for ok, _ in verdict.values()) else "FAIL"))
    sys.exit(0 if all(ok for ok, _ in verdict.values()) else 1)


def window(samples, key, lo, hi):
    xs = [s[key] for s in samples if lo <= s["t"] < hi]
    return statistics.median(xs) if xs else float("nan")


def judge(args, warmup, samples, segments, failures, rotator, before, after):
    end = samples[-1]["t"] if samples else 0
    v = {}
    v["failed reviews"] = (failures == 0, f"{failures} failed")
    for key, name in (("rss_kib", "RSS"), ("fds", "open fds")):
        a = window(samples, key, warmup, warmup + 30)
        b = window(samples, key, end - 30, end + 1)
        growth = (b - a) / a * 100 if a else float("nan")
        v[f"{name} growth after warm-up"] = (growth < 5, f"{a:.0f} -> {b:.0f} ({growth:+.1f}%)")
    steady = [s for s in segments if s["t_end"] > warmup]
    for size in BODIES:
        p99s = [s["p99"][size] for s in steady]
        med = statistics.median(p99s) if p99s else float("nan")
        worst = max(p99s) if p99s else float("nan")
        v[f"p99 {size} stable"] = (worst <= 2 * med, f"median {med:.1f} ms, worst {worst:.1f} ms")
    tls = after.get("kds_webhook_tls_reloads", 0) - before.get("kds_webhook_tls_reloads", 0)
    tls_fail = after.get("kds_webhook_tls_reload_failures", 0)
    pol = after.get("kds_webhook_policy_reloads", 0) - before.get("kds_webhook_policy_reloads", 0)
    pol_fail = after.get("kds_webhook_policy_reload_failures", 0)
    v["certificate reloads"] = (tls >= rotator.cert_rotations and tls_fail == 0 and not rotator.errors,
                                f"{rotator.cert_rotations} rotations, {tls:.0f} reloads, {tls_fail:.0f} failures")
    v["policy reloads"] = (pol >= rotator.policy_writes // 2 and pol_fail == 0,
                           f"{rotator.policy_writes} rewrites, {pol:.0f} reloads, {pol_fail:.0f} failures")
    return v


def write_report(args, warmup, cap, rates, samples, segments, failures, rotator, before, after, verdict):
    with open(os.path.join(args.out, "samples.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(samples[0].keys()))
        w.writeheader()
        for s in samples:
            w.writerow({k: (f"{v:.1f}" if isinstance(v, float) else v) for k, v in s.items()})
    plotted = plot(samples, segments, os.path.join(args.out, "soak.png"))
    total = sum(s["done"] for s in segments)
    lines = [
        "# Soak test report",
        "",
        f"Generated by `python3 benches/soak.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; "
        f"load average at the end {os.getloadavg()[0]:.1f} (the machine was shared).",
        f"`serve` (release, `--http2`, a policy, `--reload-interval 2s`) pinned to core 0, h2load to core 1.",
        "",
        f"Soak: {args.duration} s at {args.load:.0%} of the measured capacity; warm-up {warmup} s; "
        f"{len(segments)} segments of {args.segment} s (new connections each); certificate and CA "
        f"rewritten every 60 s, policy every 30 s; samples every {args.sample:g} s.",
        "",
        "## Capacity probe (closed loop, the four streams at once)",
        "",
        "| stream | clients | req/s | p50 ms | p99 ms | soak rate req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for k, v in cap.items():
        lines.append(f"| {k[0]} {k[1]} | {CLIENTS[k[1]]} | {v['rps']:.0f} | {pct(v['lat'], .5):.1f} | "
                     f"{pct(v['lat'], .99):.1f} | {rates[k]:.0f} |")
    lines += ["", f"## Verdict: {'PASS' if all(ok for ok, _ in verdict.values()) else 'FAIL'}", "",
              "| check | result | figures |", "| --- | --- | --- |"]
    for name, (ok, text) in verdict.items():
        lines.append(f"| {name} | {'pass' if ok else 'FAIL'} | {text} |")
    rss = [s["rss_kib"] / 1024 for s in samples]
    fds = [s["fds"] for s in samples]
    infl = [s["in_flight"] for s in samples]
    lines += [
        "",
        f"Reviews answered: {total} ({total / max(1, args.duration):.0f}/s), failed: {failures}.",
        f"RSS min/max {min(rss):.1f}/{max(rss):.1f} MiB; open fds min/max {min(fds)}/{max(fds)}; "
        f"in-flight gauge max {max(infl):.0f}, last {infl[-1]:.0f}.",
        "",
        "## Latency per segment (ms)",
        "",
        "| end s | reviews | failed | p50 3KB | p99 3KB | p50 100KB | p99 100KB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in segments:
        lines.append(f"| {s['t_end']:.0f} | {s['done']} | {s['failed']} | {s['p50']['3KB']:.1f} | "
                     f"{s['p99']['3KB']:.1f} | {s['p50']['100KB']:.1f} | {s['p99']['100KB']:.1f} |")
    lines += ["", "Samples (RSS KiB, fds, in-flight, reload counters): [samples.csv](samples.csv)."]
    if plotted:
        lines += ["", "![RSS and p99 over time](soak.png)"]
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
