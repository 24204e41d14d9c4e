//! Reading `KubernetesDaemonSet` manifests: text → JSON documents → typed objects.
//!
//! Files may hold several YAML documents, JSON, or a JSON `List`. Decoding checks the envelope
//! (`apiVersion`, `kind`, `metadata`, `spec`) itself so that every envelope problem is reported
//! at once, then decodes `spec` with serde; a decode error (unknown field, wrong type) is turned
//! into a [`FieldError`] on the path where it happened. The original's extra metadata (`id`,
//! `org`, `env`, ...) is accepted: `id`, `org` and `env` become the `planton.ai/id`,
//! `planton.ai/organization` and `planton.ai/environment` labels, which is where a cluster
//! object carries them; the rest is informational and dropped.

pub mod located;
pub mod schema;

use serde_json::{Map, Value};

use crate::api::{
    API_VERSION, KIND, KubernetesDaemonSet, KubernetesDaemonSetSpec, KubernetesDaemonSetStatus,
};
use crate::validation::field::{FieldError, FieldErrors, FieldPath};

/// Label carrying the original's `metadata.id`.
pub const LABEL_ID: &str = "planton.ai/id";
/// Label carrying the original's `metadata.org`.
pub const LABEL_ORGANIZATION: &str = "planton.ai/organization";
/// Label carrying the original's `metadata.env`.
pub const LABEL_ENVIRONMENT: &str = "planton.ai/environment";

/// Largest YAML input read, in bytes; larger files are refused before parsing.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// ObjectMeta's fields: anything else in `metadata` that is not a Planton extra is an error.
const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// The original's `CloudResourceMetadata` fields that ObjectMeta does not have.
const PLANTON_META_FIELDS: &[&str] = &[
    "id",
    "org",
    "env",
    "slug",
    "version",
    "tags",
    "relationships",
    "group",
];

/// Fields of a map type in the spec: their keys render as `[key]` in paths.
const MAP_FIELDS: &[&str] = &[
    "node_selector",
    "nodeSelector",
    "config_maps",
    "configMaps",
    "variables",
    "secrets",
];

/// Why text could not be read as documents at all.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The input is larger than [`MAX_INPUT_BYTES`].
    #[error("input is {0} bytes, larger than the {MAX_INPUT_BYTES} byte limit")]
    TooLarge(usize),
    /// The input is neither valid JSON nor valid YAML.
    #[error("failed to parse YAML: {0}")]
    Yaml(String),
    /// The input looked like JSON but is not valid JSON.
    #[error("failed to parse JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Splits text into JSON documents: a JSON value, a JSON `List` (its items), or YAML documents
/// separated by `---`. Empty documents are skipped.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, ParseError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(ParseError::TooLarge(text.len()));
    }
    let trimmed = text.trim_start();
    let docs = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        match serde_json::from_str::<Value>(text)? {
            Value::Array(items) => items,
            v => vec![v],
        }
    } else {
        serde_saphyr::from_multiple::<Value>(text).map_err(|e| ParseError::Yaml(e.to_string()))?
    };
    Ok(docs
        .into_iter()
        .flat_map(unwrap_list)
        .filter(|d| !d.is_null())
        .collect())
}

/// A `kind: List` document stands for its items, as `kubectl` reads it.
fn unwrap_list(doc: Value) -> Vec<Value> {
    match doc {
        Value::Object(mut m) if m.get("kind").and_then(Value::as_str) == Some("List") => {
            match m.remove("items") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            }
        }
        other => vec![other],
    }
}

/// `<kind>/<name>` of a document, for messages: as much as can be read, even when invalid.
pub fn describe(doc: &Value) -> String {
    let kind = doc
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("<no kind>");
    let name = doc
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("<no name>");
    format!("{kind}/{name}")
}

/// Decodes one document into a typed object, or every envelope and decode error found.
pub fn decode(doc: Value) -> Result<KubernetesDaemonSet, FieldErrors> {
    let mut errs = FieldErrors::new();
    let Value::Object(mut top) = doc else {
        errs.push(FieldError::invalid(
            FieldPath::root("<document>"),
            kind_name(&doc),
            "must be an object",
        ));
        return Err(errs);
    };
    check_const(&mut errs, &top, "apiVersion", API_VERSION);
    check_const(&mut errs, &top, "kind", KIND);
    top.remove("apiVersion");
    top.remove("kind");

    let metadata = decode_metadata(top.remove("metadata"), &mut errs);
    let spec = match top.remove("spec") {
        None | Some(Value::Null) => {
            errs.push(FieldError::required(FieldPath::root("spec"), ""));
            None
        }
        Some(v) => decode_at::<KubernetesDaemonSetSpec>(v, "spec", &mut errs),
    };
    let status = match top.remove("status") {
        None | Some(Value::Null) => None,
        Some(v) => decode_at::<KubernetesDaemonSetStatus>(v, "status", &mut errs),
    };
    for key in top.keys() {
        errs.push(FieldError::forbidden(
            FieldPath::root(key),
            "unknown field; a KubernetesDaemonSet has apiVersion, kind, metadata, spec and status",
        ));
    }
    match (errs.is_empty(), metadata, spec) {
        (true, Some(metadata), Some(spec)) => Ok(KubernetesDaemonSet {
            metadata,
            spec,
            status,
        }),
        _ => Err(errs),
    }
}

/// One document of a file: the raw JSON as read, and the typed object or its errors.
#[derive(Debug)]
pub struct Document {
    /// The document as read (after YAML → JSON).
    pub raw: Value,
    /// The decoded object, or every envelope and decode error.
    pub decoded: Result<KubernetesDaemonSet, FieldErrors>,
}

/// Reads text and decodes every document in it.
pub fn load(text: &str) -> Result<Vec<Document>, ParseError> {
    Ok(parse_documents(text)?
        .into_iter()
        .map(|raw| Document {
            decoded: decode(raw.clone()),
            raw,
        })
        .collect())
}

/// The object as a manifest: snake_case, only the fields that are set.
pub fn to_value(kds: &KubernetesDaemonSet) -> Value {
    let mut m = Map::new();
    m.insert("apiVersion".into(), Value::from(API_VERSION));
    m.insert("kind".into(), Value::from(KIND));
    m.insert(
        "metadata".into(),
        serde_json::to_value(&kds.metadata).unwrap_or_default(),
    );
    m.insert(
        "spec".into(),
        serde_json::to_value(&kds.spec).unwrap_or_default(),
    );
    if let Some(status) = &kds.status {
        m.insert(
            "status".into(),
            serde_json::to_value(status).unwrap_or_default(),
        );
    }
    Value::Object(m)
}

fn check_const(errs: &mut FieldErrors, top: &Map<String, Value>, field: &str, want: &str) {
    match top.get(field) {
        None | Some(Value::Null) => errs.push(FieldError::required(FieldPath::root(field), "")),
        Some(Value::String(s)) if s == want => {}
        Some(other) => errs.push(FieldError::not_supported(
            FieldPath::root(field),
            other.clone(),
            &[want],
        )),
    }
}

fn decode_metadata(
    v: Option<Value>,
    errs: &mut FieldErrors,
) -> Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta> {
    let path = FieldPath::root("metadata");
    let mut meta = match v {
        None | Some(Value::Null) => {
            errs.push(FieldError::required(path, ""));
            return None;
        }
        Some(Value::Object(m)) => m,
        Some(other) => {
            errs.push(FieldError::invalid(
                path,
                kind_name(&other),
                "must be an object",
            ));
            return None;
        }
    };
    let mut extra_labels = Vec::new();
    for (field, label) in [
        ("id", LABEL_ID),
        ("org", LABEL_ORGANIZATION),
        ("env", LABEL_ENVIRONMENT),
    ] {
        match meta.get(field) {
            Some(Value::String(s)) if !s.is_empty() => extra_labels.push((label, s.clone())),
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(other) => errs.push(FieldError::invalid(
                path.child(field),
                other.clone(),
                "must be a string",
            )),
        }
    }
    for field in PLANTON_META_FIELDS {
        meta.remove(*field);
    }
    for key in meta
        .keys()
        .filter(|k| !OBJECT_META_FIELDS.contains(&k.as_str()))
    {
        errs.push(FieldError::forbidden(
            path.child(key),
            "unknown field in metadata",
        ));
    }
    let mut om: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta =
        decode_at(Value::Object(meta), "metadata", errs)?;
    if !extra_labels.is_empty() {
        let labels = om.labels.get_or_insert_with(Default::default);
        for (k, v) in extra_labels {
            labels.entry(k.to_owned()).or_insert(v);
        }
    }
    Some(om)
}

/// Decodes `v` as `T`, turning a serde error into a field error at the path where it happened.
fn decode_at<T: serde::de::DeserializeOwned>(
    v: Value,
    root: &str,
    errs: &mut FieldErrors,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(&v) {
        Ok(t) => Some(t),
        Err(e) => {
            let (path, at) = render_path(root, e.path(), &v);
            if is_secret_path(&path) {
                // Neither the value nor serde's message (which quotes it) may be shown: the
                // denial reaches the client, the API server's audit log and CI output.
                errs.push(FieldError::invalid(
                    path,
                    "",
                    "must be {value: ...} or {secret_ref: {name, key}} (the value is not shown)",
                ));
                return None;
            }
            let msg = without_type_names(&kubernetes_words(&e.inner().to_string()));
            errs.push(match at {
                Some(bad) if !msg.starts_with("unknown field") => {
                    FieldError::invalid(path, bad, msg)
                }
                _ => FieldError::forbidden(path, msg),
            });
            None
        }
    }
}

/// serde's message in the API server's words: `invalid type: string "twenty", expected i32`
/// becomes `must be of type integer`, ``unknown field `x`, expected one of ...`` becomes
/// `unknown field "x"`. Messages of our own deserializers pass through unchanged.
fn kubernetes_words(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return format!("unknown field \"{name}\"");
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ")
        && let Some((_, expected)) = rest.rsplit_once(", expected ")
    {
        return format!("must be of type {}", json_type_name(expected));
    }
    if let Some(rest) = msg.strip_prefix("invalid value: integer `")
        && let Some((_, expected)) = rest.rsplit_once(", expected ")
    {
        return match expected {
            "i32" | "u32" => "must fit in a 32-bit integer".to_owned(),
            "i64" | "u64" => "must fit in a 64-bit integer".to_owned(),
            _ => format!("must be of type {}", json_type_name(expected)),
        };
    }
    msg.to_owned()
}

/// The JSON type a serde `expected ...` phrase stands for.
fn json_type_name(expected: &str) -> &str {
    match expected.trim_start_matches("a ").trim_start_matches("an ") {
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" | "isize"
        | "usize" | "integer" => "integer",
        "f32" | "f64" | "number" | "float" => "number",
        "bool" | "boolean" => "boolean",
        "string" | "char" | "borrowed string" => "string",
        "sequence" | "tuple" | "list" => "array",
        e if e == "map" || e.starts_with("struct ") || e.starts_with("map") => "object",
        e if e.starts_with("sequence") => "array",
        other => other,
    }
}

/// serde's messages name the Rust type that did not match (`expected struct
/// StringValueOrRef`); a user knows fields and YAML shapes, not our types, so each type name
/// is replaced by the shape it stands for.
pub(crate) fn without_type_names(msg: &str) -> String {
    const SHAPES: &[(&str, &str)] = &[
        ("variant of untagged enum ", "of the allowed forms"),
        ("expected tuple struct ", "expected a list"),
        ("expected unit struct ", "expected null"),
        ("expected struct ", "expected an object"),
        ("expected enum ", "expected one of the allowed values"),
    ];
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    'scan: while !rest.is_empty() {
        for (phrase, shape) in SHAPES {
            if let Some(after) = rest.strip_prefix(phrase) {
                let name_len = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                if name_len > 0 {
                    out.push_str(shape);
                    rest = &after[name_len..];
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// True under `spec.container.app.env.secrets`, whose values are secrets.
fn is_secret_path(path: &FieldPath) -> bool {
    path.as_str().contains(".env.secrets")
}

/// Renders a serde path in our syntax, and finds the value it points at.
fn render_path(
    root: &str,
    path: &serde_path_to_error::Path,
    doc: &Value,
) -> (FieldPath, Option<Value>) {
    use serde_path_to_error::Segment;
    let mut out = FieldPath::root(root);
    let mut cur = Some(doc);
    let mut parent_is_map = false;
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => {
                out = out.index(*index);
                cur = cur.and_then(|c| c.get(*index));
                parent_is_map = false;
            }
            Segment::Map { key } => {
                out = if parent_is_map {
                    out.key(key)
                } else {
                    out.child(key)
                };
                cur = cur.and_then(|c| c.get(key.as_str()));
                parent_is_map = MAP_FIELDS.contains(&key.as_str());
            }
            Segment::Enum { variant } => out = out.child(variant),
            Segment::Unknown => {}
        }
    }
    (out, cur.cloned())
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../tests/fixtures/specs/seed-fluentd.yaml");

    #[test]
    fn decodes_the_seed_example() {
        let docs = load(SEED).expect("parse");
        assert_eq!(docs.len(), 1);
        let kds = docs
            .into_iter()
            .next()
            .map(|d| d.decoded)
            .expect("one")
            .expect("decodes");
        assert_eq!(kds.metadata.name.as_deref(), Some("fluentd-logger"));
        let app = kds
            .spec
            .container
            .as_ref()
            .and_then(|c| c.app.as_ref())
            .expect("app");
        let mounts = app.volume_mounts.as_ref().expect("mounts");
        assert_eq!(
            mounts[0].host_path.as_ref().and_then(|h| h.path()),
            Some("/var/log")
        );
    }

    /// Found by the `manifest_json` and `manifest_yaml` fuzz targets: serde's message named
    /// the Rust type (`expected struct StringValueOrRef`) where a field had the wrong shape.
    #[test]
    fn decode_errors_name_shapes_not_rust_types() {
        let mut doc: Value =
            serde_json::from_str(&load(SEED).expect("parse")[0].raw.to_string()).expect("json");
        doc["spec"]["container"]["app"]["env"] =
            serde_json::json!({"variables": {"LEVEL": "info"}});
        let errs = decode(doc).expect_err("a bare string is not {value: ...}");
        let text = errs.to_string();
        assert!(!text.contains("StringValueOrRef"), "{text}");
        assert!(!text.contains("struct"), "{text}");
        assert!(text.contains("must be of type object"), "{text}");
        assert!(
            text.contains("spec.container.app.env.variables[LEVEL]"),
            "{text}"
        );
        let errs = decode(serde_json::json!({"spec": []})).expect_err("a list is no spec");
        let text = errs.to_string();
        assert!(!text.contains("KubernetesDaemonSetSpec"), "{text}");
        assert!(text.contains("expected an object"), "{text}");
    }

    #[test]
    fn type_names_become_shapes() {
        for (serde, want) in [
            (
                "invalid type: string \"a\", expected struct StringValueOrRef",
                "invalid type: string \"a\", expected an object",
            ),
            (
                "data did not match any variant of untagged enum HostPathSource",
                "data did not match any of the allowed forms",
            ),
            (
                "invalid type: map, expected enum Mode",
                "invalid type: map, expected one of the allowed values",
            ),
            ("expected struct  x", "expected struct  x"),
            (
                "unknown field `é`, expected `value`",
                "unknown field `é`, expected `value`",
            ),
        ] {
            assert_eq!(without_type_names(serde), want);
        }
    }

    #[test]
    fn reads_camel_case_and_json() {
        let json = r#"{"apiVersion":"kubernetes.project-planton.org/v1","kind":"KubernetesDaemonSet",
            "metadata":{"name":"a"},"spec":{"createNamespace":true,"nodeSelector":{"a":"b"}}}"#;
        let kds = load(json)
            .expect("parse")
            .remove(0)
            .decoded
            .expect("decodes");
        assert_eq!(kds.spec.create_namespace, Some(true));
        let out = to_value(&kds);
        assert_eq!(
            out.pointer("/spec/create_namespace"),
            Some(&Value::Bool(true))
        );
    }

    #[test]
    fn reports_every_envelope_error_at_once() {
        let errs =
            decode(serde_json::json!({"apiVersion": "v2", "kind": "Deployment", "extra": 1}))
                .expect_err("invalid");
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert!(text.contains(&r#"apiVersion: Unsupported value: "v2": supported values: "kubernetes.project-planton.org/v1""#.to_owned()), "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.starts_with("kind: Unsupported value")),
            "{text:?}"
        );
        assert!(
            text.contains(&"metadata: Required value".to_owned()),
            "{text:?}"
        );
        assert!(
            text.contains(&"spec: Required value".to_owned()),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("extra: Forbidden")),
            "{text:?}"
        );
    }

    #[test]
    fn names_an_unknown_spec_field() {
        let errs = decode(
            serde_json::json!({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "a"},
            "spec": {"container": {"app": {"host_network": true}}}}),
        )
        .expect_err("invalid");
        let e = errs.iter().next().expect("one error");
        assert_eq!(e.path.as_str(), "spec.container.app.host_network");
        assert!(e.detail.contains("unknown field \"host_network\""), "{e}");
        assert!(!e.detail.contains("volumeMounts"), "no camelCase hint: {e}");
    }

    #[test]
    fn names_a_wrongly_typed_field_with_its_value() {
        let errs = decode(serde_json::json!({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "a"},
            "spec": {"container": {"app": {"ports": [{"name": "m", "container_port": "eighty"}]}}}}))
        .expect_err("invalid");
        let e = errs.iter().next().expect("one error");
        assert_eq!(
            e.to_string().split(": Invalid value: ").next(),
            Some("spec.container.app.ports[0].container_port")
        );
        assert!(e.to_string().contains("\"eighty\""), "{e}");
        assert!(e.to_string().ends_with(": must be of type integer"), "{e}");
    }

    #[test]
    fn renders_map_keys_in_brackets() {
        let errs = decode(
            serde_json::json!({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "a"},
            "spec": {"container": {"app": {"env": {"variables": {"LOG": {"valu": "x"}}}}}}}),
        )
        .expect_err("invalid");
        assert_eq!(
            errs.iter().next().map(|e| e.path.as_str()),
            Some("spec.container.app.env.variables[LOG].valu")
        );
    }

    #[test]
    fn moves_planton_metadata_into_labels() {
        let kds = decode(serde_json::json!({"apiVersion": API_VERSION, "kind": KIND,
            "metadata": {"name": "a", "id": "k8sds-1", "org": "acme", "env": "prod", "slug": "a", "tags": ["x"]},
            "spec": {}}))
        .expect("decodes");
        let labels = kds.metadata.labels.expect("labels");
        assert_eq!(labels.get(LABEL_ID).map(String::as_str), Some("k8sds-1"));
        assert_eq!(
            labels.get(LABEL_ORGANIZATION).map(String::as_str),
            Some("acme")
        );
        assert_eq!(
            labels.get(LABEL_ENVIRONMENT).map(String::as_str),
            Some("prod")
        );
    }

    #[test]
    fn refuses_unknown_metadata_fields() {
        let errs = decode(serde_json::json!({"apiVersion": API_VERSION, "kind": KIND,
            "metadata": {"name": "a", "colour": "red"}, "spec": {}}))
        .expect_err("invalid");
        assert_eq!(
            errs.iter().next().map(|e| e.path.as_str()),
            Some("metadata.colour")
        );
    }

    #[test]
    fn splits_yaml_documents_and_lists() {
        let docs = parse_documents("a: 1\n---\n---\nb: 2\n").expect("yaml");
        assert_eq!(docs.len(), 2);
        let docs =
            parse_documents(r#"{"kind":"List","items":[{"a":1},{"b":2}]}"#).expect("json list");
        assert_eq!(docs.len(), 2);
        assert!(parse_documents("a: [1, 2").is_err());
    }
}
