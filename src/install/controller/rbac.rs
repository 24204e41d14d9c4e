//! The controller's least-privilege RBAC: a ClusterRole for the objects it reconciles and
//! applies, and a Role in the release namespace for its leader-election Lease.
//!
//! Each rule says why the controller needs it. Two facts of the API server shape the verbs
//! (recorded against a real v1.36 server in the project's API server contract, §7.2 and §7.3):
//! a server-side apply that creates an object is authorized as `patch` **and** `create`; and
//! writing a Role or ClusterRole with rules the writer does not hold itself needs `escalate`,
//! binding one needs `bind`. The controller copies each tenant's `rbac` rules into Roles and
//! ClusterRoles it does not hold, so it has both. It never deletes a Namespace.

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};

use super::{Options, meta, name};

/// One RBAC rule: API group, resources, verbs.
pub type Rule = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// The watched, applied and pruned kinds' verbs: read them (watches and the drift guard), apply
/// them (create + patch), prune what a spec no longer produces (delete).
const CHILD_VERBS: &[&str] = &["get", "list", "watch", "create", "patch", "delete"];

/// The ClusterRole's rules, in the order the chart's `controller-rbac.yaml` states them.
pub const CLUSTER_RULES: &[Rule] = &[
    // Watch KubernetesDaemonSets; patch/update add and remove the cleanup finalizer.
    (
        crate::api::GROUP,
        &["kubernetesdaemonsets"],
        &["get", "list", "watch", "patch", "update"],
    ),
    // Write status (conditions, counts, inventory, outputs) through the status subresource.
    (
        crate::api::GROUP,
        &["kubernetesdaemonsets/status"],
        &["get", "patch", "update"],
    ),
    // Children carry a controller ownerReference with blockOwnerDeletion; where the
    // OwnerReferencesPermissionEnforcement admission plugin is on, the API server accepts that
    // only from a writer that may update the owner's finalizers.
    (
        crate::api::GROUP,
        &["kubernetesdaemonsets/finalizers"],
        &["update"],
    ),
    // Target namespaces: applied (create + patch), watched for drift; never deleted, a namespace
    // may hold other things.
    (
        "",
        &["namespaces"],
        &["get", "list", "watch", "create", "patch"],
    ),
    // The namespaced children: the env Secret, ConfigMaps, the ServiceAccount.
    (
        "",
        &["configmaps", "serviceaccounts", "secrets"],
        CHILD_VERBS,
    ),
    // The DaemonSet itself.
    ("apps", &["daemonsets"], CHILD_VERBS),
    // Tenants' Roles and ClusterRoles hold rules the controller does not: escalate lets it
    // write them, bind lets it bind them.
    (
        "rbac.authorization.k8s.io",
        &["roles", "clusterroles"],
        &[
            "get", "list", "watch", "create", "patch", "delete", "escalate", "bind",
        ],
    ),
    // The bindings of those roles to the tenant's ServiceAccount.
    (
        "rbac.authorization.k8s.io",
        &["rolebindings", "clusterrolebindings"],
        CHILD_VERBS,
    ),
    // Events on KubernetesDaemonSets (applied, stalled, pruned); patch updates a series.
    ("events.k8s.io", &["events"], &["create", "patch"]),
];

/// The leader-election Role's rules. `create` cannot be limited to a name (the name is not
/// known when a create is authorized), so it has a rule of its own; the rest are limited to the
/// controller's own Lease.
pub const LEASE_CREATE_RULE: Rule = ("coordination.k8s.io", &["leases"], &["create"]);
/// Read, renew (update) and release (patch) the controller's Lease, and only that one.
pub const LEASE_HOLD_RULE: Rule = (
    "coordination.k8s.io",
    &["leases"],
    &["get", "update", "patch"],
);

fn policy_rule((group, resources, verbs): Rule, names: Option<Vec<String>>) -> PolicyRule {
    let strings = |s: &[&str]| s.iter().map(|&x| x.to_owned()).collect();
    PolicyRule {
        api_groups: Some(vec![group.to_owned()]),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
        resource_names: names,
        ..PolicyRule::default()
    }
}

fn subject(opts: &Options) -> Vec<Subject> {
    vec![Subject {
        kind: "ServiceAccount".into(),
        name: name(opts),
        namespace: Some(opts.namespace.clone()),
        ..Subject::default()
    }]
}

fn role_ref(kind: &str, name: String) -> RoleRef {
    RoleRef {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: kind.into(),
        name,
    }
}

/// Name of the leader-election Role and RoleBinding.
pub fn leader_election_name(opts: &Options) -> String {
    format!("{}-leader-election", name(opts))
}

pub(super) fn cluster_role(opts: &Options) -> ClusterRole {
    ClusterRole {
        metadata: meta(opts, name(opts), false),
        rules: Some(
            CLUSTER_RULES
                .iter()
                .map(|&r| policy_rule(r, None))
                .collect(),
        ),
        ..ClusterRole::default()
    }
}

pub(super) fn cluster_role_binding(opts: &Options) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: meta(opts, name(opts), false),
        role_ref: role_ref("ClusterRole", name(opts)),
        subjects: Some(subject(opts)),
    }
}

pub(super) fn leader_election_role(opts: &Options) -> Role {
    Role {
        metadata: meta(opts, leader_election_name(opts), true),
        rules: Some(vec![
            policy_rule(LEASE_CREATE_RULE, None),
            policy_rule(LEASE_HOLD_RULE, Some(vec![name(opts)])),
        ]),
    }
}

pub(super) fn leader_election_role_binding(opts: &Options) -> RoleBinding {
    RoleBinding {
        metadata: meta(opts, leader_election_name(opts), true),
        role_ref: role_ref("Role", leader_election_name(opts)),
        subjects: Some(subject(opts)),
    }
}
