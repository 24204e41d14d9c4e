//! The app container's environment (planton-spec §7.4), in the original's order: the three
//! built-ins, then `env.variables` sorted by name, then `env.secrets` sorted by name.
//!
//! Differences from the original, each a fix:
//! - A variable or secret the user also defines replaces the built-in of the same name instead
//!   of following it (the kubelet would let the later one win anyway; this avoids the API
//!   server's "hides previous definition" warning).
//! - Presence, not truthiness: `{value: ""}` is an empty variable (and an empty secret value),
//!   not a dropped one. Entries with nothing usable (an unresolved `value_from`, `{}`) are
//!   still skipped; validation reports them.
//! - Every `fieldRef` carries `apiVersion: v1`, which the API server adds to each one.

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector, SecretKeySelector};

use crate::api::{KubernetesDaemonSet, KubernetesDaemonSetContainerAppEnv};
use crate::naming;

/// The built-ins: name and the pod field each one reads. `HOSTNAME` really is the pod IP, as
/// in the original; agents written for it depend on that.
const BUILT_INS: [(&str, &str); 3] = [
    ("HOSTNAME", "status.podIP"),
    ("K8S_POD_ID", "metadata.name"),
    ("K8S_NODE_NAME", "spec.nodeName"),
];

/// The full `env` list of the app container.
pub(super) fn app_env(
    kds: &KubernetesDaemonSet,
    env: Option<&KubernetesDaemonSetContainerAppEnv>,
) -> Vec<EnvVar> {
    let variables = env.and_then(|e| e.variables.as_ref());
    let secrets = env.and_then(|e| e.secrets.as_ref());
    let user_defines = |name: &str| {
        variables.is_some_and(|v| v.contains_key(name))
            || secrets.is_some_and(|s| s.contains_key(name))
    };
    let mut out: Vec<EnvVar> = BUILT_INS
        .iter()
        .filter(|(name, _)| !user_defines(name))
        .map(|(name, path)| field_ref(name, path))
        .collect();
    for (name, v) in variables.into_iter().flatten() {
        if let Some(value) = &v.value {
            out.push(EnvVar {
                name: name.clone(),
                value: Some(value.clone()),
                value_from: None,
            });
        }
    }
    let own_secret = naming::env_secret_name(kds);
    for (name, s) in secrets.into_iter().flatten() {
        let selector = match (&s.secret_ref, &s.value) {
            (Some(r), _) => SecretKeySelector {
                name: r.name.clone().unwrap_or_default(),
                key: r.key.clone().unwrap_or_default(),
                optional: None,
            },
            (None, Some(_)) => SecretKeySelector {
                name: own_secret.clone(),
                key: name.clone(),
                optional: None,
            },
            (None, None) => continue,
        };
        out.push(EnvVar {
            name: name.clone(),
            value: None,
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(selector),
                ..EnvVarSource::default()
            }),
        });
    }
    out
}

fn field_ref(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                api_version: Some("v1".to_owned()),
                field_path: path.to_owned(),
            }),
            ..EnvVarSource::default()
        }),
    }
}
