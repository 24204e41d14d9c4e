# kds-webhook container image.
#
# NOTE: no Docker engine runs in this project's CI, so this file is never built there;
# keep it simple and build it where a builder is available:
#   docker build -t ghcr.io/project-planton/kds-webhook:0.1.0 .
#
# The builder is Debian 12 (bookworm) so that the binary's glibc matches the distroless
# cc-debian12 runtime (a newer builder's glibc would not start there).
FROM rust:1.95.0-bookworm AS build
# rust-toolchain.toml follows `stable` and lists rustfmt/clippy; naming the image's own toolchain
# keeps rustup from fetching components a release build does not need.
ENV RUSTUP_TOOLCHAIN=1.95.0
WORKDIR /src
COPY . .
RUN cargo build --locked --release --bin kds-webhook \
 && install -D -m 0755 target/release/kds-webhook /out/kds-webhook

# glibc, libgcc and CA roots; no shell, no package manager; runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/kds-webhook /kds-webhook
USER 65532:65532
# 8443: webhooks (TLS); 8080: /livez, /readyz, /metrics.
EXPOSE 8443 8080
ENTRYPOINT ["/kds-webhook"]
CMD ["serve"]
