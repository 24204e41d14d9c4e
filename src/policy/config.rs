//! The policy file: decoding with key paths, and checking before anything is compiled.
//!
//! Keys are lowerCamelCase, as in Kubernetes configuration files. Every mapping refuses
//! unknown keys. A decode error (unknown key, wrong type, bad mode) names its key path through
//! `serde_path_to_error`; a bad value (glob, quantity, range, path) is found by compiling each
//! section as written, so its error names the section it was written in, not a merged copy.
//! All problems are reported at once.

use serde::Deserialize;

use super::gates::{Errors, GateSetConfig};
use super::pattern::Glob;
use super::scope::{Action, Compiled, Rule};

/// The `apiVersion` a policy file must declare.
pub const API_VERSION: &str = "kds-webhook.project-planton.org/v1alpha1";
/// The `kind` a policy file must declare.
pub const KIND: &str = "PolicyConfig";

/// The whole file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PolicyFile {
    api_version: Option<String>,
    kind: Option<String>,
    defaults: Option<GateSetConfig>,
    namespaces: Option<Vec<NamespaceRule>>,
}

/// One `namespaces` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamespaceRule {
    #[serde(rename = "match")]
    patterns: Option<Vec<String>>,
    exempt: Option<bool>,
    overrides: Option<GateSetConfig>,
}

/// Parses YAML into the file structure; the error names the key path where decoding failed.
pub(crate) fn decode(text: &str) -> Result<PolicyFile, String> {
    let mut path = String::new();
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path = e.path().to_string();
            e.into_inner()
        })
    })
    .map_err(|e| {
        let msg = e.to_string();
        if path.is_empty() || path == "." {
            msg
        } else {
            format!("{path}: {msg}")
        }
    })
}

/// Checks and compiles a decoded file: every problem, or the compiled scopes.
pub(crate) fn compile(file: &PolicyFile) -> Result<Compiled, Vec<String>> {
    let mut errs = Errors::default();
    check_envelope(file, &mut errs);
    let empty = GateSetConfig::default();
    let defaults = file.defaults.as_ref().unwrap_or(&empty);
    defaults.check("defaults", None, &mut errs);
    let mut rules = Vec::new();
    for (i, rule) in file.namespaces.iter().flatten().enumerate() {
        let at = format!("namespaces[{i}]");
        if let Some(r) = compile_rule(rule, &at, defaults, &mut errs) {
            rules.push(r);
        }
    }
    if !errs.0.is_empty() {
        return Err(errs.0);
    }
    Ok(Compiled {
        defaults: defaults.compile("defaults", &mut errs),
        rules,
    })
}

fn check_envelope(file: &PolicyFile, errs: &mut Errors) {
    match file.api_version.as_deref() {
        Some(API_VERSION) => {}
        Some(other) => errs.at("apiVersion", format!("{other:?} is not {API_VERSION:?}")),
        None => errs.at("apiVersion", format!("required ({API_VERSION})")),
    }
    match file.kind.as_deref() {
        Some(KIND) => {}
        Some(other) => errs.at("kind", format!("{other:?} is not {KIND:?}")),
        None => errs.at("kind", format!("required ({KIND})")),
    }
}

fn compile_rule(
    rule: &NamespaceRule,
    at: &str,
    defaults: &GateSetConfig,
    errs: &mut Errors,
) -> Option<Rule> {
    let mut patterns = Vec::new();
    match rule.patterns.as_deref() {
        None | Some([]) => errs.at(&format!("{at}.match"), "required: namespace patterns"),
        Some(list) => {
            for (j, p) in list.iter().enumerate() {
                match Glob::new(p) {
                    Ok(g) => patterns.push(g),
                    Err(e) => errs.at(&format!("{at}.match[{j}]"), e),
                }
            }
        }
    }
    let exempt = rule.exempt.unwrap_or(false);
    let action = match (&rule.overrides, exempt) {
        (Some(_), true) => {
            errs.at(&format!("{at}.overrides"), "not allowed with exempt: true");
            return None;
        }
        (None, true) => Action::Exempt,
        (overrides, false) => {
            let overrides = overrides.clone().unwrap_or_default();
            let overrides_at = format!("{at}.overrides");
            overrides.check(&overrides_at, Some(defaults), errs);
            // Problems in the merged copy were already reported where they were written.
            let mut reported = Errors::default();
            let merged = defaults.merge(&overrides);
            Action::Gates(Box::new(merged.compile(&overrides_at, &mut reported)))
        }
    };
    Some(Rule { patterns, action })
}
