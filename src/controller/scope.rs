//! What the controller will do on anyone's behalf, whoever wrote the object: the cluster
//! administrator's limits, checked on every reconcile.
//!
//! The validating webhook checks the writer's own rights when an object is admitted. An object
//! can still reach the controller unchecked (created while the webhook was down, with
//! `failurePolicy: Ignore`, or before the webhook was installed), and the controller holds
//! rights no tenant should borrow (it can create namespaces and grant RBAC). These settings
//! bound what such an object can obtain. Each names namespaces *of the KubernetesDaemonSet*
//! (where it lives, which says who could write it) by glob.

use crate::api::KubernetesDaemonSet;
use crate::engine::object_namespace;
use crate::naming::target_namespace;
use crate::policy::pattern::Glob;

/// Flag names, for messages that tell an administrator what to change.
pub const FLAG_CROSS_NAMESPACE: &str = "--allow-cross-namespace";
/// See [`FLAG_CROSS_NAMESPACE`].
pub const FLAG_PROTECTED: &str = "--protected-namespaces";
/// See [`FLAG_CROSS_NAMESPACE`].
pub const FLAG_NAMESPACE_CREATION: &str = "--allow-namespace-creation";
/// See [`FLAG_CROSS_NAMESPACE`].
pub const FLAG_CLUSTER_RBAC: &str = "--allow-cluster-rbac";

/// Namespaces no object from another namespace may deploy into, by default.
pub const DEFAULT_PROTECTED: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// The administrator's limits.
#[derive(Clone, Debug)]
pub struct Scope {
    /// Objects in these namespaces may target another namespace.
    cross_namespace: Vec<Glob>,
    /// Never the target of an object from another namespace (an object in the namespace
    /// itself may still deploy there).
    protected: Vec<Glob>,
    /// Objects in these namespaces may have their target namespace created.
    namespace_creation: Vec<Glob>,
    /// Objects in these namespaces may grant cluster-wide RBAC (`rbac.cluster_rules`).
    cluster_rbac: Vec<Glob>,
}

/// The default of [`FLAG_CROSS_NAMESPACE`] and [`FLAG_NAMESPACE_CREATION`]: every namespace.
pub const DEFAULT_OPEN: [&str; 1] = ["*"];

impl Default for Scope {
    /// Cross-namespace targets and namespace creation are open (the seed example needs both,
    /// and the webhook checks that the writer may create there); the system namespaces are
    /// protected; cluster-wide RBAC is closed, since it is the one grant that reaches every
    /// namespace.
    fn default() -> Self {
        let globs = |v: &[&str]| v.iter().filter_map(|p| Glob::new(p).ok()).collect();
        Self {
            cross_namespace: globs(&DEFAULT_OPEN),
            protected: globs(&DEFAULT_PROTECTED),
            namespace_creation: globs(&DEFAULT_OPEN),
            cluster_rbac: Vec::new(),
        }
    }
}

/// Why an object is outside the scope: the setting and what it refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeRefusal {
    /// The flag (also a chart value) that refuses it.
    pub setting: &'static str,
    /// The sentence for the status condition and the event.
    pub message: String,
}

impl Scope {
    /// The limits from the four settings' glob lists (an empty list allows nothing).
    pub fn new(
        cross_namespace: &[String],
        protected: &[String],
        namespace_creation: &[String],
        cluster_rbac: &[String],
    ) -> Result<Self, String> {
        let parse = |flag: &str, v: &[String]| parse_globs(v).map_err(|e| format!("{flag}: {e}"));
        Ok(Self {
            cross_namespace: parse(FLAG_CROSS_NAMESPACE, cross_namespace)?,
            protected: parse(FLAG_PROTECTED, protected)?,
            namespace_creation: parse(FLAG_NAMESPACE_CREATION, namespace_creation)?,
            cluster_rbac: parse(FLAG_CLUSTER_RBAC, cluster_rbac)?,
        })
    }

    /// The first limit `kds` (defaulted) exceeds, if any.
    pub fn check(&self, kds: &KubernetesDaemonSet) -> Option<ScopeRefusal> {
        let own = object_namespace(kds);
        let target = target_namespace(kds);
        let matches = |globs: &[Glob], ns: &str| globs.iter().any(|g| g.matches(ns));
        if !target.is_empty() && target != own {
            if !matches(&self.cross_namespace, own) {
                return Some(ScopeRefusal {
                    setting: FLAG_CROSS_NAMESPACE,
                    message: format!(
                        "spec.namespace.value {target:?} is not the object's own namespace {own:?}, \
                         and the controller's {FLAG_CROSS_NAMESPACE} does not include {own:?}"
                    ),
                });
            }
            if matches(&self.protected, target) {
                return Some(ScopeRefusal {
                    setting: FLAG_PROTECTED,
                    message: format!(
                        "namespace {target:?} is protected by the controller's {FLAG_PROTECTED}: \
                         only a KubernetesDaemonSet in {target:?} itself may deploy there"
                    ),
                });
            }
        }
        if kds.spec.create_namespace == Some(true) && !matches(&self.namespace_creation, own) {
            return Some(ScopeRefusal {
                setting: FLAG_NAMESPACE_CREATION,
                message: format!(
                    "spec.create_namespace is true, and the controller's {FLAG_NAMESPACE_CREATION} \
                     does not include {own:?}"
                ),
            });
        }
        let cluster_rules = kds
            .spec
            .rbac
            .as_ref()
            .and_then(|r| r.cluster_rules.as_ref())
            .is_some_and(|r| !r.is_empty());
        if cluster_rules && !matches(&self.cluster_rbac, own) {
            return Some(ScopeRefusal {
                setting: FLAG_CLUSTER_RBAC,
                message: format!(
                    "spec.rbac.cluster_rules grant cluster-wide permissions, and the controller's \
                     {FLAG_CLUSTER_RBAC} does not include {own:?}"
                ),
            });
        }
        None
    }
}

/// Parses a list of namespace globs as given on the command line (blank entries ignored).
fn parse_globs(patterns: &[String]) -> Result<Vec<Glob>, String> {
    patterns
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(Glob::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kds(yaml: &str) -> KubernetesDaemonSet {
        let mut k = crate::manifest::load(yaml)
            .expect("parses")
            .remove(0)
            .decoded
            .expect("decodes");
        crate::defaulting::apply_defaults(&mut k);
        k
    }

    const SEED: &str = include_str!("../../tests/fixtures/specs/seed-fluentd.yaml");

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn scope(cross: &[&str], creation: &[&str], rbac: &[&str]) -> Scope {
        Scope::new(
            &strings(cross),
            &strings(&DEFAULT_PROTECTED),
            &strings(creation),
            &strings(rbac),
        )
        .expect("globs")
    }

    #[test]
    fn the_seed_example_is_within_the_default_scope() {
        assert_eq!(Scope::default().check(&kds(SEED)), None);
    }

    #[test]
    fn cross_namespace_targets_need_the_source_namespace_listed() {
        let seed = kds(SEED);
        let refusal = scope(&["platform"], &["*"], &[])
            .check(&seed)
            .expect("refused");
        assert_eq!(refusal.setting, FLAG_CROSS_NAMESPACE);
        assert!(
            refusal.message.contains(r#""logging""#),
            "{}",
            refusal.message
        );
        assert!(
            refusal.message.contains(r#""default""#),
            "{}",
            refusal.message
        );
        let mut inside = seed.clone();
        inside.metadata.namespace = Some("platform-a".into());
        assert_eq!(scope(&["platform-*"], &["*"], &[]).check(&inside), None);
    }

    #[test]
    fn protected_namespaces_take_only_their_own_objects() {
        let mut k = kds(SEED);
        k.spec.namespace.as_mut().expect("defaulted").value = Some("kube-system".into());
        let refusal = Scope::default().check(&k).expect("refused");
        assert_eq!(refusal.setting, FLAG_PROTECTED);
        k.metadata.namespace = Some("kube-system".into());
        assert_eq!(Scope::default().check(&k), None, "its own namespace");
    }

    #[test]
    fn namespace_creation_and_cluster_rbac_are_separate_settings() {
        let seed = kds(SEED);
        let refusal = scope(&["*"], &[], &[]).check(&seed).expect("refused");
        assert_eq!(refusal.setting, FLAG_NAMESPACE_CREATION);

        let rbac = kds(&format!(
            "{SEED}  create_service_account: true\n  rbac:\n    cluster_rules:\n      - api_groups: [\"\"]\n        resources: [nodes]\n        verbs: [get]\n"
        ));
        let refusal = Scope::default().check(&rbac).expect("refused by default");
        assert_eq!(refusal.setting, FLAG_CLUSTER_RBAC);
        assert!(refusal.message.contains("cluster_rules"));
        assert_eq!(scope(&["*"], &["*"], &["default"]).check(&rbac), None);
    }

    #[test]
    fn bad_globs_are_reported_with_the_pattern() {
        let err = Scope::new(&strings(&["team-["]), &[], &[], &[]).expect_err("refused");
        assert!(
            err.contains("team-[") && err.contains(FLAG_CROSS_NAMESPACE),
            "{err}"
        );
    }
}
