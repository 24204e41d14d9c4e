//! Liveness, readiness and startup probes.

use super::*;

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
