//! Liveness, readiness and startup probes: one handler each, sane counters, valid ports.

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use super::names::{self, PORT_RANGE_MSG};
use super::{given, invalid_each, non_negative};
use crate::api::{HttpGetAction, KubernetesDaemonSetContainerApp, Probe};

/// Schemes the API server accepts.
const SCHEMES: [&str; 2] = ["HTTP", "HTTPS"];

pub(super) fn validate(
    app: &KubernetesDaemonSetContainerApp,
    ap: &FieldPath,
    errs: &mut FieldErrors,
) {
    let probes = [
        ("liveness_probe", &app.liveness_probe, true),
        ("readiness_probe", &app.readiness_probe, false),
        ("startup_probe", &app.startup_probe, true),
    ];
    for (field, probe, once) in probes {
        if let Some(p) = probe {
            validate_probe(p, &ap.child(field), once, errs);
        }
    }
}

/// `validateProbe` plus the liveness/startup `successThreshold` rule when `success_once`.
fn validate_probe(p: &Probe, pp: &FieldPath, success_once: bool, errs: &mut FieldErrors) {
    handler_count(p, pp, errs);
    let counters = [
        ("initial_delay_seconds", p.initial_delay_seconds),
        ("timeout_seconds", p.timeout_seconds),
        ("period_seconds", p.period_seconds),
        ("success_threshold", p.success_threshold),
        ("failure_threshold", p.failure_threshold),
    ];
    for (field, v) in counters {
        non_negative(errs, v, || pp.child(field));
    }
    // 0 is defaulted to 1, so only another positive number is wrong.
    if let Some(n) = p.success_threshold.filter(|n| success_once && *n > 1) {
        errs.push(FieldError::invalid(
            pp.child("success_threshold"),
            n,
            "must be 1",
        ));
    }
    if let Some(e) = &p.exec
        && e.command.as_ref().is_none_or(Vec::is_empty)
    {
        errs.push(FieldError::required(pp.child("exec").child("command"), ""));
    }
    if let Some(h) = &p.http_get {
        http_get(h, &pp.child("http_get"), errs);
    }
    if let Some(t) = &p.tcp_socket {
        port(
            t.port_number,
            given(&t.port_name),
            &pp.child("tcp_socket"),
            errs,
        );
    }
    if let Some(g) = &p.grpc {
        match g.port {
            None => errs.push(FieldError::required(pp.child("grpc").child("port"), "")),
            Some(n) if !names::is_port_number(n) => errs.push(FieldError::invalid(
                pp.child("grpc").child("port"),
                n,
                PORT_RANGE_MSG,
            )),
            Some(_) => {}
        }
    }
}

/// Exactly one handler, counted in the API server's order.
fn handler_count(p: &Probe, pp: &FieldPath, errs: &mut FieldErrors) {
    let handlers = [
        ("exec", p.exec.is_some()),
        ("http_get", p.http_get.is_some()),
        ("tcp_socket", p.tcp_socket.is_some()),
        ("grpc", p.grpc.is_some()),
    ];
    let mut count = 0;
    for (field, set) in handlers {
        if set {
            count += 1;
            if count > 1 {
                errs.push(FieldError::forbidden(
                    pp.child(field),
                    "may not specify more than 1 handler type",
                ));
            }
        }
    }
    if count == 0 {
        errs.push(FieldError::required(
            pp.clone(),
            "must specify a handler type",
        ));
    }
}

fn http_get(h: &HttpGetAction, hp: &FieldPath, errs: &mut FieldErrors) {
    port(h.port_number, given(&h.port_name), hp, errs);
    if let Some(s) = given(&h.scheme).filter(|s| !SCHEMES.contains(s)) {
        errs.push(FieldError::not_supported(hp.child("scheme"), s, &SCHEMES));
    }
    if let Some(headers) = h.http_headers.as_ref().filter(|h| !h.is_empty()) {
        let lp = hp.child("http_headers");
        for (j, header) in headers.iter().enumerate() {
            let n = header.name.as_deref().unwrap_or_default();
            let at = At::index(&lp, j);
            invalid_each(errs, names::http_header_name(n), || at.field("name"), n);
        }
    }
}

/// `ValidatePortNumOrName`, with the oneof made explicit: exactly one of number and name.
fn port(number: Option<i32>, name: Option<&str>, hp: &FieldPath, errs: &mut FieldErrors) {
    match (number, name) {
        (Some(n), None) if !names::is_port_number(n) => {
            errs.push(FieldError::invalid(
                hp.child("port_number"),
                n,
                PORT_RANGE_MSG,
            ));
        }
        (None, Some(s)) => invalid_each(errs, names::port_name(s), || hp.child("port_name"), s),
        (Some(_), Some(_)) => errs.push(FieldError::forbidden(
            hp.child("port_name"),
            "may not be set when `port_number` is set",
        )),
        (None, None) => errs.push(FieldError::required(
            hp.clone(),
            "must specify one of: `port_number` or `port_name`",
        )),
        (Some(_), None) => {}
    }
}
