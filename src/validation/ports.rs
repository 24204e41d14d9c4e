//! Container ports: IANA names, numbers, protocols, and host-port uniqueness.
//!
//! The app's and the sidecars' ports have different shapes (`network_protocol` and a required
//! name on the app, an optional `protocol` defaulting to TCP on sidecars), so both are viewed
//! as a [`Port`] and checked by one function.

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use super::invalid_each;
use super::names::{self, PORT_RANGE_MSG};
use crate::api::{KubernetesDaemonSetContainerAppPort, SidecarPort};

/// The protocols the API server knows, in its order.
const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];

/// One port, whatever container it belongs to.
struct Port<'a> {
    name: Option<&'a str>,
    container_port: Option<i32>,
    protocol: Option<&'a str>,
    host_port: Option<i32>,
}

/// How a container's ports are spelled and which fields it requires.
struct Shape {
    protocol_field: &'static str,
    /// The original requires names and protocols on the app's ports; sidecars default them.
    app: bool,
}

/// The app container's ports (the only ones that can bind a host port).
pub(super) fn validate_app(
    ports: &[KubernetesDaemonSetContainerAppPort],
    pp: &FieldPath,
    errs: &mut FieldErrors,
) {
    let shape = Shape {
        protocol_field: "network_protocol",
        app: true,
    };
    let view = ports.iter().map(|p| Port {
        name: p.name.as_deref(),
        container_port: p.container_port,
        protocol: p.network_protocol.as_deref(),
        host_port: p.host_port,
    });
    validate(view, pp, &shape, errs);
}

/// A sidecar's ports.
pub(super) fn validate_sidecar(ports: &[SidecarPort], pp: &FieldPath, errs: &mut FieldErrors) {
    let shape = Shape {
        protocol_field: "protocol",
        app: false,
    };
    let view = ports.iter().map(|p| Port {
        name: p.name.as_deref(),
        container_port: p.container_port,
        protocol: p.protocol.as_deref(),
        host_port: None,
    });
    validate(view, pp, &shape, errs);
}

fn validate<'a>(
    ports: impl Iterator<Item = Port<'a>>,
    pp: &FieldPath,
    shape: &Shape,
    errs: &mut FieldErrors,
) {
    let mut names_seen: Vec<&str> = Vec::new();
    let mut host_seen: Vec<(&str, i32)> = Vec::new();
    for (i, p) in ports.enumerate() {
        let at = At::index(pp, i);
        name(p.name, at, shape.app, &mut names_seen, errs);
        match p.container_port {
            None | Some(0) => errs.push(FieldError::required(at.field("container_port"), "")),
            Some(n) if !names::is_port_number(n) => errs.push(FieldError::invalid(
                at.field("container_port"),
                n,
                PORT_RANGE_MSG,
            )),
            Some(_) => {}
        }
        let protocol = match p.protocol.filter(|s| !s.is_empty()) {
            None if shape.app => {
                errs.push(FieldError::required(at.field(shape.protocol_field), ""));
                "TCP"
            }
            None => "TCP",
            Some(s) if !PROTOCOLS.contains(&s) => {
                errs.push(FieldError::not_supported(
                    at.field(shape.protocol_field),
                    s,
                    &PROTOCOLS,
                ));
                s
            }
            Some(s) => s,
        };
        host_port(p.host_port, protocol, at, &mut host_seen, errs);
    }
}

/// The five IANA checks, then uniqueness within the container (valid names only, as the API
/// server does).
fn name<'a>(
    name: Option<&'a str>,
    at: At<'_>,
    required: bool,
    seen: &mut Vec<&'a str>,
    errs: &mut FieldErrors,
) {
    let Some(n) = name.filter(|n| !n.is_empty()) else {
        if required {
            errs.push(FieldError::required(at.field("name"), ""));
        }
        return;
    };
    let msgs = names::port_name(n);
    if !msgs.is_empty() {
        invalid_each(errs, msgs, || at.field("name"), n);
    } else if required && n.len() < 2 {
        // The original's CEL rule `^[a-z0-9][a-z0-9-]*[a-z0-9]$` is stricter than IANA only
        // here; we stay at least as strict as the original.
        errs.push(FieldError::invalid(
            at.field("name"),
            n,
            "must be at least 2 characters (rule spec.container.app.ports.name)",
        ));
    } else if seen.contains(&n) {
        errs.push(FieldError::duplicate(at.field("name"), n));
    } else {
        seen.push(n);
    }
}

/// 0 or unset means no host port; otherwise a valid port, unique per protocol (the key the
/// API server shows is `<protocol>/<hostIP>/<port>`, and we never set a host IP).
fn host_port<'a>(
    hp: Option<i32>,
    protocol: &'a str,
    at: At<'_>,
    seen: &mut Vec<(&'a str, i32)>,
    errs: &mut FieldErrors,
) {
    let Some(h) = hp.filter(|h| *h != 0) else {
        return;
    };
    if !names::is_port_number(h) {
        errs.push(FieldError::invalid(
            at.field("host_port"),
            h,
            PORT_RANGE_MSG,
        ));
    } else if seen.contains(&(protocol, h)) {
        errs.push(FieldError::duplicate(
            at.field("host_port"),
            format!("{protocol}//{h}"),
        ));
    } else {
        seen.push((protocol, h));
    }
}
