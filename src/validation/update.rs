//! Update-only rules: the changes that would detach the object from its DaemonSet.

use super::field::{FieldError, FieldErrors, FieldPath};
use crate::api::KubernetesDaemonSet;
use crate::naming;

pub(super) fn validate(old: &KubernetesDaemonSet, new: &KubernetesDaemonSet) -> FieldErrors {
    let mut errs = FieldErrors::new();
    let (old_ns, new_ns) = (naming::target_namespace(old), naming::target_namespace(new));
    if !old_ns.is_empty() && old_ns != new_ns {
        errs.push(FieldError::invalid(
            FieldPath::root("spec").child("namespace").child("value"),
            new_ns,
            format!(
                "field is immutable: changing it would orphan the existing DaemonSet in {old_ns}"
            ),
        ));
    }
    let (old_name, new_name) = (naming::name(old), naming::name(new));
    if !old_name.is_empty() && old_name != new_name {
        errs.push(FieldError::invalid(
            FieldPath::root("metadata").child("name"),
            new_name,
            "field is immutable: the name is in the DaemonSet's selector, which cannot change",
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::mk_valid;
    use super::validate;
    use crate::api::StringValueOrRef;

    #[test]
    fn accepts_unchanged_identity() {
        let old = mk_valid();
        let mut new = old.clone();
        new.spec.min_ready_seconds = Some(30);
        assert!(validate(&old, &new).is_empty());
    }

    #[test]
    fn rejects_namespace_change() {
        let old = mk_valid();
        let mut new = old.clone();
        new.spec.namespace = Some(StringValueOrRef {
            value: Some("other".into()),
            value_from: None,
        });
        assert_eq!(
            validate(&old, &new).to_string(),
            "spec.namespace.value: Invalid value: \"other\": field is immutable: changing it would orphan the existing DaemonSet in agents"
        );
    }

    #[test]
    fn rejects_name_change() {
        let old = mk_valid();
        let mut new = old.clone();
        new.metadata.name = Some("renamed".into());
        let errs = validate(&old, &new);
        assert_eq!(errs.len(), 1);
        assert!(
            errs.to_string()
                .starts_with("metadata.name: Invalid value: \"renamed\": field is immutable")
        );
    }
}
