//! Field errors in the Kubernetes API server's own shape.
//!
//! Modelled on apimachinery's `field/errors.go` so that a user who knows `kubectl` reads our
//! messages without translation: `spec.container.app.ports[0].container_port: Invalid value:
//! 70000: must be between 1 and 65535, inclusive`. Paths name the field as the user wrote it
//! on the `KubernetesDaemonSet`, never the generated DaemonSet.

use std::fmt;

use serde_json::Value;

/// A path into an object: `spec.tolerations[0].key`, `spec.node_selector[kubernetes.io/os]`.
///
/// Stored rendered, because paths are built once per error and only ever printed or compared.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(String);

// === impl FieldPath ===

impl FieldPath {
    /// A path starting at a top-level field such as `spec` or `metadata`.
    pub fn root(name: &str) -> Self {
        Self(name.to_owned())
    }

    /// The path of a named child field: `spec` → `spec.container`.
    #[must_use]
    pub fn child(&self, name: &str) -> Self {
        let mut s = String::with_capacity(self.0.len() + 1 + name.len());
        s.push_str(&self.0);
        if !s.is_empty() {
            s.push('.');
        }
        s.push_str(name);
        Self(s)
    }

    /// The path of a list element: `ports` → `ports[3]`.
    #[must_use]
    pub fn index(&self, i: usize) -> Self {
        Self(format!("{}[{i}]", self.0))
    }

    /// The path of a map entry, unquoted as apimachinery renders it: `limits` → `limits[cpu]`.
    #[must_use]
    pub fn key(&self, k: &str) -> Self {
        Self(format!("{}[{k}]", self.0))
    }

    /// The rendered path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What went wrong with a field; mirrors apimachinery's `field.ErrorType`.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldErrorKind {
    /// A required field is missing or empty (`Required value`).
    Required,
    /// A value is malformed or out of range (`Invalid value: <v>`).
    Invalid(Value),
    /// A value is not one of a closed set (`Unsupported value: <v>: supported values: ...`).
    NotSupported {
        /// The value given.
        value: Value,
        /// Every value that would have been accepted, in the order shown to the user.
        supported: Vec<String>,
    },
    /// A value repeats one that must be unique (`Duplicate value: <v>`).
    Duplicate(Value),
    /// A reference points at nothing (`Not found: <v>`).
    NotFound(Value),
    /// A field may not be set here, or a policy forbids it (`Forbidden`).
    Forbidden,
    /// A string or collection exceeds its size limit (`Too long`).
    TooLong {
        /// The limit in bytes.
        max: usize,
    },
    /// A list has more items than allowed (`Too many: <n>`).
    TooMany {
        /// How many were given.
        actual: usize,
        /// The limit.
        max: usize,
    },
}

impl FieldErrorKind {
    /// The `reason` of a `StatusCause`, as the API server sends it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Required => "FieldValueRequired",
            Self::Invalid(_) => "FieldValueInvalid",
            Self::NotSupported { .. } => "FieldValueNotSupported",
            Self::Duplicate(_) => "FieldValueDuplicate",
            Self::NotFound(_) => "FieldValueNotFound",
            Self::Forbidden => "FieldValueForbidden",
            Self::TooLong { .. } => "FieldValueTooLong",
            Self::TooMany { .. } => "FieldValueTooMany",
        }
    }

    /// The human type name apimachinery prints: `Required value`, `Invalid value`, ...
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Required => "Required value",
            Self::Invalid(_) => "Invalid value",
            Self::NotSupported { .. } => "Unsupported value",
            Self::Duplicate(_) => "Duplicate value",
            Self::NotFound(_) => "Not found",
            Self::Forbidden => "Forbidden",
            Self::TooLong { .. } => "Too long",
            Self::TooMany { .. } => "Too many",
        }
    }
}

/// One problem with one field.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// Where, on the object as the user wrote it.
    pub path: FieldPath,
    /// What kind of problem, with the offending value where the kind shows one.
    pub kind: FieldErrorKind,
    /// Why, in apimachinery's words where there are some.
    pub detail: String,
}

// === impl FieldError ===

impl FieldError {
    /// `Required value`, with an optional detail.
    pub fn required(path: FieldPath, detail: impl Into<String>) -> Self {
        Self {
            path,
            kind: FieldErrorKind::Required,
            detail: detail.into(),
        }
    }

    /// `Invalid value: <value>: <detail>`.
    pub fn invalid(path: FieldPath, value: impl Into<Value>, detail: impl Into<String>) -> Self {
        Self {
            path,
            kind: FieldErrorKind::Invalid(value.into()),
            detail: detail.into(),
        }
    }

    /// `Unsupported value: <value>: supported values: "A", "B"`.
    pub fn not_supported(path: FieldPath, value: impl Into<Value>, supported: &[&str]) -> Self {
        Self {
            path,
            kind: FieldErrorKind::NotSupported {
                value: value.into(),
                supported: supported.iter().map(|s| (*s).to_owned()).collect(),
            },
            detail: String::new(),
        }
    }

    /// `Duplicate value: <value>`.
    pub fn duplicate(path: FieldPath, value: impl Into<Value>) -> Self {
        Self {
            path,
            kind: FieldErrorKind::Duplicate(value.into()),
            detail: String::new(),
        }
    }

    /// `Not found: <value>`.
    pub fn not_found(path: FieldPath, value: impl Into<Value>) -> Self {
        Self {
            path,
            kind: FieldErrorKind::NotFound(value.into()),
            detail: String::new(),
        }
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(path: FieldPath, detail: impl Into<String>) -> Self {
        Self {
            path,
            kind: FieldErrorKind::Forbidden,
            detail: detail.into(),
        }
    }

    /// `Too long: may not be more than <max> bytes`.
    pub fn too_long(path: FieldPath, max: usize) -> Self {
        Self {
            path,
            kind: FieldErrorKind::TooLong { max },
            detail: format!("may not be more than {max} bytes"),
        }
    }

    /// `Too many: <actual>: must have at most <max> items`.
    pub fn too_many(path: FieldPath, actual: usize, max: usize) -> Self {
        Self {
            path,
            kind: FieldErrorKind::TooMany { actual, max },
            detail: format!("must have at most {max} items"),
        }
    }

    /// The text after the path, as in apimachinery's `ErrorBody`:
    /// `Invalid value: 70000: must be between 1 and 65535, inclusive`.
    pub fn body(&self) -> String {
        let mut s = String::from(self.kind.type_name());
        let shown = match &self.kind {
            FieldErrorKind::Invalid(v)
            | FieldErrorKind::Duplicate(v)
            | FieldErrorKind::NotFound(v)
            | FieldErrorKind::NotSupported { value: v, .. } => Some(render_value(v)),
            FieldErrorKind::TooMany { actual, .. } => Some(actual.to_string()),
            FieldErrorKind::Required
            | FieldErrorKind::Forbidden
            | FieldErrorKind::TooLong { .. } => None,
        };
        if let Some(v) = shown {
            s.push_str(": ");
            s.push_str(&v);
        }
        let detail = match &self.kind {
            FieldErrorKind::NotSupported { supported, .. } if self.detail.is_empty() => {
                let quoted: Vec<String> = supported
                    .iter()
                    .map(|v| render_value(&Value::from(v.as_str())))
                    .collect();
                format!("supported values: {}", quoted.join(", "))
            }
            _ => self.detail.clone(),
        };
        if !detail.is_empty() {
            s.push_str(": ");
            s.push_str(&detail);
        }
        s
    }
}

/// Strings quoted, numbers and booleans bare, everything else as JSON: what Go's `%q`/`%d` and
/// `json.Marshal` give in apimachinery.
fn render_value(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| String::from("<unprintable>"))
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.body())
    }
}

impl std::error::Error for FieldError {}

/// Every problem found in one object, in the order found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldErrors(Vec<FieldError>);

// === impl FieldErrors ===

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Adds one error.
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Adds every error of another list.
    pub fn extend(&mut self, other: impl IntoIterator<Item = FieldError>) {
        self.0.extend(other);
    }

    /// True when the object passed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The errors, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    /// The errors as a slice.
    pub fn as_slice(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(())` when empty, so callers can use `?`.
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The API server's aggregate: one error bare, several deduplicated by text, joined with
    /// `, ` and wrapped in `[...]` (`util/errors.aggregate.Error`).
    pub fn aggregate_message(&self) -> String {
        let mut seen = std::collections::HashSet::new();
        let msgs: Vec<String> = self
            .0
            .iter()
            .map(ToString::to_string)
            .filter(|m| seen.insert(m.clone()))
            .collect();
        match msgs.len() {
            0 => String::new(),
            1 => msgs.into_iter().next().unwrap_or_default(),
            _ => format!("[{}]", msgs.join(", ")),
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.aggregate_message())
    }
}

impl std::error::Error for FieldErrors {}

impl IntoIterator for FieldErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Vec<FieldError>> for FieldErrors {
    fn from(v: Vec<FieldError>) -> Self {
        Self(v)
    }
}

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

/// The longest warning the webhook sends, in characters: "under 120", so that `kubectl`'s
/// `Warning: ` lines stay readable. Policy gates budget their messages to fit; the admission
/// layer cuts anything longer.
pub const MAX_WARNING_CHARS: usize = 119;

/// A non-fatal finding that the webhook passes on as an AdmissionReview warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The field the warning is about.
    pub path: FieldPath,
    /// What to look at, short enough that `<path>: <message>` stays under 120 characters.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports0() -> FieldPath {
        FieldPath::root("spec")
            .child("container")
            .child("app")
            .child("ports")
            .index(0)
    }

    #[test]
    fn renders_invalid_number_bare() {
        let e = FieldError::invalid(
            ports0().child("container_port"),
            70000,
            "must be between 1 and 65535, inclusive",
        );
        assert_eq!(
            e.to_string(),
            "spec.container.app.ports[0].container_port: Invalid value: 70000: must be between 1 and 65535, inclusive"
        );
        assert_eq!(e.kind.reason(), "FieldValueInvalid");
    }

    #[test]
    fn renders_required_without_value() {
        let e = FieldError::required(FieldPath::root("spec").child("namespace"), "");
        assert_eq!(e.to_string(), "spec.namespace: Required value");
    }

    #[test]
    fn renders_not_supported_with_quoted_list() {
        let e = FieldError::not_supported(
            ports0().child("network_protocol"),
            "tcp",
            &["SCTP", "TCP", "UDP"],
        );
        assert_eq!(
            e.to_string(),
            r#"spec.container.app.ports[0].network_protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP""#
        );
    }

    #[test]
    fn renders_map_keys_in_brackets() {
        let p = FieldPath::root("spec")
            .child("node_selector")
            .key("kubernetes.io/os");
        assert_eq!(p.as_str(), "spec.node_selector[kubernetes.io/os]");
    }

    #[test]
    fn renders_too_long_and_too_many() {
        let p = FieldPath::root("x");
        assert_eq!(
            FieldError::too_long(p.clone(), 63).to_string(),
            "x: Too long: may not be more than 63 bytes"
        );
        assert_eq!(
            FieldError::too_many(p, 5, 3).to_string(),
            "x: Too many: 5: must have at most 3 items"
        );
    }

    #[test]
    fn aggregates_like_the_api_server() {
        let a = FieldError::required(FieldPath::root("a"), "");
        let b = FieldError::forbidden(FieldPath::root("b"), "no");
        assert_eq!(
            FieldErrors::from(vec![a.clone()]).aggregate_message(),
            "a: Required value"
        );
        assert_eq!(
            FieldErrors::from(vec![a.clone(), b, a]).aggregate_message(),
            "[a: Required value, b: Forbidden: no]"
        );
    }
}
