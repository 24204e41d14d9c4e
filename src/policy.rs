//! Operator-configured policy gates for shared clusters.
//!
//! A DaemonSet is the most dangerous workload a tenant can ask for: it runs on every node,
//! often privileged, with host paths, host ports and cluster-wide RBAC. A policy file says
//! what tenants may do, gate by gate, with per-namespace exemptions and overrides; the
//! webhook enforces it with a message naming the field and the rule. The file format and every
//! gate are documented in `docs/policy.md`.
//!
//! Interface used by the server and the CLI: [`Policy::load`] / [`Policy::from_yaml`] validate
//! the file and compile it (globs, quantities, ranges) once; [`Policy::evaluate`] runs on every
//! request against the defaulted object and returns a [`PolicyReport`]. A `Policy` is an
//! `Arc` inside, so cloning it for a reload or a task is cheap.
//!
//! ```text
//! config   YAML → PolicyFile (key paths in errors) → checked → compiled scopes
//! scope    namespace → first matching entry → exempt | gates (defaults + overrides)
//! gates    images, hostPaths, privilege, hostPorts, resources, placement, tenancy, secrets
//! ```

use std::path::Path;
use std::sync::Arc;

use crate::api::KubernetesDaemonSet;
use crate::validation::field::{FieldErrors, FieldPath};

mod config;
mod gates;
pub(crate) mod image_ref;
pub(crate) mod pattern;
mod scope;

pub use config::{API_VERSION, KIND};
pub use gates::GATES;
pub use scope::ScopeMatch;

/// What a gate does when it finds a violation.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deny the request.
    Enforce,
    /// Allow it, with a warning and an audit annotation.
    Warn,
    /// Do not evaluate.
    #[default]
    Off,
}

impl Mode {
    /// The mode's name as written in the policy file and in metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Warn => "warn",
            Self::Off => "off",
        }
    }
}

/// Why a policy file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("failed to read policy file {path}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file's content is not a valid policy.
    #[error("invalid policy: {0}")]
    Invalid(String),
}

/// A validated, compiled policy. The default policy has every gate `off`: it allows
/// everything, which is what running without a policy file means.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    compiled: Arc<scope::Compiled>,
}

/// One gate's verdict on one object, for metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The gate's name, for example `privilege`.
    pub gate: &'static str,
    /// The mode the gate ran in (after namespace overrides).
    pub mode: Mode,
    /// True when the gate found at least one violation.
    pub violated: bool,
}

/// A violation of a gate in `warn` mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateWarning {
    /// The gate's name.
    pub gate: &'static str,
    /// The offending field.
    pub path: FieldPath,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl std::fmt::Display for GateWarning {
    /// `<path>: policy <gate>: <what>[; allowed: ...]`, under the 120 characters a webhook
    /// warning may use (the message is budgeted for it when the gate builds it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Everything the gates found in one object.
#[derive(Clone, Debug, Default)]
pub struct PolicyReport {
    /// Violations of gates in `enforce` mode, as `Forbidden` field errors.
    pub denials: FieldErrors,
    /// Violations of gates in `warn` mode.
    pub warnings: Vec<GateWarning>,
    /// One entry per gate evaluated.
    pub decisions: Vec<Decision>,
}

impl PolicyReport {
    /// True when no `enforce` gate was violated: the request may be admitted.
    pub fn allowed(&self) -> bool {
        self.denials.is_empty()
    }
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_yaml(&text)
    }

    /// Parses and validates a policy; the error lists every problem, each with its key path
    /// (`defaults.hostPorts.allowed[0].max: must be >= min (9100)`).
    pub fn from_yaml(text: &str) -> Result<Self, PolicyError> {
        let file = config::decode(text).map_err(PolicyError::Invalid)?;
        let compiled = config::compile(&file).map_err(|e| PolicyError::Invalid(e.join("; ")))?;
        Ok(Self {
            compiled: Arc::new(compiled),
        })
    }

    /// Runs every gate on a defaulted object living in `namespace` (its `metadata.namespace`;
    /// offline commands pass that or `default`). Gates that are `off`, and every gate in an
    /// exempt namespace, are skipped and produce no [`Decision`].
    pub fn evaluate(&self, kds: &KubernetesDaemonSet, namespace: &str) -> PolicyReport {
        let mut report = PolicyReport::default();
        if let Some(gates) = self.compiled.gates_for(namespace) {
            report.decisions.reserve_exact(GATES.len());
            gates.run(&gates::Ctx { kds, namespace }, &mut report);
        }
        report
    }

    /// Which part of the policy governs `namespace`: for logs and `kds-webhook validate`
    /// output (`exempt by namespaces[0]`).
    pub fn scope(&self, namespace: &str) -> ScopeMatch {
        self.compiled.scope(namespace)
    }
}
