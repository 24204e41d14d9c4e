//! The app container's environment.

use super::*;

#[test]
fn rejects_bad_env() {
    check(&[
        (
            "name with =",
            |k| var(k, "A=B", lit("x")),
            &[(
                "spec.container.app.env.variables[A=B]",
                "printable ASCII characters other than '='",
            )],
        ),
        (
            "empty name",
            |k| var(k, "", lit("x")),
            &[("spec.container.app.env.variables[]", "Required value")],
        ),
        (
            "built-in",
            |k| var(k, "HOSTNAME", lit("x")),
            &[(
                "spec.container.app.env.variables[HOSTNAME]",
                "Duplicate value: \"HOSTNAME\": HOSTNAME, K8S_POD_ID, K8S_NODE_NAME are always set",
            )],
        ),
        (
            "built-in secret",
            |k| {
                secret(
                    k,
                    "K8S_NODE_NAME",
                    secret_ref(None, s("a").as_deref(), Some("b")),
                )
            },
            &[(
                "spec.container.app.env.secrets[K8S_NODE_NAME]",
                "Duplicate value",
            )],
        ),
        (
            "variable and secret",
            |k| var(k, "API_KEY", lit("x")),
            &[(
                "spec.container.app.env.secrets[API_KEY]",
                "Duplicate value: \"API_KEY\": also defined in env.variables",
            )],
        ),
        (
            "variable value_from",
            |k| {
                var(
                    k,
                    "NS",
                    StringValueOrRef {
                        value: None,
                        value_from: Some(reference(Some("x"))),
                    },
                )
            },
            &[(
                "spec.container.app.env.variables[NS].value_from",
                "Forbidden: references are resolved",
            )],
        ),
        (
            "variable both",
            |k| {
                var(
                    k,
                    "NS",
                    StringValueOrRef {
                        value: s("a"),
                        value_from: Some(reference(Some("x"))),
                    },
                )
            },
            &[(
                "spec.container.app.env.variables[NS]",
                "may not have more than one field specified at a time",
            )],
        ),
        (
            "secret neither",
            |k| secret(k, "TOKEN", KubernetesSensitiveValue::default()),
            &[(
                "spec.container.app.env.secrets[TOKEN]",
                "Required value: must specify one of: `value` or `secret_ref`",
            )],
        ),
        (
            "secret both",
            |k| {
                let mut v = secret_ref(None, Some("a"), Some("b"));
                v.value = s("x");
                secret(k, "TOKEN", v);
            },
            &[(
                "spec.container.app.env.secrets[TOKEN]",
                "may not have more than one field",
            )],
        ),
        (
            "literal secret name not a key",
            |k| {
                secret(
                    k,
                    "MY TOKEN",
                    KubernetesSensitiveValue {
                        value: s("x"),
                        secret_ref: None,
                    },
                )
            },
            &[(
                "spec.container.app.env.secrets[MY TOKEN]",
                "a valid config key must consist of",
            )],
        ),
        (
            "secret ref missing parts",
            |k| secret(k, "TOKEN", secret_ref(None, None, None)),
            &[
                (
                    "spec.container.app.env.secrets[TOKEN].secret_ref.name",
                    "Required value",
                ),
                (
                    "spec.container.app.env.secrets[TOKEN].secret_ref.key",
                    "Required value",
                ),
            ],
        ),
        (
            "secret ref bad parts",
            |k| secret(k, "TOKEN", secret_ref(None, Some("Creds"), Some("a/b"))),
            &[
                (
                    "spec.container.app.env.secrets[TOKEN].secret_ref.name",
                    "RFC 1123 subdomain",
                ),
                (
                    "spec.container.app.env.secrets[TOKEN].secret_ref.key",
                    "a valid config key",
                ),
            ],
        ),
        (
            "secret ref other namespace",
            |k| {
                secret(
                    k,
                    "TOKEN",
                    secret_ref(Some("kube-system"), Some("a"), Some("b")),
                )
            },
            &[(
                "spec.container.app.env.secrets[TOKEN].secret_ref.namespace",
                "Forbidden: a pod can only read Secrets of its own namespace (agents)",
            )],
        ),
    ]);
}
