//! Oracles shared by the fuzz targets: what a correct answer looks like, beyond "no panic".
//!
//! Each function panics (which libFuzzer reports as a crash, with the input saved) when the
//! code under test answers something it must never answer.

use std::sync::OnceLock;

use base64::Engine as _;
use kds_webhook::admission::{self, Context, Webhook};
use kds_webhook::policy::Policy;
use kds_webhook::{KubernetesDaemonSet, defaulting, manifest};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The parts of a review the oracle compares the reply with.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow)]
    request: ProbeRequest<'a>,
}

#[derive(Deserialize)]
struct ProbeRequest<'a> {
    uid: String,
    #[serde(default, borrow)]
    object: Option<&'a RawValue>,
}

/// The multi-tenant example policy (every gate on), parsed once: `/validate` runs its gates.
pub fn example_policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        Policy::from_yaml(include_str!("../../examples/policies/multi-tenant.yaml"))
            .expect("the example policy is valid")
    })
}

/// `text` without its quoted spans (`"..."` and `` `...` ``): the values and keys a message
/// echoes from the input, which may hold anything.
fn unquoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '`' => quote = Some(c),
            None => out.push(c),
        }
    }
    out
}

/// Text a user may see (a denial, an error) must speak of fields, not of the Rust program:
/// no serde phrase naming a type (`expected struct StringValueOrRef`). Quoted spans are
/// skipped, as is a phrase that `input` itself contains: messages echo keys and values.
pub fn assert_no_rust_names(text: &str, input: &[u8]) {
    let text = &unquoted(text);
    assert!(
        !text.contains("kds_webhook::"),
        "message names a Rust path: {text}"
    );
    for phrase in [
        "expected struct ",
        "expected enum ",
        "untagged enum ",
        "expected tuple struct ",
    ] {
        if input.windows(phrase.len()).any(|w| w == phrase.as_bytes()) {
            continue;
        }
        for (i, _) in text.match_indices(phrase) {
            let next = text[i + phrase.len()..].chars().next();
            assert!(
                !next.is_some_and(|c| c.is_ascii_uppercase()),
                "message names a Rust type ({phrase:?}): {text}"
            );
        }
    }
}

/// Reviews `body` on `webhook` and checks the reply: HTTP 400 plain text for a body that is
/// not an `admission.k8s.io/v1` AdmissionReview; otherwise HTTP 200 with an AdmissionReview
/// echoing the request's uid, a boolean verdict, a status on every denial, no patch on
/// `/validate`, and on `/mutate` only a patch that applies to the object and yields exactly
/// what defaulting the object yields.
pub fn check_review(body: &[u8], webhook: Webhook, ctx: &Context<'_>) {
    let reply = admission::review(body, webhook, ctx);
    match reply.status.as_u16() {
        400 => {
            assert!(reply.summary.is_none(), "a 400 carries no review summary");
            let text = std::str::from_utf8(&reply.body).expect("a 400 body is text");
            assert!(
                text.starts_with("failed to decode an AdmissionReview")
                    || text.starts_with("expected apiVersion admission.k8s.io/v1"),
                "unexpected 400 body: {text}"
            );
            return;
        }
        200 => {}
        other => panic!("status {other} for a review body"),
    }
    let out: Value = serde_json::from_slice(&reply.body).expect("a 200 is JSON");
    assert_eq!(out["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(out["kind"], "AdmissionReview");
    assert!(out["response"]["allowed"].is_boolean());
    // Read the way the webhook reads it: fields it skips are not checked (serde_json skips
    // strings without validating their UTF-8), so a `Value` of the whole body may not parse.
    // The webhook's typed read of the object skips what it does not use (`managedFields`)
    // without validating its UTF-8 either; a lossy copy stands in for such a body.
    let lossy = String::from_utf8_lossy(body);
    let probe: Probe<'_> = match serde_json::from_str(&lossy) {
        Ok(probe) => probe,
        // The webhook's single-pass reader answers a request with a key written twice (which
        // no API server sends); serde refuses it, so there is nothing to compare with.
        Err(e) if e.to_string().starts_with("duplicate field") => return,
        Err(e) => panic!("a reviewed body has a request: {e}"),
    };
    // serde_json checks a raw value's string escapes only when it is parsed: `object` may not
    // parse (the review then denies it), but a patched one must.
    let object: Option<Value> = probe
        .request
        .object
        .and_then(|raw| serde_json::from_str(raw.get()).ok());
    let response = &out["response"];
    let uid = probe.request.uid.as_str();
    assert_eq!(response["uid"], uid, "the reply echoes the uid");
    assert_eq!(
        reply.summary.as_ref().map(|s| s.uid.as_str()),
        Some(uid),
        "the summary names the uid"
    );
    let allowed = response["allowed"].as_bool().expect("allowed is a boolean");
    if !allowed {
        let status = &response["status"];
        assert!(
            status["code"]
                .as_u64()
                .is_some_and(|c| (400..600).contains(&c))
        );
        let message = status["message"].as_str().expect("a denial has a message");
        assert!(!message.is_empty());
        // The message repeats every cause after its field path (which echoes the input's
        // keys), so the causes' own messages are what is checked.
        let causes = status["details"]["causes"].as_array();
        match causes.filter(|c| !c.is_empty()) {
            Some(causes) => {
                for cause in causes {
                    assert_no_rust_names(cause["message"].as_str().unwrap_or_default(), body);
                }
            }
            None => assert_no_rust_names(message, body),
        }
    }
    match (webhook, response.get("patch")) {
        (Webhook::Validate, patch) => {
            assert!(
                patch.is_none() && response.get("patchType").is_none(),
                "/validate never patches"
            );
        }
        (Webhook::Mutate, None) => assert!(response.get("patchType").is_none()),
        (Webhook::Mutate, Some(patch)) => {
            assert!(allowed, "a patch comes only with an allowed review");
            assert_eq!(response["patchType"], "JSONPatch");
            check_patch(patch, object.as_ref().expect("a patched object is JSON"));
        }
    }
}

/// A `/mutate` patch: standard base64 of a non-empty RFC 6902 patch that applies to the
/// object sent and gives the spec that defaulting the decoded object gives.
fn check_patch(patch: &Value, object: &Value) {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(patch.as_str().expect("patch is a string"))
        .expect("patch is standard base64");
    let patch: json_patch::Patch = serde_json::from_slice(&raw).expect("patch is RFC 6902");
    assert!(!patch.0.is_empty(), "an empty patch is sent as no patch");
    let mut patched = object.clone();
    json_patch::patch(&mut patched, &patch).expect("the patch applies to the object sent");
    let mut want: KubernetesDaemonSet =
        manifest::decode(object.clone()).expect("a patched object decodes");
    defaulting::apply_defaults(&mut want);
    assert_eq!(
        patched["spec"],
        manifest::to_value(&want)["spec"],
        "the patched spec is the defaulted spec"
    );
}

/// Decoding what `manifest::to_value` printed gives the same object again, and defaulting
/// is idempotent on it.
pub fn check_roundtrip(kds: &KubernetesDaemonSet) {
    let printed = manifest::to_value(kds);
    let again = manifest::decode(printed.clone()).expect("a printed object decodes");
    assert_eq!(
        manifest::to_value(&again),
        printed,
        "parse → print → parse is stable"
    );
    let mut once = again.clone();
    defaulting::apply_defaults(&mut once);
    let mut twice = once.clone();
    defaulting::apply_defaults(&mut twice);
    assert_eq!(
        manifest::to_value(&once),
        manifest::to_value(&twice),
        "defaulting is idempotent"
    );
}
