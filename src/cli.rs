//! The command line: one subcommand per module under `cli/`.
//!
//! Exit codes, shared by the offline commands and printed in every `--help`: 0 when every
//! document is valid, 1 when any is invalid, 2 when an input cannot be read, there were no
//! documents at all, or the command line (or a file it names, such as `--policy`) is wrong.
//!
//! Environment variables configure `serve` only (the container's settings); the offline
//! commands read none, so what a CI job checks is exactly what its command line says.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod certs;
pub mod controller;
pub mod crd;
pub mod default;
pub mod diff;
pub mod input;
pub mod manifests;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod serve;
pub mod validate;

/// Every document was valid.
pub const EXIT_OK: u8 = 0;
/// At least one document was invalid.
pub const EXIT_INVALID: u8 = 1;
/// An input could not be read, there were no documents, or the command line was wrong.
pub const EXIT_UNREADABLE: u8 = 2;

/// The exit codes, as every `--help` shows them.
const EXIT_CODES: &str = "Exit codes:
  0  every document is valid (or the command succeeded)
  1  at least one document is invalid
  2  an input cannot be read, no documents were given, or the command line or a file it
     names (such as --policy) is wrong";

/// Admission webhook and offline tools for the KubernetesDaemonSet resource.
#[derive(Debug, Parser)]
#[command(name = "kds-webhook", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the mutating and validating webhooks over TLS.
    #[command(after_help = EXIT_CODES)]
    Serve(ServeCommand),
    /// Reconcile every KubernetesDaemonSet in the cluster into its objects, with status.
    #[command(
        after_help = "Exit codes: 0 after SIGTERM/SIGINT and a clean drain; 1 when start-up fails \
                      (no cluster connection, CRD not installed, admin port taken, bad policy \
                      file); 2 for a usage error."
    )]
    Controller(ControllerCommand),
    /// Check manifests as the cluster and the webhook would; print every error.
    #[command(after_help = EXIT_CODES)]
    Validate(validate::ValidateArgs),
    /// Default, validate and expand manifests into Kubernetes objects.
    #[command(after_help = EXIT_CODES)]
    Render(render::RenderArgs),
    /// Print the defaulted manifest, or the JSON patch that defaults it.
    #[command(after_help = EXIT_CODES)]
    Default(default::DefaultArgs),
    /// Preview a rollout: what changes between two versions and which pods restart.
    #[command(after_help = EXIT_CODES)]
    Diff(diff::DiffArgs),
    /// Print the CustomResourceDefinition.
    #[command(after_help = EXIT_CODES)]
    Crd(crd::CrdArgs),
    /// Write a development CA and serving certificate.
    #[command(after_help = EXIT_CODES)]
    Certs(certs::CertsArgs),
    /// Print a complete installation as plain manifests.
    #[command(after_help = EXIT_CODES)]
    Manifests(manifests::ManifestsArgs),
}

/// `serve`'s flags and the logging flags, which only `serve` uses.
#[derive(Debug, clap::Args)]
pub struct ServeCommand {
    /// The server's flags.
    #[command(flatten)]
    pub args: serve::ServeArgs,
    /// Logging options.
    #[command(flatten)]
    pub log: crate::telemetry::LogArgs,
}

/// `controller`'s flags and the logging flags.
#[derive(Debug, clap::Args)]
pub struct ControllerCommand {
    /// The controller's flags.
    #[command(flatten)]
    pub args: controller::ControllerArgs,
    /// Logging options.
    #[command(flatten)]
    pub log: crate::telemetry::LogArgs,
}

/// A write to a reader that went away (`kds-webhook validate ... | head`) ends the output
/// quietly, as a Unix tool does on SIGPIPE; the command's exit code still says what it found.
pub fn closed_pipe_ok(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(ServeCommand { args, log }) => serve::run(args, &log),
        Command::Controller(ControllerCommand { args, log }) => controller::run(args, &log),
        Command::Validate(args) => validate::run(args),
        Command::Render(args) => render::run(args),
        Command::Default(args) => default::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Crd(args) => crd::run(args),
        Command::Certs(args) => certs::run(args),
        Command::Manifests(args) => manifests::run(args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// The commands that run in a pod: they log, and read `KDS_WEBHOOK_*` variables.
    const LONG_RUNNING: [&str; 2] = ["serve", "controller"];

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_help_names_the_exit_codes_and_only_the_servers_have_log_flags() {
        let mut cmd = Cli::command();
        cmd.build();
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let help = sub.clone().render_long_help().to_string();
            assert!(help.contains("Exit codes:"), "{}", sub.get_name());
            let logs = sub
                .get_arguments()
                .any(|a| a.get_long() == Some("log-level"));
            assert_eq!(
                logs,
                LONG_RUNNING.contains(&sub.get_name()),
                "{}",
                sub.get_name()
            );
        }
    }

    #[test]
    fn offline_commands_read_no_environment_variables() {
        let mut cmd = Cli::command();
        cmd.build();
        for sub in cmd
            .get_subcommands()
            .filter(|s| !LONG_RUNNING.contains(&s.get_name()))
        {
            for a in sub.get_arguments() {
                assert!(
                    a.get_env().is_none(),
                    "{} --{:?} reads {:?}",
                    sub.get_name(),
                    a.get_long(),
                    a.get_env()
                );
            }
        }
    }

    #[test]
    fn value_names_are_consistent() {
        let mut cmd = Cli::command();
        cmd.build();
        for sub in cmd.get_subcommands() {
            for a in sub
                .get_arguments()
                .filter(|a| a.get_action().takes_values())
                .filter(|a| !a.get_long().unwrap_or_default().starts_with("log-"))
            {
                for v in a.get_value_names().unwrap_or_default() {
                    let v = v.as_str();
                    assert!(
                        [
                            "PATH", "FILE", "DIR", "NAME", "N", "DURATION", "ADDR", "FORMAT",
                            "GLOBS"
                        ]
                        .contains(&v)
                            || !a.get_possible_values().is_empty(),
                        "{} --{}: <{v}>",
                        sub.get_name(),
                        a.get_long().unwrap_or_default()
                    );
                }
            }
        }
    }
}
