#!/usr/bin/env python3
"""Load benchmark: kds-webhook `serve` interleaved with two baselines in one run.

The baselines are the servers in `../shared/bench-peers/` (beside the checkout):

- `floor`: hyper 1 + rustls + tokio answering every POST with a fixed AdmissionReview, i.e.
  what TLS and HTTP alone cost on this machine;
- `minimal`: `minimal-webhook`, what a user writes first (kube's AdmissionReview types, a
  one-label JSON patch, no validation, the default allocator).

Optionally (`--servers ...,kds-floor`) also `examples/floor_server`: kds-webhook's own server
stack (limits, metrics, the log line) with a fixed answer, to split server cost from review
cost; and (`--before-bin PATH`) `kds-before`, another kds-webhook binary such as one built at an
earlier commit, so that a change is measured before and after in the same interleaved run:

    git worktree add ../before <commit> && (cd ../before && cargo build --release --bin kds-webhook)
    python3 benches/load.py --before-bin ../before/target/release/kds-webhook

All servers run at the same time on their own loopback ports, pinned to core 0 (`taskset -c 0`);
h2load runs pinned to core 1. For every row of the matrix (body x protocol x requests in
flight) each server is driven in turn, so a passing disturbance of the shared machine hits all
of them alike, and the whole matrix is repeated `--passes` times. Every run alternates
`/mutate` and `/validate` (h2load cycles through its URIs), as the API server calls both for
every apply. Per row the script prints requests/s, p50/p99 latency (from h2load's per-request
log), server CPU time per request (utime+stime from /proc/<pid>/stat), the CPU ratios
kds/minimal and kds/floor, and the p99 ratio kds/floor; at the end each server's peak RSS
(VmHWM) over the whole run.

    python3 benches/load.py                         # build everything, 2 passes, print tables
    python3 benches/load.py --no-build --passes 2 --markdown out.md
    python3 benches/load.py --write-fixtures        # regenerate benches/fixtures/review-*.json

Needs h2load (Debian: nghttp2-client), taskset and curl. Traffic goes to 127.0.0.1 only; every
run is bounded by a request count and a timeout.
"""

import argparse
import copy
import json
import os
import platform
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS_SRC = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench-peers"))
PEERS_BIN = os.path.join(ROOT, "target", "bench-peers", "release")
SEED_SPEC = {
    "namespace": {"value": "logging"},
    "create_namespace": True,
    "container": {
        "app": {
            "image": {"repo": "fluent/fluentd-kubernetes-daemonset", "tag": "v1.16-debian-elasticsearch8"},
            "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "200Mi"}},
            "volume_mounts": [
                {"name": "varlog", "mount_path": "/var/log", "host_path": "/var/log", "read_only": True},
                {"name": "containers", "mount_path": "/var/lib/docker/containers",
                 "host_path": "/var/lib/docker/containers", "read_only": True},
            ],
            "ports": [{"name": "metrics", "container_port": 24231, "network_protocol": "TCP"}],
        }
    },
    "tolerations": [{"key": "node-role.kubernetes.io/master", "operator": "Exists", "effect": "NoSchedule"}],
    "update_strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": "1"}},
}


def review(spec, uid):
    """An AdmissionReview shaped like the API server's (compact JSON, its key order)."""
    obj = {
        "apiVersion": "kubernetes.project-planton.org/v1",
        "kind": "KubernetesDaemonSet",
        "metadata": {
            "name": "fluentd-logger",
            "namespace": "logging",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps({"spec": spec})[:900]},
            "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                               "apiVersion": "kubernetes.project-planton.org/v1", "time": "2026-11-24T10:00:00Z",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {".": {}}}}],
        },
        "spec": spec,
    }
    gvk = {"group": "kubernetes.project-planton.org", "version": "v1", "kind": "KubernetesDaemonSet"}
    gvr = {"group": "kubernetes.project-planton.org", "version": "v1", "resource": "kubernetesdaemonsets"}
    return {
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": uid, "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
            "name": "fluentd-logger", "namespace": "logging", "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]},
            "object": obj, "oldObject": None, "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "kubectl-client-side-apply",
                        "fieldValidation": "Strict"},
        },
    }


def bodies():
    """The ~3 KB realistic review and the ~100 KB one (hundreds of env variables)."""
    small = copy.deepcopy(SEED_SPEC)
    small["container"]["app"]["env"] = {
        "variables": {"FLUENT_ELASTICSEARCH_HOST": {"value": "elasticsearch.logging.svc"},
                      "FLUENT_ELASTICSEARCH_PORT": {"value": "9200"},
                      "FLUENT_ELASTICSEARCH_SCHEME": {"value": "https"}},
        "secrets": {"FLUENT_ELASTICSEARCH_PASSWORD": {"secret_ref": {"name": "es-credentials", "key": "password"}}},
    }
    small["container"]["app"]["liveness_probe"] = {"http_get": {"path": "/metrics", "port_number": 24231}}
    large = copy.deepcopy(small)
    variables = large["container"]["app"]["env"]["variables"]
    for i in range(1040):
        variables[f"AGENT_SETTING_{i:04d}"] = {"value": f"value-{i:04d}-" + "x" * 48}
    out = {}
    for name, spec in (("3KB", small), ("100KB", large)):
        out[name] = json.dumps(review(spec, "705ab4f5-6393-11e8-b7cc-42010a800002"), separators=(",", ":")).encode()
    return out


FIXTURES = os.path.join(ROOT, "benches", "fixtures")


def write_fixtures():
    """The bodies as files, shared with the criterion benchmark (benches/admission.rs)."""
    os.makedirs(FIXTURES, exist_ok=True)
    for name, body in bodies().items():
        with open(os.path.join(FIXTURES, f"review-{name}.json"), "wb") as f:
            f.write(body)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build(args):
    if args.no_build:
        return
    targets = ["--bin", "kds-webhook"] + (["--example", "floor_server"] if "kds-floor" in args.servers else [])
    run(["cargo", "build", "--release", "--locked"] + targets, cwd=ROOT)
    run(["cargo", "build", "--release", "--manifest-path", os.path.join(args.peers_src, "Cargo.toml")], cwd=ROOT,
        env={**os.environ, "CARGO_TARGET_DIR": os.path.join(ROOT, "target", "bench-peers")})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15), every thread


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Server:
    """One server process pinned to core 0, on its own loopback port."""

    def __init__(self, name, args, certs, workdir):
        self.name, self.port = name, free_port()
        addr = f"127.0.0.1:{self.port}"
        if name in ("kds", "kds-before", "kds-floor"):
            binary = {"kds": os.path.join(ROOT, "target/release/kds-webhook"),
                      "kds-before": args.before_bin,
                      "kds-floor": os.path.join(ROOT, "target/release/examples/floor_server")}[name]
            cmd = ([binary] if name == "kds-floor" else [binary, "serve"]) + [
                "--addr", addr, "--admin-addr", f"127.0.0.1:{free_port()}",
                "--tls-cert", os.path.join(certs, "tls.crt"), "--tls-key", os.path.join(certs, "tls.key"),
                # ALPN offers h2 and http/1.1; h2load --h1 picks the latter.
                "--http2"]
        else:
            cmd = [os.path.join(args.peers_bin, "floor" if name == "floor" else args.minimal), addr]
        # Logs go to a file at the default level (kds: one info line per review): what a
        # deployment pays, and never a pipe that fills up and blocks the server.
        self.log_path = os.path.join(workdir, f"{name}-server.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["taskset", "-c", "0"] + cmd, cwd=workdir,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def url(self, path):
        return f"https://127.0.0.1:{self.port}{path}"

    def wait_ready(self, body):
        """Until one /validate POST is answered with an allowed AdmissionReview."""
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        deadline, err = time.time() + 30, None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                req = urllib.request.Request(self.url("/validate?timeout=10s"), data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
                    reply = json.loads(r.read())
                assert reply.get("kind") == "AdmissionReview", reply
                assert reply.get("response", {}).get("allowed") is True, reply
                return
            except (OSError, ValueError) as e:
                err = e
                time.sleep(0.1)
        self.stop()
        with open(self.log_path, errors="replace") as f:
            raise RuntimeError(f"{self.name} did not answer ({err}): {f.read()[-2000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def h2load(server, body_file, proto, concurrency, requests, log_file):
    cmd = ["taskset", "-c", "1", "h2load", "-n", str(requests), "-d", body_file,
           "-H", "content-type: application/json", "--log-file", log_file]
    if proto == "h1":
        cmd += ["--h1", "-c", str(concurrency), "-m", "1"]
    else:  # one multiplexed HTTP/2 connection, as the API server keeps
        cmd += ["-c", "1", "-m", str(concurrency)]
    cmd += [server.url("/mutate?timeout=10s"), server.url("/validate?timeout=10s")]
    if os.path.exists(log_file):
        os.remove(log_file)  # h2load appends to an existing log
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout
    summary = {}
    for line in out.splitlines():
        if line.startswith("finished in"):
            summary["rps"] = float(line.split(",")[1].split()[0])
        if line.startswith("status codes:"):
            summary["2xx"] = int(line.split()[2])
        if line.startswith("requests:"):
            parts = line.replace(",", "").split()
            summary["failed"] = int(parts[parts.index("failed") - 1])
            summary["errored"] = int(parts[parts.index("errored") - 1])
    with open(log_file) as f:
        lat = sorted(int(l.split("\t")[2]) for l in f if l.strip())
    summary["p50_ms"] = lat[len(lat) // 2] / 1000
    summary["p99_ms"] = lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000
    return summary


def measure(server, body_file, proto, conc, requests, workdir):
    before = cpu_ticks(server.proc.pid)
    s = h2load(server, body_file, proto, conc, requests, os.path.join(workdir, "run.log"))
    ticks = cpu_ticks(server.proc.pid) - before
    s["cpu_us"] = ticks / os.sysconf("SC_CLK_TCK") * 1e6 / requests
    if s.get("2xx") != requests or s.get("failed") or s.get("errored"):
        raise RuntimeError(f"{server.name}: not every request succeeded: {s}")
    return s


PROTO_LABEL = {"h1": "HTTP/1.1", "h2": "HTTP/2 1 conn"}


def table(rows, names):
    head = ["body", "proto", "in flight"]
    for n in names:
        head += [f"{n} µs/req", f"{n} p99 ms"]
    head += ["kds/minimal CPU", "kds/floor CPU", "kds/floor p99", "kds req/s"]
    if "kds-before" in names:
        head += ["kds/kds-before CPU"]
    lines = ["| " + " | ".join(head) + " |", "| --- | --- | ---: | " + " | ".join(["---:"] * (len(head) - 3)) + " |"]
    for r in rows:
        cells = [r["body"], PROTO_LABEL[r["proto"]], str(r["conc"])]
        for n in names:
            cells += [f"{r[n]['cpu_us']:.0f}", f"{r[n]['p99_ms']:.2f}"]
        k = r.get("kds")
        ratio = lambda a, b, key: f"{a[key] / b[key]:.2f}x" if a and b and b[key] else ""
        cells += [ratio(k, r.get("minimal"), "cpu_us"), ratio(k, r.get("floor"), "cpu_us"),
                  ratio(k, r.get("floor"), "p99_ms"), f"{k['rps']:.0f}" if k else ""]
        if "kds-before" in names:
            cells.append(ratio(k, r.get("kds-before"), "cpu_us"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model or platform.processor()}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=20000, help="requests per measurement (default 20000)")
    p.add_argument("--concurrency", default="16,64", help="connections (HTTP/1.1) or streams (HTTP/2)")
    p.add_argument("--protocols", default="h1,h2", help="h1: HTTP/1.1; h2: one multiplexed HTTP/2 connection")
    p.add_argument("--bodies", default="3KB,100KB")
    p.add_argument("--passes", type=int, default=2, help="repeats of the whole matrix (default 2)")
    p.add_argument("--servers", default="floor,minimal,kds", help="any of floor,minimal,kds,kds-floor")
    p.add_argument("--minimal", default="minimal-webhook", help="the minimal webhook's binary name")
    p.add_argument("--peers-src", default=PEERS_SRC, help="bench-peers source folder")
    p.add_argument("--peers-bin", default=PEERS_BIN, help="where the bench-peers binaries are")
    p.add_argument("--before-bin", help="another kds-webhook binary (say, built at an earlier commit), "
                   "run as `kds-before` in the same rows: a before/after measured in one run")
    p.add_argument("--no-build", action="store_true", help="use the release binaries already built")
    p.add_argument("--markdown", help="also write the tables and machine to this file")
    p.add_argument("--write-fixtures", action="store_true", help="write benches/fixtures/review-*.json and exit")
    args = p.parse_args()
    if args.write_fixtures:
        write_fixtures()
        return
    for tool in ("h2load", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (Debian: apt-get install nghttp2-client util-linux)")
    args.servers = args.servers.split(",")
    build(args)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    all_bodies = bodies()
    if args.before_bin:
        args.servers.append("kds-before")
    names = [n for n in ("floor", "minimal", "kds-floor", "kds-before", "kds") if n in args.servers]
    out = [f"Machine: {machine()}. Servers pinned to core 0, h2load to core 1; {args.requests} requests "
           f"per row, /mutate and /validate alternating; servers interleaved within each row."]
    with tempfile.TemporaryDirectory() as workdir:
        certs = os.path.join(workdir, "certs")
        run([os.path.join(ROOT, "target/release/kds-webhook"), "certs", "--out", certs, "--dns-name", "localhost"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        files = {}
        for name in args.bodies.split(","):
            files[name] = os.path.join(workdir, f"review-{name}.json")
            with open(files[name], "wb") as f:
                f.write(all_bodies[name])
        servers = {n: Server(n, args, certs, workdir) for n in names}
        try:
            for s in servers.values():
                s.wait_ready(all_bodies["3KB"])
                # Warm-up: allocator, TLS session state, branch predictors.
                for proto in args.protocols.split(","):
                    h2load(s, files[next(iter(files))], proto, 16, min(2000, args.requests),
                           os.path.join(workdir, "warm.log"))
            for n in range(1, args.passes + 1):
                rows, load0 = [], load_average()
                for body_name, body_file in files.items():
                    for proto in args.protocols.split(","):
                        for c in concurrencies:
                            row = {"body": body_name, "proto": proto, "conc": c}
                            for name, s in servers.items():
                                row[name] = measure(s, body_file, proto, c, args.requests, workdir)
                            rows.append(row)
                            print(f"# pass {n}: {body_name} {proto} {c} done", file=sys.stderr)
                out.append(f"### Pass {n} (load average {load0} before, {load_average()} after)\n\n"
                           + table(rows, names))
            peaks = ", ".join(f"{n} {peak_rss_kib(s.proc.pid) / 1024:.1f} MiB" for n, s in servers.items())
            out.append(f"Peak RSS (VmHWM) over the whole run: {peaks}.")
        finally:
            for s in servers.values():
                s.stop()
    text = "\n\n".join(out)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
