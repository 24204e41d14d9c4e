#!/usr/bin/env python3
"""Compare chart renders with `kds-webhook manifests`, object by object.

Usage: compare-chart.py HELM_RENDER.yaml MANIFESTS.yaml [HELM_RENDER.yaml MANIFESTS.yaml ...]

Each pair describes the same installation (release "kds-webhook" in the same namespace): the
default render against `manifests`, and e.g. the render with `controller.enabled=false` against
`manifests --no-controller`. Every object is compared, the controller's Deployment, ServiceAccount,
ClusterRole, ClusterRoleBinding, Role, RoleBinding and PodDisruptionBudget included. Allowed
differences, removed before comparing: Helm's own labels (helm.sh/chart, managed-by), the
pod's checksum/* annotations, the certificate bytes (each side has its own CA; only the keys
are compared), and the objects only `manifests` prints (the CRD, which Helm installs from
crds/, and the Namespace, which `helm install --create-namespace` makes). Exits 1 on any
other difference and prints it.
"""
import json
import sys

import yaml

HELM_ONLY_LABELS = {"helm.sh/chart", "app.kubernetes.io/managed-by"}
MANIFESTS_ONLY = {"CustomResourceDefinition", "Namespace"}


def load(path):
    with open(path, encoding="utf-8") as f:
        return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(f) if d}


def normalize(obj):
    obj = json.loads(json.dumps(obj))
    for meta in (obj.get("metadata", {}), obj.get("spec", {}).get("template", {}).get("metadata", {})):
        labels = meta.get("labels") or {}
        for k in HELM_ONLY_LABELS:
            labels.pop(k, None)
        annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith("checksum/")}
        if annotations:
            meta["annotations"] = annotations
        else:
            meta.pop("annotations", None)
    if obj["kind"] == "Secret":
        obj["data"] = sorted(obj.get("data", {}))
    for hook in obj.get("webhooks", []):
        if "caBundle" in hook.get("clientConfig", {}):
            hook["clientConfig"]["caBundle"] = "<present>"
    return obj


def compare(helm_path, manifests_path):
    """Prints one line per object; returns the number of differences."""
    print(f"== {helm_path} against {manifests_path}")
    helm, manifests = load(helm_path), load(manifests_path)
    failures = 0
    for key in sorted(set(helm) | set(manifests)):
        if key[0] in MANIFESTS_ONLY and key not in helm:
            print(f"skip  {key[0]}/{key[1]} (manifests only)")
            continue
        if key not in helm or key not in manifests:
            print(f"FAIL  {key[0]}/{key[1]} only in {'helm' if key in helm else 'manifests'}")
            failures += 1
            continue
        a, b = normalize(helm[key]), normalize(manifests[key])
        if a == b:
            print(f"same  {key[0]}/{key[1]}")
        else:
            failures += 1
            print(f"FAIL  {key[0]}/{key[1]} differs:")
            print("  helm:      " + json.dumps(a, sort_keys=True))
            print("  manifests: " + json.dumps(b, sort_keys=True))
    print(f"{failures} difference(s)")
    return failures


def main():
    paths = sys.argv[1:]
    if not paths or len(paths) % 2:
        print(__doc__)
        return 2
    failures = sum(compare(paths[i], paths[i + 1]) for i in range(0, len(paths), 2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
