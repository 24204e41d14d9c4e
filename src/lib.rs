//! kds-webhook: defaulting, validation, expansion and policy gates for the
//! `KubernetesDaemonSet` resource (`kubernetes.project-planton.org/v1`), served to the
//! Kubernetes API server as admission webhooks and offline as a CLI.
//!
//! Layers, each depending only on the ones above it:
//!
//! ```text
//! api, naming                 the resource's types and the names/labels it expands to
//! manifest                    text → JSON documents → typed objects (envelope checks)
//! defaulting, validation,     pure functions on the typed object; no I/O
//! expansion, policy
//! engine                      default → validate → policy → expand, for the CLI and admission
//! rollout                     what an update changes and restarts (diff, UPDATE warning)
//! access                      the writer's own rights: which SubjectAccessReviews an object
//!                             needs (pure) and the client that sends them (IO)
//! crd, yaml, install          generated artifacts: the CRD, YAML output, install manifests
//! admission                   AdmissionReview in → AdmissionReview out (no sockets)
//! certs, server, metrics,     TLS, HTTP, admin port, telemetry, the allocator's settings
//! telemetry, config,
//! allocator
//! cli                         one module per subcommand of the `kds-webhook` binary
//! ```

pub mod access;
pub mod admission;
pub mod allocator;
pub mod api;
pub mod certs;
pub mod cli;
pub mod config;
pub mod controller;
pub mod crd;
pub mod defaulting;
pub mod engine;
pub mod expansion;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod install;
pub mod manifest;
pub mod metrics;
pub mod naming;
pub mod policy;
pub mod rollout;
pub mod server;
pub mod telemetry;
pub mod validation;
pub mod yaml;

pub use api::{KubernetesDaemonSet, KubernetesDaemonSetSpec};
