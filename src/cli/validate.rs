//! `kds-webhook validate`: default and validate manifests (and gate them with `--policy`),
//! printing every error as `FILE: <kind>/<name>: <field.path>: <Type>: <detail>` on standard
//! output, warnings and a summary on standard error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::pipeline::{self, Reporter};

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Manifest to check (YAML, multi-document YAML, JSON or a JSON List); repeatable, `-` reads
    /// standard input.
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Policy file whose gates are applied too, as the webhook would apply them; objects are
    /// gated for their `metadata.namespace`, or `default` when they have none.
    #[arg(long, value_name = "FILE", env = "KDS_WEBHOOK_POLICY")]
    pub policy: Option<PathBuf>,
}

/// Checks every document; exit 0 when all are valid, 1 when any is not, 2 when input or the
/// policy cannot be read.
pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let ValidateArgs { files, policy } = args;
    let policy = pipeline::load_policy(policy.as_deref())?;
    let items = pipeline::read(&files)?;
    let mut rep = Reporter::new(std::io::stdout().lock());
    pipeline::check_all(items, policy.as_ref(), &mut rep)?;
    let total = rep.valid + rep.invalid;
    let _ = writeln!(
        std::io::stderr(),
        "{total} document(s) checked: {} valid, {} invalid",
        rep.valid,
        rep.invalid
    );
    Ok(rep.exit_code())
}
