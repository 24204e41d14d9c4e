#!/usr/bin/env python3
"""Split YAML streams into one file per object for kubernetes-validate.

Usage: split-manifests.py OUT_DIR FILE...

Objects of our own kind (KubernetesDaemonSet) and cert-manager's kinds (the chart's
tls.mode=cert-manager) are skipped: their schemas are CRDs, which kubernetes-validate does not
ship. Any other kind must be a built-in one; the caller fails
the step when kubernetes-validate reports a missing schema. Prints what it wrote and skipped;
exits 1 when a file is not YAML or holds no object at all.
"""
import os
import re
import sys

import yaml  # PyYAML, a dependency of kubernetes-validate

OWN_KINDS = {("kubernetes.project-planton.org/v1", "KubernetesDaemonSet")}
CRD_GROUPS = {"cert-manager.io"}


def main() -> int:
    out_dir, files = sys.argv[1], sys.argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    written = skipped = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            try:
                docs = [d for d in yaml.safe_load_all(f) if d]
            except yaml.YAMLError as e:
                print(f"ERROR {path}: not YAML: {e}")
                return 1
        for i, doc in enumerate(docs):
            kind = doc.get("kind", "?")
            name = (doc.get("metadata") or {}).get("name", "unnamed")
            group = str(doc.get("apiVersion", "")).rpartition("/")[0]
            if (doc.get("apiVersion"), kind) in OWN_KINDS or group in CRD_GROUPS:
                print(f"skip  {path}[{i}] {kind}/{name} (a CRD kind: no upstream schema)")
                skipped += 1
                continue
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{os.path.basename(path)}-{i:02d}-{kind}-{name}")
            with open(os.path.join(out_dir, stem + ".yaml"), "w", encoding="utf-8") as out:
                yaml.safe_dump(doc, out, sort_keys=False)
            written += 1
    print(f"split {written} object(s) for validation, skipped {skipped}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
