//! Logging: `tracing` to stderr (stdout carries command output and the "listening" line), JSON
//! for log shippers or pretty for people, filtered by `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Used when `RUST_LOG` is unset or invalid. The engine's target is named so that its rate-limited
/// Redis errors stay visible even when someone narrows the default (policy §10: mandatory).
/// PostgreSQL's notices (`relation "seaql_migrations" already exists, skipping` on every start)
/// are the server talking to itself, not news for an operator.
pub const DEFAULT_FILTER: &str = "info,strata_cache=info,sqlx::postgres::notice=warn";

/// Added to the default filter for commands that should not report applied migrations (the
/// migrator and sqlx log at INFO); `RUST_LOG`, when set, is taken as it is.
const QUIET_MIGRATIONS: &str = ",sea_orm_migration=warn,sqlx=warn";

/// The default filter, with or without the migrations' INFO lines.
fn default_filter(migration_logs: bool) -> String {
    if migration_logs {
        DEFAULT_FILTER.to_owned()
    } else {
        format!("{DEFAULT_FILTER}{QUIET_MIGRATIONS}")
    }
}

/// Installs the global subscriber. A second call (tests building the app twice) is a no-op.
pub fn init(format: LogFormat, migration_logs: bool) {
    let default = default_filter(migration_logs);
    let (filter, bad_filter) = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => match EnvFilter::try_new(&directives) {
            Ok(filter) => (filter, None),
            Err(error) => (EnvFilter::new(&default), Some(error.to_string())),
        },
        _ => (EnvFilter::new(&default), None),
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
        tracing::warn!("RUST_LOG is invalid ({error}); using `{default}`");
    }
}
