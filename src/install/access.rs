//! The installation's shared-cluster objects: the webhook's one permission (create
//! subjectaccessreviews, for the access checks) and the drift guard, a
//! ValidatingAdmissionPolicy that refuses writes to the controller's objects by anyone but the
//! controller (and the garbage collector and namespace controller, which clean up after it).
//!
//! The guard matches only the kinds a KubernetesDaemonSet expands to, and only objects with the
//! ownership label (`objectSelector`, evaluated on the old and the new object, so relabelling
//! and forging are both seen). It never matches KubernetesDaemonSets, so deleting one and
//! removing its finalizer are never held up. It needs no webhook call: the API server
//! evaluates the CEL itself.

use k8s_openapi::api::admissionregistration::v1::{
    MatchResources, NamedRuleWithOperations, ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding, ValidatingAdmissionPolicyBindingSpec,
    ValidatingAdmissionPolicySpec, Validation, Variable,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::Options;
use crate::naming::{OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL};

/// Groups whose members may write the controller's objects anyway: the documented
/// break-glass. `system:masters` is the API server's own superuser group.
pub const DEFAULT_BREAK_GLASS_GROUPS: &[&str] = &["system:masters"];
/// Writers besides the controller that must always be let through: they delete what a
/// deleted KubernetesDaemonSet or namespace leaves behind.
pub const CLEANUP_USERS: &[&str] = &[
    "system:serviceaccount:kube-system:generic-garbage-collector",
    "system:serviceaccount:kube-system:namespace-controller",
];

/// The kinds the controller creates, by API group: what the guard matches. Namespaces are
/// left out: the controller only sets its labels on one and never deletes it, and a namespace's
/// administrators must still label it (Pod Security, for example) and delete it once empty.
pub const GUARDED: &[(&str, &[&str])] = &[
    ("", &["configmaps", "serviceaccounts", "secrets"]),
    ("apps", &["daemonsets"]),
    (
        "rbac.authorization.k8s.io",
        &[
            "roles",
            "rolebindings",
            "clusterroles",
            "clusterrolebindings",
        ],
    ),
];

/// Name of the webhook's ClusterRole and ClusterRoleBinding.
pub fn access_reviews_name(opts: &Options) -> String {
    format!("{}-access-reviews", opts.name)
}

/// Name of the drift guard's policy and binding.
pub fn drift_guard_name(opts: &Options) -> String {
    format!("{}-drift-guard", opts.name)
}

/// The controller's user name: ServiceAccount `<name>-controller` in the release namespace.
pub fn controller_user(opts: &Options) -> String {
    format!(
        "system:serviceaccount:{}:{}-controller",
        opts.namespace, opts.name
    )
}

/// `create subjectaccessreviews`, and nothing else: the webhook reads nothing.
pub(super) fn cluster_role(opts: &Options) -> ClusterRole {
    ClusterRole {
        metadata: opts.meta(access_reviews_name(opts), false),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec!["authorization.k8s.io".into()]),
            resources: Some(vec!["subjectaccessreviews".into()]),
            verbs: vec!["create".into()],
            ..PolicyRule::default()
        }]),
        ..ClusterRole::default()
    }
}

/// Binds [`cluster_role`] to the webhook's ServiceAccount.
pub(super) fn cluster_role_binding(opts: &Options) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: opts.meta(access_reviews_name(opts), false),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: access_reviews_name(opts),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: opts.name.clone(),
            namespace: Some(opts.namespace.clone()),
            api_group: None,
        }]),
    }
}

/// A CEL list literal of strings: `['a', 'b']`. The names it is given never hold a quote
/// (ServiceAccount names are DNS labels; the chart's schema refuses quotes in group names).
fn cel_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{}'", s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// Whether `obj` (`object` or `oldObject`) carries the ownership label.
fn labelled(obj: &str) -> String {
    format!(
        "{obj} != null && has({obj}.metadata.labels) && '{OWNER_NAME_LABEL}' in {obj}.metadata.labels"
    )
}

/// The label `key` of the old object, or `?`.
fn old_label(key: &str) -> String {
    format!(
        "variables.owned && '{key}' in oldObject.metadata.labels ? oldObject.metadata.labels['{key}'] : '?'"
    )
}

/// The policy's variables, in order (later ones use earlier ones).
pub fn variables(opts: &Options) -> Vec<(&'static str, String)> {
    let mut users = vec![controller_user(opts)];
    users.extend(CLEANUP_USERS.iter().map(|u| (*u).to_owned()));
    vec![
        (
            "exempt",
            format!(
                "request.userInfo.username in {} || (has(request.userInfo.groups) && \
                 request.userInfo.groups.exists(g, g in {}))",
                cel_list(&users),
                cel_list(&opts.break_glass_groups)
            ),
        ),
        ("owned", labelled("oldObject")),
        ("claimed", labelled("object")),
        ("ownerName", old_label(OWNER_NAME_LABEL)),
        ("ownerNamespace", old_label(OWNER_NAMESPACE_LABEL)),
    ]
}

/// The policy's validations: (expression, messageExpression).
pub fn validations() -> Vec<(String, String)> {
    vec![
        (
            "variables.exempt || !variables.owned".to_owned(),
            "'this object belongs to KubernetesDaemonSet ' + variables.ownerNamespace + '/' + \
             variables.ownerName + ', whose controller keeps it as that KubernetesDaemonSet says: \
             change the KubernetesDaemonSet instead (kubectl -n ' + variables.ownerNamespace + \
             ' edit kubernetesdaemonset ' + variables.ownerName + ')'"
                .to_owned(),
        ),
        (
            "variables.exempt || variables.owned || !variables.claimed".to_owned(),
            format!(
                "'the label {OWNER_NAME_LABEL} marks objects of the KubernetesDaemonSet \
                 controller and only the controller may set it: remove it from this object'"
            ),
        ),
    ]
}

/// The drift guard.
pub(super) fn policy(opts: &Options) -> ValidatingAdmissionPolicy {
    let rules = GUARDED
        .iter()
        .map(|(group, resources)| NamedRuleWithOperations {
            api_groups: Some(vec![(*group).to_owned()]),
            api_versions: Some(vec!["*".into()]),
            operations: Some(vec!["CREATE".into(), "UPDATE".into(), "DELETE".into()]),
            resources: Some(resources.iter().map(|r| (*r).to_owned()).collect()),
            ..NamedRuleWithOperations::default()
        })
        .collect();
    ValidatingAdmissionPolicy {
        metadata: opts.meta(drift_guard_name(opts), false),
        spec: Some(ValidatingAdmissionPolicySpec {
            failure_policy: Some("Fail".into()),
            match_constraints: Some(MatchResources {
                object_selector: Some(LabelSelector {
                    match_expressions: Some(vec![LabelSelectorRequirement {
                        key: OWNER_NAME_LABEL.into(),
                        operator: "Exists".into(),
                        values: None,
                    }]),
                    match_labels: None,
                }),
                resource_rules: Some(rules),
                ..MatchResources::default()
            }),
            variables: Some(
                variables(opts)
                    .into_iter()
                    .map(|(name, expression)| Variable {
                        name: name.to_owned(),
                        expression,
                    })
                    .collect(),
            ),
            validations: Some(
                validations()
                    .into_iter()
                    .map(|(expression, message_expression)| Validation {
                        expression,
                        message_expression: Some(message_expression),
                        reason: Some("Forbidden".into()),
                        message: None,
                    })
                    .collect(),
            ),
            ..ValidatingAdmissionPolicySpec::default()
        }),
        status: None,
    }
}

/// Puts the drift guard in force (`Deny`) cluster-wide.
pub(super) fn policy_binding(opts: &Options) -> ValidatingAdmissionPolicyBinding {
    ValidatingAdmissionPolicyBinding {
        metadata: opts.meta(drift_guard_name(opts), false),
        spec: ValidatingAdmissionPolicyBindingSpec {
            policy_name: drift_guard_name(opts),
            validation_actions: vec!["Deny".into()],
            ..ValidatingAdmissionPolicyBindingSpec::default()
        },
    }
}
