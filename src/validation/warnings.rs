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
