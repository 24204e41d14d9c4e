//! RBAC for the pods' ServiceAccount (planton-spec §7.2 rows 4a–4d).
//!
//! The original creates these only with `create_service_account` and silently ignores the
//! rules otherwise (quirk 4). Here they are bound to whichever ServiceAccount the pods run as
//! (`naming::service_account`: the created one or a named existing one), so the rules always
//! take effect for the pods they were written for. With no ServiceAccount at all they are not
//! created: granting them to the namespace's `default` account would widen every other pod's
//! rights.

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};

use super::meta;
use crate::api::{KubernetesDaemonSet, KubernetesDaemonSetRbacRule};
use crate::naming;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// ClusterRole and ClusterRoleBinding for `rbac.cluster_rules`, named by
/// `naming::cluster_rbac_name`.
pub(super) fn cluster(kds: &KubernetesDaemonSet) -> Option<(ClusterRole, ClusterRoleBinding)> {
    let rules = rules(kds, |r| r.cluster_rules.as_deref())?;
    let sa = naming::service_account(kds)?;
    let name = naming::cluster_rbac_name(kds);
    let role = ClusterRole {
        metadata: meta(kds, name.clone(), false),
        rules: Some(rules),
        ..ClusterRole::default()
    };
    let binding = ClusterRoleBinding {
        metadata: meta(kds, name.clone(), false),
        role_ref: role_ref("ClusterRole", name),
        subjects: Some(vec![subject(kds, sa)]),
    };
    Some((role, binding))
}

/// Role and RoleBinding in the target namespace for `rbac.namespace_rules`.
pub(super) fn namespaced(kds: &KubernetesDaemonSet) -> Option<(Role, RoleBinding)> {
    let rules = rules(kds, |r| r.namespace_rules.as_deref())?;
    let sa = naming::service_account(kds)?;
    let name = naming::namespace_rbac_name(kds);
    let role = Role {
        metadata: meta(kds, name.clone(), true),
        rules: Some(rules),
    };
    let binding = RoleBinding {
        metadata: meta(kds, name.clone(), true),
        role_ref: role_ref("Role", name),
        subjects: Some(vec![subject(kds, sa)]),
    };
    Some((role, binding))
}

fn rules(
    kds: &KubernetesDaemonSet,
    pick: impl Fn(&crate::api::KubernetesDaemonSetRbac) -> Option<&[KubernetesDaemonSetRbacRule]>,
) -> Option<Vec<PolicyRule>> {
    let given = kds.spec.rbac.as_ref().and_then(pick)?;
    (!given.is_empty()).then(|| given.iter().map(policy_rule).collect())
}

fn policy_rule(r: &KubernetesDaemonSetRbacRule) -> PolicyRule {
    PolicyRule {
        api_groups: r.api_groups.clone(),
        resources: r.resources.clone(),
        verbs: r.verbs.clone().unwrap_or_default(),
        resource_names: r.resource_names.clone().filter(|n| !n.is_empty()),
        non_resource_urls: None,
    }
}

fn role_ref(kind: &str, name: String) -> RoleRef {
    RoleRef {
        api_group: Some(RBAC_GROUP.to_owned()),
        kind: kind.to_owned(),
        name,
    }
}

fn subject(kds: &KubernetesDaemonSet, sa: String) -> Subject {
    Subject {
        api_group: None,
        kind: "ServiceAccount".to_owned(),
        name: sa,
        namespace: Some(naming::target_namespace(kds).to_owned()),
    }
}
