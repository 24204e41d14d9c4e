//! `host_path` as the seed's shorthand string or the original's object form.
//!
//! The seed example writes `host_path: /var/log`; the original's current schema only reads
//! `host_path: {path, type}`. Both are read; defaulting rewrites the shorthand into the object
//! form so that stored objects have one shape. The CRD leaves this one node free-form
//! (`x-kubernetes-preserve-unknown-fields`) so that the API server admits both on the way in.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::HostPathVolumeSource;

/// A host-path volume source, as written.
#[derive(Clone, Debug, PartialEq)]
pub enum HostPathSource {
    /// `host_path: /var/log`.
    Shorthand(String),
    /// `host_path: {path: /var/log, type: Directory}`.
    Object(HostPathVolumeSource),
}

impl HostPathSource {
    /// The node path, whichever form was used.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Shorthand(p) => Some(p),
            Self::Object(o) => o.path.as_deref(),
        }
    }

    /// The host-path type; the shorthand has none.
    pub fn type_(&self) -> Option<&str> {
        match self {
            Self::Shorthand(_) => None,
            Self::Object(o) => o.type_.as_deref(),
        }
    }

    /// The object form (the shorthand becomes `{path}`).
    pub fn to_object(&self) -> HostPathVolumeSource {
        match self {
            Self::Shorthand(p) => HostPathVolumeSource {
                path: Some(p.clone()),
                type_: None,
            },
            Self::Object(o) => o.clone(),
        }
    }
}

impl Serialize for HostPathSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Shorthand(p) => s.serialize_str(p),
            Self::Object(o) => o.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for HostPathSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(p) => Ok(Self::Shorthand(p)),
            v @ serde_json::Value::Object(_) => serde_json::from_value(v)
                .map(Self::Object)
                .map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "expected a path string or {{path, type}}, found {}",
                json_kind(&other)
            ))),
        }
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

impl JsonSchema for HostPathSource {
    fn schema_name() -> Cow<'static, str> {
        "HostPathSource".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A node path: the object {path, type} (type one of \"\", DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice), or the shorthand string /var/log. Defaulting rewrites the shorthand into the object form.",
            "x-kubernetes-preserve-unknown-fields": true
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_forms() {
        let s: HostPathSource = serde_json::from_str("\"/var/log\"").expect("shorthand");
        assert_eq!(s, HostPathSource::Shorthand("/var/log".into()));
        let o: HostPathSource =
            serde_json::from_str(r#"{"path":"/var/log","type":"Directory"}"#).expect("object");
        assert_eq!(o.path(), Some("/var/log"));
        assert_eq!(o.type_(), Some("Directory"));
    }

    #[test]
    fn refuses_unknown_fields_and_other_types() {
        let e = serde_json::from_str::<HostPathSource>(r#"{"path":"/x","kind":"y"}"#)
            .expect_err("unknown");
        assert!(e.to_string().contains("unknown field `kind`"), "{e}");
        let e = serde_json::from_str::<HostPathSource>("3").expect_err("number");
        assert!(e.to_string().contains("found a number"), "{e}");
    }
}
