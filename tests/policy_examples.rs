//! Every example manifest against both example policies, with the verdict each must get.
//!
//! The examples are realistic agents and the policies are what a platform team would start
//! from, so this table is the end-to-end statement of what the multi-tenant baseline stops
//! and what it lets through. The namespace gates see is the manifest's `metadata.namespace`
//! (`default` when absent), as for the offline commands.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kds_webhook::engine;
use kds_webhook::manifest;
use kds_webhook::policy::Policy;
use kds_webhook::validation::field::FieldErrorKind;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn policy(name: &str) -> Policy {
    Policy::load(&root().join(format!("examples/policies/{name}.yaml")))
        .expect("example policy loads")
}

/// The paths of the policy denials (Forbidden errors whose detail names a gate) for one
/// example, after checking that nothing else is wrong with it.
fn denials(example: &str, policy: &Policy) -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(root().join(format!("examples/{example}.yaml"))).expect("example");
    let mut out = BTreeSet::new();
    for doc in manifest::load(&text).expect("parses") {
        let checked = engine::check(doc.decoded.expect("decodes"), Some(policy));
        for e in checked.errors.iter() {
            assert!(
                e.kind == FieldErrorKind::Forbidden && e.detail.starts_with("policy gate "),
                "{example}: not a policy denial: {e}"
            );
            out.insert(e.path.to_string());
        }
    }
    out
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| (*p).to_owned()).collect()
}

#[test]
fn multi_tenant_baseline_verdicts() {
    let strict = policy("multi-tenant");
    let cases: &[(&str, &[&str])] = &[
        // kube-system and monitoring are exempt: the privileged CNI agent and the node
        // exporter with its host port run there.
        ("cni-agent", &[]),
        ("node-exporter", &[]),
        // A tenant (namespace `default`) may not create a namespace, target another one, mount
        // host paths outside /var/log, or run as root.
        (
            "fluentd-logger",
            &[
                "spec.container.app.security_context.run_as_non_root",
                "spec.container.app.volume_mounts[1].host_path.path",
                "spec.create_namespace",
                "spec.namespace.value",
            ],
        ),
        (
            "log-shipper",
            &[
                "spec.container.app.security_context.run_as_non_root",
                "spec.container.app.volume_mounts[1].host_path.path",
                "spec.container.app.volume_mounts[3].host_path.path",
                "spec.create_namespace",
                "spec.rbac.cluster_rules",
            ],
        ),
        (
            "security-agent",
            &[
                "spec.container.app.security_context.capabilities.add[0]",
                "spec.container.app.security_context.run_as_user",
            ],
        ),
    ];
    for (example, expected) in cases {
        assert_eq!(
            denials(example, &strict),
            set(expected),
            "{example} under multi-tenant"
        );
    }
}

#[test]
fn single_team_policy_only_warns() {
    let permissive = policy("single-team");
    for example in [
        "cni-agent",
        "fluentd-logger",
        "log-shipper",
        "node-exporter",
        "security-agent",
    ] {
        assert_eq!(
            denials(example, &permissive),
            BTreeSet::new(),
            "{example} under single-team"
        );
    }
}

#[test]
fn offline_validate_exit_codes_follow_the_policy() {
    let bin = env!("CARGO_BIN_EXE_kds-webhook");
    let run = |example: &str, policy: &str| {
        std::process::Command::new(bin)
            .current_dir(root())
            .args([
                "validate",
                "--policy",
                &format!("examples/policies/{policy}.yaml"),
            ])
            .args(["-f", &format!("examples/{example}.yaml")])
            .output()
            .expect("runs")
    };
    let denied = run("security-agent", "multi-tenant");
    assert_eq!(denied.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&denied.stdout);
    assert!(
        stdout.starts_with("examples/security-agent.yaml:")
            && stdout.contains(": KubernetesDaemonSet/security-agent: spec.container.app.security_context.run_as_user: Forbidden: policy gate privilege (enforce"),
        "{stdout}"
    );
    assert_eq!(run("security-agent", "single-team").status.code(), Some(0));
    assert_eq!(run("cni-agent", "multi-tenant").status.code(), Some(0));
}
