//! The AdmissionReview wire format, as far as the webhook reads and writes it.
//!
//! The request side decodes only what the webhook uses (unknown fields such as `userInfo` are
//! skipped by serde without building values), with `object`/`oldObject` as raw JSON slices
//! borrowed from the body: the envelope is checked (kind, operation) before anything pays for
//! the object, which is then decoded once, straight into the typed model (`super::fast`), or
//! on the slow path through a `Value` for precise errors.
//! kube's typed `AdmissionRequest<DynamicObject>` would parse the object into a flattened
//! `DynamicObject` first, and kube's `AdmissionResponse` serialises `patch` as an array of
//! numbers (kube-rs issue 1781), so the reply is written here: base64 `patch`, and no
//! `patch`/`patchType`/`status` keys at all when they do not apply.

use std::collections::BTreeMap;

use kube::core::GroupVersionKind;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::status::Status;

/// `apiVersion` of every review we accept and send.
pub const API_VERSION: &str = "admission.k8s.io/v1";
/// `kind` of every review we accept and send.
pub const KIND: &str = "AdmissionReview";

/// An incoming AdmissionReview.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewIn<'a> {
    /// Must be [`API_VERSION`].
    pub api_version: String,
    /// Must be [`KIND`].
    pub kind: String,
    /// The request to judge.
    #[serde(borrow)]
    pub request: RequestIn<'a>,
}

/// The `request` of an AdmissionReview.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestIn<'a> {
    /// Echoed in the reply.
    pub uid: String,
    /// The kind of the object being admitted.
    pub kind: GroupVersionKind,
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub operation: String,
    /// The object's name (may be empty with `generateName`).
    #[serde(default)]
    pub name: Option<String>,
    /// The object's namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The new object (CREATE, UPDATE), as raw JSON.
    #[serde(default, borrow)]
    pub object: Option<&'a RawValue>,
    /// The stored object (UPDATE, DELETE), as raw JSON.
    #[serde(default, borrow)]
    pub old_object: Option<&'a RawValue>,
    /// True for `--dry-run=server`; the webhook has no side effects, so this changes nothing.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// An outgoing AdmissionReview.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewOut<'a> {
    /// Always [`API_VERSION`].
    pub api_version: &'static str,
    /// Always [`KIND`].
    pub kind: &'static str,
    /// The verdict.
    pub response: ResponseOut<'a>,
}

/// The `response` of an AdmissionReview.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseOut<'a> {
    /// The request's uid.
    pub uid: &'a str,
    /// The verdict.
    pub allowed: bool,
    /// `JSONPatch`, only together with `patch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    /// Base64 (standard, padded) JSON patch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// Why a request was denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Shown by kubectl as `Warning: ...`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Recorded in the API server's audit log under `<webhook name>/<key>`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl<'a> ResponseOut<'a> {
    /// Wraps the response in its envelope.
    pub fn into_review(self) -> ReviewOut<'a> {
        ReviewOut {
            api_version: API_VERSION,
            kind: KIND,
            response: self,
        }
    }
}
