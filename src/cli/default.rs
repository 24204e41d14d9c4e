//! `kds-webhook default`: print the defaulted manifest, or the JSON patch (RFC 6902) the
//! mutating webhook would answer with.
//!
//! Output: the defaulted manifests as (multi-document) YAML, snake_case as the resource is
//! written. With `--patch`, JSON: for one document the patch array itself; for several, an
//! array holding one patch array per document, in input order (so the single-document case,
//! by far the common one, is directly what `kubectl patch --type=json` takes). Documents that
//! do not decode are reported on standard error and nothing is printed (exit 1).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;

use super::pipeline::{self, Reporter};
use crate::defaulting::apply_defaults;
use crate::manifest;

/// Arguments of `default`.
#[derive(Debug, clap::Args)]
pub struct DefaultArgs {
    /// Manifest to default; repeatable, `-` reads standard input.
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Print the JSON patch from each input document to its defaulted form instead.
    #[arg(long, env = "KDS_WEBHOOK_PATCH")]
    pub patch: bool,
}

/// Defaults every document; validation is not run (that is `validate`'s job).
pub fn run(args: DefaultArgs) -> anyhow::Result<ExitCode> {
    let DefaultArgs { files, patch } = args;
    let items = pipeline::read(&files)?;
    let mut rep = Reporter::new(std::io::stderr().lock());
    let decoded = pipeline::decode_all(items, &mut rep)?;
    if rep.invalid > 0 {
        return Ok(rep.exit_code());
    }
    let mut outputs = Vec::with_capacity(decoded.len());
    for (doc, mut kds) in decoded {
        apply_defaults(&mut kds);
        let defaulted = manifest::to_value(&kds);
        outputs.push(if patch {
            serde_json::to_value(json_patch::diff(&doc.raw, &defaulted))?
        } else {
            defaulted
        });
    }
    let text = if patch {
        let v = match <[Value; 1]>::try_from(outputs) {
            Ok([one]) => one,
            Err(many) => Value::Array(many),
        };
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        crate::yaml::to_yaml_stream(&outputs)?
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(rep.exit_code())
}
