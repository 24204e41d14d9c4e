//! Test fixtures: a fully valid, already-defaulted object and the seed example.

use crate::api::*;

/// The seed example, defaulted by hand the way `defaulting` will (resources and strategy).
pub fn seed() -> KubernetesDaemonSet {
    let text = include_str!("../../tests/fixtures/specs/seed-fluentd.yaml");
    let docs = crate::manifest::load(text).expect("seed parses");
    let mut kds = docs
        .into_iter()
        .next()
        .expect("one document")
        .decoded
        .expect("seed decodes");
    let ru = kds
        .spec
        .update_strategy
        .as_mut()
        .and_then(|s| s.rolling_update.as_mut())
        .expect("seed has rolling_update");
    ru.max_surge.get_or_insert(IntOrString::String("0".into()));
    kds
}

fn q(s: &str) -> Option<Quantity> {
    Some(Quantity(s.into()))
}

fn s(v: &str) -> Option<String> {
    Some(v.into())
}

/// A valid, defaulted object using most features once.
pub fn mk_valid() -> KubernetesDaemonSet {
    let mut kds = KubernetesDaemonSet::new("node-agent", KubernetesDaemonSetSpec::default());
    kds.spec = KubernetesDaemonSetSpec {
        target_cluster: Some(KubernetesClusterSelector {
            cluster_kind: Some(IntOrString::String("GcpGkeCluster".into())),
            cluster_name: s("prod"),
        }),
        namespace: Some(StringValueOrRef {
            value: s("agents"),
            value_from: None,
        }),
        create_namespace: Some(true),
        container: Some(KubernetesDaemonSetContainer {
            app: Some(mk_app()),
            sidecars: Some(vec![SidecarContainer {
                name: s("reloader"),
                image: s("busybox:1.36"),
                ports: Some(vec![SidecarPort {
                    name: s("reload"),
                    container_port: Some(9091),
                    protocol: None,
                }]),
                resources: Some(mk_resources()),
                env: Some(vec![SidecarEnvVar {
                    name: s("MODE"),
                    value: s("watch"),
                }]),
            }]),
        }),
        node_selector: Some([("kubernetes.io/os".to_owned(), "linux".to_owned())].into()),
        tolerations: Some(vec![
            KubernetesDaemonSetToleration {
                key: s("node-role.kubernetes.io/control-plane"),
                operator: s("Exists"),
                effect: s("NoSchedule"),
                ..Default::default()
            },
            KubernetesDaemonSetToleration {
                key: s("dedicated"),
                operator: s("Equal"),
                value: s("logging"),
                effect: s("NoExecute"),
                toleration_seconds: Some(60),
            },
        ]),
        update_strategy: Some(KubernetesDaemonSetUpdateStrategy {
            type_: s("RollingUpdate"),
            rolling_update: Some(KubernetesDaemonSetRollingUpdate {
                max_unavailable: Some(IntOrString::String("1".into())),
                max_surge: Some(IntOrString::String("0".into())),
            }),
        }),
        min_ready_seconds: Some(5),
        create_service_account: Some(true),
        service_account_name: s("node-agent"),
        config_maps: Some([("agent-config".to_owned(), "level: info".to_owned())].into()),
        rbac: Some(KubernetesDaemonSetRbac {
            cluster_rules: Some(vec![KubernetesDaemonSetRbacRule {
                api_groups: Some(vec![String::new()]),
                resources: Some(vec!["pods".into()]),
                verbs: Some(vec!["get".into(), "list".into()]),
                resource_names: None,
            }]),
            namespace_rules: None,
        }),
    };
    kds
}

fn mk_resources() -> ContainerResources {
    ContainerResources {
        limits: Some(CpuMemory {
            cpu: q("1000m"),
            memory: q("1Gi"),
        }),
        requests: Some(CpuMemory {
            cpu: q("50m"),
            memory: q("100Mi"),
        }),
    }
}

fn mk_app() -> KubernetesDaemonSetContainerApp {
    KubernetesDaemonSetContainerApp {
        image: Some(ContainerImage {
            repo: s("fluent/fluentd-kubernetes-daemonset"),
            tag: s("v1.16-debian-elasticsearch8"),
            pull_secret_name: s("regcred"),
        }),
        resources: Some(mk_resources()),
        env: Some(KubernetesDaemonSetContainerAppEnv {
            variables: Some(
                [(
                    "LOG_LEVEL".to_owned(),
                    StringValueOrRef {
                        value: s("info"),
                        value_from: None,
                    },
                )]
                .into(),
            ),
            secrets: Some(
                [
                    (
                        "API_KEY".to_owned(),
                        KubernetesSensitiveValue {
                            value: s("s3cr3t"),
                            secret_ref: None,
                        },
                    ),
                    (
                        "DB_PASSWORD".to_owned(),
                        KubernetesSensitiveValue {
                            value: None,
                            secret_ref: Some(KubernetesSecretKeyRef {
                                namespace: s("agents"),
                                name: s("db-creds"),
                                key: s("password"),
                            }),
                        },
                    ),
                ]
                .into(),
            ),
        }),
        ports: Some(vec![
            KubernetesDaemonSetContainerAppPort {
                name: s("metrics"),
                container_port: Some(24231),
                network_protocol: s("TCP"),
                host_port: None,
            },
            KubernetesDaemonSetContainerAppPort {
                name: s("syslog"),
                container_port: Some(5140),
                network_protocol: s("UDP"),
                host_port: Some(5140),
            },
        ]),
        volume_mounts: Some(mk_mounts()),
        liveness_probe: Some(Probe {
            http_get: Some(HttpGetAction {
                path: s("/healthz"),
                port_name: s("metrics"),
                scheme: s("HTTP"),
                http_headers: Some(vec![HttpHeader {
                    name: s("X-Probe"),
                    value: s("1"),
                }]),
                ..Default::default()
            }),
            period_seconds: Some(10),
            success_threshold: Some(1),
            ..Default::default()
        }),
        readiness_probe: Some(Probe {
            tcp_socket: Some(TcpSocketAction {
                port_number: Some(24231),
                ..Default::default()
            }),
            success_threshold: Some(2),
            ..Default::default()
        }),
        startup_probe: Some(Probe {
            exec: Some(ExecAction {
                command: Some(vec!["true".into()]),
            }),
            failure_threshold: Some(30),
            ..Default::default()
        }),
        command: None,
        args: Some(vec!["--verbose".into()]),
        security_context: Some(KubernetesDaemonSetSecurityContext {
            run_as_user: Some(1000),
            run_as_group: Some(1000),
            run_as_non_root: Some(true),
            read_only_root_filesystem: Some(true),
            ..Default::default()
        }),
    }
}

fn mk_mounts() -> Vec<VolumeMount> {
    vec![
        VolumeMount {
            name: s("varlog"),
            mount_path: s("/var/log"),
            read_only: Some(true),
            host_path: Some(HostPathSource::Object(HostPathVolumeSource {
                path: s("/var/log"),
                type_: s("Directory"),
            })),
            ..Default::default()
        },
        VolumeMount {
            name: s("config"),
            mount_path: s("/etc/agent"),
            config_map: Some(ConfigMapVolumeSource {
                name: s("agent-config"),
                key: s("agent-config"),
                path: s("agent.yaml"),
                default_mode: Some(0o644),
            }),
            ..Default::default()
        },
        VolumeMount {
            name: s("buffer"),
            mount_path: s("/buffer"),
            sub_path: s("data"),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: s("Memory"),
                size_limit: q("64Mi"),
            }),
            ..Default::default()
        },
    ]
}

/// The app container of a fixture, for mutations.
pub fn app(k: &mut KubernetesDaemonSet) -> &mut KubernetesDaemonSetContainerApp {
    k.spec
        .container
        .as_mut()
        .and_then(|c| c.app.as_mut())
        .expect("app")
}
