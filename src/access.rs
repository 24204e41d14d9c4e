//! The writer's own rights decide: what a `KubernetesDaemonSet` asks the controller to do on
//! its writer's behalf, and whether that writer could do it themselves.
//!
//! The controller holds the rights to create Namespaces, DaemonSets anywhere, Roles and
//! ClusterRoles. Without a check it is a confused deputy: a tenant who may only write
//! KubernetesDaemonSets in `team-a` could have it create a DaemonSet in `kube-system`, or a
//! ClusterRole granting `*` on `*` to its pods. So the validating webhook asks the API server,
//! with a SubjectAccessReview for the request's `userInfo`, whether the writer holds each
//! right the object's expansion would use beyond its own namespace.
//!
//! ```text
//! defaulted object ──plan()──▶ Plan { needs }            pure (this module, plan.rs)
//!   stays in its own namespace, no RBAC, no namespace creation → no needs: no API call
//! Plan ──first_round()──▶ permissions to review          pure
//!      ──second_round(answers)──▶ the rules of grants not covered by escalate+bind
//! answers ──verdict()──▶ FieldErrors (Forbidden, one per field)   pure (verdict.rs)
//! review.rs: SubjectAccessReview calls, a short TTL cache, fail closed   (IO)
//! ```
//!
//! What is checked (the writer must be allowed each):
//!
//! | the object asks for | the writer must be allowed | cause on |
//! | --- | --- | --- |
//! | a target namespace other than its own | `create kubernetesdaemonsets` and `create daemonsets` there | `spec.namespace.value` |
//! | … with ConfigMaps, a ServiceAccount, the env Secret, a Role | `create` of each kind there | `spec.config_maps[<name>]`, `spec.create_service_account`, `spec.container.app.env.secrets`, `spec.rbac.namespace_rules` |
//! | `create_namespace: true` | `create namespaces` (the target's name) | `spec.create_namespace` |
//! | `rbac.cluster_rules` | `create clusterroles` and `create clusterrolebindings` (cluster-scoped objects are outside every namespace) | `spec.rbac.cluster_rules` |
//! | `rbac.*_rules` (granted to the pods) | every granted permission in that scope, or both `escalate` and `bind` on roles/clusterroles | `spec.rbac.*_rules[i]` |
//!
//! The last row is the API server's own rule for a user creating a Role and its binding: a
//! Role needs `escalate` or every permission it grants, a binding needs `bind` or every
//! permission of the role it binds. Together: every permission, or `escalate` and `bind`.

use std::fmt;

use crate::validation::field::FieldPath;

mod cache;
pub mod connect;
mod plan;
pub mod review;
mod verdict;

pub use plan::{MAX_GRANT_PERMISSIONS, plan};
pub use review::{AccessChecker, AccessError, UserInfo};
pub use verdict::verdict;

/// API group of roles and bindings.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// One action a SubjectAccessReview asks about (its `resourceAttributes`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission {
    /// `create`, `escalate`, `bind`, or a verb a rule grants.
    pub verb: String,
    /// API group; empty for the core group.
    pub group: String,
    /// Resource, for example `daemonsets`.
    pub resource: String,
    /// Subresource, for example `log` of `pods/log`; usually empty.
    pub subresource: String,
    /// Namespace; empty for cluster scope.
    pub namespace: String,
    /// Object name; empty for any.
    pub name: String,
}

impl Permission {
    /// `verb` on `resource` (`pods/log` splits into resource and subresource) in `group`.
    pub fn new(verb: &str, group: &str, resource: &str) -> Self {
        let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
        Self {
            verb: verb.to_owned(),
            group: group.to_owned(),
            resource: resource.to_owned(),
            subresource: subresource.to_owned(),
            namespace: String::new(),
            name: String::new(),
        }
    }

    /// The same permission in a namespace (empty: cluster scope).
    #[must_use]
    pub fn in_namespace(mut self, namespace: &str) -> Self {
        self.namespace = namespace.to_owned();
        self
    }

    /// The same permission on one named object.
    #[must_use]
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// The resource as RBAC rules write it: `pods` or `pods/log`.
    pub fn resource_path(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }
}

/// In the API server's words: `create resource "daemonsets" in API group "apps" in the
/// namespace "kube-system"` (`… at the cluster scope` without a namespace).
impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} resource {:?} in API group {:?}",
            self.verb,
            self.resource_path(),
            self.group
        )?;
        if !self.name.is_empty() {
            write!(f, " named {:?}", self.name)?;
        }
        if self.namespace.is_empty() {
            f.write_str(" at the cluster scope")
        } else {
            write!(f, " in the namespace {:?}", self.namespace)
        }
    }
}

/// Where a grant's rules take effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A Role and RoleBinding in this namespace.
    Namespace(String),
    /// A ClusterRole and ClusterRoleBinding.
    Cluster,
}

impl Scope {
    /// `roles` or `clusterroles`: what `escalate` and `bind` are checked on.
    pub fn role_resource(&self) -> &'static str {
        match self {
            Self::Namespace(_) => "roles",
            Self::Cluster => "clusterroles",
        }
    }
}

/// Rules the object asks the controller to grant to its pods' ServiceAccount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// `spec.rbac.namespace_rules` or `spec.rbac.cluster_rules`; causes name `[i]` below it.
    pub field: FieldPath,
    /// Where the rules apply.
    pub scope: Scope,
    /// Per rule (by its index in the list), every permission it grants, one per group,
    /// resource, verb and name. Empty when there are more than [`MAX_GRANT_PERMISSIONS`]
    /// in all: then only `escalate` and `bind` can admit the grant.
    pub rules: Vec<Vec<Permission>>,
    /// How many permissions the rules grant in all.
    pub total: usize,
    /// `escalate` on the role (or cluster role) to be created.
    pub escalate: Permission,
    /// `bind` on the same.
    pub bind: Permission,
}

impl Grant {
    /// Whether the permissions were too many to review one by one.
    pub fn too_many(&self) -> bool {
        self.total > MAX_GRANT_PERMISSIONS
    }
}

/// One thing the writer must be allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// The writer must be allowed this action; the cause goes on `field`.
    Allowed {
        /// The field that asks for it.
        field: FieldPath,
        /// The action.
        permission: Permission,
    },
    /// The writer must hold the rules granted, or `escalate` and `bind`.
    Grant(Grant),
}

/// Every check one object needs; empty when it needs none (no API call at all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The checks, in field order.
    pub needs: Vec<Need>,
}

impl Plan {
    /// Whether the object needs no access review.
    pub fn is_empty(&self) -> bool {
        self.needs.is_empty()
    }

    /// Permissions to review first: every [`Need::Allowed`], and `escalate` and `bind` of
    /// every grant (for an administrator those two settle a grant in one round).
    pub fn first_round(&self) -> Vec<Permission> {
        let mut out = Vec::new();
        for need in &self.needs {
            match need {
                Need::Allowed { permission, .. } => out.push(permission.clone()),
                Need::Grant(g) => {
                    out.push(g.escalate.clone());
                    out.push(g.bind.clone());
                }
            }
        }
        dedup(out)
    }

    /// Permissions to review once the first round is answered: the rules of every grant
    /// that `escalate` and `bind` did not both admit.
    pub fn second_round(&self, allowed: impl Fn(&Permission) -> bool) -> Vec<Permission> {
        let mut out = Vec::new();
        for need in &self.needs {
            if let Need::Grant(g) = need
                && !(allowed(&g.escalate) && allowed(&g.bind))
            {
                out.extend(g.rules.iter().flatten().cloned());
            }
        }
        dedup(out)
    }
}

fn dedup(mut v: Vec<Permission>) -> Vec<Permission> {
    v.sort();
    v.dedup();
    v
}
