//! The parts of a reply that explain: the 422 `Invalid` status with one cause per field error
//! (the shape `kubectl` prints as `* <field>: <message>`), and the warnings list cleaned to
//! what the API server passes on.

use serde::Serialize;

use crate::api::{GROUP, KIND};
use crate::validation::field::FieldErrors;
pub use crate::validation::field::MAX_WARNING_CHARS;

/// A `metav1.Status` as the `result`/`status` of an AdmissionResponse.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Status {
    /// Always `Failure`: a status is only sent with a denial.
    pub status: &'static str,
    /// HTTP-style code the API server passes to the client (422, 400, 504).
    pub code: u16,
    /// Machine-readable reason (`Invalid`, `BadRequest`, `Timeout`).
    pub reason: &'static str,
    /// Human-readable summary.
    pub message: String,
    /// The object and the field causes, for `Invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
}

/// `metav1.StatusDetails`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Details {
    /// The object's name.
    pub name: String,
    /// The resource's API group.
    pub group: &'static str,
    /// The resource's kind.
    pub kind: &'static str,
    /// One cause per field error.
    pub causes: Vec<Cause>,
}

/// `metav1.StatusCause`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Cause {
    /// The field path, as the user wrote the object.
    pub field: String,
    /// `FieldValueInvalid`, `FieldValueRequired`, ...
    pub reason: &'static str,
    /// The error without its path (`Invalid value: 70000: must be ...`).
    pub message: String,
}

/// Most causes one denial carries. An object can be made to produce any number of errors
/// (thousands of bad env names in a 3 MiB object); unbounded, each would be rendered twice
/// (cause and message) and a small request could grow a reply of tens of megabytes. `kubectl`
/// prints one line per cause; beyond a hundred nobody reads them, and `kds-webhook validate`
/// lists them all offline.
pub const MAX_CAUSES: usize = 100;
/// Errors repeated in the status `message` (`kubectl` shows the causes instead).
const MAX_MESSAGE_ERRORS: usize = 10;
/// Longest rendered cause message, in characters (a value can be a 100 KB string).
const MAX_CAUSE_CHARS: usize = 1024;
/// Most warnings one reply carries: the API server keeps about 4 KiB of warning text (about
/// 30 warnings of the longest size) and silently drops the rest.
pub const MAX_WARNINGS: usize = 30;

impl Status {
    /// The API server's own 422 for an invalid object:
    /// `KubernetesDaemonSet.kubernetes.project-planton.org "<name>" is invalid: <aggregate>`,
    /// bounded to [`MAX_CAUSES`] causes (a last cause says how many more there were).
    pub fn invalid(name: &str, errs: &FieldErrors) -> Self {
        let mut causes: Vec<Cause> = errs
            .iter()
            .take(MAX_CAUSES)
            .map(|e| Cause {
                field: e.path.to_string(),
                reason: e.kind.reason(),
                message: cut(e.body(), MAX_CAUSE_CHARS),
            })
            .collect();
        let more = errs.len().saturating_sub(MAX_CAUSES);
        if more > 0 {
            causes.push(Cause {
                field: "spec".to_owned(),
                reason: "FieldValueTooMany",
                message: format!(
                    "Too many: {more} more errors not shown; `kds-webhook validate` lists them all"
                ),
            });
        }
        let message = if errs.len() > MAX_MESSAGE_ERRORS {
            let head: FieldErrors = errs
                .iter()
                .take(MAX_MESSAGE_ERRORS)
                .cloned()
                .collect::<Vec<_>>()
                .into();
            format!(
                "{} and {} more",
                cut(
                    head.aggregate_message(),
                    MAX_MESSAGE_ERRORS * MAX_CAUSE_CHARS
                ),
                errs.len() - MAX_MESSAGE_ERRORS
            )
        } else {
            cut(
                errs.aggregate_message(),
                MAX_MESSAGE_ERRORS * MAX_CAUSE_CHARS,
            )
        };
        Self {
            status: "Failure",
            code: 422,
            reason: "Invalid",
            message: format!("{KIND}.{GROUP} {name:?} is invalid: {message}"),
            details: Some(Details {
                name: name.to_owned(),
                group: GROUP,
                kind: KIND,
                causes,
            }),
        }
    }

    /// A request the webhook cannot judge (for example a CREATE without an object).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: "Failure",
            code: 400,
            reason: "BadRequest",
            message: message.into(),
            details: None,
        }
    }

    /// The deadline the API server gave (`?timeout=`) passed before the review finished.
    pub fn timeout(stage: &str) -> Self {
        Self {
            status: "Failure",
            code: 504,
            reason: "Timeout",
            message: format!("kds-webhook ran out of time before {stage}; retry the request"),
            details: None,
        }
    }
}

/// `s` cut to at most `max` characters, with `...` where it was cut.
fn cut(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max - 3).collect();
    out.push_str("...");
    out
}

/// Cleans warnings for the API server, which silently drops empty ones and any containing a
/// control character: control characters become spaces, surrounding space is trimmed, long
/// ones are cut to [`MAX_WARNING_CHARS`] with `...`, empties and duplicates are dropped, and
/// at most [`MAX_WARNINGS`] are kept.
pub fn clean_warnings(raw: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in raw {
        let w: String = w
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let w = w.trim();
        if w.is_empty() {
            continue;
        }
        let w = if w.chars().count() > MAX_WARNING_CHARS {
            let mut cut: String = w.chars().take(MAX_WARNING_CHARS - 3).collect();
            cut.truncate(cut.trim_end().len());
            cut.push_str("...");
            cut
        } else {
            w.to_owned()
        };
        if !out.contains(&w) {
            out.push(w);
        }
        if out.len() == MAX_WARNINGS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::field::{FieldError, FieldPath};

    fn many(n: usize, value: &str) -> FieldErrors {
        (0..n)
            .map(|i| {
                FieldError::invalid(
                    FieldPath::root("spec").child("env").key(&format!("BAD={i}")),
                    value,
                    "a valid environment variable name must consist only of printable ASCII characters other than '='",
                )
            })
            .collect::<Vec<_>>()
            .into()
    }

    #[test]
    fn a_denial_is_bounded_however_many_errors_there_are() {
        let status = Status::invalid("agent", &many(5_000, "x"));
        let causes = &status.details.as_ref().expect("details").causes;
        assert_eq!(causes.len(), MAX_CAUSES + 1);
        assert_eq!(causes[MAX_CAUSES].reason, "FieldValueTooMany");
        assert!(
            causes[MAX_CAUSES]
                .message
                .starts_with("Too many: 4900 more errors not shown")
        );
        assert!(
            status.message.ends_with(" and 4990 more"),
            "{}",
            status.message
        );
        let reply = serde_json::to_vec(&status).expect("json");
        assert!(reply.len() < 64 * 1024, "{} bytes", reply.len());
    }

    #[test]
    fn a_huge_value_is_cut_in_its_cause() {
        let status = Status::invalid("agent", &many(1, &"v".repeat(100_000)));
        let cause = &status.details.as_ref().expect("details").causes[0];
        assert_eq!(cause.message.chars().count(), MAX_CAUSE_CHARS);
        assert!(cause.message.ends_with("..."));
        assert!(status.message.len() < 12 * 1024);
    }

    #[test]
    fn at_most_max_warnings_are_kept() {
        let out =
            clean_warnings((0..500).map(|i| format!("spec.ports[{i}].host_port: opens a port")));
        assert_eq!(out.len(), MAX_WARNINGS);
        assert_eq!(out[0], "spec.ports[0].host_port: opens a port");
    }

    #[test]
    fn invalid_status_has_one_cause_per_error() {
        let errs = FieldErrors::from(vec![
            FieldError::required(FieldPath::root("spec").child("container"), ""),
            FieldError::invalid(
                FieldPath::root("spec").child("min_ready_seconds"),
                -1,
                "must be >= 0",
            ),
        ]);
        let s = Status::invalid("agent", &errs);
        assert_eq!(s.code, 422);
        assert_eq!(
            s.message,
            "KubernetesDaemonSet.kubernetes.project-planton.org \"agent\" is invalid: \
             [spec.container: Required value, spec.min_ready_seconds: Invalid value: -1: must be >= 0]"
        );
        let d = s.details.expect("details");
        assert_eq!(d.causes.len(), 2);
        assert_eq!(d.causes[1].field, "spec.min_ready_seconds");
        assert_eq!(d.causes[1].reason, "FieldValueInvalid");
        assert_eq!(d.causes[1].message, "Invalid value: -1: must be >= 0");
    }

    #[test]
    fn warnings_are_cleaned_cut_and_deduplicated() {
        let long = "x".repeat(300);
        let out = clean_warnings([
            "a\tb\n".to_owned(),
            String::new(),
            "  ".to_owned(),
            "a b".to_owned(),
            long,
            "ünïcødé ✓".to_owned(),
        ]);
        assert_eq!(out[0], "a b");
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(out[1].chars().count(), MAX_WARNING_CHARS);
        assert!(out[1].ends_with("..."));
        assert_eq!(out[2], "ünïcødé ✓");
    }
}
