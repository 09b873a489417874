//! Strata: the binary's logic as a library, so tests and later issues build the app in-process.
//!
//! - [`config`]: settings from defaults, `strata.toml` and the environment;
//! - [`cli`]: the command line; [`run`] dispatches it;
//! - [`server`]: the HTTP application (`strata serve`);
//! - [`state`]: what handlers share (database, cache, media, the invalidation map);
//! - [`apps`]: the apps' data declarations, one list, from which
//! - [`invalidation`] derives the invalidation map;
//! - `outbox`: revalidations owed to external Next.js targets, written with each mutation;
//! - `cdn`: purges owed to the CDNs or Varnish nodes in front, written with each mutation;
//! - [`telemetry`]: logging to stderr.

pub mod apps;
mod cdn;
pub mod cli;
mod commands;
pub mod config;
pub mod invalidation;
mod migrate;
mod outbox;
mod seed;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod warm;

use std::process::ExitCode;

use clap::Parser;

pub use commands::CommandError;

/// Parses the command line, runs the command and maps its outcome to an exit code: 0 success,
/// 1 a runtime failure (Redis unreachable, port taken), 2 a usage or configuration error.
pub fn run() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("strata: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
