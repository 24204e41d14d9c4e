//! The app container: presence, image, ports, resources, security context.

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
            "one letter",
            |k| port(k, 0).name = s("a"),
            &[(
                "spec.container.app.ports[0].name",
                "must be at least 2 characters",
            )],
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
