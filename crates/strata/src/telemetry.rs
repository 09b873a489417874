//! Logging: `tracing` to stderr (stdout carries command output and the "listening" line), JSON
//! for log shippers or pretty for people, filtered by `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Used when `RUST_LOG` is unset or invalid. The engine's target is named so that its rate-limited
/// Redis errors stay visible even when someone narrows the default (policy §10: mandatory).
pub const DEFAULT_FILTER: &str = "info,strata_cache=info";

/// Installs the global subscriber. A second call (tests building the app twice) is a no-op.
pub fn init(format: LogFormat) {
    let (filter, bad_filter) = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => match EnvFilter::try_new(&directives) {
            Ok(filter) => (filter, None),
            Err(error) => (EnvFilter::new(DEFAULT_FILTER), Some(error.to_string())),
        },
        _ => (EnvFilter::new(DEFAULT_FILTER), None),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
    if installed.is_ok()
        && let Some(error) = bad_filter
    {
        tracing::warn!("RUST_LOG is invalid ({error}); using `{DEFAULT_FILTER}`");
    }
}
