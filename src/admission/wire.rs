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
use std::fmt;

use kube::core::GroupVersionKind;
use serde::{Deserialize, Serialize, de};
use serde_json::value::RawValue;
use tracing::Level;

use super::Webhook;
use super::status::Status;
use crate::api::{GROUP, KIND as OBJECT_KIND, KubernetesDaemonSet};

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
    /// `object`, already decoded by [`ReviewIn::read_typed`] (then `object` is `None`).
    #[serde(skip)]
    pub typed_object: Option<Box<KubernetesDaemonSet>>,
    /// `oldObject`, already decoded by [`ReviewIn::read_typed`] (then `old_object` is `None`).
    #[serde(skip)]
    pub typed_old_object: Option<Box<KubernetesDaemonSet>>,
}

impl<'a> ReviewIn<'a> {
    /// The single-pass read: the envelope, and on the way the object (and, for `/validate` of
    /// an UPDATE, the stored object) straight into the typed model, but only once `kind` and
    /// `operation` (which the API server writes before `object`) say that it is a
    /// KubernetesDaemonSet CREATE/UPDATE; otherwise objects are kept raw or skipped. Any error,
    /// including an object the fast path refuses, makes this `None`: the caller then reads the
    /// body the plain way (`serde_json::from_slice`), whose errors it reports and whose raw
    /// objects take the fast or the slow decode separately.
    ///
    /// The body is checked for UTF-8 once, up front, and then read as a `str`: serde_json's
    /// byte reader would validate every string again as it copies it (an eighth of a large
    /// review's instructions). A body that is not UTF-8 takes the plain read, which reports it.
    pub fn read_typed(body: &'a [u8], webhook: Webhook) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?;
        let mut de = serde_json::Deserializer::from_str(text);
        let review = de::DeserializeSeed::deserialize(TypedReview(webhook), &mut de).ok()?;
        de.end().ok()?;
        Some(review)
    }
}

/// Seed of the single-pass read of a review.
struct TypedReview(Webhook);

impl<'de> de::DeserializeSeed<'de> for TypedReview {
    type Value = ReviewIn<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> de::Visitor<'de> for TypedReview {
    type Value = ReviewIn<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an AdmissionReview")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut api_version, mut kind, mut request) = (None, None, None);
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "apiVersion" => api_version = Some(map.next_value()?),
                "kind" => kind = Some(map.next_value()?),
                "request" => request = Some(map.next_value_seed(TypedRequest(self.0))?),
                _ => drop(map.next_value::<de::IgnoredAny>()?),
            }
        }
        match (api_version, kind, request) {
            (Some(api_version), Some(kind), Some(request)) => Ok(ReviewIn {
                api_version,
                kind,
                request,
            }),
            _ => Err(de::Error::custom("incomplete review")),
        }
    }
}

/// Seed of the single-pass read of a review's `request`.
struct TypedRequest(Webhook);

impl<'de> de::DeserializeSeed<'de> for TypedRequest {
    type Value = RequestIn<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// Decodes an object field with the fast path (`null` is `None`).
struct TypedObject;

impl<'de> de::DeserializeSeed<'de> for TypedObject {
    type Value = Option<Box<KubernetesDaemonSet>>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct Some_;
        impl<'de> de::Visitor<'de> for Some_ {
            type Value = Option<Box<KubernetesDaemonSet>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                // Annotations are read only for the trace line that prints the object.
                let kds = if tracing::enabled!(target: "kds_webhook::admission", Level::TRACE) {
                    super::fast::deserialize(d)?
                } else {
                    super::fast::deserialize_for_review(d)?
                };
                Ok(Some(Box::new(kds)))
            }
        }
        d.deserialize_option(Some_)
    }
}

impl<'de> de::Visitor<'de> for TypedRequest {
    type Value = RequestIn<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an AdmissionRequest")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut uid, mut kind, mut operation) = (None, None::<GroupVersionKind>, None::<String>);
        let mut r = RequestIn {
            uid: String::new(),
            kind: GroupVersionKind::gvk("", "", ""),
            operation: String::new(),
            name: None,
            namespace: None,
            object: None,
            old_object: None,
            dry_run: None,
            typed_object: None,
            typed_old_object: None,
        };
        while let Some(key) = map.next_key::<&str>()? {
            // Known once `kind` and `operation` have been read: is this ours to decode?
            let ours = kind
                .as_ref()
                .is_some_and(|k| k.group == GROUP && k.kind == OBJECT_KIND);
            let op = operation.as_deref();
            match key {
                "uid" => uid = Some(map.next_value()?),
                "kind" => kind = Some(map.next_value()?),
                "operation" => operation = Some(map.next_value()?),
                "name" => r.name = map.next_value()?,
                "namespace" => r.namespace = map.next_value()?,
                "dryRun" => r.dry_run = map.next_value()?,
                "object" if ours && matches!(op, Some("CREATE" | "UPDATE")) => {
                    r.typed_object = map.next_value_seed(TypedObject)?;
                }
                "object" => r.object = map.next_value()?,
                "oldObject" if op.is_none() || kind.is_none() => r.old_object = map.next_value()?,
                "oldObject" if ours && op == Some("UPDATE") && self.0 == Webhook::Validate => {
                    r.typed_old_object = map.next_value_seed(TypedObject)?;
                }
                _ => drop(map.next_value::<de::IgnoredAny>()?),
            }
        }
        match (uid, kind, operation) {
            (Some(uid), Some(kind), Some(operation)) => Ok(RequestIn {
                uid,
                kind,
                operation,
                ..r
            }),
            _ => Err(de::Error::custom("incomplete request")),
        }
    }
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

    /// Appends the whole AdmissionReview to `out`: the bytes `serde_json::to_writer` writes
    /// for [`Self::into_review`] (a test holds the two equal), with the fixed envelope and the
    /// base64 patch copied as they are. serde_json would scan the ~1 KB patch for characters
    /// to escape, byte by byte, where base64 has none: 6% of a small `/mutate` review.
    pub fn write_review(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        out.extend_from_slice(br#"{"apiVersion":""#);
        out.extend_from_slice(API_VERSION.as_bytes());
        out.extend_from_slice(br#"","kind":""#);
        out.extend_from_slice(KIND.as_bytes());
        out.extend_from_slice(br#"","response":{"uid":"#);
        write_json_str(out, self.uid);
        out.extend_from_slice(if self.allowed {
            br#","allowed":true"#
        } else {
            br#","allowed":false"#
        });
        if let Some(patch_type) = self.patch_type {
            out.extend_from_slice(br#","patchType":"#);
            write_json_str(out, patch_type);
        }
        if let Some(patch) = &self.patch {
            out.extend_from_slice(br#","patch":"#);
            write_json_str(out, patch);
        }
        if let Some(status) = &self.status {
            out.extend_from_slice(br#","status":"#);
            serde_json::to_writer(&mut *out, status)?;
        }
        if !self.warnings.is_empty() {
            out.extend_from_slice(br#","warnings":"#);
            serde_json::to_writer(&mut *out, &self.warnings)?;
        }
        if !self.audit_annotations.is_empty() {
            out.extend_from_slice(br#","auditAnnotations":"#);
            serde_json::to_writer(&mut *out, &self.audit_annotations)?;
        }
        out.extend_from_slice(b"}}");
        Ok(())
    }
}

/// Appends `s` as a JSON string. Text with nothing to escape (base64, our field paths, uids)
/// is copied in one go after a vectorised check; anything else is escaped by serde_json, so
/// the bytes are always serde_json's.
pub(super) fn write_json_str(out: &mut Vec<u8>, s: &str) {
    // A fold, not `all`: a loop without an early exit is one the compiler vectorises.
    let plain = !s.bytes().fold(false, |escape, b| {
        escape | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &[u8] = include_bytes!("../../tests/fixtures/reviews/create-seed.json");
    const UPDATE: &[u8] = include_bytes!("../../tests/fixtures/reviews/update-seed.json");
    const CAMEL: &[u8] = include_bytes!("../../tests/fixtures/reviews/create-camel.json");
    const DELETE: &[u8] = include_bytes!("../../tests/fixtures/reviews/delete-seed.json");

    #[test]
    fn the_written_review_is_byte_for_byte_serde_json_s() {
        let status = Status::bad_request("no \"quotes\" here\n".to_owned());
        let responses = [
            ResponseOut {
                uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
                allowed: true,
                ..ResponseOut::default()
            },
            ResponseOut {
                uid: "u\"\\\u{1}é",
                allowed: true,
                patch_type: Some("JSONPatch"),
                patch: Some("W3sib3AiOiJhZGQifV0=".to_owned()),
                warnings: vec!["spec.x: \"odd\"".to_owned(), "b".to_owned()],
                audit_annotations: BTreeMap::from([("k/a".to_owned(), "v\t".to_owned())]),
                ..ResponseOut::default()
            },
            ResponseOut {
                uid: "",
                allowed: false,
                status: Some(status),
                warnings: vec!["w".to_owned()],
                ..ResponseOut::default()
            },
        ];
        for response in responses {
            let mut written = Vec::new();
            response.write_review(&mut written).expect("written");
            let want = serde_json::to_vec(&response.into_review()).expect("serialised");
            assert_eq!(String::from_utf8(written), String::from_utf8(want));
        }
    }

    #[test]
    fn json_strings_are_escaped_exactly_as_serde_json_does() {
        for s in [
            "",
            "plain/path~1",
            "q\"",
            "b\\",
            "nl\n",
            "\u{1f}",
            "\u{7f}é😀",
            "</script>",
        ] {
            let mut out = Vec::new();
            write_json_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).expect("json"), "{s:?}");
        }
    }

    #[test]
    fn the_single_pass_read_decodes_our_objects_and_only_those() {
        let r = ReviewIn::read_typed(SEED, Webhook::Mutate).expect("typed read");
        assert!(r.request.typed_object.is_some() && r.request.object.is_none());
        let r = ReviewIn::read_typed(UPDATE, Webhook::Validate).expect("typed read");
        assert!(r.request.typed_old_object.is_some());
        let r = ReviewIn::read_typed(UPDATE, Webhook::Mutate).expect("typed read");
        assert!(r.request.typed_old_object.is_none() && r.request.old_object.is_none());
        let r = ReviewIn::read_typed(DELETE, Webhook::Validate).expect("typed read");
        assert!(r.request.typed_object.is_none() && r.request.typed_old_object.is_none());
        assert!(
            ReviewIn::read_typed(CAMEL, Webhook::Mutate).is_none(),
            "camelCase takes the plain read"
        );
    }
}
