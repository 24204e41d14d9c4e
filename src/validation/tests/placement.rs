//! Node selector and tolerations.

use super::*;

#[test]
fn rejects_bad_node_selector() {
    check(&[
        (
            "bad key",
            |k| {
                k.spec.node_selector = Some([("-os".to_owned(), "linux".to_owned())].into());
            },
            &[(
                "spec.node_selector[-os]",
                "Invalid value: \"-os\": name part must consist of",
            )],
        ),
        (
            "bad prefix",
            |k| {
                k.spec.node_selector =
                    Some([("Kubernetes.io/os".to_owned(), "linux".to_owned())].into());
            },
            &[(
                "spec.node_selector[Kubernetes.io/os]",
                "prefix part a lowercase RFC 1123 subdomain",
            )],
        ),
        (
            "bad value",
            |k| {
                k.spec.node_selector =
                    Some([("kubernetes.io/os".to_owned(), "linux!".to_owned())].into());
            },
            &[(
                "spec.node_selector[kubernetes.io/os]",
                "Invalid value: \"linux!\": a valid label must be an empty string",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_tolerations() {
    check(&[
        (
            "bad key",
            |k| toleration(k, 1).key = s("a/b/c"),
            &[(
                "spec.tolerations[1].key",
                "with an optional DNS subdomain prefix",
            )],
        ),
        (
            "empty key needs exists",
            |k| toleration(k, 1).key = None,
            &[(
                "spec.tolerations[1].operator",
                "operator must be Exists when `key` is empty",
            )],
        ),
        (
            "exists with value",
            |k| toleration(k, 0).value = s("x"),
            &[(
                "spec.tolerations[0].operator",
                "value must be empty when `operator` is 'Exists'",
            )],
        ),
        (
            "equal with bad value",
            |k| toleration(k, 1).value = s("a b"),
            &[(
                "spec.tolerations[1].operator",
                "Invalid value: \"a b\": a valid label",
            )],
        ),
        (
            "unknown operator",
            |k| toleration(k, 0).operator = s("exists"),
            &[(
                "spec.tolerations[0].operator",
                "Unsupported value: \"exists\": supported values: \"Equal\", \"Exists\"",
            )],
        ),
        (
            "unknown effect",
            |k| toleration(k, 0).effect = s("NoRun"),
            &[(
                "spec.tolerations[0].effect",
                "supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
            )],
        ),
        (
            "seconds without no execute",
            |k| toleration(k, 1).effect = s("NoSchedule"),
            &[(
                "spec.tolerations[1].effect",
                "Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
            )],
        ),
    ]);
}
