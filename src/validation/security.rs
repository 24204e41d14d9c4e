//! The container security context: the API server's ID ranges. Privilege and capabilities
//! are legal and only warned about (see `warnings`).

use super::field::{FieldError, FieldErrors, FieldPath};
use crate::api::KubernetesDaemonSetSecurityContext;

/// Largest user or group ID (`IsValidUserID`, `IsValidGroupID`).
const MAX_ID: i64 = 2_147_483_647;

pub(super) fn validate(
    sc: &KubernetesDaemonSetSecurityContext,
    scp: &FieldPath,
    errs: &mut FieldErrors,
) {
    for (field, id) in [
        ("run_as_user", sc.run_as_user),
        ("run_as_group", sc.run_as_group),
    ] {
        if let Some(id) = id.filter(|id| !(0..=MAX_ID).contains(id)) {
            errs.push(FieldError::invalid(
                scp.child(field),
                id,
                "must be between 0 and 2147483647, inclusive",
            ));
        }
    }
}
