//! The pod's containers: the app container (planton-spec §7.3, §7.6, §7.7) and the sidecars
//! (rendered as the Terraform module does; Pulumi drops them).
//!
//! Each container also gets the API server's container defaults (`SetDefaults_Container`):
//! `imagePullPolicy` by the `:latest` rule, `terminationMessagePath`/`Policy`, and `TCP` on
//! ports without a protocol.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EnvVar, ExecAction, GRPCAction, HTTPGetAction,
    HTTPHeader, Probe as K8sProbe, ResourceRequirements, SecurityContext, TCPSocketAction,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{env, quantity, volumes};
use crate::api::{
    ContainerImage, ContainerResources, KubernetesDaemonSet, KubernetesDaemonSetContainerApp,
    KubernetesDaemonSetSecurityContext, Probe, SidecarContainer,
};
use crate::naming;

const TERMINATION_MESSAGE_PATH: &str = "/dev/termination-log";
const TERMINATION_MESSAGE_POLICY: &str = "File";
const DEFAULT_PROTOCOL: &str = "TCP";

/// The app container, named `naming::APP_CONTAINER_NAME`.
pub(super) fn app(kds: &KubernetesDaemonSet, app: &KubernetesDaemonSetContainerApp) -> Container {
    let image = image_ref(app.image.as_ref());
    let ports = app.ports.iter().flatten().map(|p| ContainerPort {
        name: p.name.clone().filter(|n| !n.is_empty()),
        container_port: p.container_port.unwrap_or_default(),
        protocol: Some(protocol(p.network_protocol.as_deref())),
        host_port: p.host_port.filter(|h| *h != 0),
        host_ip: None,
    });
    let mounts = app.volume_mounts.as_deref().unwrap_or_default();
    Container {
        name: naming::APP_CONTAINER_NAME.to_owned(),
        image_pull_policy: Some(pull_policy(&image).to_owned()),
        image: Some(image),
        command: non_empty(app.command.clone()),
        args: non_empty(app.args.clone()),
        env: non_empty(Some(env::app_env(kds, app.env.as_ref()))),
        ports: non_empty(Some(ports.collect())),
        volume_mounts: non_empty(Some(volumes::mounts(mounts))),
        resources: app.resources.as_ref().map(resources),
        liveness_probe: app.liveness_probe.as_ref().map(probe),
        readiness_probe: app.readiness_probe.as_ref().map(probe),
        startup_probe: app.startup_probe.as_ref().map(probe),
        security_context: app.security_context.as_ref().map(security_context),
        termination_message_path: Some(TERMINATION_MESSAGE_PATH.to_owned()),
        termination_message_policy: Some(TERMINATION_MESSAGE_POLICY.to_owned()),
        ..Container::default()
    }
}

/// A sidecar: name, image, ports with protocol, resources and plain env, as the original's
/// shared `Container` message allows.
pub(super) fn sidecar(s: &SidecarContainer) -> Container {
    let image = s.image.clone().unwrap_or_default();
    let ports = s.ports.iter().flatten().map(|p| ContainerPort {
        name: p.name.clone().filter(|n| !n.is_empty()),
        container_port: p.container_port.unwrap_or_default(),
        protocol: Some(protocol(p.protocol.as_deref())),
        host_port: None,
        host_ip: None,
    });
    let env = s.env.iter().flatten().map(|e| EnvVar {
        name: e.name.clone().unwrap_or_default(),
        value: e.value.clone(),
        value_from: None,
    });
    Container {
        name: s.name.clone().unwrap_or_default(),
        image_pull_policy: Some(pull_policy(&image).to_owned()),
        image: Some(image),
        ports: non_empty(Some(ports.collect())),
        env: non_empty(Some(env.collect())),
        resources: s.resources.as_ref().map(resources),
        termination_message_path: Some(TERMINATION_MESSAGE_PATH.to_owned()),
        termination_message_policy: Some(TERMINATION_MESSAGE_POLICY.to_owned()),
        ..Container::default()
    }
}

fn protocol(given: Option<&str>) -> String {
    given
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_PROTOCOL)
        .to_owned()
}

fn non_empty<T>(v: Option<Vec<T>>) -> Option<Vec<T>> {
    v.filter(|v| !v.is_empty())
}

/// `repo:tag`. A tag carrying a digest (`v1@sha256:…`) gives `repo:v1@sha256:…`; a tag that
/// is only a digest (`sha256:…`) gives `repo@sha256:…`, since `repo:sha256:…` is not a valid
/// reference. No tag gives `repo` (validation requires one).
pub(super) fn image_ref(image: Option<&ContainerImage>) -> String {
    let repo = image.and_then(|i| i.repo.as_deref()).unwrap_or_default();
    match image
        .and_then(|i| i.tag.as_deref())
        .filter(|t| !t.is_empty())
    {
        None => repo.to_owned(),
        Some(digest) if digest.starts_with("sha256:") => format!("{repo}@{digest}"),
        Some(tag) => format!("{repo}:{tag}"),
    }
}

/// The API server's `imagePullPolicy` default: `Always` iff the reference's tag is `latest`
/// (including no tag and no digest), else `IfNotPresent`; a reference that does not parse
/// counts as having no tag (`IfNotPresent`), as `ParseImageName` errors are ignored there.
pub(super) fn pull_policy(image: &str) -> &'static str {
    match image_tag(image) {
        Some(t) if t == "latest" => "Always",
        _ => "IfNotPresent",
    }
}

/// The tag of a reference as `distribution/reference` reads it (`None` for a parse error or a
/// digest-only reference); a missing tag without digest is `latest`.
fn image_tag(image: &str) -> Option<String> {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if !valid_name(path) || tag.is_some_and(|t| !valid_tag(t)) {
        return None;
    }
    match (tag, digest) {
        (Some(t), _) => Some(t.to_owned()),
        (None, Some(_)) => None,
        (None, None) => Some("latest".to_owned()),
    }
}

/// A repository name: an optional registry (anything with `.`/`:`, `localhost`, or upper
/// case) and lowercase path components of `[a-z0-9]` joined by `.`, `_`, `__` or `-`s.
fn valid_name(name: &str) -> bool {
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        let is_registry = first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase());
        if is_registry {
            let host_ok = !first.is_empty()
                && first
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'));
            if !host_ok {
                return false;
            }
            parts.remove(0);
        }
    }
    parts.iter().all(|p| valid_component(p))
}

fn valid_component(p: &str) -> bool {
    let b = p.as_bytes();
    let edge_ok = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    edge_ok(b.first())
        && edge_ok(b.last())
        && b.iter().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')
        })
        && !p.contains("..")
        && !p.contains("___")
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    (1..=128).contains(&b.len())
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// Limits and requests, each quantity as the API server stores it (rounded up to milli,
/// canonical). Requests are never copied from limits: that is a Pod-only default.
fn resources(r: &ContainerResources) -> ResourceRequirements {
    let list = |cm: Option<&crate::api::CpuMemory>| -> Option<BTreeMap<String, K8sQuantity>> {
        let cm = cm?;
        let m: BTreeMap<String, K8sQuantity> =
            [("cpu", cm.cpu.as_ref()), ("memory", cm.memory.as_ref())]
                .into_iter()
                .filter_map(|(k, q)| q.map(|q| (k.to_owned(), quantity::resource(q))))
                .collect();
        (!m.is_empty()).then_some(m)
    };
    ResourceRequirements {
        limits: list(r.limits.as_ref()),
        requests: list(r.requests.as_ref()),
        ..ResourceRequirements::default()
    }
}

/// A probe with every handler it names (validation ensures there is exactly one). Counters are
/// emitted when non-zero: defaulting has already put the API server's values in.
fn probe(p: &Probe) -> K8sProbe {
    let port = |number: Option<i32>, name: &Option<String>| match (number, name) {
        (Some(n), _) => IntOrString::Int(n),
        (None, Some(s)) => IntOrString::String(s.clone()),
        (None, None) => IntOrString::Int(0),
    };
    K8sProbe {
        initial_delay_seconds: p.initial_delay_seconds.filter(|v| *v != 0),
        timeout_seconds: p.timeout_seconds.filter(|v| *v != 0),
        period_seconds: p.period_seconds.filter(|v| *v != 0),
        success_threshold: p.success_threshold.filter(|v| *v != 0),
        failure_threshold: p.failure_threshold.filter(|v| *v != 0),
        http_get: p.http_get.as_ref().map(|h| HTTPGetAction {
            path: h.path.clone(),
            port: port(h.port_number, &h.port_name),
            host: h.host.clone().filter(|s| !s.is_empty()),
            scheme: h.scheme.clone(),
            http_headers: non_empty(h.http_headers.as_ref().map(|hs| {
                hs.iter()
                    .map(|x| HTTPHeader {
                        name: x.name.clone().unwrap_or_default(),
                        value: x.value.clone().unwrap_or_default(),
                    })
                    .collect()
            })),
        }),
        grpc: p.grpc.as_ref().map(|g| GRPCAction {
            port: g.port.unwrap_or_default(),
            // The API server sets the pointer to "" when unset.
            service: Some(g.service.clone().unwrap_or_default()),
        }),
        tcp_socket: p.tcp_socket.as_ref().map(|t| TCPSocketAction {
            port: port(t.port_number, &t.port_name),
            host: t.host.clone().filter(|s| !s.is_empty()),
        }),
        exec: p.exec.as_ref().map(|e| ExecAction {
            command: e.command.clone(),
        }),
        termination_grace_period_seconds: None,
    }
}

/// Presence-based, not truthiness: `run_as_user: 0`, `privileged: false`,
/// `read_only_root_filesystem: false` and `run_as_non_root: false` are kept when written (the
/// original drops every 0 and false, so root could not be requested explicitly).
fn security_context(sc: &KubernetesDaemonSetSecurityContext) -> SecurityContext {
    SecurityContext {
        privileged: sc.privileged,
        run_as_user: sc.run_as_user,
        run_as_group: sc.run_as_group,
        run_as_non_root: sc.run_as_non_root,
        read_only_root_filesystem: sc.read_only_root_filesystem,
        capabilities: sc.capabilities.as_ref().map(|c| Capabilities {
            add: non_empty(c.add.clone()),
            drop: non_empty(c.drop.clone()),
        }),
        ..SecurityContext::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_follows_the_latest_rule() {
        for (image, want) in [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.25", "IfNotPresent"),
            (
                "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "IfNotPresent",
            ),
            (
                "nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "Always",
            ),
            ("localhost:5000/nginx", "Always"),
            ("registry.example.com:5000/team/app:v2", "IfNotPresent"),
            ("nginx:Latest", "IfNotPresent"),
            ("Nginx", "IfNotPresent"),
            ("NGINX:latest", "IfNotPresent"),
            ("", "IfNotPresent"),
            (
                "fluent/fluentd-kubernetes-daemonset:v1.16-debian-elasticsearch8",
                "IfNotPresent",
            ),
        ] {
            assert_eq!(pull_policy(image), want, "{image:?}");
        }
    }

    #[test]
    fn image_reference_forms() {
        let img = |tag: &str| ContainerImage {
            repo: Some("ghcr.io/acme/agent".into()),
            tag: Some(tag.into()),
            pull_secret_name: None,
        };
        assert_eq!(image_ref(Some(&img("v1"))), "ghcr.io/acme/agent:v1");
        assert_eq!(
            image_ref(Some(&img("v1@sha256:abc"))),
            "ghcr.io/acme/agent:v1@sha256:abc"
        );
        assert_eq!(
            image_ref(Some(&img("sha256:abc"))),
            "ghcr.io/acme/agent@sha256:abc"
        );
        assert_eq!(image_ref(Some(&img(""))), "ghcr.io/acme/agent");
    }
}
