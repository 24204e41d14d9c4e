//! What `validate`, `render`, `default` and `diff` share: reading the `-f` inputs into
//! documents with their positions, holding each to the cluster's CRD schema, decoding it, and
//! running it through [`crate::engine`], with every problem recorded in a [`Report`].
//!
//! ```text
//! input::read_all ─▶ YAML (located) / JSON ─▶ documents ─▶ [--camel-case: rename keys]
//!                     └ unreadable / not YAML     │        ─▶ schema::check + manifest::decode
//!                       → Report                  ▼
//!                                 decode_all (default, diff) / check_all (validate, render)
//! ```

use std::path::Path;

use anyhow::Context;
use serde_json::Value;

use super::input::{self, InputArgs};
use super::report::Report;
use crate::api::KubernetesDaemonSet;
use crate::engine::{self, Checked};
use crate::manifest::located::{self, Positions};
use crate::manifest::{self, MAX_INPUT_BYTES, schema};
use crate::policy::Policy;
use crate::validation::field::FieldErrors;

/// One document of one input.
#[derive(Debug)]
pub struct Doc {
    /// The file name as given (`<stdin>` for standard input).
    pub file: String,
    /// `<kind>/<name>` of the document, as far as it can be read.
    pub label: String,
    /// The document as read (after `--camel-case` renaming).
    pub raw: Value,
    /// Where its nodes are in the file (empty for JSON input).
    pub positions: Positions,
    /// The typed object, or every schema and decode error.
    pub decoded: Result<KubernetesDaemonSet, FieldErrors>,
    /// Warnings from reading it (the keys `--camel-case` renamed).
    pub notes: Vec<String>,
    /// The input's number in the report (its order).
    pub input: usize,
}

/// Reads every input into documents; inputs that cannot be read or parsed go into `report`.
pub fn read(args: &InputArgs, report: &mut Report) -> Vec<Doc> {
    let mut docs = Vec::new();
    for input in input::read_all(args) {
        let n = report.next_input();
        let input = match input {
            Ok(i) => i,
            Err(f) => {
                report.unreadable(n, &f.name, f.message);
                continue;
            }
        };
        match parse(&input.text) {
            Ok(parsed) => docs.extend(
                parsed
                    .into_iter()
                    .map(|(raw, positions)| doc(n, &input.name, raw, positions, args.camel_case)),
            ),
            Err((message, pos)) => report.unparsable(n, &input.name, message, pos),
        }
    }
    docs
}

type Parsed = Vec<(Value, Positions)>;

/// Splits text into documents (a `List` stands for its items; empty documents are skipped).
fn parse(text: &str) -> Result<Parsed, (String, Option<located::Pos>)> {
    if text.len() > MAX_INPUT_BYTES {
        return Err((manifest::ParseError::TooLarge(text.len()).to_string(), None));
    }
    let trimmed = text.trim_start();
    let docs: Parsed = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: Value = serde_json::from_str(text).map_err(json_error)?;
        match v {
            Value::Array(items) => items
                .into_iter()
                .map(|i| (i, Positions::default()))
                .collect(),
            v => vec![(v, Positions::default())],
        }
    } else {
        located::parse(text)
            .map_err(|e| (format!("error parsing YAML: {}", e.message), e.pos))?
            .into_iter()
            .map(|d| (d.value, d.positions))
            .collect()
    };
    Ok(docs
        .into_iter()
        .flat_map(|(v, pos)| unwrap_list(v, pos))
        .filter(|(v, _)| !v.is_null())
        .collect())
}

/// serde_json's message without its ` at line X column Y` (the position is shown once).
fn json_error(e: serde_json::Error) -> (String, Option<located::Pos>) {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => &text,
    };
    let pos = (e.line() > 0).then(|| located::Pos {
        line: u32::try_from(e.line()).unwrap_or(u32::MAX),
        column: u32::try_from(e.column()).unwrap_or(u32::MAX),
    });
    (format!("error parsing JSON: {message}"), pos)
}

/// A `kind: List` document stands for its items, as `kubectl` reads it.
fn unwrap_list(doc: Value, positions: Positions) -> Parsed {
    match doc {
        Value::Object(mut m) if m.get("kind").and_then(Value::as_str) == Some("List") => {
            match m.remove("items") {
                Some(Value::Array(items)) => items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| (item, positions.under(&format!("items[{i}]"))))
                    .collect(),
                _ => Vec::new(),
            }
        }
        other => vec![(other, positions)],
    }
}

/// Holds one document to the CRD schema and decodes it.
fn doc(
    input: usize,
    file: &str,
    mut raw: Value,
    mut positions: Positions,
    camel_case: bool,
) -> Doc {
    let mut notes = Vec::new();
    if camel_case {
        for r in schema::migrate_camel_case(&mut raw) {
            let from = r.path.as_str();
            let to = match from.rfind('.') {
                Some(i) => format!("{}.{}", &from[..i], r.to),
                None => r.to.clone(),
            };
            positions.alias(from, &to);
            notes.push(format!(
                "{from}: read as {} (--camel-case); a cluster knows only the snake_case spelling",
                r.to
            ));
        }
    }
    let shape = schema::check(&raw);
    let decoded = manifest::decode(raw.clone());
    // The schema's findings stand for the cluster's verdict on spec and status; serde's own
    // findings there would repeat them in other words. Envelope errors are kept.
    let decoded = if shape.is_empty() {
        decoded
    } else {
        let mut errs = shape;
        if let Err(more) = decoded {
            errs.extend(more.into_iter().filter(|e| {
                let p = e.path.as_str();
                !(p.starts_with("spec") || p.starts_with("status"))
            }));
        }
        Err(errs)
    };
    Doc {
        file: file.to_owned(),
        label: manifest::describe(&raw),
        raw,
        positions,
        decoded,
        notes,
        input,
    }
}

/// Loads `--policy` with the loader `serve` uses; a refused policy fails the command.
pub fn load_policy(path: Option<&Path>) -> anyhow::Result<Option<Policy>> {
    path.map(|p| Policy::load(p).context("failed to load --policy"))
        .transpose()
}

/// Records every document that does not decode; returns the ones that do (recorded as valid:
/// nothing else is checked).
pub fn decode_all(docs: Vec<Doc>, report: &mut Report) -> Vec<(Doc, KubernetesDaemonSet)> {
    let mut out = Vec::new();
    for mut doc in docs {
        let decoded = std::mem::replace(&mut doc.decoded, Err(FieldErrors::new()));
        match decoded {
            Ok(kds) => {
                report.document(
                    doc.input,
                    &doc.file,
                    &doc.label,
                    &doc.positions,
                    &FieldErrors::new(),
                    &doc.notes,
                );
                out.push((doc, kds));
            }
            Err(errs) => report.document(
                doc.input,
                &doc.file,
                &doc.label,
                &doc.positions,
                &errs,
                &doc.notes,
            ),
        }
    }
    out
}

/// Decodes, defaults, validates and gates every document, recording each verdict; returns
/// the documents that passed, defaulted.
pub fn check_all(
    docs: Vec<Doc>,
    policy: Option<&Policy>,
    report: &mut Report,
) -> Vec<(Doc, Checked)> {
    let mut out = Vec::new();
    for mut doc in docs {
        let decoded = std::mem::replace(&mut doc.decoded, Err(FieldErrors::new()));
        let kds = match decoded {
            Ok(kds) => kds,
            Err(errs) => {
                report.document(
                    doc.input,
                    &doc.file,
                    &doc.label,
                    &doc.positions,
                    &errs,
                    &doc.notes,
                );
                continue;
            }
        };
        let checked = engine::check(kds, policy);
        let mut warnings = std::mem::take(&mut doc.notes);
        warnings.extend(checked.warnings.iter().cloned());
        report.document(
            doc.input,
            &doc.file,
            &doc.label,
            &doc.positions,
            &checked.errors,
            &warnings,
        );
        if checked.is_valid() {
            out.push((doc, checked));
        }
    }
    out
}
