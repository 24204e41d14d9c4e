//! `kds-webhook render`: default, validate and expand manifests into the Kubernetes objects
//! they stand for, as multi-document YAML or one JSON `List`, ready for `kubectl apply -f -`.
//!
//! All or nothing: when any document is invalid its errors go to standard error (formatted as
//! `validate` prints them) and no object is printed, so a pipe into `kubectl` applies nothing.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::pipeline::{self, Reporter};
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
    /// Manifest to render; repeatable, `-` reads standard input.
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Yaml, env = "KDS_WEBHOOK_OUTPUT")]
    pub output: Output,
    /// Policy file whose gates must pass too (see `validate --policy`).
    #[arg(long, value_name = "FILE", env = "KDS_WEBHOOK_POLICY")]
    pub policy: Option<PathBuf>,
}

/// Renders every document's objects in apply order, documents in input order.
pub fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let RenderArgs {
        files,
        output,
        policy,
    } = args;
    let policy = pipeline::load_policy(policy.as_deref())?;
    let items = pipeline::read(&files)?;
    let mut rep = Reporter::new(std::io::stderr().lock());
    let checked = pipeline::check_all(items, policy.as_ref(), &mut rep)?;
    let mut objects: Vec<Value> = Vec::new();
    for (doc, c) in &checked {
        match engine::render(c) {
            Ok(e) => objects.extend(e.objects()),
            Err(e) => rep.failure(doc, &e.to_string())?,
        }
    }
    if rep.invalid > 0 {
        return Ok(rep.exit_code());
    }
    let text = match output {
        Output::Yaml => crate::yaml::to_yaml_stream(&objects)?,
        Output::Json => {
            let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
            serde_json::to_string_pretty(&list)? + "\n"
        }
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(rep.exit_code())
}
