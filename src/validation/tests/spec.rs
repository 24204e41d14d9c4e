//! Metadata, target, generated names, rbac and rollout.

use super::*;

#[test]
fn rejects_bad_metadata() {
    check(&[
        (
            "no name",
            |k| k.metadata.name = None,
            &[(
                "metadata.name",
                "Required value: name or generateName is required",
            )],
        ),
        (
            "bad subdomain",
            |k| k.metadata.name = s("Node_Agent"),
            &[("metadata.name", "a lowercase RFC 1123 subdomain")],
        ),
        (
            "name too long for a label",
            |k| k.metadata.name = Some("a".repeat(64)),
            &[(
                "metadata.name",
                "must be no more than 63 bytes: the name is the planton.ai/name",
            )],
        ),
        (
            "bad planton label",
            |k| {
                k.metadata.labels =
                    Some([("planton.ai/organization".to_owned(), "acme corp".to_owned())].into());
            },
            &[(
                "metadata.labels[planton.ai/organization]",
                "Invalid value: \"acme corp\": a valid label",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_namespace() {
    check(&[
        (
            "missing",
            |k| k.spec.namespace = None,
            &[("spec.namespace", "Required value")],
        ),
        (
            "empty",
            |k| k.spec.namespace = Some(StringValueOrRef::default()),
            &[("spec.namespace.value", "Required value")],
        ),
        (
            "not a label",
            |k| k.spec.namespace = Some(lit("agents.prod")),
            &[
                ("spec.namespace.value", "must not contain dots"),
                (
                    "spec.container.app.env.secrets[DB_PASSWORD].secret_ref.namespace",
                    "own namespace (agents.prod)",
                ),
            ],
        ),
        (
            "value_from",
            |k| {
                k.spec.namespace = Some(StringValueOrRef {
                    value: None,
                    value_from: Some(reference(Some("ns"))),
                });
            },
            &[(
                "spec.namespace.value_from",
                "Forbidden: references are resolved by Project Planton's orchestrator",
            )],
        ),
        (
            "value_from without name",
            |k| {
                k.spec.namespace = Some(StringValueOrRef {
                    value: None,
                    value_from: Some(reference(None)),
                });
            },
            &[
                ("spec.namespace.value_from.name", "Required value"),
                ("spec.namespace.value_from", "Forbidden"),
            ],
        ),
        (
            "both",
            |k| {
                k.spec.namespace = Some(StringValueOrRef {
                    value: s("agents"),
                    value_from: Some(reference(Some("ns"))),
                });
            },
            &[(
                "spec.namespace",
                "may not have more than one field specified at a time",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_target_cluster() {
    check(&[
        (
            "unknown name",
            |k| {
                k.spec.target_cluster.as_mut().expect("tc").cluster_kind = ios("OnPrem");
            },
            &[(
                "spec.target_cluster.cluster_kind",
                "Unsupported value: \"OnPrem\": supported values: \"AzureAksCluster\"",
            )],
        ),
        (
            "unknown number",
            |k| {
                k.spec.target_cluster.as_mut().expect("tc").cluster_kind =
                    Some(IntOrString::Int(841));
            },
            &[("spec.target_cluster.cluster_kind", "Unsupported value: 841")],
        ),
        (
            "missing kind",
            |k| {
                k.spec.target_cluster.as_mut().expect("tc").cluster_kind = None;
            },
            &[(
                "spec.target_cluster.cluster_kind",
                "Required value: must be one of AzureAksCluster",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_generated_names() {
    check(&[
        (
            "service account",
            |k| k.spec.service_account_name = s("Agent"),
            &[("spec.service_account_name", "RFC 1123 subdomain")],
        ),
        (
            "config map name",
            |k| {
                k.spec.config_maps = Some([("Agent_Config".to_owned(), String::new())].into());
            },
            &[("spec.config_maps[Agent_Config]", "RFC 1123 subdomain")],
        ),
        (
            "config map too big",
            |k| {
                k.spec.config_maps = Some([("big".to_owned(), "x".repeat(1024 * 1024))].into());
            },
            &[(
                "spec.config_maps[big]",
                "Too long: may not be more than 1048576 bytes",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_rbac() {
    check(&[
        (
            "without service account",
            |k| k.spec.create_service_account = Some(false),
            &[(
                "spec.rbac",
                "Forbidden: requires create_service_account: true",
            )],
        ),
        (
            "empty rule",
            |k| {
                k.spec.rbac.as_mut().expect("rbac").namespace_rules =
                    Some(vec![KubernetesDaemonSetRbacRule::default()]);
            },
            &[
                (
                    "spec.rbac.namespace_rules[0].api_groups",
                    "at least one api group",
                ),
                (
                    "spec.rbac.namespace_rules[0].resources",
                    "at least one resource",
                ),
                (
                    "spec.rbac.namespace_rules[0].verbs",
                    "Required value: verbs must contain at least one value",
                ),
            ],
        ),
    ]);
}

#[test]
fn rejects_bad_rollout() {
    check(&[
        (
            "negative min ready",
            |k| k.spec.min_ready_seconds = Some(-1),
            &[(
                "spec.min_ready_seconds",
                "Invalid value: -1: must be greater than or equal to 0",
            )],
        ),
        (
            "unknown type",
            |k| {
                k.spec.update_strategy.as_mut().expect("s").type_ = s("Recreate");
            },
            &[(
                "spec.update_strategy.type",
                "Unsupported value: \"Recreate\": supported values: \"RollingUpdate\", \"OnDelete\"",
            )],
        ),
        (
            "rolling update with on delete",
            |k| {
                k.spec.update_strategy.as_mut().expect("s").type_ = s("OnDelete");
            },
            &[(
                "spec.update_strategy.rolling_update",
                "Forbidden: may only be set when type is RollingUpdate",
            )],
        ),
        (
            "not a percent",
            |k| rolling(k).max_unavailable = ios("1.5"),
            &[
                (
                    "spec.update_strategy.rolling_update.max_unavailable",
                    "a valid percent string must be a numeric string followed by an ending '%'",
                ),
                (
                    "spec.update_strategy.rolling_update.max_unavailable",
                    "Required value: cannot be 0 when maxSurge is 0",
                ),
            ],
        ),
        (
            "over 100%",
            |k| rolling(k).max_unavailable = ios("101%"),
            &[(
                "spec.update_strategy.rolling_update.max_unavailable",
                "must not be greater than 100%",
            )],
        ),
        (
            "negative",
            |k| rolling(k).max_unavailable = ios("-1"),
            &[(
                "spec.update_strategy.rolling_update.max_unavailable",
                "Invalid value: \"-1\": must be greater than or equal to 0",
            )],
        ),
        (
            "both non-zero",
            |k| rolling(k).max_surge = Some(IntOrString::Int(1)),
            &[(
                "spec.update_strategy.rolling_update.max_surge",
                "Invalid value: 1: may not be set when maxUnavailable is non-zero",
            )],
        ),
        (
            "surge alone defaults unavailable to 1",
            |k| {
                let r = rolling(k);
                r.max_unavailable = None;
                r.max_surge = ios("1");
            },
            &[(
                "spec.update_strategy.rolling_update.max_surge",
                "may not be set when maxUnavailable is non-zero",
            )],
        ),
        (
            "both zero",
            |k| {
                let r = rolling(k);
                r.max_unavailable = ios("0%");
                r.max_surge = Some(IntOrString::Int(0));
            },
            &[(
                "spec.update_strategy.rolling_update.max_unavailable",
                "Required value: cannot be 0 when maxSurge is 0",
            )],
        ),
    ]);
}

#[test]
fn reports_every_error_at_once() {
    let mut k = mk_valid();
    k.metadata.name = None;
    k.spec.namespace = None;
    k.spec.min_ready_seconds = Some(-5);
    port(&mut k, 0).container_port = Some(70000);
    assert_eq!(
        super::rendered(&k),
        vec![
            "metadata.name: Required value: name or generateName is required",
            "spec.namespace: Required value",
            "spec.container.app.ports[0].container_port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.min_ready_seconds: Invalid value: -5: must be greater than or equal to 0",
        ]
    );
}
