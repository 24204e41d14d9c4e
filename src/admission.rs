//! AdmissionReview in, AdmissionReview out: the webhook's decisions, without sockets.
//!
//! Request flow of [`review`] (the HTTP layer in `server` only routes, limits and times):
//!
//! ```text
//! body bytes ──serde_json (once)──▶ ReviewIn { request: { uid, kind, operation, object: &RawValue, ... } }
//!   │ not an admission.k8s.io/v1 AdmissionReview → HTTP 400, plain text
//!   ├─ DELETE / CONNECT, or another group/kind → allowed, untouched (the object is never parsed)
//!   ├─ object bytes ─fast::decode─▶ typed object (snake_case, plain shape: the cluster's case)
//!   │       └─ refused → slow path: Value ─manifest::decode─▶ typed object or 422 + causes
//!   ├─ /mutate   apply_defaults ─▶ typed diff (fast path) or Value diff (slow path) of the spec;
//!   │              no difference → no patch fields
//!   └─ /validate apply_defaults ─▶ validate (+ validate_update and the rollout warning on UPDATE)
//!                + policy.evaluate(namespace) → 422 Invalid + causes, or allowed;
//!                engine and policy warn-mode findings → warnings, policy ones also
//!                auditAnnotations; never a patch; when the object asks the controller
//!                for rights beyond its namespace, an access plan (crate::access) goes
//!                with the reply for the server's asynchronous access stage (pending.rs)
//! reply: HTTP 200, admission.k8s.io/v1 AdmissionReview, response.uid = request.uid
//! ```
//!
//! Validation runs on the defaulted object because the mutating webhook has normally run
//! already (defaulting a defaulted object changes nothing) and because a client that skips the
//! mutating webhook must still be judged on what the defaults would make of its object.
//!
//! A deadline (from the API server's `?timeout=`) is checked between stages; when it has
//! passed, the review stops with a 504 `Timeout` denial instead of answering after the API
//! server has given up.

mod fast;
pub mod patch;
pub mod pending;
pub mod redact;
pub mod status;
mod strict;
pub mod wire;

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::{debug, trace, warn};

use crate::api::{GROUP, KIND, KubernetesDaemonSet};
use crate::policy::{Decision, GateWarning, Policy};
use crate::validation::field::FieldErrors;
use crate::{defaulting, engine, manifest, validation};
use patch::PatchJson;
pub use pending::PendingAccess;
use status::Status;
use wire::{RequestIn, ResponseOut, ReviewIn};

/// Which webhook a request was sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Webhook {
    /// `POST /mutate`: defaulting, answered with a JSON patch.
    Mutate,
    /// `POST /validate`: validation and policy, answered with a verdict.
    Validate,
}

impl Webhook {
    /// `mutate` or `validate`, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mutate => "mutate",
            Self::Validate => "validate",
        }
    }
}

/// What a review may use besides the request: the current policy and the deadline.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// Policy gates, evaluated on `/validate`.
    pub policy: Option<&'a Policy>,
    /// When the answer is no longer useful to the API server.
    pub deadline: Option<Instant>,
}

impl Context<'_> {
    fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// How a review ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed without a patch.
    Allowed,
    /// Allowed with a defaulting patch.
    Patched,
    /// Denied (invalid object, policy, or a request the webhook cannot judge).
    Denied,
    /// Allowed untouched without looking: DELETE, CONNECT, or not our kind.
    Skipped,
    /// The deadline passed before the review finished; denied with 504.
    TimedOut,
    /// The writer's rights could not be checked with the API server; denied (fail closed).
    AccessUnchecked,
}

impl Verdict {
    /// The verdict for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Patched => "patched",
            Self::Denied => "denied",
            Self::Skipped => "skipped",
            Self::TimedOut => "timed_out",
            Self::AccessUnchecked => "access_unchecked",
        }
    }

    /// The `outcome` metric label: `allowed`, `denied` or `error`.
    pub fn outcome(self) -> &'static str {
        match self {
            Self::Allowed | Self::Patched | Self::Skipped => "allowed",
            Self::Denied => "denied",
            Self::TimedOut | Self::AccessUnchecked => "error",
        }
    }
}

/// What the server logs and counts about one review (never the object itself).
#[derive(Clone, Debug)]
pub struct Summary {
    /// The request uid.
    pub uid: String,
    /// `group/version, Kind=...` of the object.
    pub kind: String,
    /// The object's namespace.
    pub namespace: String,
    /// The object's name.
    pub name: String,
    /// The operation, as a metric label.
    pub operation: &'static str,
    /// Whether this was a server-side dry run.
    pub dry_run: bool,
    /// How the review ended.
    pub verdict: Verdict,
    /// Number of patch operations sent.
    pub patch_ops: usize,
    /// Number of warnings sent.
    pub warnings: usize,
    /// Policy gate verdicts, for metrics.
    pub decisions: Vec<Decision>,
}

/// The HTTP answer to one request body.
#[derive(Clone, Debug)]
pub struct Reply {
    /// 200 for every AdmissionReview answer; 400 when the body is not one; 500 when the
    /// answer could not be encoded.
    pub status: StatusCode,
    /// `application/json` AdmissionReview for 200, plain text otherwise.
    pub body: Bytes,
    /// Present when the body was an AdmissionReview.
    pub summary: Option<Summary>,
    /// Present when the object was admitted but asks the controller for rights beyond its
    /// namespace: the server checks the writer's own rights before sending this reply.
    pub access: Option<Box<PendingAccess>>,
}

/// Transport and encoding failures; denials are replies, not errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not JSON of an AdmissionReview's shape.
    #[error("failed to decode an AdmissionReview: {0}")]
    Decode(#[source] serde_json::Error),
    /// The body is an AdmissionReview of another version.
    #[error("expected apiVersion admission.k8s.io/v1, kind AdmissionReview, got {0}, kind {1}")]
    Envelope(String, String),
    /// The reply could not be serialised.
    #[error("failed to encode the reply")]
    Encode(#[source] serde_json::Error),
}

impl Error {
    fn into_reply(self) -> Reply {
        let status = match self {
            Self::Decode(_) | Self::Envelope(..) => StatusCode::BAD_REQUEST,
            Self::Encode(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Reply {
            status,
            body: Bytes::from(format!("{self}\n")),
            summary: None,
            access: None,
        }
    }
}

/// The function that judges one request body: [`review`] in production. The server takes it
/// as a parameter so that it never depends on what a review is, and so that the benchmark's
/// floor server can run the identical TLS and HTTP stack with a fixed answer.
pub type Reviewer = fn(&[u8], Webhook, &Context<'_>) -> Reply;

/// Reviews one request body for one webhook. Pure: no I/O besides log lines.
pub fn review(body: &[u8], webhook: Webhook, ctx: &Context<'_>) -> Reply {
    match try_review(body, webhook, ctx) {
        Ok(reply) => reply,
        Err(e) => e.into_reply(),
    }
}

fn try_review(body: &[u8], webhook: Webhook, ctx: &Context<'_>) -> Result<Reply, Error> {
    let review = match ReviewIn::read_typed(body, webhook) {
        Some(review) => review,
        None => serde_json::from_slice::<ReviewIn<'_>>(body).map_err(Error::Decode)?,
    };
    if review.api_version != wire::API_VERSION || review.kind != wire::KIND {
        return Err(Error::Envelope(review.api_version, review.kind));
    }
    let mut req = review.request;
    let judgement = judge(&mut req, webhook, ctx);
    let patch_ops = judgement.patch.as_ref().map_or(0, PatchJson::ops);
    if let Some(p) = &judgement.patch {
        debug!(uid = %req.uid, ops = patch_ops, "Defaulting patch");
        trace!(uid = %req.uid, patch = %redact::patch(p), "Defaulting patch");
    }
    let response = ResponseOut {
        uid: &req.uid,
        allowed: judgement.allowed,
        patch_type: judgement.patch.as_ref().map(|_| "JSONPatch"),
        patch: judgement.patch.as_ref().map(PatchJson::encode),
        status: judgement.status,
        warnings: judgement.warnings,
        audit_annotations: judgement.audit,
    };
    let warnings = response.warnings.len();
    let access = judgement.access.map(|plan| {
        Box::new(PendingAccess::new(
            plan,
            &req.uid,
            req.name.as_deref().unwrap_or_default(),
            &response,
        ))
    });
    // One allocation for the whole reply in the common case: the envelope is ~150 bytes
    // besides the patch, which is the only large part of an allowed answer.
    let capacity = REPLY_ENVELOPE_BYTES + response.patch.as_ref().map_or(0, String::len);
    let mut body = Vec::with_capacity(capacity);
    response.write_review(&mut body).map_err(Error::Encode)?;
    let summary = Summary {
        kind: format!(
            "{}/{}, Kind={}",
            req.kind.group, req.kind.version, req.kind.kind
        ),
        namespace: req.namespace.take().unwrap_or_default(),
        name: req.name.take().unwrap_or_default(),
        operation: operation_label(&req.operation),
        dry_run: req.dry_run.unwrap_or(false),
        verdict: judgement.verdict,
        patch_ops,
        warnings,
        decisions: judgement.decisions,
        uid: req.uid,
    };
    Ok(Reply {
        status: StatusCode::OK,
        body: Bytes::from(body),
        summary: Some(summary),
        access,
    })
}

/// Room reserved for a reply besides its patch: the envelope, uid and verdict of an allowed
/// answer fit; a denial's causes or warnings grow the buffer as needed.
const REPLY_ENVELOPE_BYTES: usize = 256;

/// The operation as a static metric label.
fn operation_label(op: &str) -> &'static str {
    match op {
        "CREATE" => "CREATE",
        "UPDATE" => "UPDATE",
        "DELETE" => "DELETE",
        "CONNECT" => "CONNECT",
        _ => "unknown",
    }
}

/// Everything a review decided, before it is written.
#[derive(Debug)]
struct Judgement {
    allowed: bool,
    verdict: Verdict,
    patch: Option<PatchJson>,
    status: Option<Status>,
    warnings: Vec<String>,
    audit: BTreeMap<String, String>,
    decisions: Vec<Decision>,
    /// The access reviews an admitted object still needs; `None` when it needs none.
    access: Option<crate::access::Plan>,
}

impl Judgement {
    fn allow(verdict: Verdict) -> Self {
        Self {
            allowed: true,
            verdict,
            patch: None,
            status: None,
            warnings: Vec::new(),
            audit: BTreeMap::new(),
            decisions: Vec::new(),
            access: None,
        }
    }

    fn deny(status: Status) -> Self {
        let verdict = if status.code == 504 {
            Verdict::TimedOut
        } else {
            Verdict::Denied
        };
        Self {
            allowed: false,
            status: Some(status),
            ..Self::allow(verdict)
        }
    }
}

fn judge(req: &mut RequestIn<'_>, webhook: Webhook, ctx: &Context<'_>) -> Judgement {
    let ours = req.kind.group == GROUP && req.kind.kind == KIND;
    match req.operation.as_str() {
        "DELETE" | "CONNECT" => return Judgement::allow(Verdict::Skipped),
        "CREATE" | "UPDATE" if ours => {}
        op => {
            warn!(
                uid = %req.uid,
                group = %req.kind.group,
                kind = %req.kind.kind,
                operation = op,
                "Request not for a KubernetesDaemonSet CREATE/UPDATE; allowed unchanged"
            );
            return Judgement::allow(Verdict::Skipped);
        }
    }
    let decoded = if let Some(kds) = req.typed_object.take() {
        // The object as decoded (snake_case, set fields only); only built when tracing.
        trace!(uid = %req.uid, object = %redact::object(&manifest::to_value(&kds)), "Object under review");
        Decoded {
            kds: *kds,
            raw_spec: None,
        }
    } else if let Some(object) = req.object {
        // Only built when trace logging is on.
        trace!(
            uid = %req.uid,
            object = %redact::object(&serde_json::from_str(object.get()).unwrap_or_default()),
            "Object under review"
        );
        match decode_object(object, req.name.as_deref(), webhook) {
            Ok(d) => d,
            Err(status) => return Judgement::deny(*status),
        }
    } else {
        return Judgement::deny(Status::bad_request(format!(
            "{} request without an object",
            req.operation
        )));
    };
    match webhook {
        Webhook::Mutate => mutate(decoded, ctx),
        Webhook::Validate => {
            let name = decoded
                .kds
                .metadata
                .name
                .as_deref()
                .or(req.name.as_deref())
                .unwrap_or_default()
                .to_owned();
            let namespace = req
                .namespace
                .clone()
                .filter(|n| !n.is_empty())
                .or_else(|| decoded.kds.metadata.namespace.clone())
                .unwrap_or_default();
            let old = if req.operation != "UPDATE" {
                None
            } else if let Some(kds) = req.typed_old_object.take() {
                Some(Old::Typed(kds))
            } else {
                req.old_object.map(Old::Raw)
            };
            validate(decoded.kds, old, &name, &namespace, ctx)
        }
    }
}

/// A decoded object, and its raw `spec` when it came the slow way and `/mutate` needs it.
struct Decoded {
    kds: KubernetesDaemonSet,
    /// `Some` only from the slow path on `/mutate`: the patch is then the exact `Value` diff.
    raw_spec: Option<Value>,
}

/// The typed object: the fast path ([`fast::decode`]) when it accepts the object, else the
/// slow path (`Value` → `manifest::decode`), whose errors become the 422 denial.
fn decode_object(
    raw: &RawValue,
    request_name: Option<&str>,
    webhook: Webhook,
) -> Result<Decoded, Box<Status>> {
    if let Some(kds) = fast::decode(raw) {
        return Ok(Decoded {
            kds,
            raw_spec: None,
        });
    }
    let object: Value = serde_json::from_str(raw.get()).map_err(|e| {
        Box::new(Status::bad_request(format!(
            "failed to read the object: {e}"
        )))
    })?;
    let raw_spec = match webhook {
        Webhook::Mutate => Some(object.get("spec").cloned().unwrap_or(Value::Null)),
        Webhook::Validate => None,
    };
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .or(request_name)
        .unwrap_or_default()
        .to_owned();
    match manifest::decode(object) {
        Ok(kds) => Ok(Decoded { kds, raw_spec }),
        Err(errs) => Err(Box::new(Status::invalid(&name, &errs))),
    }
}

/// `/mutate`: the patch from the spec as sent to the defaulted spec.
fn mutate(decoded: Decoded, ctx: &Context<'_>) -> Judgement {
    if ctx.expired() {
        return Judgement::deny(Status::timeout("defaulting"));
    }
    let Decoded { mut kds, raw_spec } = decoded;
    let patch = match raw_spec {
        // Fast path: the typed spec has the raw spec's shape; compare typed.
        None => {
            // Defaulting never touches the app's `env` (by far the largest part of a big spec;
            // `the_mutate_patch_leaves_env_alone` pins it), so it is left out of the copy and
            // of the comparison: absent on both sides, it can produce no operation.
            drop(take_app_env(&mut kds));
            let received = kds.spec.clone();
            defaulting::apply_defaults(&mut kds);
            patch::typed_spec_patch(&received, &kds.spec)
        }
        // Slow path: camelCase, nulls and the like; diff the JSON exactly.
        Some(raw_spec) => {
            defaulting::apply_defaults(&mut kds);
            let defaulted = match serde_json::to_value(&kds.spec) {
                Ok(v) => v,
                Err(e) => {
                    return Judgement::deny(Status::bad_request(format!(
                        "failed to encode the defaulted spec: {e}"
                    )));
                }
            };
            patch::spec_patch(raw_spec, defaulted).and_then(|p| PatchJson::from_patch(&p))
        }
    };
    match patch {
        Some(p) => Judgement {
            patch: Some(p),
            ..Judgement::allow(Verdict::Patched)
        },
        None => Judgement::allow(Verdict::Allowed),
    }
}

/// The app container's `env`, taken out of the object.
fn take_app_env(
    kds: &mut KubernetesDaemonSet,
) -> Option<crate::api::KubernetesDaemonSetContainerAppEnv> {
    kds.spec
        .container
        .as_mut()
        .and_then(|c| c.app.as_mut())
        .and_then(|app| app.env.take())
}

/// `/validate`: the engine's defaulting, validation and policy gates (the same pipeline as
/// the offline `validate` command), plus the update-only rules.
fn validate(
    mut kds: KubernetesDaemonSet,
    old: Option<Old<'_>>,
    name: &str,
    namespace: &str,
    ctx: &Context<'_>,
) -> Judgement {
    // Gates judge the namespace the object lives in; the request names it even when the
    // object's metadata leaves it out.
    if kds.metadata.namespace.as_deref().is_none_or(str::is_empty) && !namespace.is_empty() {
        kds.metadata.namespace = Some(namespace.to_owned());
    }
    let checked = engine::check(kds, ctx.policy);
    if ctx.expired() {
        return Judgement::deny(Status::timeout("validation"));
    }
    let mut errs = checked.errors;
    let mut warnings = checked.warnings;
    let old = old.and_then(|o| decode_old(o, name));
    if let Some(old) = &old {
        errs.extend(validation::validate_update(old, &checked.defaulted));
        // UPDATE only: the rollout this change sets off, as `kubectl apply` will show it.
        if errs.is_empty() {
            warnings.extend(crate::rollout::update_warning(old, &checked.defaulted));
        }
        // An UPDATE that leaves the spec as it was (labels, annotations, finalizers: the
        // controller's own writes among them) changes nothing these rules judge. Refusing it
        // would not make the stored object valid, only keep its finalizer from being added or
        // removed, so a deleted object would never go. It is admitted, the problems warned.
        if !errs.is_empty() && old.spec == checked.defaulted.spec {
            let first = errs
                .iter()
                .next()
                .map(ToString::to_string)
                .unwrap_or_default();
            warnings.insert(0, format!("spec unchanged but invalid: {first}"));
            errs = FieldErrors::new();
        }
    }
    let mut j = if errs.is_empty() {
        Judgement::allow(Verdict::Allowed)
    } else {
        Judgement::deny(Status::invalid(name, &errs))
    };
    // What the object asks the controller to do on its writer's behalf. An UPDATE that
    // leaves the spec as it was (finalizers, labels, status) asks for nothing new, so the
    // controller's own metadata writes and finalizer removal are never held up by it.
    // The plan first: for an object that stays home it is a few comparisons, and only a
    // non-empty plan pays for comparing the two specs.
    if errs.is_empty() {
        let plan = crate::access::plan(&checked.defaulted, namespace);
        if !plan.is_empty()
            && old
                .as_ref()
                .is_none_or(|o| o.spec != checked.defaulted.spec)
        {
            j.access = Some(plan);
        }
    }
    j.warnings = status::clean_warnings(warnings);
    j.audit = audit_annotations(&checked.policy_warnings);
    j.decisions = checked.decisions;
    j
}

/// Warn-mode gate violations for the API server's audit log, one annotation per gate
/// (`policy-<gate>`), its findings joined with `; `.
fn audit_annotations(warnings: &[GateWarning]) -> BTreeMap<String, String> {
    let mut audit: BTreeMap<String, String> = BTreeMap::new();
    for w in warnings {
        let finding = w.to_string();
        audit
            .entry(format!("policy-{}", w.gate))
            .and_modify(|v| {
                v.push_str("; ");
                v.push_str(&finding);
            })
            .or_insert(finding);
    }
    audit
}

/// The stored object of an UPDATE, as read with the request or still raw.
enum Old<'a> {
    Typed(Box<KubernetesDaemonSet>),
    Raw(&'a RawValue),
}

/// The stored object of an UPDATE, defaulted; `None` (and a debug line) when it no longer
/// decodes, in which case only the new object is judged.
fn decode_old(old: Old<'_>, name: &str) -> Option<KubernetesDaemonSet> {
    let decoded = match old {
        Old::Typed(kds) => Ok(*kds),
        Old::Raw(raw) => match fast::decode(raw) {
            Some(kds) => Ok(kds),
            None => serde_json::from_str(raw.get())
                .map_err(|_| FieldErrors::new())
                .and_then(manifest::decode),
        },
    };
    match decoded {
        Ok(mut kds) => {
            defaulting::apply_defaults(&mut kds);
            Some(kds)
        }
        Err(errs) => {
            let errs: &FieldErrors = &errs;
            debug!(name, errors = %errs, "Stored object does not decode; update rules skipped");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REVIEWS: [&str; 2] = [
        include_str!("../benches/fixtures/review-3KB.json"),
        include_str!("../benches/fixtures/review-100KB.json"),
    ];

    /// `mutate` leaves `env` out of the typed diff; that is exact only while defaulting never
    /// changes it.
    #[test]
    fn the_mutate_patch_leaves_env_alone() {
        for text in REVIEWS {
            let review: Value = serde_json::from_str(text).expect("json");
            let object = review["request"]["object"].to_string();
            let raw: Box<RawValue> = serde_json::from_str(&object).expect("raw");
            let mut kds = fast::decode(&raw).expect("fast path");
            let env = take_app_env(&mut kds.clone());
            assert!(env.is_some(), "every fixture has an env");
            defaulting::apply_defaults(&mut kds);
            assert_eq!(take_app_env(&mut kds), env);
        }
    }
}
