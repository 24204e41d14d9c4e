//! Which access reviews a defaulted object needs, derived from its expansion so that every
//! object the controller would create outside the writer's namespace is covered, and only
//! those.

use super::{Grant, Need, Permission, Plan, RBAC_GROUP, Scope};
use crate::api::{GROUP, KubernetesDaemonSet, KubernetesDaemonSetRbacRule};
use crate::expansion;
use crate::naming;
use crate::validation::field::FieldPath;

/// Most permissions one grant is reviewed for one by one (groups × resources × verbs × names
/// of all its rules). Beyond it only `escalate` and `bind` admit the grant: a rule list can
/// multiply into thousands of reviews, and the API server's answer time with it.
pub const MAX_GRANT_PERMISSIONS: usize = 256;

/// The access reviews `kds` (defaulted and valid) needs when written into `own_namespace`.
///
/// An object whose target is its own namespace, without namespace creation and without RBAC
/// rules, needs none: whoever may write a KubernetesDaemonSet in a namespace may run its
/// DaemonSet there. That is decided before anything is expanded, so the common case costs a
/// few comparisons.
pub fn plan(kds: &KubernetesDaemonSet, own_namespace: &str) -> Plan {
    let target = naming::target_namespace(kds);
    let has_rules = kds.spec.rbac.as_ref().is_some_and(|r| {
        r.cluster_rules.as_ref().is_some_and(|v| !v.is_empty())
            || r.namespace_rules.as_ref().is_some_and(|v| !v.is_empty())
    });
    if target == own_namespace && kds.spec.create_namespace != Some(true) && !has_rules {
        return Plan::default();
    }
    // Validation has passed, so expansion succeeds; if it did not, there is nothing the
    // controller would create either. Only the companions are built: the DaemonSet goes to
    // the target namespace under the object's own name, which needs no expansion to know.
    let Some(objects) = expansion::companions_of(kds) else {
        return Plan::default();
    };
    let spec = FieldPath::root("spec");
    let elsewhere = target != own_namespace;
    let mut needs = Vec::new();
    let mut create = |field: FieldPath, group: &str, resource: &str, ns: &str, name: &str| {
        needs.push(Need::Allowed {
            field,
            permission: Permission::new("create", group, resource)
                .in_namespace(ns)
                .named(name),
        });
    };
    let name = naming::name(kds);
    if elsewhere {
        let field = spec.child("namespace").child("value");
        create(field.clone(), GROUP, "kubernetesdaemonsets", target, name);
        create(field, "apps", "daemonsets", target, name);
        for cm in &objects.config_maps {
            let cm_name = cm.metadata.name.as_deref().unwrap_or_default();
            create(
                spec.child("config_maps").key(cm_name),
                "",
                "configmaps",
                target,
                cm_name,
            );
        }
        if let Some(sa) = &objects.service_account {
            let sa_name = sa.metadata.name.as_deref().unwrap_or_default();
            let field = spec.child("create_service_account");
            create(field, "", "serviceaccounts", target, sa_name);
        }
        if objects.env_secret.is_some() {
            let field = spec.child("container").child("app").child("env");
            let secret = naming::env_secret_name(kds);
            create(field.child("secrets"), "", "secrets", target, &secret);
        }
        if objects.role.is_some() {
            let field = spec.child("rbac").child("namespace_rules");
            let rbac_name = naming::namespace_rbac_name(kds);
            create(field.clone(), RBAC_GROUP, "roles", target, &rbac_name);
            create(field, RBAC_GROUP, "rolebindings", target, &rbac_name);
        }
    }
    if objects.namespace.is_some() {
        create(spec.child("create_namespace"), "", "namespaces", "", target);
    }
    if objects.cluster_role.is_some() {
        let field = spec.child("rbac").child("cluster_rules");
        let rbac_name = naming::cluster_rbac_name(kds);
        create(field.clone(), RBAC_GROUP, "clusterroles", "", &rbac_name);
        create(field, RBAC_GROUP, "clusterrolebindings", "", &rbac_name);
    }
    let rbac = kds.spec.rbac.as_ref();
    if objects.role.is_some() {
        let rules = rbac.and_then(|r| r.namespace_rules.as_deref());
        needs.push(Need::Grant(grant(
            spec.child("rbac").child("namespace_rules"),
            Scope::Namespace(target.to_owned()),
            rules.unwrap_or_default(),
            &naming::namespace_rbac_name(kds),
        )));
    }
    if objects.cluster_role.is_some() {
        let rules = rbac.and_then(|r| r.cluster_rules.as_deref());
        needs.push(Need::Grant(grant(
            spec.child("rbac").child("cluster_rules"),
            Scope::Cluster,
            rules.unwrap_or_default(),
            &naming::cluster_rbac_name(kds),
        )));
    }
    Plan { needs }
}

/// The grant of `rules` in `scope` through the role named `role`.
fn grant(
    field: FieldPath,
    scope: Scope,
    rules: &[KubernetesDaemonSetRbacRule],
    role: &str,
) -> Grant {
    let ns = match &scope {
        Scope::Namespace(ns) => ns.as_str(),
        Scope::Cluster => "",
    };
    let total: usize = rules.iter().map(count).sum();
    let per_rule = if total > MAX_GRANT_PERMISSIONS {
        Vec::new()
    } else {
        rules.iter().map(|r| permissions(r, ns)).collect()
    };
    let on_role = |verb| {
        Permission::new(verb, RBAC_GROUP, scope.role_resource())
            .in_namespace(ns)
            .named(role)
    };
    Grant {
        field,
        escalate: on_role("escalate"),
        bind: on_role("bind"),
        scope,
        rules: per_rule,
        total,
    }
}

fn list(v: &Option<Vec<String>>) -> &[String] {
    v.as_deref().unwrap_or_default()
}

/// How many permissions a rule grants: groups × resources × verbs × (names, or one for all).
fn count(r: &KubernetesDaemonSetRbacRule) -> usize {
    let names = list(&r.resource_names).len().max(1);
    list(&r.api_groups)
        .len()
        .saturating_mul(list(&r.resources).len())
        .saturating_mul(list(&r.verbs).len())
        .saturating_mul(names)
}

/// Every permission a rule grants in namespace `ns` (empty: cluster-wide). A `*` is asked
/// for as `*`: RBAC matches a requested `*` only against a rule's own `*`, which is exactly
/// "holds the wildcard".
fn permissions(r: &KubernetesDaemonSetRbacRule, ns: &str) -> Vec<Permission> {
    let names: Vec<&str> = match list(&r.resource_names) {
        [] => vec![""],
        names => names.iter().map(String::as_str).collect(),
    };
    let mut out = Vec::new();
    for group in list(&r.api_groups) {
        for resource in list(&r.resources) {
            for verb in list(&r.verbs) {
                for name in &names {
                    out.push(
                        Permission::new(verb, group, resource)
                            .in_namespace(ns)
                            .named(name),
                    );
                }
            }
        }
    }
    out
}
