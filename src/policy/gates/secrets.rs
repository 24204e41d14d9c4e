//! Gate `secrets`: `spec.container.app.env.secrets[K].secret_ref.namespace` naming another
//! namespace than the one the DaemonSet runs in.
//!
//! A pod can only read Secrets of its own namespace, so the expansion ignores this field; a
//! reference elsewhere is either a mistake or an attempt to reach another tenant's Secret
//! through tooling that honours it. An empty or absent namespace means the target namespace.

use serde::Deserialize;

use super::{Check, Ctx, Errors, Sink};
use crate::policy::Mode;
use crate::validation::field::FieldPath;

/// The `secrets` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Config {
    pub(crate) mode: Option<Mode>,
    allow_cross_namespace_secret_refs: Option<bool>,
}

impl Config {
    pub(crate) fn merge(base: &Self, over: &Self) -> Self {
        merge_fields!(
            base,
            over,
            Self {
                mode,
                allow_cross_namespace_secret_refs,
            }
        )
    }

    pub(crate) fn compile(&self, _at: &str, _errs: &mut Errors) -> Gate {
        Gate {
            mode: self.mode.unwrap_or_default(),
            allow_cross_namespace: self.allow_cross_namespace_secret_refs.unwrap_or(false),
        }
    }
}

/// The compiled `secrets` gate.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gate {
    mode: Mode,
    allow_cross_namespace: bool,
}

impl Check for Gate {
    const NAME: &'static str = "secrets";

    fn mode(&self) -> Mode {
        self.mode
    }

    fn check(&self, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
        if self.allow_cross_namespace {
            return;
        }
        let secrets = ctx
            .kds
            .spec
            .container
            .as_ref()
            .and_then(|c| c.app.as_ref())
            .and_then(|a| a.env.as_ref())
            .and_then(|e| e.secrets.as_ref());
        let target = ctx.target_namespace();
        for (name, value) in secrets.into_iter().flatten() {
            let ns = value
                .secret_ref
                .as_ref()
                .and_then(|r| r.namespace.as_deref())
                .unwrap_or_default();
            if !ns.is_empty() && ns != target {
                sink.violation(
                    FieldPath::root("spec")
                        .child("container")
                        .child("app")
                        .child("env")
                        .child("secrets")
                        .key(name)
                        .child("secret_ref")
                        .child("namespace"),
                    format_args!("secret in namespace {ns:?} is not allowed"),
                    &format!("{target:?}"),
                );
            }
        }
    }
}
