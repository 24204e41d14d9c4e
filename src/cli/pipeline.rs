//! What `validate`, `render` and `default` share: reading `-f` inputs into documents, running
//! each through [`crate::engine`], and reporting problems one per line as
//! `FILE: <kind>/<name>: <field error>` (warnings as `FILE: <kind>/<name>: warning: <text>`).
//!
//! Exit codes: a file that cannot be read (or a policy file that is refused) is an error of the
//! command (2, through `anyhow`); text that is not YAML/JSON, a document that does not decode,
//! and an object that does not validate all make the *input* invalid (1).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;

use super::{EXIT_INVALID, EXIT_OK, input};
use crate::api::KubernetesDaemonSet;
use crate::engine::{self, Checked};
use crate::manifest;
use crate::policy::Policy;
use crate::validation::field::FieldErrors;

/// One document of one input file.
#[derive(Debug)]
pub struct Doc {
    /// The file name as given (`-` for standard input).
    pub file: String,
    /// `<kind>/<name>` of the document, as far as it can be read.
    pub label: String,
    /// The document as read.
    pub raw: Value,
    /// The typed object, or its decode errors.
    pub decoded: Result<KubernetesDaemonSet, FieldErrors>,
}

/// A file's content: its documents, or why the text is not YAML/JSON at all.
#[derive(Debug)]
pub enum Item {
    /// A document to process.
    Doc(Box<Doc>),
    /// The file's text could not be parsed into documents.
    Unparsable {
        /// The file name as given.
        file: String,
        /// The parser's message.
        error: String,
    },
}

/// Reads every file (an unreadable one fails the command) and splits it into documents.
pub fn read(files: &[PathBuf]) -> anyhow::Result<Vec<Item>> {
    let mut items = Vec::new();
    for i in input::read_all(files)? {
        match manifest::load(&i.text) {
            Ok(docs) => items.extend(docs.into_iter().map(|d| {
                Item::Doc(Box::new(Doc {
                    file: i.name.clone(),
                    label: manifest::describe(&d.raw),
                    raw: d.raw,
                    decoded: d.decoded,
                }))
            })),
            Err(e) => items.push(Item::Unparsable {
                file: i.name.clone(),
                // Parser messages carry a multi-line source excerpt; one line per problem.
                error: e.to_string().lines().next().unwrap_or_default().to_owned(),
            }),
        }
    }
    Ok(items)
}

/// Loads `--policy` when given; a refused policy fails the command.
pub fn load_policy(path: Option<&Path>) -> anyhow::Result<Option<Policy>> {
    path.map(|p| Policy::load(p).context("failed to load --policy"))
        .transpose()
}

/// Counts and prints problems: errors to the given sink, warnings always to standard error.
pub struct Reporter<W: Write> {
    out: W,
    /// Documents (or unparsable files) that were invalid.
    pub invalid: usize,
    /// Documents that passed.
    pub valid: usize,
}

impl<W: Write> Reporter<W> {
    /// A reporter printing errors to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            invalid: 0,
            valid: 0,
        }
    }

    /// Prints each error as `FILE: <kind>/<name>: <error>` and counts the document invalid.
    pub fn errors(&mut self, doc: &Doc, errs: &FieldErrors) -> anyhow::Result<()> {
        self.invalid += 1;
        for e in errs {
            writeln!(self.out, "{}: {}: {e}", doc.file, doc.label)?;
        }
        Ok(())
    }

    /// Prints a document-level failure that is not a field error (for example an expansion
    /// error) and counts the document invalid.
    pub fn failure(&mut self, doc: &Doc, message: &str) -> anyhow::Result<()> {
        self.invalid += 1;
        writeln!(self.out, "{}: {}: {message}", doc.file, doc.label)?;
        Ok(())
    }

    /// Prints `FILE: <parser error>` and counts the file invalid.
    pub fn unparsable(&mut self, file: &str, error: &str) -> anyhow::Result<()> {
        self.invalid += 1;
        writeln!(self.out, "{file}: {error}")?;
        Ok(())
    }

    /// Prints every warning of a document to standard error.
    pub fn warnings(&mut self, doc: &Doc, warnings: &[String]) {
        let mut err = std::io::stderr().lock();
        for w in warnings {
            // Warnings are advisory: a closed stderr must not fail the command.
            let _ = writeln!(err, "{}: {}: warning: {w}", doc.file, doc.label);
        }
    }

    /// 0 when nothing was invalid, else 1.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(if self.invalid == 0 {
            EXIT_OK
        } else {
            EXIT_INVALID
        })
    }
}

/// Decodes every document, reporting what does not decode; returns the decoded ones.
pub fn decode_all<W: Write>(
    items: Vec<Item>,
    rep: &mut Reporter<W>,
) -> anyhow::Result<Vec<(Doc, KubernetesDaemonSet)>> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Item::Unparsable { file, error } => rep.unparsable(&file, &error)?,
            Item::Doc(mut doc) => {
                let decoded = std::mem::replace(&mut doc.decoded, Err(FieldErrors::new()));
                match decoded {
                    Ok(kds) => out.push((*doc, kds)),
                    Err(errs) => rep.errors(&doc, &errs)?,
                }
            }
        }
    }
    Ok(out)
}

/// Decodes, defaults, validates and gates every document, reporting errors and warnings;
/// returns the documents that passed, defaulted.
pub fn check_all<W: Write>(
    items: Vec<Item>,
    policy: Option<&Policy>,
    rep: &mut Reporter<W>,
) -> anyhow::Result<Vec<(Doc, Checked)>> {
    let mut out = Vec::new();
    for (doc, kds) in decode_all(items, rep)? {
        let checked = engine::check(kds, policy);
        rep.warnings(&doc, &checked.warnings);
        if checked.is_valid() {
            rep.valid += 1;
            out.push((doc, checked));
        } else {
            rep.errors(&doc, &checked.errors)?;
        }
    }
    Ok(out)
}
