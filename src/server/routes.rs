//! The webhook's HTTP surface: `POST /mutate` and `POST /validate`, routed on the path alone
//! (the API server appends `?timeout=`), with the body checked and bounded before the pure
//! `admission::review` sees it.
//!
//! ```text
//! path ≠ /mutate|/validate → 404 · method ≠ POST → 405 + Allow · Content-Type ≠ JSON → 415
//! Content-Length > limit → 413 (body not read) · body > limit while reading → 413
//! body not complete by the deadline → 408 · review → admission::Reply (200 / 400)
//! /validate reply admitted with an access plan, checks on → SubjectAccessReviews (async)
//!   → the same reply, or a 422 Forbidden / 500 fail-closed denial
//! ```
//!
//! The deadline is the earlier of `--request-timeout` and the API server's `?timeout=` minus a
//! margin (a fifth of it, at most one second), so that the answer arrives before the API server
//! gives up.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::access::{AccessChecker, UserInfo};
use crate::admission::{self, Context, Webhook};
use crate::metrics::Metrics;
use crate::policy::Policy;

/// What every request handler shares.
pub struct Shared {
    /// Where requests are counted.
    pub metrics: Arc<Metrics>,
    /// The current policy, if one is configured.
    pub policy: watch::Receiver<Option<Arc<Policy>>>,
    /// Largest body accepted.
    pub max_body_bytes: usize,
    /// Upper bound on one request.
    pub request_timeout: Duration,
    /// What answers a review body.
    pub reviewer: admission::Reviewer,
    /// Checks the writer's own rights; `None` when access checks are off.
    pub access: Option<Arc<AccessChecker>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// Decrements the in-flight gauge however the handler ends.
struct InFlight<'a>(&'a Metrics);

impl<'a> InFlight<'a> {
    fn new(m: &'a Metrics) -> Self {
        m.in_flight.inc();
        Self(m)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// Handles one request on the webhook port.
pub async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let start = Instant::now();
    let webhook = match req.uri().path() {
        "/mutate" => Webhook::Mutate,
        "/validate" => Webhook::Validate,
        path => {
            debug!(path, "No such route");
            return Ok(plain(StatusCode::NOT_FOUND, "not found\n"));
        }
    };
    if let Some((status, msg)) = precheck(&req, shared.max_body_bytes) {
        warn!(
            webhook = webhook.as_str(),
            status = status.as_u16(),
            msg,
            "Request refused"
        );
        shared
            .metrics
            .observe_request(webhook.as_str(), "unknown", "error", secs(start));
        let mut rsp = plain(status, msg);
        if status == StatusCode::METHOD_NOT_ALLOWED {
            rsp.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
        }
        return Ok(rsp);
    }
    let _in_flight = InFlight::new(&shared.metrics);
    let deadline = start + budget(req.uri().query(), shared.request_timeout);
    let declared = declared_length(&req).map_or(0, |n| n.min(shared.max_body_bytes as u64));
    let limited = Limited::new(req.into_body(), shared.max_body_bytes);
    let read = read_body(limited, usize::try_from(declared).unwrap_or(0));
    let body = match tokio::time::timeout_at(deadline.into(), read).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => {
            let (status, msg) = if e.downcast_ref::<LengthLimitError>().is_some() {
                (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n")
            } else {
                (StatusCode::BAD_REQUEST, "failed to read the request body\n")
            };
            warn!(webhook = webhook.as_str(), status = status.as_u16(), error = %e, "Request refused");
            shared
                .metrics
                .observe_request(webhook.as_str(), "unknown", "error", secs(start));
            return Ok(plain(status, msg));
        }
        Err(_) => {
            warn!(
                webhook = webhook.as_str(),
                "Request body not received before the deadline"
            );
            shared
                .metrics
                .observe_request(webhook.as_str(), "unknown", "error", secs(start));
            return Ok(plain(
                StatusCode::REQUEST_TIMEOUT,
                "request body not received before the deadline\n",
            ));
        }
    };
    let policy = shared.policy.borrow().clone();
    let ctx = Context {
        policy: policy.as_deref(),
        deadline: Some(deadline),
    };
    let mut reply = (shared.reviewer)(&body, webhook, &ctx);
    if let (Some(pending), Some(checker)) = (reply.access.take(), &shared.access) {
        reply = check_access(checker, reply, *pending, &body, deadline).await;
    }
    record(&shared.metrics, webhook, &reply, start);
    let content_type = if reply.status == StatusCode::OK {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut rsp = Response::new(Full::new(reply.body));
    *rsp.status_mut() = reply.status;
    rsp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(rsp)
}

/// The asynchronous access stage: the writer's rights, reviewed by the API server, keep the
/// admitted reply or turn it into a denial; any failure to check refuses (fail closed).
async fn check_access(
    checker: &AccessChecker,
    reply: admission::Reply,
    pending: admission::PendingAccess,
    body: &[u8],
    deadline: Instant,
) -> admission::Reply {
    let result = match UserInfo::from_review(body) {
        Ok(user) => checker
            .check(&pending.plan, &user, deadline)
            .await
            .map(|errs| (user, errs)),
        Err(e) => Err(e),
    };
    match result {
        Ok((_, errs)) if errs.is_empty() => reply,
        Ok((user, errs)) => {
            info!(user = %user.username, causes = errs.len(), "Writer lacks rights the object asks for");
            pending.denied(reply.summary, &errs)
        }
        Err(e) => {
            warn!(error = %e, "Access check failed; refusing the object");
            pending.unchecked(reply.summary, &e.to_string())
        }
    }
}

/// Method, content type and declared length, checked before any body byte is read.
fn precheck(req: &Request<Incoming>, max_body_bytes: usize) -> Option<(StatusCode, &'static str)> {
    if req.method() != Method::POST {
        return Some((StatusCode::METHOD_NOT_ALLOWED, "only POST is allowed\n"));
    }
    if let Some(ct) = req.headers().get(CONTENT_TYPE) {
        let essence = ct
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Some((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content type must be application/json\n",
            ));
        }
    }
    if declared_length(req).is_some_and(|n| n > max_body_bytes as u64) {
        return Some((StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n"));
    }
    None
}

/// The `Content-Length` the client declared, if any.
fn declared_length(req: &Request<Incoming>) -> Option<u64> {
    req.headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// The whole body in one buffer. A body that arrives in one frame is passed on as it is; a
/// longer one is copied into a buffer of the declared length, each frame released as soon as
/// it is copied, so a large body is held about once (hyper's frames are slices of its read
/// buffer, which collecting them all and then joining would keep alive next to the copy).
/// Errors are the body's own (`LengthLimitError` past the limit).
async fn read_body(
    mut body: Limited<Incoming>,
    declared: usize,
) -> Result<Bytes, Box<dyn std::error::Error + Send + Sync>> {
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue; // trailers carry nothing a review reads
        };
        match first.take() {
            None if joined.is_empty() => first = Some(data),
            None => joined.extend_from_slice(&data),
            Some(head) => {
                joined.reserve_exact(declared.max(head.len() + data.len()));
                joined.extend_from_slice(&head);
                joined.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(joined)))
}

/// Counts and logs one answered review.
fn record(metrics: &Metrics, webhook: Webhook, reply: &admission::Reply, start: Instant) {
    let elapsed = start.elapsed();
    let Some(s) = &reply.summary else {
        warn!(
            webhook = webhook.as_str(),
            status = reply.status.as_u16(),
            error = %String::from_utf8_lossy(&reply.body).trim_end(),
            "Request is not an AdmissionReview"
        );
        metrics.observe_request(webhook.as_str(), "unknown", "error", elapsed.as_secs_f64());
        return;
    };
    metrics.observe_request(
        webhook.as_str(),
        s.operation,
        s.verdict.outcome(),
        elapsed.as_secs_f64(),
    );
    for d in &s.decisions {
        metrics.observe_policy(d.gate, d.mode.as_str(), d.violated);
    }
    info!(
        webhook = webhook.as_str(),
        uid = %s.uid,
        kind = %s.kind,
        namespace = %s.namespace,
        name = %s.name,
        operation = s.operation,
        dry_run = s.dry_run,
        verdict = s.verdict.as_str(),
        patch_ops = s.patch_ops,
        warnings = s.warnings,
        duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "Admission reviewed"
    );
}

/// Time allowed for one request: `--request-timeout`, lowered to the API server's `?timeout=`
/// minus a margin.
pub fn budget(query: Option<&str>, request_timeout: Duration) -> Duration {
    let asked = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("timeout="))
        .and_then(crate::config::parse_duration);
    match asked {
        Some(t) if !t.is_zero() => {
            let margin = (t / 5).min(Duration::from_secs(1));
            request_timeout.min(t - margin)
        }
        _ => request_timeout,
    }
}

fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// A plain-text response.
pub fn plain(status: StatusCode, msg: &'static str) -> Response<Full<Bytes>> {
    let mut rsp = Response::new(Full::new(Bytes::from_static(msg.as_bytes())));
    *rsp.status_mut() = status;
    rsp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    rsp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_honours_the_api_server_timeout() {
        let ten = Duration::from_secs(10);
        assert_eq!(budget(Some("timeout=5s"), ten), Duration::from_secs(4));
        assert_eq!(budget(Some("timeout=30s"), ten), ten);
        assert_eq!(
            budget(Some("a=b&timeout=1s"), ten),
            Duration::from_millis(800)
        );
        assert_eq!(budget(None, ten), ten);
        assert_eq!(budget(Some("timeout=bogus"), ten), ten);
    }
}
