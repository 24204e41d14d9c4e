//! Gate `tenancy`: keeps a tenant's resource inside the tenant's namespace.
//!
//! `requireSameNamespace`: `spec.namespace.value` must equal the object's own namespace (an
//! unresolved `value_from` cannot be checked and fails). `allowCreateNamespace`:
//! `create_namespace: true`. `allowClusterRbac`: any `rbac.cluster_rules` (a ClusterRole
//! bound to the agent's ServiceAccount). `allowRbacWildcards`: a `*` anywhere in the
//! `api_groups`, `resources` or `verbs` of any RBAC rule, cluster or namespace.

use serde::Deserialize;

use super::{Check, Ctx, Errors, Sink};
use crate::api::KubernetesDaemonSetRbacRule;
use crate::policy::Mode;
use crate::validation::field::FieldPath;

/// The `tenancy` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Config {
    pub(crate) mode: Option<Mode>,
    require_same_namespace: Option<bool>,
    allow_create_namespace: Option<bool>,
    allow_cluster_rbac: Option<bool>,
    allow_rbac_wildcards: Option<bool>,
}

impl Config {
    pub(crate) fn merge(base: &Self, over: &Self) -> Self {
        merge_fields!(
            base,
            over,
            Self {
                mode,
                require_same_namespace,
                allow_create_namespace,
                allow_cluster_rbac,
                allow_rbac_wildcards,
            }
        )
    }

    pub(crate) fn compile(&self, _at: &str, _errs: &mut Errors) -> Gate {
        Gate {
            mode: self.mode.unwrap_or_default(),
            require_same_namespace: self.require_same_namespace.unwrap_or(true),
            allow_create_namespace: self.allow_create_namespace.unwrap_or(false),
            allow_cluster_rbac: self.allow_cluster_rbac.unwrap_or(false),
            allow_rbac_wildcards: self.allow_rbac_wildcards.unwrap_or(false),
        }
    }
}

/// The compiled `tenancy` gate.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gate {
    mode: Mode,
    require_same_namespace: bool,
    allow_create_namespace: bool,
    allow_cluster_rbac: bool,
    allow_rbac_wildcards: bool,
}

impl Check for Gate {
    const NAME: &'static str = "tenancy";

    fn mode(&self) -> Mode {
        self.mode
    }

    fn check(&self, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
        let spec = &ctx.kds.spec;
        let at = FieldPath::root("spec");
        if self.require_same_namespace {
            let ns = ctx.namespace;
            match crate::naming::target_namespace(ctx.kds) {
                target if target == ns => {}
                "" => sink.violation(
                    at.child("namespace").child("value"),
                    "target namespace must be set literally",
                    &format!("{ns:?}"),
                ),
                target => sink.violation(
                    at.child("namespace").child("value"),
                    format_args!("target namespace {target:?} is not the object's namespace"),
                    &format!("{ns:?}"),
                ),
            }
        }
        if !self.allow_create_namespace && spec.create_namespace == Some(true) {
            sink.violation(
                at.child("create_namespace"),
                "creating namespaces is not allowed",
                "",
            );
        }
        let Some(rbac) = &spec.rbac else { return };
        let rbac_at = at.child("rbac");
        let cluster = rbac.cluster_rules.as_deref().unwrap_or_default();
        if !self.allow_cluster_rbac && !cluster.is_empty() {
            sink.violation(
                rbac_at.child("cluster_rules"),
                "cluster-wide RBAC is not allowed",
                "namespace_rules",
            );
        }
        if !self.allow_rbac_wildcards {
            let namespaced = rbac.namespace_rules.as_deref().unwrap_or_default();
            check_wildcards(cluster, &|| rbac_at.child("cluster_rules"), sink);
            check_wildcards(namespaced, &|| rbac_at.child("namespace_rules"), sink);
        }
    }
}

fn check_wildcards(
    rules: &[KubernetesDaemonSetRbacRule],
    at: &dyn Fn() -> FieldPath,
    sink: &mut Sink<'_>,
) {
    for (i, rule) in rules.iter().enumerate() {
        let lists = [
            ("api_groups", &rule.api_groups),
            ("resources", &rule.resources),
            ("verbs", &rule.verbs),
        ];
        for (field, list) in lists {
            for (j, item) in list.iter().flatten().enumerate() {
                if item.contains('*') {
                    sink.violation(
                        at().index(i).child(field).index(j),
                        format_args!("RBAC wildcard {item:?} is not allowed"),
                        "",
                    );
                }
            }
        }
    }
}
