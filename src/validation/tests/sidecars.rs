//! Sidecar containers.

use super::*;

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
