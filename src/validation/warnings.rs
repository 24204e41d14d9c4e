//! Non-fatal findings: legal settings that a reviewer of a node agent wants pointed out.
//!
//! Each warning is kept short (`<path>: <message>` under 120 characters, the length kubectl
//! prints on one line) and never embeds an unbounded user string.

use super::field::{FieldPath, Warning};
use super::{given, image};
use crate::api::{
    ContainerResources, KubernetesDaemonSet, KubernetesDaemonSetContainerApp,
    KubernetesDaemonSetSecurityContext, Probe, VolumeMount,
};

/// Added capabilities that amount to (near) root on the node.
const BROAD_CAPABILITIES: [&str; 5] = ["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_MODULE", "SYS_PTRACE"];
const MUTABLE_TAG: &str = "mutable tag: nodes may run different images; pin a version or digest";

pub(super) fn collect(kds: &KubernetesDaemonSet) -> Vec<Warning> {
    let mut w = Vec::new();
    let Some(container) = &kds.spec.container else {
        return w;
    };
    let cp = FieldPath::root("spec").child("container");
    let mut ports = PortIndex::default();
    if let Some(app) = &container.app {
        app_container(app, &cp.child("app"), &mut ports, &mut w);
    }
    for (i, s) in container.sidecars.iter().flatten().enumerate() {
        let sp = cp.child("sidecars").index(i);
        let img = given(&s.image);
        if img.is_some_and(|i| image::tag_of(i).is_none_or(|t| t == "latest") && !i.contains('@')) {
            push(&mut w, sp.child("image"), MUTABLE_TAG);
        }
        if let Some(r) = &s.resources {
            fractional_memory(r, &sp.child("resources"), &mut w);
        }
        for (j, p) in s.ports.iter().flatten().enumerate() {
            let proto = given(&p.protocol).unwrap_or("TCP");
            ports.check(p.container_port, proto, sp.child("ports").index(j), &mut w);
        }
    }
    w
}

/// Longest `<path>: <message>`.
const MAX_LEN: usize = 119;

/// Adds a warning, cutting the message (never the path) if a long path would push the whole
/// line past [`MAX_LEN`].
fn push(w: &mut Vec<Warning>, path: FieldPath, message: impl Into<String>) {
    let mut message = message.into();
    let room = MAX_LEN.saturating_sub(path.as_str().len() + 2);
    if message.len() > room {
        let mut cut = room.saturating_sub(3);
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("...");
    }
    w.push(Warning { path, message });
}

fn app_container(
    app: &KubernetesDaemonSetContainerApp,
    ap: &FieldPath,
    ports: &mut PortIndex,
    w: &mut Vec<Warning>,
) {
    if let Some(tag) = app.image.as_ref().and_then(|i| given(&i.tag))
        && tag == "latest"
    {
        push(w, ap.child("image").child("tag"), MUTABLE_TAG);
    }
    if let Some(sc) = &app.security_context {
        security(sc, &ap.child("security_context"), w);
    }
    if let Some(r) = &app.resources {
        fractional_memory(r, &ap.child("resources"), w);
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, p) in app.ports.iter().flatten().enumerate() {
        let pp = ap.child("ports").index(i);
        if p.host_port.is_some_and(|h| h > 0) {
            push(
                w,
                pp.child("host_port"),
                "opens this port on every node; it conflicts with any other use there",
            );
        }
        names.extend(given(&p.name));
        let proto = given(&p.network_protocol).unwrap_or("TCP");
        ports.check(p.container_port, proto, pp, w);
    }
    for (i, m) in app.volume_mounts.iter().flatten().enumerate() {
        volume(m, &ap.child("volume_mounts").index(i), w);
    }
    let probes = [
        ("liveness_probe", &app.liveness_probe),
        ("readiness_probe", &app.readiness_probe),
        ("startup_probe", &app.startup_probe),
    ];
    for (field, probe) in probes {
        if let Some(p) = probe {
            probe_port_name(p, &names, &ap.child(field), w);
        }
    }
}

fn security(sc: &KubernetesDaemonSetSecurityContext, scp: &FieldPath, w: &mut Vec<Warning>) {
    if sc.privileged == Some(true) {
        let msg = if sc.run_as_non_root == Some(true) {
            "privileged: full access to the node; prefer specific capabilities"
        } else {
            "privileged and may run as root: full access to the node"
        };
        push(w, scp.child("privileged"), msg);
    }
    match (sc.run_as_user, sc.run_as_non_root) {
        (Some(0), Some(true)) => push(
            w,
            scp.child("run_as_user"),
            "0 with run_as_non_root: true; the kubelet will refuse to start it",
        ),
        (Some(0), _) => push(w, scp.child("run_as_user"), "runs as root (UID 0)"),
        _ => {}
    }
    let adds = sc.capabilities.as_ref().and_then(|c| c.add.as_ref());
    for (j, cap) in adds.into_iter().flatten().enumerate() {
        let norm = cap.trim_start_matches("CAP_").to_ascii_uppercase();
        if let Some(broad) = BROAD_CAPABILITIES.iter().find(|b| **b == norm) {
            let path = scp.child("capabilities").child("add").index(j);
            push(
                w,
                path,
                format!("{broad}: broad access to the node; add only if needed"),
            );
        }
    }
}

/// The API server's own warning for memory that is not a whole number of bytes.
fn fractional_memory(r: &ContainerResources, rp: &FieldPath, w: &mut Vec<Warning>) {
    for (side, cm) in [("limits", &r.limits), ("requests", &r.requests)] {
        let Some(q) = cm.as_ref().and_then(|cm| cm.memory.as_ref()) else {
            continue;
        };
        let fractional = q.parse().is_ok_and(|p| !p.is_integer());
        if fractional {
            let msg = format!(
                "fractional byte value {:?} is invalid, must be an integer",
                q.as_str()
            );
            push(w, rp.child(side).child("memory"), msg);
        }
    }
}

fn volume(m: &VolumeMount, mp: &FieldPath, w: &mut Vec<Warning>) {
    if m.host_path.is_some() && m.read_only != Some(true) {
        push(
            w,
            mp.child("read_only"),
            "writable host path; set read_only: true unless the agent writes there",
        );
    }
    let keyed = [
        (
            "config_map",
            m.config_map.as_ref().map(|c| (&c.key, &c.path)),
        ),
        ("secret", m.secret.as_ref().map(|s| (&s.key, &s.path))),
    ];
    for (field, kp) in keyed {
        if let Some((key, path)) = kp
            && given(path).is_some()
            && given(key).is_none()
        {
            push(w, mp.child(field).child("path"), "ignored without key");
        }
    }
}

/// A probe naming a port the app does not declare fails forever and restarts the agent.
fn probe_port_name(p: &Probe, names: &[&str], pp: &FieldPath, w: &mut Vec<Warning>) {
    let by_name = [
        (
            "http_get",
            p.http_get.as_ref().and_then(|h| given(&h.port_name)),
        ),
        (
            "tcp_socket",
            p.tcp_socket.as_ref().and_then(|t| given(&t.port_name)),
        ),
    ];
    for (field, name) in by_name {
        if let Some(n) = name
            && !names.contains(&n)
        {
            push(
                w,
                pp.child(field).child("port_name"),
                "names no port of the app container; the probe will fail",
            );
        }
    }
}

/// Container ports seen so far in the pod (all containers share one network namespace).
#[derive(Default)]
struct PortIndex {
    seen: Vec<(i32, String, FieldPath)>,
}

impl PortIndex {
    fn check(&mut self, port: Option<i32>, proto: &str, at: FieldPath, w: &mut Vec<Warning>) {
        let Some(port) = port.filter(|p| *p > 0) else {
            return;
        };
        if let Some((_, _, first)) = self
            .seen
            .iter()
            .find(|(p, pr, _)| *p == port && pr == proto)
        {
            let msg = format!("duplicate port definition with {first}");
            push(w, at, msg);
        } else {
            self.seen.push((port, proto.to_owned(), at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{mk_valid, seed};
    use super::collect;
    use crate::api::*;

    type Mutation = fn(&mut KubernetesDaemonSet);

    fn app(k: &mut KubernetesDaemonSet) -> &mut KubernetesDaemonSetContainerApp {
        k.spec
            .container
            .as_mut()
            .and_then(|c| c.app.as_mut())
            .expect("app")
    }

    fn sc(k: &mut KubernetesDaemonSet) -> &mut KubernetesDaemonSetSecurityContext {
        app(k).security_context.as_mut().expect("sc")
    }

    fn rendered(k: &KubernetesDaemonSet) -> Vec<String> {
        collect(k).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn seed_has_no_warnings() {
        assert_eq!(rendered(&seed()), Vec::<String>::new());
    }

    #[test]
    fn valid_fixture_warns_only_about_its_host_port() {
        assert_eq!(
            rendered(&mk_valid()),
            vec![
                "spec.container.app.ports[1].host_port: opens this port on every node; it conflicts with any other use there"
            ]
        );
    }

    #[test]
    fn warns() {
        let cases: &[(&str, Mutation, &str, &str)] = &[
            (
                "latest tag",
                |k| app(k).image.as_mut().expect("i").tag = Some("latest".into()),
                "spec.container.app.image.tag",
                "mutable tag",
            ),
            (
                "untagged sidecar",
                |k| {
                    k.spec
                        .container
                        .as_mut()
                        .expect("c")
                        .sidecars
                        .as_mut()
                        .expect("s")[0]
                        .image = Some("busybox".into());
                },
                "spec.container.sidecars[0].image",
                "mutable tag",
            ),
            (
                "privileged",
                |k| {
                    sc(k).privileged = Some(true);
                    sc(k).run_as_non_root = None;
                },
                "spec.container.app.security_context.privileged",
                "privileged and may run as root",
            ),
            (
                "run as root",
                |k| {
                    sc(k).run_as_user = Some(0);
                    sc(k).run_as_non_root = None;
                },
                "spec.container.app.security_context.run_as_user",
                "runs as root",
            ),
            (
                "root with run_as_non_root",
                |k| sc(k).run_as_user = Some(0),
                "spec.container.app.security_context.run_as_user",
                "kubelet will refuse",
            ),
            (
                "sys admin",
                |k| {
                    sc(k).capabilities = Some(KubernetesDaemonSetCapabilities {
                        add: Some(vec!["CAP_SYS_ADMIN".into()]),
                        drop: None,
                    });
                },
                "spec.container.app.security_context.capabilities.add[0]",
                "SYS_ADMIN: broad access",
            ),
            (
                "writable host path",
                |k| app(k).volume_mounts.as_mut().expect("m")[0].read_only = None,
                "spec.container.app.volume_mounts[0].read_only",
                "writable host path",
            ),
            (
                "fractional memory",
                |k| {
                    app(k)
                        .resources
                        .as_mut()
                        .expect("r")
                        .requests
                        .as_mut()
                        .expect("rq")
                        .memory = Some(Quantity("500m".into()));
                },
                "spec.container.app.resources.requests.memory",
                "fractional byte value \"500m\" is invalid, must be an integer",
            ),
            (
                "duplicate container port",
                |k| {
                    let s = &mut k
                        .spec
                        .container
                        .as_mut()
                        .expect("c")
                        .sidecars
                        .as_mut()
                        .expect("s")[0];
                    s.ports.as_mut().expect("p")[0].container_port = Some(24231);
                },
                "spec.container.sidecars[0].ports[0]",
                "duplicate port definition with spec.container.app.ports[0]",
            ),
            (
                "path without key",
                |k| {
                    app(k).volume_mounts.as_mut().expect("m")[1]
                        .config_map
                        .as_mut()
                        .expect("cm")
                        .key = None;
                },
                "spec.container.app.volume_mounts[1].config_map.path",
                "ignored without key",
            ),
            (
                "probe port name unknown",
                |k| {
                    let h = app(k)
                        .liveness_probe
                        .as_mut()
                        .expect("p")
                        .http_get
                        .as_mut()
                        .expect("h");
                    h.port_name = Some("health".into());
                },
                "spec.container.app.liveness_probe.http_get.port_name",
                "names no port",
            ),
        ];
        for (name, mutate, path, needle) in cases {
            let mut k = mk_valid();
            app(&mut k).ports.as_mut().expect("p")[1].host_port = None;
            mutate(&mut k);
            let got = collect(&k);
            assert_eq!(got.len(), 1, "{name}: {got:?}");
            assert_eq!(got[0].path.as_str(), *path, "{name}");
            assert!(
                got[0].message.contains(needle),
                "{name}: {}",
                got[0].message
            );
            assert!(got[0].to_string().len() < 120, "{name}: {}", got[0]);
        }
    }

    #[test]
    fn warnings_stay_short_with_long_paths() {
        let mut k = mk_valid();
        let sc = sc(&mut k);
        sc.privileged = Some(true);
        sc.run_as_non_root = None;
        sc.capabilities = Some(KubernetesDaemonSetCapabilities {
            add: Some(vec![
                "NET_ADMIN".into(),
                "SYS_MODULE".into(),
                "SYS_PTRACE".into(),
                "ALL".into(),
            ]),
            drop: None,
        });
        for w in collect(&k) {
            assert!(w.to_string().len() < 120, "{w}");
        }
    }
}
