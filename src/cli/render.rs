//! `kds-webhook render`: default, validate and expand manifests into the Kubernetes objects
//! they stand for, as multi-document YAML or one JSON `List`, ready for `kubectl apply -f -`.
//!
//! All or nothing: when any document is invalid (or any input unreadable) its problems go to
//! standard error, formatted as `validate` prints them, and no object is printed, so a pipe
//! into `kubectl` applies nothing. Standard output carries only objects.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::input::InputArgs;
use super::pipeline;
use super::report::{self, Report};
use crate::engine;

/// Output formats of `render`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Multi-document YAML, one `---` per object.
    #[default]
    Yaml,
    /// One JSON object `{"apiVersion": "v1", "kind": "List", "items": [...]}`.
    Json,
}

/// Arguments of `render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// What to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Yaml)]
    pub output: Output,
    /// Policy file whose gates must pass too (see `validate --policy`).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// Renders every document's objects in apply order, documents in input order.
pub fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let policy = pipeline::load_policy(args.policy.as_deref())?;
    let mut report = Report::default();
    let docs = pipeline::read(&args.input, &mut report);
    let checked = pipeline::check_all(docs, policy.as_ref(), &mut report);
    let mut objects: Vec<Value> = Vec::new();
    for (doc, c) in &checked {
        match engine::render(c) {
            Ok(e) => objects.extend(e.objects()),
            Err(e) => report.fail_document(&doc.file, &doc.label, e.to_string()),
        }
    }
    report::diagnostics(&mut std::io::stderr().lock(), &report, "render")?;
    if report.has_errors() || report.is_empty() {
        return Ok(report.exit_code());
    }
    let text = match args.output {
        Output::Yaml => crate::yaml::to_yaml_stream(&objects)?,
        Output::Json => {
            let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
            serde_json::to_string_pretty(&list)? + "\n"
        }
    };
    super::closed_pipe_ok(std::io::stdout().lock().write_all(text.as_bytes()))?;
    Ok(report.exit_code())
}
