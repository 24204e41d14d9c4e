# Task runner (https://just.systems). `just` lists the recipes; CI runs `just ci`.

default:
    @just --list

# Format the code (and the fuzz targets, a crate of their own).
fmt:
    cargo fmt --all
    cargo fmt --manifest-path fuzz/Cargo.toml --all

# Check formatting without changing files.
fmt-check:
    cargo fmt --all -- --check
    cargo fmt --manifest-path fuzz/Cargo.toml --all -- --check

# Lint with clippy; warnings are errors.
clippy:
    cargo clippy --locked --all-targets --all-features -- -D warnings
    cargo clippy --manifest-path fuzz/Cargo.toml --locked --all-targets -- -D warnings

# Run the tests (nextest when installed, then the doctests it does not run).
test:
    #!/usr/bin/env bash
    set -euo pipefail
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run --locked
        cargo test --locked --doc
    else
        cargo test --locked
    fi

# Build the docs; broken links and missing docs fail.
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps

# Regenerate the chart's CRD from the Rust types (tests/chart.rs and CI check it is current).
generate:
    cargo run --locked -q -- crd > charts/kds-webhook/crds/kubernetesdaemonsets.yaml

# Write development certificates for `serve` into certs/ (localhost).
certs:
    cargo run --locked -- certs --out certs/

# Serve the webhooks locally (generates dev certificates under certs/ when none exist).
run:
    cargo run -- serve

# Lint the chart with the helm that `.ci/run` installs into .venv (from PyPI).
helm-lint:
    .venv/bin/helm lint --strict --namespace kds-system charts/kds-webhook

# Render the chart with its defaults (or `just helm-template -f charts/kds-webhook/ci/secret-values.yaml`).
helm-template *ARGS:
    .venv/bin/helm template kds-webhook charts/kds-webhook --namespace kds-system {{ARGS}}

# Fuzz every target (or the ones named) for SECONDS each; CI runs 60 s. New corpus entries
# stay in fuzz/.corpus/, crashes go to fuzz/artifacts/ (see the README's "Fuzzing").
fuzz SECONDS="600" *TARGETS:
    fuzz/run.sh {{SECONDS}} {{TARGETS}}

# Soak `serve` for 10 minutes at 80% of its capacity; writes docs/soak/ (needs h2load).
soak *ARGS:
    python3 benches/soak.py {{ARGS}}

# Everything CI runs: fmt, clippy, tests, CRD drift, chart and Kubernetes schema checks.
ci:
    bash .ci/run
