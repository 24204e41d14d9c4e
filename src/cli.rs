//! The command line: one subcommand per module under `cli/`.
//!
//! Exit codes are shared by the offline commands: 0 when every document is valid, 1 when any
//! is invalid, 2 when input cannot be read or the command line is wrong (clap's own code).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod certs;
pub mod controller;
pub mod crd;
pub mod default;
pub mod input;
pub mod manifests;
pub mod pipeline;
pub mod render;
pub mod serve;
pub mod validate;

/// Every document was valid.
pub const EXIT_OK: u8 = 0;
/// At least one document was invalid.
pub const EXIT_INVALID: u8 = 1;
/// Input could not be read, or the command line was wrong.
pub const EXIT_UNREADABLE: u8 = 2;

/// Admission webhook and offline tools for the KubernetesDaemonSet resource.
#[derive(Debug, Parser)]
#[command(name = "kds-webhook", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Logging options.
    #[command(flatten)]
    pub log: crate::telemetry::LogArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the mutating and validating webhooks over TLS.
    Serve(serve::ServeArgs),
    /// Reconcile every KubernetesDaemonSet in the cluster into its objects, with status.
    #[command(
        after_help = "Exit codes: 0 after SIGTERM/SIGINT and a clean drain; 1 when start-up fails \
                      (no cluster connection, CRD not installed, admin port taken, bad policy \
                      file); 2 for a usage error."
    )]
    Controller(controller::ControllerArgs),
    /// Default and validate manifests; print every error.
    Validate(validate::ValidateArgs),
    /// Default, validate and expand manifests into Kubernetes objects.
    Render(render::RenderArgs),
    /// Print the defaulted manifest, or the JSON patch that defaults it.
    Default(default::DefaultArgs),
    /// Print the CustomResourceDefinition.
    Crd(crd::CrdArgs),
    /// Write a development CA and serving certificate.
    Certs(certs::CertsArgs),
    /// Print a complete installation as plain manifests.
    Manifests(manifests::ManifestsArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Cli { command, log } = cli;
    match command {
        Command::Serve(args) => serve::run(args, &log),
        Command::Controller(args) => controller::run(args, &log),
        Command::Validate(args) => validate::run(args),
        Command::Render(args) => render::run(args),
        Command::Default(args) => default::run(args),
        Command::Crd(args) => crd::run(args),
        Command::Certs(args) => certs::run(args),
        Command::Manifests(args) => manifests::run(args),
    }
}
