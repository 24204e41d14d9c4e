//! The `kds-webhook` binary: install the TLS crypto provider, parse the command line and hand
//! over to [`kds_webhook::cli`].

use std::process::ExitCode;

use clap::Parser;

/// mimalloc, as in the `kds-webhook` binary, the floor server and the admission bench: the same
/// allocator everywhere, so the floor ratio compares review work only.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    kds_webhook::allocator::configure();
    // One process-wide rustls provider (ring), before anything builds a TLS config. Err means
    // one is already installed, which is just as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = kds_webhook::cli::Cli::parse();
    match kds_webhook::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(kds_webhook::cli::EXIT_UNREADABLE)
        }
    }
}
