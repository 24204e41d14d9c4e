//! The app container and sidecars: image, ports, env, volumes, probes, resources, security.

use super::*;

#[test]
fn rejects_bad_container_presence() {
    check(&[
        (
            "no container",
            |k| k.spec.container = None,
            &[("spec.container", "Required value")],
        ),
        (
            "no app",
            |k| k.spec.container.as_mut().expect("c").app = None,
            &[("spec.container.app", "Required value")],
        ),
    ]);
}

#[test]
fn rejects_bad_images() {
    check(&[
        (
            "no image",
            |k| app(k).image = None,
            &[("spec.container.app.image", "Required value")],
        ),
        (
            "no repo or tag",
            |k| app(k).image = Some(ContainerImage::default()),
            &[
                ("spec.container.app.image.repo", "Required value"),
                ("spec.container.app.image.tag", "Required value"),
            ],
        ),
        (
            "upper case repo",
            |k| app(k).image.as_mut().expect("i").repo = s("fluent/Fluentd"),
            &[(
                "spec.container.app.image.repo",
                "repository name must be lowercase",
            )],
        ),
        (
            "whitespace",
            |k| app(k).image.as_mut().expect("i").tag = s("v1 "),
            &[(
                "spec.container.app.image.tag",
                "must not have leading or trailing whitespace",
            )],
        ),
        (
            "tag in repo",
            |k| app(k).image.as_mut().expect("i").repo = s("fluentd:v1"),
            &[("spec.container.app.image.repo", "invalid reference format")],
        ),
        (
            "bad tag",
            |k| app(k).image.as_mut().expect("i").tag = s("-v1"),
            &[(
                "spec.container.app.image.tag",
                "invalid reference format: a tag",
            )],
        ),
        (
            "bad digest",
            |k| app(k).image.as_mut().expect("i").tag = s("v1@sha256:abc"),
            &[("spec.container.app.image.tag", "a digest must be sha256")],
        ),
        (
            "bad pull secret",
            |k| app(k).image.as_mut().expect("i").pull_secret_name = s("Reg"),
            &[(
                "spec.container.app.image.pull_secret_name",
                "RFC 1123 subdomain",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_ports() {
    check(&[
        (
            "name required",
            |k| port(k, 0).name = None,
            &[("spec.container.app.ports[0].name", "Required value")],
        ),
        (
            "name too long",
            |k| port(k, 0).name = s("abcdefghijklmnop"),
            &[(
                "spec.container.app.ports[0].name",
                "must be no more than 15 characters",
            )],
        ),
        (
            "name all digits",
            |k| port(k, 0).name = s("80"),
            &[(
                "spec.container.app.ports[0].name",
                "must contain at least one letter (a-z)",
            )],
        ),
        (
            "name with two faults",
            |k| port(k, 0).name = s("a--b-"),
            &[
                (
                    "spec.container.app.ports[0].name",
                    "must not contain consecutive hyphens",
                ),
                (
                    "spec.container.app.ports[0].name",
                    "must not begin or end with a hyphen",
                ),
            ],
        ),
        (
            "name upper case",
            |k| port(k, 0).name = s("Metrics"),
            &[(
                "spec.container.app.ports[0].name",
                "must contain only alpha-numeric characters",
            )],
        ),
        (
            "duplicate name",
            |k| port(k, 1).name = s("metrics"),
            &[(
                "spec.container.app.ports[1].name",
                "Duplicate value: \"metrics\"",
            )],
        ),
        (
            "port zero",
            |k| port(k, 0).container_port = Some(0),
            &[(
                "spec.container.app.ports[0].container_port",
                "Required value",
            )],
        ),
        (
            "port too big",
            |k| port(k, 0).container_port = Some(70000),
            &[(
                "spec.container.app.ports[0].container_port",
                "Invalid value: 70000: must be between 1 and 65535, inclusive",
            )],
        ),
        (
            "negative port",
            |k| port(k, 0).container_port = Some(-1),
            &[(
                "spec.container.app.ports[0].container_port",
                "Invalid value: -1",
            )],
        ),
        (
            "protocol required",
            |k| port(k, 0).network_protocol = None,
            &[(
                "spec.container.app.ports[0].network_protocol",
                "Required value",
            )],
        ),
        (
            "protocol lower case",
            |k| port(k, 0).network_protocol = s("tcp"),
            &[(
                "spec.container.app.ports[0].network_protocol",
                "Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            )],
        ),
        (
            "host port too big",
            |k| port(k, 1).host_port = Some(99999),
            &[(
                "spec.container.app.ports[1].host_port",
                "Invalid value: 99999: must be between",
            )],
        ),
        (
            "duplicate host port",
            |k| {
                let p = port(k, 0);
                p.network_protocol = s("UDP");
                p.host_port = Some(5140);
            },
            &[(
                "spec.container.app.ports[1].host_port",
                "Duplicate value: \"UDP//5140\"",
            )],
        ),
    ]);
}

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

#[test]
fn rejects_bad_volumes() {
    check(&[
        (
            "name required",
            |k| mount(k, 0).name = None,
            &[("spec.container.app.volume_mounts[0].name", "Required value")],
        ),
        (
            "name not a label",
            |k| mount(k, 0).name = s("var.log"),
            &[(
                "spec.container.app.volume_mounts[0].name",
                "must not contain dots",
            )],
        ),
        (
            "duplicate name",
            |k| mount(k, 1).name = s("varlog"),
            &[(
                "spec.container.app.volume_mounts[1].name",
                "Duplicate value: \"varlog\"",
            )],
        ),
        (
            "mount path required",
            |k| mount(k, 0).mount_path = None,
            &[(
                "spec.container.app.volume_mounts[0].mount_path",
                "Required value",
            )],
        ),
        (
            "relative mount path",
            |k| mount(k, 0).mount_path = s("var/log"),
            &[(
                "spec.container.app.volume_mounts[0].mount_path",
                "must be an absolute path",
            )],
        ),
        (
            "duplicate mount path",
            |k| mount(k, 2).mount_path = s("/var/log"),
            &[(
                "spec.container.app.volume_mounts[2].mount_path",
                "Invalid value: \"/var/log\": must be unique",
            )],
        ),
        (
            "absolute sub path",
            |k| mount(k, 2).sub_path = s("/data"),
            &[(
                "spec.container.app.volume_mounts[2].sub_path",
                "must be a relative path",
            )],
        ),
        (
            "sub path backstep",
            |k| mount(k, 2).sub_path = s("a/../b"),
            &[(
                "spec.container.app.volume_mounts[2].sub_path",
                "must not contain '..'",
            )],
        ),
        (
            "no source",
            |k| mount(k, 2).empty_dir = None,
            &[(
                "spec.container.app.volume_mounts[2]",
                "Required value: must specify a volume type",
            )],
        ),
        (
            "two sources",
            |k| {
                mount(k, 2).pvc = Some(PvcVolumeSource {
                    claim_name: s("c"),
                    read_only: None,
                })
            },
            &[(
                "spec.container.app.volume_mounts[2].pvc",
                "Forbidden: may not specify more than 1 volume type",
            )],
        ),
        (
            "config map name required",
            |k| mount(k, 1).config_map.as_mut().expect("cm").name = None,
            &[(
                "spec.container.app.volume_mounts[1].config_map.name",
                "Required value",
            )],
        ),
        (
            "config map bad key",
            |k| mount(k, 1).config_map.as_mut().expect("cm").key = s("a/b"),
            &[(
                "spec.container.app.volume_mounts[1].config_map.key",
                "a valid config key",
            )],
        ),
        (
            "config map absolute path",
            |k| mount(k, 1).config_map.as_mut().expect("cm").path = s("/etc/x"),
            &[(
                "spec.container.app.volume_mounts[1].config_map.path",
                "must be a relative path",
            )],
        ),
        (
            "config map dotdot path",
            |k| mount(k, 1).config_map.as_mut().expect("cm").path = s("..x"),
            &[(
                "spec.container.app.volume_mounts[1].config_map.path",
                "must not start with '..'",
            )],
        ),
        (
            "mode too big",
            |k| mount(k, 1).config_map.as_mut().expect("cm").default_mode = Some(0o1000),
            &[(
                "spec.container.app.volume_mounts[1].config_map.default_mode",
                "Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive",
            )],
        ),
        (
            "secret name required",
            |k| {
                let m = mount(k, 1);
                m.config_map = None;
                m.secret = Some(SecretVolumeSource {
                    default_mode: Some(-1),
                    ..Default::default()
                });
            },
            &[
                (
                    "spec.container.app.volume_mounts[1].secret.name",
                    "Required value",
                ),
                (
                    "spec.container.app.volume_mounts[1].secret.default_mode",
                    "Invalid value: -1",
                ),
            ],
        ),
        (
            "host path required",
            |k| mount(k, 0).host_path = Some(HostPathSource::Shorthand(String::new())),
            &[(
                "spec.container.app.volume_mounts[0].host_path.path",
                "Required value",
            )],
        ),
        (
            "host path backstep",
            |k| mount(k, 0).host_path = Some(HostPathSource::Shorthand("/var/../etc".into())),
            &[(
                "spec.container.app.volume_mounts[0].host_path.path",
                "must not contain '..'",
            )],
        ),
        (
            "host path type",
            |k| {
                mount(k, 0).host_path = Some(HostPathSource::Object(HostPathVolumeSource {
                    path: s("/x"),
                    type_: s("Foo"),
                }));
            },
            &[(
                "spec.container.app.volume_mounts[0].host_path.type",
                "Unsupported value: \"Foo\": supported values: \"\", \"BlockDevice\"",
            )],
        ),
        (
            "medium",
            |k| mount(k, 2).empty_dir.as_mut().expect("ed").medium = s("Disk"),
            &[(
                "spec.container.app.volume_mounts[2].empty_dir.medium",
                "supported values: \"\", \"Memory\"",
            )],
        ),
        (
            "size limit syntax",
            |k| mount(k, 2).empty_dir.as_mut().expect("ed").size_limit = q("1GB"),
            &[(
                "spec.container.app.volume_mounts[2].empty_dir.size_limit",
                "quantities must match the regular expression",
            )],
        ),
        (
            "size limit negative",
            |k| mount(k, 2).empty_dir.as_mut().expect("ed").size_limit = q("-1Mi"),
            &[(
                "spec.container.app.volume_mounts[2].empty_dir.size_limit",
                "Forbidden: SizeLimit field must be a valid resource quantity",
            )],
        ),
        (
            "pvc claim required",
            |k| {
                let m = mount(k, 2);
                m.empty_dir = None;
                m.pvc = Some(PvcVolumeSource::default());
            },
            &[(
                "spec.container.app.volume_mounts[2].pvc.claim_name",
                "Required value",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_probes() {
    check(&[
        (
            "no handler",
            |k| probe(k, "startup").exec = None,
            &[(
                "spec.container.app.startup_probe",
                "Required value: must specify a handler type",
            )],
        ),
        (
            "two handlers",
            |k| {
                probe(k, "readiness").exec = Some(ExecAction {
                    command: Some(vec!["x".into()]),
                })
            },
            &[(
                "spec.container.app.readiness_probe.tcp_socket",
                "Forbidden: may not specify more than 1 handler type",
            )],
        ),
        (
            "negative counter",
            |k| probe(k, "readiness").period_seconds = Some(-1),
            &[(
                "spec.container.app.readiness_probe.period_seconds",
                "must be greater than or equal to 0",
            )],
        ),
        (
            "liveness success threshold",
            |k| probe(k, "liveness").success_threshold = Some(2),
            &[(
                "spec.container.app.liveness_probe.success_threshold",
                "Invalid value: 2: must be 1",
            )],
        ),
        (
            "startup success threshold",
            |k| probe(k, "startup").success_threshold = Some(3),
            &[(
                "spec.container.app.startup_probe.success_threshold",
                "must be 1",
            )],
        ),
        (
            "empty command",
            |k| {
                probe(k, "startup").exec = Some(ExecAction {
                    command: Some(vec![]),
                })
            },
            &[(
                "spec.container.app.startup_probe.exec.command",
                "Required value",
            )],
        ),
        (
            "http port number range",
            |k| {
                let h = probe(k, "liveness").http_get.as_mut().expect("h");
                h.port_name = None;
                h.port_number = Some(0);
            },
            &[(
                "spec.container.app.liveness_probe.http_get.port_number",
                "Invalid value: 0: must be between 1 and 65535",
            )],
        ),
        (
            "http port name",
            |k| probe(k, "liveness").http_get.as_mut().expect("h").port_name = s("8080"),
            &[(
                "spec.container.app.liveness_probe.http_get.port_name",
                "must contain at least one letter",
            )],
        ),
        (
            "http both ports",
            |k| {
                probe(k, "liveness")
                    .http_get
                    .as_mut()
                    .expect("h")
                    .port_number = Some(80)
            },
            &[(
                "spec.container.app.liveness_probe.http_get.port_name",
                "Forbidden: may not be set when `port_number` is set",
            )],
        ),
        (
            "tcp no port",
            |k| {
                probe(k, "readiness")
                    .tcp_socket
                    .as_mut()
                    .expect("t")
                    .port_number = None
            },
            &[(
                "spec.container.app.readiness_probe.tcp_socket",
                "Required value: must specify one of: `port_number` or `port_name`",
            )],
        ),
        (
            "scheme",
            |k| probe(k, "liveness").http_get.as_mut().expect("h").scheme = s("http"),
            &[(
                "spec.container.app.liveness_probe.http_get.scheme",
                "supported values: \"HTTP\", \"HTTPS\"",
            )],
        ),
        (
            "header name",
            |k| {
                probe(k, "liveness")
                    .http_get
                    .as_mut()
                    .expect("h")
                    .http_headers = Some(vec![HttpHeader {
                    name: s("X_Probe"),
                    value: None,
                }]);
            },
            &[(
                "spec.container.app.liveness_probe.http_get.http_headers[0].name",
                "a valid HTTP header must consist of alphanumeric characters or '-'",
            )],
        ),
        (
            "grpc port",
            |k| {
                let p = probe(k, "startup");
                p.exec = None;
                p.grpc = Some(GrpcAction {
                    port: Some(70000),
                    service: None,
                });
            },
            &[(
                "spec.container.app.startup_probe.grpc.port",
                "must be between 1 and 65535",
            )],
        ),
        (
            "grpc no port",
            |k| {
                let p = probe(k, "startup");
                p.exec = None;
                p.grpc = Some(GrpcAction::default());
            },
            &[(
                "spec.container.app.startup_probe.grpc.port",
                "Required value",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_resources() {
    fn res(k: &mut KubernetesDaemonSet) -> &mut ContainerResources {
        app(k).resources.as_mut().expect("resources")
    }
    check(&[
        (
            "syntax",
            |k| res(k).limits.as_mut().expect("l").memory = q("1GB"),
            &[(
                "spec.container.app.resources.limits.memory",
                "Invalid value: \"1GB\": quantities must match the regular expression",
            )],
        ),
        (
            "numeric",
            |k| res(k).limits.as_mut().expect("l").cpu = q("1.1.1"),
            &[(
                "spec.container.app.resources.limits.cpu",
                "unable to parse numeric part of quantity",
            )],
        ),
        (
            "negative",
            |k| res(k).requests.as_mut().expect("r").cpu = q("-50m"),
            &[(
                "spec.container.app.resources.requests.cpu",
                "Invalid value: \"-50m\": must be greater than or equal to 0",
            )],
        ),
        (
            "request over limit",
            |k| res(k).requests.as_mut().expect("r").cpu = q("2"),
            &[(
                "spec.container.app.resources.requests.cpu",
                "Invalid value: \"2\": must be less than or equal to cpu limit of 1000m",
            )],
        ),
        (
            "memory over limit",
            |k| res(k).requests.as_mut().expect("r").memory = q("1.5Gi"),
            &[(
                "spec.container.app.resources.requests.memory",
                "must be less than or equal to memory limit of 1Gi",
            )],
        ),
        (
            "1000E",
            |k| res(k).limits.as_mut().expect("l").memory = q("1000E"),
            &[(
                "spec.container.app.resources.limits.memory",
                "must be less than 1000E",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_security_context() {
    check(&[
        (
            "negative user",
            |k| sc(k).run_as_user = Some(-1),
            &[(
                "spec.container.app.security_context.run_as_user",
                "Invalid value: -1: must be between 0 and 2147483647, inclusive",
            )],
        ),
        (
            "group too big",
            |k| sc(k).run_as_group = Some(2_147_483_648),
            &[(
                "spec.container.app.security_context.run_as_group",
                "must be between 0 and 2147483647",
            )],
        ),
    ]);
}

#[test]
fn rejects_bad_sidecars() {
    check(&[
        (
            "name required",
            |k| sidecar(k).name = None,
            &[("spec.container.sidecars[0].name", "Required value")],
        ),
        (
            "name not a label",
            |k| sidecar(k).name = s("Reloader"),
            &[(
                "spec.container.sidecars[0].name",
                "a lowercase RFC 1123 label",
            )],
        ),
        (
            "name of the app",
            |k| sidecar(k).name = s("daemonset-container"),
            &[(
                "spec.container.sidecars[0].name",
                "Duplicate value: \"daemonset-container\": the app container is named daemonset-container",
            )],
        ),
        (
            "duplicate names",
            |k| {
                let c = k.spec.container.as_mut().expect("c");
                let first = c.sidecars.as_ref().expect("s")[0].clone();
                c.sidecars.as_mut().expect("s").push(first);
            },
            &[(
                "spec.container.sidecars[1].name",
                "Duplicate value: \"reloader\"",
            )],
        ),
        (
            "image required",
            |k| sidecar(k).image = None,
            &[("spec.container.sidecars[0].image", "Required value")],
        ),
        (
            "image format",
            |k| sidecar(k).image = s("BusyBox:1"),
            &[(
                "spec.container.sidecars[0].image",
                "repository name must be lowercase",
            )],
        ),
        (
            "port protocol",
            |k| sidecar(k).ports.as_mut().expect("p")[0].protocol = s("ICMP"),
            &[(
                "spec.container.sidecars[0].ports[0].protocol",
                "Unsupported value: \"ICMP\"",
            )],
        ),
        (
            "port number",
            |k| sidecar(k).ports.as_mut().expect("p")[0].container_port = None,
            &[(
                "spec.container.sidecars[0].ports[0].container_port",
                "Required value",
            )],
        ),
        (
            "env name required",
            |k| sidecar(k).env.as_mut().expect("e")[0].name = None,
            &[("spec.container.sidecars[0].env[0].name", "Required value")],
        ),
        (
            "env duplicate",
            |k| {
                let e = sidecar(k).env.as_mut().expect("e");
                e.push(e[0].clone());
            },
            &[(
                "spec.container.sidecars[0].env[1].name",
                "Duplicate value: \"MODE\"",
            )],
        ),
        (
            "resources",
            |k| {
                sidecar(k)
                    .resources
                    .as_mut()
                    .expect("r")
                    .requests
                    .as_mut()
                    .expect("rq")
                    .memory = q("2Gi");
            },
            &[(
                "spec.container.sidecars[0].resources.requests.memory",
                "must be less than or equal to memory limit of 1Gi",
            )],
        ),
    ]);
}
