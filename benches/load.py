#!/usr/bin/env python3
"""Load benchmark: kds-webhook `serve` against a floor server on the same TLS + HTTP stack.

The floor (`examples/floor_server.rs`) uses kds-webhook's own listener, TLS and HTTP code but
answers every request with a fixed AdmissionReview, so the ratio between the two is what the
admission path itself (decode, default, validate, policy, diff, encode) costs on top of the
transport it rides on.

Each server runs pinned to core 0 (`taskset -c 0`) and h2load to core 1. For every body size,
protocol and concurrency the script reports requests/s, p50/p99 latency (from h2load's
per-request log), server CPU time per request (utime+stime from /proc/<pid>/stat) and peak
memory (VmHWM), and the kds/floor ratios.

    python3 benches/load.py                 # build release binaries, run, print a table
    python3 benches/load.py --markdown out.md --requests 20000
    python3 benches/load.py --write-fixtures  # regenerate benches/fixtures/review-*.json

Needs h2load (Debian: nghttp2-client) and taskset. Traffic goes to 127.0.0.1 only; every run
is bounded by a request count and a timeout.
"""

import argparse
import base64
import copy
import json
import os
import platform
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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
    run(["cargo", "build", "--release", "--locked", "--bin", "kds-webhook", "--example", "floor_server"], cwd=ROOT)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Server:
    """A server process pinned to core 0, ready once its TLS port answers."""

    def __init__(self, kind, certs, http2, workdir):
        self.port, self.admin = free_port(), free_port()
        binary = os.path.join(ROOT, "target/release/kds-webhook")
        floor = os.path.join(ROOT, "target/release/examples/floor_server")
        common = ["--addr", f"127.0.0.1:{self.port}", "--admin-addr", f"127.0.0.1:{self.admin}",
                  "--tls-cert", os.path.join(certs, "tls.crt"), "--tls-key", os.path.join(certs, "tls.key")]
        if http2:
            common.append("--http2")
        # Both log at the default level (one info line per review), to a file: what a
        # deployment pays, and never a pipe that fills up and blocks the server.
        cmd = [binary, "serve"] + common if kind == "kds" else [floor] + common
        self.log_path = os.path.join(workdir, f"{kind}-server.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["taskset", "-c", "0"] + cmd, cwd=workdir,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        with open(self.log_path, errors="replace") as f:
            raise RuntimeError(f"{kind} server did not become ready: {f.read()[-2000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def check_reply(port, body, ca):
    """One request by hand: the reply must be a well-formed allowed AdmissionReview."""
    ctx = ssl.create_default_context(cafile=ca)
    req = urllib.request.Request(f"https://localhost:{port}/validate?timeout=10s", data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        reply = json.loads(r.read())
    response = reply.get("response", {})
    assert reply.get("kind") == "AdmissionReview", reply
    assert response.get("allowed") is True, response


def h2load(port, body_file, proto, concurrency, requests, log_file):
    cmd = ["taskset", "-c", "1", "h2load", "-n", str(requests), "-d", body_file,
           "-H", "content-type: application/json", "--log-file", log_file]
    if proto == "h1":
        cmd += ["--h1", "-c", str(concurrency), "-m", "1"]
    else:
        cmd += ["-c", "1", "-m", str(concurrency)]
    # The API server calls both webhooks for every apply: alternate them (h2load cycles
    # through its URIs), so the full default + validate + diff + encode path is measured.
    cmd += [f"https://127.0.0.1:{port}/mutate?timeout=10s", f"https://127.0.0.1:{port}/validate?timeout=10s"]
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


def measure(kind, certs, proto, body_name, body_file, body, concurrencies, args, workdir):
    rows = []
    server = Server(kind, certs, proto == "h2", workdir)
    try:
        check_reply(server.port, body, os.path.join(certs, "ca.crt"))
        # Warm-up: allocator, TLS session state, branch predictors.
        h2load(server.port, body_file, proto, max(concurrencies), min(2000, args.requests),
               os.path.join(workdir, "warm.log"))
        for c in concurrencies:
            before = cpu_ticks(server.proc.pid)
            s = h2load(server.port, body_file, proto, c, args.requests, os.path.join(workdir, "run.log"))
            ticks = cpu_ticks(server.proc.pid) - before
            s["cpu_us"] = ticks / os.sysconf("SC_CLK_TCK") * 1e6 / args.requests
            s.update(server=kind, proto=proto, body=body_name, conc=c)
            if s.get("2xx") != args.requests or s.get("failed") or s.get("errored"):
                raise RuntimeError(f"not every request succeeded: {s}")
            rows.append(s)
        peak = peak_rss_kib(server.proc.pid) / 1024
        for r in rows:
            r["peak_mib"] = peak
    finally:
        server.stop()
    return rows


def table(rows):
    floor = {(r["proto"], r["body"], r["conc"]): r for r in rows if r["server"] == "floor"}
    lines = ["| body | proto | streams/conns | server | req/s | p50 ms | p99 ms | CPU µs/req | peak MiB | CPU ratio | p99 ratio |",
             "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        f = floor.get((r["proto"], r["body"], r["conc"]))
        ratio = f"{r['cpu_us'] / f['cpu_us']:.2f}x" if f and r["server"] == "kds" else ""
        p99r = f"{r['p99_ms'] / f['p99_ms']:.2f}x" if f and r["server"] == "kds" else ""
        lines.append(f"| {r['body']} | {'HTTP/2, 1 conn' if r['proto'] == 'h2' else 'HTTP/1.1 keep-alive'} | {r['conc']} | "
                     f"{r['server']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['cpu_us']:.0f} | "
                     f"{r['peak_mib']:.1f} | {ratio} | {p99r} |")
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
    p.add_argument("--concurrency", default="1,16,64", help="streams (HTTP/2) or connections (HTTP/1.1)")
    p.add_argument("--protocols", default="h1,h2")
    p.add_argument("--no-build", action="store_true", help="use the release binaries already built")
    p.add_argument("--markdown", help="also write the table and machine to this file")
    p.add_argument("--write-fixtures", action="store_true", help="write benches/fixtures/review-*.json and exit")
    args = p.parse_args()
    if args.write_fixtures:
        write_fixtures()
        return
    for tool in ("h2load", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (Debian: apt-get install nghttp2-client util-linux)")
    build(args)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        certs = os.path.join(workdir, "certs")
        run([os.path.join(ROOT, "target/release/kds-webhook"), "certs", "--out", certs, "--dns-name", "localhost"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for body_name, body in bodies().items():
            body_file = os.path.join(workdir, f"review-{body_name}.json")
            with open(body_file, "wb") as f:
                f.write(body)
            print(f"# {body_name} review: {len(body)} bytes", file=sys.stderr)
            for proto in args.protocols.split(","):
                for kind in ("floor", "kds"):
                    rows += measure(kind, certs, proto, body_name, body_file, body, concurrencies, args, workdir)
                    print(f"#   {proto} {kind} done", file=sys.stderr)
    out = table(rows)
    header = f"Machine: {machine()}. Server pinned to core 0, h2load to core 1; {args.requests} requests per row."
    print(header + "\n\n" + out)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(header + "\n\n" + out + "\n")


if __name__ == "__main__":
    main()
