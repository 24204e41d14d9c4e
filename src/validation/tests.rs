//! Table tests for every rule, each both ways: a mutation of a valid object that stays valid,
//! and one that fails with the exact path and a distinctive part of the message.

use super::fixtures::{app, mk_valid, seed};
use super::validate;
use crate::api::*;

type Mutation = fn(&mut KubernetesDaemonSet);

fn sidecar(k: &mut KubernetesDaemonSet) -> &mut SidecarContainer {
    let c = k.spec.container.as_mut().expect("container");
    &mut c.sidecars.as_mut().expect("sidecars")[0]
}

fn port(k: &mut KubernetesDaemonSet, i: usize) -> &mut KubernetesDaemonSetContainerAppPort {
    &mut app(k).ports.as_mut().expect("ports")[i]
}

fn mount(k: &mut KubernetesDaemonSet, i: usize) -> &mut VolumeMount {
    &mut app(k).volume_mounts.as_mut().expect("mounts")[i]
}

fn env(k: &mut KubernetesDaemonSet) -> &mut KubernetesDaemonSetContainerAppEnv {
    app(k).env.as_mut().expect("env")
}

fn var(k: &mut KubernetesDaemonSet, name: &str, v: StringValueOrRef) {
    env(k)
        .variables
        .get_or_insert_default()
        .insert(name.into(), v);
}

fn secret(k: &mut KubernetesDaemonSet, name: &str, v: KubernetesSensitiveValue) {
    env(k)
        .secrets
        .get_or_insert_default()
        .insert(name.into(), v);
}

fn lit(v: &str) -> StringValueOrRef {
    StringValueOrRef {
        value: Some(v.into()),
        value_from: None,
    }
}

fn reference(name: Option<&str>) -> Box<ValueFromRef> {
    Box::new(ValueFromRef {
        name: name.map(Into::into),
        ..Default::default()
    })
}

fn secret_ref(ns: Option<&str>, name: Option<&str>, key: Option<&str>) -> KubernetesSensitiveValue {
    KubernetesSensitiveValue {
        value: None,
        secret_ref: Some(KubernetesSecretKeyRef {
            namespace: ns.map(Into::into),
            name: name.map(Into::into),
            key: key.map(Into::into),
        }),
    }
}

fn toleration(k: &mut KubernetesDaemonSet, i: usize) -> &mut KubernetesDaemonSetToleration {
    &mut k.spec.tolerations.as_mut().expect("tolerations")[i]
}

fn rolling(k: &mut KubernetesDaemonSet) -> &mut KubernetesDaemonSetRollingUpdate {
    let s = k.spec.update_strategy.as_mut().expect("strategy");
    s.rolling_update.as_mut().expect("rolling_update")
}

fn ios(s: &str) -> Option<IntOrString> {
    Some(IntOrString::String(s.into()))
}

fn probe<'a>(k: &'a mut KubernetesDaemonSet, which: &str) -> &'a mut Probe {
    let a = app(k);
    let p = match which {
        "liveness" => &mut a.liveness_probe,
        "readiness" => &mut a.readiness_probe,
        _ => &mut a.startup_probe,
    };
    p.as_mut().expect("probe")
}

fn sc(k: &mut KubernetesDaemonSet) -> &mut KubernetesDaemonSetSecurityContext {
    app(k).security_context.as_mut().expect("security context")
}

fn q(s: &str) -> Option<Quantity> {
    Some(Quantity(s.into()))
}

fn s(v: &str) -> Option<String> {
    Some(v.into())
}

/// Every error as `path: body`.
fn rendered(k: &KubernetesDaemonSet) -> Vec<String> {
    validate(k).iter().map(ToString::to_string).collect()
}

#[test]
fn accepts_valid() {
    assert_eq!(rendered(&mk_valid()), Vec::<String>::new());
}

#[test]
fn accepts_defaulted_seed() {
    assert_eq!(rendered(&seed()), Vec::<String>::new());
}

#[test]
fn accepts_valid_variations() {
    let cases: &[(&str, Mutation)] = &[
        ("two-letter port name", |k| port(k, 0).name = s("ab")),
        ("one-letter sidecar port name", |k| {
            sidecar(k).ports.as_mut().expect("p")[0].name = s("a");
        }),
        ("15-char port name", |k| {
            port(k, 0).name = s("abcdefghijklmno")
        }),
        ("same host port other protocol", |k| {
            port(k, 0).host_port = Some(5140);
        }),
        ("host port zero is unset", |k| {
            port(k, 0).host_port = Some(0)
        }),
        ("sctp", |k| port(k, 0).network_protocol = s("SCTP")),
        ("host path shorthand", |k| {
            mount(k, 0).host_path = Some(HostPathSource::Shorthand("/var/log".into()));
        }),
        ("host path type empty", |k| {
            mount(k, 0).host_path = Some(HostPathSource::Object(HostPathVolumeSource {
                path: s("/var/log"),
                type_: s(""),
            }));
        }),
        ("pvc source", |k| {
            let m = mount(k, 2);
            m.empty_dir = None;
            m.pvc = Some(PvcVolumeSource {
                claim_name: s("data-claim"),
                read_only: Some(true),
            });
        }),
        ("secret source with mode 0", |k| {
            let m = mount(k, 1);
            m.config_map = None;
            m.secret = Some(SecretVolumeSource {
                name: s("tls"),
                default_mode: Some(0),
                ..Default::default()
            });
        }),
        ("mode 0777", |k| {
            mount(k, 1).config_map.as_mut().expect("cm").default_mode = Some(0o777);
        }),
        ("sub path with dots in a name", |k| {
            mount(k, 2).sub_path = s("a/..b")
        }),
        ("empty key exists", |k| {
            let t = toleration(k, 0);
            t.key = None;
            t.effect = None;
        }),
        ("equal with empty value", |k| toleration(k, 1).value = None),
        ("toleration seconds zero is unset", |k| {
            let t = toleration(k, 1);
            t.effect = s("NoSchedule");
            t.toleration_seconds = Some(0);
        }),
        ("on delete", |k| {
            k.spec.update_strategy = Some(KubernetesDaemonSetUpdateStrategy {
                type_: s("OnDelete"),
                rolling_update: None,
            });
        }),
        ("surge only", |k| {
            let r = rolling(k);
            r.max_unavailable = Some(IntOrString::Int(0));
            r.max_surge = ios("10%");
        }),
        ("unavailable percent", |k| {
            rolling(k).max_unavailable = ios("100%")
        }),
        ("unavailable int", |k| {
            rolling(k).max_unavailable = Some(IntOrString::Int(3))
        }),
        ("strategy left to defaults", |k| {
            k.spec.update_strategy = None
        }),
        ("cluster kind number", |k| {
            k.spec.target_cluster.as_mut().expect("tc").cluster_kind = Some(IntOrString::Int(1507));
        }),
        ("relaxed env name", |k| var(k, "my.var name", lit("x"))),
        ("empty env value", |k| var(k, "EMPTY", lit(""))),
        ("secret ref without namespace", |k| {
            secret(k, "TOKEN", secret_ref(None, Some("tok"), Some("token")));
        }),
        ("image with registry port and digest", |k| {
            let img = app(k).image.as_mut().expect("image");
            img.repo = s("localhost:5000/team/agent");
            img.tag =
                s("v2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        }),
        ("request equals limit in other units", |k| {
            let r = app(k).resources.as_mut().expect("resources");
            r.limits.as_mut().expect("l").memory = q("1Gi");
            r.requests.as_mut().expect("r").memory = q("1073741824");
        }),
        ("limit without request", |k| {
            app(k).resources.as_mut().expect("resources").requests = None;
        }),
        ("readiness success threshold 3", |k| {
            probe(k, "readiness").success_threshold = Some(3)
        }),
        ("liveness success threshold 0 is defaulted", |k| {
            probe(k, "liveness").success_threshold = Some(0);
        }),
        ("grpc probe", |k| {
            let p = probe(k, "startup");
            p.exec = None;
            p.grpc = Some(GrpcAction {
                port: Some(9090),
                service: None,
            });
        }),
        ("run as root", |k| {
            let c = sc(k);
            c.run_as_user = Some(0);
            c.run_as_non_root = None;
        }),
        ("rbac without rules needs no service account", |k| {
            k.spec.create_service_account = None;
            k.spec.rbac = Some(KubernetesDaemonSetRbac::default());
        }),
        ("no sidecars", |k| {
            k.spec.container.as_mut().expect("c").sidecars = None
        }),
        ("63-char name", |k| k.metadata.name = Some("a".repeat(63))),
    ];
    for (name, mutate) in cases {
        let mut k = mk_valid();
        mutate(&mut k);
        assert_eq!(rendered(&k), Vec::<String>::new(), "{name}");
    }
}

/// Each case: a mutation and every error it must produce, as (path, part of the body).
type Case = (
    &'static str,
    Mutation,
    &'static [(&'static str, &'static str)],
);

fn check(cases: &[Case]) {
    for (name, mutate, want) in cases {
        let mut k = mk_valid();
        mutate(&mut k);
        let got = validate(&k);
        let pairs: Vec<(String, String)> =
            got.iter().map(|e| (e.path.to_string(), e.body())).collect();
        assert_eq!(pairs.len(), want.len(), "{name}: {pairs:#?}");
        for ((path, body), (want_path, needle)) in pairs.iter().zip(want.iter()) {
            assert_eq!(path, want_path, "{name}: {pairs:#?}");
            assert!(body.contains(needle), "{name}: {body:?} lacks {needle:?}");
        }
    }
}

mod containers;
mod env;
mod placement;
mod probes;
mod sidecars;
mod spec;
mod volumes;
mod warnings;
