//! The reply to an admitted object that still needs access reviews: what the server's
//! asynchronous access stage needs to turn it into a denial, and the denials themselves.
//!
//! The synchronous review stays as it is and encodes its "allowed" reply as usual; only when
//! the writer turns out to lack a right (or the rights cannot be checked) is the reply
//! written again, with the same uid, warnings and audit annotations.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::StatusCode;

use super::status::Status;
use super::wire::ResponseOut;
use super::{Reply, Summary, Verdict};
use crate::access::Plan;
use crate::validation::field::FieldErrors;

/// An allowed reply waiting for the writer's rights to be checked.
#[derive(Clone, Debug)]
pub struct PendingAccess {
    /// The reviews to make.
    pub plan: Plan,
    uid: String,
    name: String,
    warnings: Vec<String>,
    audit: BTreeMap<String, String>,
}

impl PendingAccess {
    /// Keeps what a later denial repeats from the allowed `response`.
    pub(super) fn new(plan: Plan, uid: &str, name: &str, response: &ResponseOut<'_>) -> Self {
        Self {
            plan,
            uid: uid.to_owned(),
            name: name.to_owned(),
            warnings: response.warnings.clone(),
            audit: response.audit_annotations.clone(),
        }
    }

    /// The denial for a writer who lacks rights: 422 `Invalid` with one `Forbidden` cause per
    /// field, like the policy gates' denials.
    pub fn denied(self, summary: Option<Summary>, errs: &FieldErrors) -> Reply {
        let status = Status::invalid(&self.name, errs);
        self.refuse(summary, status, Verdict::Denied)
    }

    /// The denial when the rights could not be checked (fail closed): 500 `InternalError`.
    pub fn unchecked(self, summary: Option<Summary>, why: &str) -> Reply {
        let status = Status {
            status: "Failure",
            code: 500,
            reason: "InternalError",
            message: format!(
                "kds-webhook could not check the writer's permissions with the API server, so \
                 the object is refused: {why}"
            ),
            details: None,
        };
        self.refuse(summary, status, Verdict::AccessUnchecked)
    }

    fn refuse(self, summary: Option<Summary>, status: Status, verdict: Verdict) -> Reply {
        let response = ResponseOut {
            uid: &self.uid,
            allowed: false,
            status: Some(status),
            warnings: self.warnings.clone(),
            audit_annotations: self.audit.clone(),
            ..ResponseOut::default()
        };
        let mut body = Vec::with_capacity(super::REPLY_ENVELOPE_BYTES);
        match response.write_review(&mut body) {
            Ok(()) => Reply {
                status: StatusCode::OK,
                body: Bytes::from(body),
                summary: summary.map(|s| Summary { verdict, ..s }),
                access: None,
            },
            Err(e) => super::Error::Encode(e).into_reply(),
        }
    }
}
