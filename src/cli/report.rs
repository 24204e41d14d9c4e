//! What the offline commands found, as data, and the formats it is printed in: `text` (one
//! line per problem, `FILE:LINE:COLUMN: KIND/NAME: <field error>`), `json`, `junit` and
//! `github` (workflow annotations).
//!
//! Building the report is separate from printing it, so every format says the same thing, in
//! the same (input) order, and the exit code is computed in one place: 2 when an input could
//! not be read or there were no documents at all, else 1 when anything was invalid, else 0.

use std::io::{self, Write};
use std::process::ExitCode;

use serde::Serialize;

use super::{EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE};
use crate::manifest::located::{Pos, Positions};
use crate::validation::field::{FieldError, FieldErrorKind, FieldErrors};

mod github;
mod junit;

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per error and warning, then a summary line.
    #[default]
    Text,
    /// One JSON object: `summary` and one entry per document (shape in the README).
    Json,
    /// A JUnit XML report: one test case per document, one test suite per file.
    Junit,
    /// GitHub Actions workflow commands: `::error file=...,line=...,col=...::message`.
    Github,
}

/// How a document (or an input) came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Passed.
    Valid,
    /// Has errors (or is not YAML/JSON at all).
    Invalid,
    /// The input could not be read.
    Unreadable,
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The field path, when the problem is about one field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The API server's `reason` (`FieldValueInvalid`, ...), for field errors.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The whole message, as the text format prints it after the object.
    pub message: String,
    /// Where in the file, when the parser knows.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub pos: Option<Pos>,
}

impl Finding {
    /// A field error, placed by `positions`: unknown and repeated fields at their key,
    /// everything else at its value.
    pub fn field(e: &FieldError, positions: &Positions) -> Self {
        let at_key = matches!(
            e.kind,
            FieldErrorKind::Forbidden | FieldErrorKind::Duplicate(_)
        );
        Self {
            field: Some(e.path.to_string()),
            reason: Some(e.kind.reason()),
            message: e.to_string(),
            pos: positions.find(e.path.as_str(), at_key),
        }
    }

    /// A warning rendered `<path>: <message>`, placed at its path when it has one.
    pub fn warning(text: &str, positions: &Positions) -> Self {
        let field = text
            .split_once(": ")
            .map(|(p, _)| p)
            .filter(|p| p.starts_with("spec") || p.starts_with("metadata"));
        Self {
            field: field.map(str::to_owned),
            reason: None,
            message: text.to_owned(),
            pos: field.and_then(|f| positions.find(f, false)),
        }
    }

    /// A problem that is about no one field.
    pub fn plain(message: impl Into<String>, pos: Option<Pos>) -> Self {
        Self {
            field: None,
            reason: None,
            message: message.into(),
            pos,
        }
    }
}

/// One document, or one input that yielded none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The file name as given (`<stdin>` for standard input).
    pub file: String,
    /// `KIND/NAME` of the document, as far as it can be read; absent for a whole input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Where the document starts.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub pos: Option<Pos>,
    /// The verdict.
    pub status: Status,
    /// Why it is invalid or unreadable.
    pub errors: Vec<Finding>,
    /// Advice that does not fail it.
    pub warnings: Vec<Finding>,
    /// The input's place on the command line, which orders the report.
    #[serde(skip)]
    pub input: usize,
}

/// Counts over a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Documents checked (an input that is not YAML/JSON counts as one invalid document).
    pub documents: usize,
    /// Documents that passed.
    pub valid: usize,
    /// Documents (and inputs that are not YAML/JSON) that failed.
    pub invalid: usize,
    /// Inputs that could not be read.
    pub unreadable: usize,
}

/// Everything one command found, in input order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The outcomes, in input order.
    pub outcomes: Vec<Outcome>,
    inputs: usize,
}

impl Report {
    /// A number for the next input read: outcomes are kept in this order, whatever order
    /// they are recorded in (read failures are known before documents are checked).
    pub fn next_input(&mut self) -> usize {
        self.inputs += 1;
        self.inputs
    }

    fn add(&mut self, o: Outcome) {
        let at = self.outcomes.partition_point(|x| x.input <= o.input);
        self.outcomes.insert(at, o);
    }

    /// Adds a document's verdict with its errors and warnings.
    pub fn document(
        &mut self,
        input: usize,
        file: &str,
        object: &str,
        positions: &Positions,
        errors: &FieldErrors,
        warnings: &[String],
    ) {
        // Top to bottom through the file; findings without a position keep their order, last.
        let sorted = |mut v: Vec<Finding>| {
            v.sort_by_key(|f| f.pos.map_or((1, None), |p| (0, Some(p))));
            v
        };
        self.add(Outcome {
            input,
            file: file.to_owned(),
            object: Some(object.to_owned()),
            pos: positions.start(),
            status: if errors.is_empty() {
                Status::Valid
            } else {
                Status::Invalid
            },
            errors: sorted(
                errors
                    .iter()
                    .map(|e| Finding::field(e, positions))
                    .collect(),
            ),
            warnings: sorted(
                warnings
                    .iter()
                    .map(|w| Finding::warning(w, positions))
                    .collect(),
            ),
        });
    }

    /// Adds a document-level failure that is not a field error (for example an expansion
    /// error) to a document's outcome.
    pub fn fail_document(&mut self, file: &str, object: &str, message: String) {
        let found = self
            .outcomes
            .iter_mut()
            .rev()
            .find(|o| o.file == file && o.object.as_deref() == Some(object));
        match found {
            Some(o) => {
                o.status = Status::Invalid;
                o.errors.push(Finding::plain(message, None));
            }
            None => self.add(Outcome {
                input: usize::MAX,
                file: file.to_owned(),
                object: Some(object.to_owned()),
                pos: None,
                status: Status::Invalid,
                errors: vec![Finding::plain(message, None)],
                warnings: Vec::new(),
            }),
        }
    }

    /// Adds an input whose text is not YAML/JSON.
    pub fn unparsable(&mut self, input: usize, file: &str, message: String, pos: Option<Pos>) {
        self.add(Outcome {
            input,
            file: file.to_owned(),
            object: None,
            pos: None,
            status: Status::Invalid,
            errors: vec![Finding::plain(message, pos)],
            warnings: Vec::new(),
        });
    }

    /// Adds an input that could not be read.
    pub fn unreadable(&mut self, input: usize, file: &str, message: String) {
        self.add(Outcome {
            input,
            file: file.to_owned(),
            object: None,
            pos: None,
            status: Status::Unreadable,
            errors: vec![Finding::plain(message, None)],
            warnings: Vec::new(),
        });
    }

    /// The counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for o in &self.outcomes {
            match o.status {
                Status::Valid => s.valid += 1,
                Status::Invalid => s.invalid += 1,
                Status::Unreadable => s.unreadable += 1,
            }
            if o.status != Status::Unreadable {
                s.documents += 1;
            }
        }
        s
    }

    /// True when there was nothing at all to check: every input was empty (or only
    /// comments). `kubectl apply` refuses that too (`no objects passed to apply`).
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// True when something was invalid or unreadable.
    pub fn has_errors(&self) -> bool {
        self.outcomes.iter().any(|o| o.status != Status::Valid)
    }

    /// 2 when an input could not be read or there were no documents, else 1 when anything
    /// was invalid, else 0.
    pub fn exit_code(&self) -> ExitCode {
        let s = self.summary();
        ExitCode::from(if s.unreadable > 0 || self.is_empty() {
            EXIT_UNREADABLE
        } else if s.invalid > 0 {
            EXIT_INVALID
        } else {
            EXIT_OK
        })
    }
}

/// What the text and github formats leave out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verbosity {
    /// Errors only: no warnings, no summary.
    pub quiet: bool,
    /// The summary only.
    pub summary_only: bool,
}

/// The message for a run with no documents, naming the command as `kubectl` does.
pub fn no_objects(command: &str) -> String {
    format!("error: no objects passed to {command}")
}

/// Prints `report` in `format`.
pub fn print(
    out: &mut dyn Write,
    report: &Report,
    format: Format,
    verbosity: Verbosity,
    command: &str,
) -> io::Result<()> {
    match format {
        Format::Text => text(out, report, verbosity, command),
        Format::Json => json(out, report),
        Format::Junit => junit::write(out, report, command),
        Format::Github => github::write(out, report, verbosity, command),
    }
}

/// `FILE:LINE:COLUMN: ` (or `FILE: ` without a position).
fn location(file: &str, pos: Option<Pos>) -> String {
    match pos {
        Some(p) => format!("{file}:{}:{}", p.line, p.column),
        None => file.to_owned(),
    }
}

/// One line per finding: `FILE:LINE:COLUMN: KIND/NAME: <message>`; warnings with `warning: `
/// before the message; unreadable inputs as `error: <message>`.
pub fn text(
    out: &mut dyn Write,
    report: &Report,
    verbosity: Verbosity,
    command: &str,
) -> io::Result<()> {
    if !verbosity.summary_only {
        for o in &report.outcomes {
            for e in &o.errors {
                writeln!(out, "{}", line(o, e, ""))?;
            }
            if !verbosity.quiet {
                for w in &o.warnings {
                    writeln!(out, "{}", line(o, w, "warning: "))?;
                }
            }
        }
    }
    if report.is_empty() {
        writeln!(out, "{}", no_objects(command))?;
    }
    if !verbosity.quiet {
        writeln!(out, "{}", summary_line(&report.summary()))?;
    }
    Ok(())
}

/// Problems for standard error of a command whose standard output is its product (`render`,
/// `default`, `diff`): every error and warning line, the `no objects` error, no summary.
pub fn diagnostics(out: &mut dyn Write, report: &Report, command: &str) -> io::Result<()> {
    for o in &report.outcomes {
        for e in &o.errors {
            writeln!(out, "{}", line(o, e, ""))?;
        }
        for w in &o.warnings {
            writeln!(out, "{}", line(o, w, "warning: "))?;
        }
    }
    if report.is_empty() {
        writeln!(out, "{}", no_objects(command))?;
    }
    Ok(())
}

fn line(o: &Outcome, f: &Finding, tag: &str) -> String {
    if o.status == Status::Unreadable {
        return format!("error: {}", f.message);
    }
    let at = location(&o.file, f.pos.or(o.pos));
    match &o.object {
        Some(obj) => format!("{at}: {obj}: {tag}{}", f.message),
        None => format!("{at}: {tag}{}", f.message),
    }
}

/// `N document(s) checked: V valid, I invalid` (and `, U unreadable input(s)` when any).
pub fn summary_line(s: &Summary) -> String {
    let mut line = format!(
        "{} document(s) checked: {} valid, {} invalid",
        s.documents, s.valid, s.invalid
    );
    if s.unreadable > 0 {
        line.push_str(&format!(", {} unreadable input(s)", s.unreadable));
    }
    line
}

/// The JSON report: `{"summary": {...}, "resources": [outcome...]}`, pretty-printed.
fn json(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        summary: Summary,
        resources: &'a [Outcome],
    }
    let doc = Doc {
        summary: report.summary(),
        resources: &report.outcomes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests;
