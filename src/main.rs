//! The `kds-webhook` binary: parse the command line and hand over to [`kds_webhook::cli`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = kds_webhook::cli::Cli::parse();
    match kds_webhook::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(kds_webhook::cli::EXIT_UNREADABLE)
        }
    }
}
