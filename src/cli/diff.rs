//! `kds-webhook diff -f NEW [--against OLD]`: a rollout preview. Both versions are checked as
//! `validate` checks them, defaulted and expanded; the objects are compared field by field
//! and the summary says whether every node's pod restarts (a pod-template change) or only
//! companions change, at the pace the new update strategy gives (`--nodes N` for the count).
//!
//! Documents are paired by namespace and name; one without a counterpart in OLD (or without
//! `--against`) is previewed as a new install. Output goes to standard output; problems to
//! standard error, as `render` prints them. Differences are not an error: the exit code is 0
//! unless a version is invalid (1) or unreadable (2).

use std::io::Write;
use std::process::ExitCode;

use super::input::InputArgs;
use super::pipeline::{self, Doc};
use super::report::{self, Report};
use crate::engine::{self, Checked};
use crate::expansion::Expansion;
use crate::rollout::{self, ObjectChange, Preview};

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The new version(s).
    #[command(flatten)]
    pub input: InputArgs,
    /// The version running now: a file, directory or glob, or `-` for standard input.
    #[arg(long, value_name = "PATH")]
    pub against: Option<String>,
    /// Nodes that run the agent, to count the restarts.
    #[arg(long, value_name = "N")]
    pub nodes: Option<u32>,
}

/// Prints one preview per new document.
pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let mut report = Report::default();
    let new = checked(&args.input, &mut report);
    let old = match &args.against {
        Some(path) => {
            let against = InputArgs {
                files: vec![path.clone()],
                ..args.input.clone()
            };
            checked(&against, &mut report)
        }
        None => Vec::new(),
    };
    report::diagnostics(&mut std::io::stderr().lock(), &report, "diff")?;
    if report.has_errors() || report.is_empty() {
        return Ok(report.exit_code());
    }
    let mut text = String::new();
    for (doc, expansion) in &new {
        let key = identity(doc);
        let before = old.iter().find(|(d, _)| identity(d) == key).map(|(_, e)| e);
        let (label, preview) = match before {
            Some(b) => (doc.label.clone(), rollout::preview(b, expansion)),
            None => (
                format!("{} (new install)", doc.label),
                rollout::install(expansion),
            ),
        };
        text.push_str(&render(&label, &preview, args.nodes));
    }
    super::closed_pipe_ok(std::io::stdout().lock().write_all(text.as_bytes()))?;
    Ok(report.exit_code())
}

/// Namespace and name: what pairs a new document with its old version.
fn identity(doc: &Doc) -> (Option<String>, Option<String>) {
    let get = |p: &str| {
        doc.raw
            .pointer(p)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    (get("/metadata/namespace"), get("/metadata/name"))
}

fn checked(input: &InputArgs, report: &mut Report) -> Vec<(Doc, Expansion)> {
    let docs = pipeline::read(input, report);
    let mut out = Vec::new();
    for (doc, c) in pipeline::check_all(docs, None, report) {
        match expand(&c) {
            Ok(e) => out.push((doc, e)),
            Err(e) => report.fail_document(&doc.file, &doc.label, e.to_string()),
        }
    }
    out
}

fn expand(c: &Checked) -> Result<Expansion, crate::expansion::ExpandError> {
    engine::render(c)
}

/// The preview as text: one line per object (`+` added, `-` removed, `~` changed), one per
/// changed field, then the summary.
fn render(label: &str, p: &Preview, nodes: Option<u32>) -> String {
    let mut s = format!("{label}:\n");
    for o in &p.objects {
        let mark = match o.change {
            ObjectChange::Added => '+',
            ObjectChange::Removed => '-',
            ObjectChange::Changed => '~',
        };
        s.push_str(&format!("  {mark} {}\n", o.object));
        for f in &o.fields {
            let v = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
            s.push_str(&format!(
                "      {}: {} -> {}\n",
                f.path,
                v(&f.old),
                v(&f.new)
            ));
        }
    }
    s.push_str(&format!("  {}\n", p.summary(nodes)));
    s
}
