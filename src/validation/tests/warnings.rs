//! Warnings: each one alone, and the length bound.

use super::super::fixtures::{app, mk_valid, seed};
use super::super::warnings::collect;
use crate::api::*;

type Mutation = fn(&mut KubernetesDaemonSet);

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
