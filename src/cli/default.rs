//! `kds-webhook default`: print the defaulted manifest, or the JSON patch (RFC 6902) the
//! mutating webhook would answer with.
//!
//! Output: the defaulted manifests as (multi-document) YAML, snake_case as the resource is
//! written. With `--patch`, JSON: for one document the patch array itself; for several, an
//! array holding one patch array per document, in input order (so the single-document case,
//! by far the common one, is directly what `kubectl patch --type=json` takes). Problems go to
//! standard error, formatted as `validate` prints them; when any document does not decode (or
//! any input is unreadable) nothing is printed on standard output.

use std::io::Write;
use std::process::ExitCode;

use serde_json::Value;

use super::input::InputArgs;
use super::pipeline;
use super::report::{self, Report};
use crate::defaulting::apply_defaults;
use crate::manifest;

/// Arguments of `default`.
#[derive(Debug, clap::Args)]
pub struct DefaultArgs {
    /// What to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Print the JSON patch from each input document to its defaulted form instead.
    #[arg(long)]
    pub patch: bool,
}

/// Defaults every document; validation is not run (that is `validate`'s job).
pub fn run(args: DefaultArgs) -> anyhow::Result<ExitCode> {
    let mut report = Report::default();
    let docs = pipeline::read(&args.input, &mut report);
    let decoded = pipeline::decode_all(docs, &mut report);
    report::diagnostics(&mut std::io::stderr().lock(), &report, "default")?;
    if report.has_errors() || report.is_empty() {
        return Ok(report.exit_code());
    }
    let mut outputs = Vec::with_capacity(decoded.len());
    for (doc, mut kds) in decoded {
        apply_defaults(&mut kds);
        let defaulted = manifest::to_value(&kds);
        outputs.push(if args.patch {
            serde_json::to_value(json_patch::diff(&doc.raw, &defaulted))?
        } else {
            defaulted
        });
    }
    let text = if args.patch {
        let v = match <[Value; 1]>::try_from(outputs) {
            Ok([one]) => one,
            Err(many) => Value::Array(many),
        };
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        crate::yaml::to_yaml_stream(&outputs)?
    };
    super::closed_pipe_ok(std::io::stdout().lock().write_all(text.as_bytes()))?;
    Ok(report.exit_code())
}
