//! `kds-webhook validate`: hold manifests to the cluster's CRD schema, default and validate
//! them (and gate them with `--policy`), and report every problem in the chosen format on
//! standard output (the report is this command's product, so it can be redirected whole).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::input::InputArgs;
use super::pipeline;
use super::report::{self, Format, Report, Verbosity};

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// What to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Policy file whose gates are applied too, as the webhook would apply them (loaded with
    /// `serve`'s loader); objects are gated for their `metadata.namespace`, or `default` when
    /// they have none.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
    /// Print only errors: no warnings, no summary (text and github formats).
    #[arg(short = 'q', long, conflicts_with = "summary")]
    pub quiet: bool,
    /// Print only the summary line (text and github formats).
    #[arg(long)]
    pub summary: bool,
}

/// Checks every document and prints the report.
pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let policy = pipeline::load_policy(args.policy.as_deref())?;
    let mut report = Report::default();
    let docs = pipeline::read(&args.input, &mut report);
    pipeline::check_all(docs, policy.as_ref(), &mut report);
    let verbosity = Verbosity {
        quiet: args.quiet,
        summary_only: args.summary,
    };
    let mut out = std::io::stdout().lock();
    super::closed_pipe_ok(
        report::print(&mut out, &report, args.output, verbosity, "validate")
            .and_then(|()| out.flush()),
    )?;
    Ok(report.exit_code())
}
