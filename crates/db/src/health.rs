//! Whether PostgreSQL answers — and failing fast while it does not.
//!
//! Without this, every request that needs a connection while PostgreSQL is down waits the
//! pool's whole acquire timeout (sqlx retries a refused connection until then) and ties up a
//! worker for it. A breaker like the cache's: a probe task runs `SELECT 1` on a connection of
//! its own every second; [`OPEN_AFTER`] failures in a row open the breaker, the next success
//! closes it.
//!
//! While open, the pool is pointed at a socket path that cannot exist. sqlx has no hook before
//! it opens a connection, but it gives up at once — without its retries — on any connection
//! error other than "refused"; so every request that needs a new connection fails in
//! microseconds with a connection error (which the API answers with a 503 and `Retry-After`),
//! while requests served from the caches never notice. Recovery restores the real options.
//! SQLite is a file, not a service: it has no breaker.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, Connection, PgPool};
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr, RuntimeErr};

/// How long clients are told to wait before retrying while the database is down: a few probe
/// intervals.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Failed probes in a row that open the breaker: one lost probe is not an outage.
pub const OPEN_AFTER: u32 = 2;
const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// A probe that has no answer by then failed (a black-holed host never refuses).
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Where the pool connects while the breaker is open: no such directory, so connecting fails
/// at once with "not found", an error sqlx does not retry.
const NOWHERE: &str = "/nonexistent/strata: the database is down";

/// True when `err` says the database could not be reached or the connection was lost —
/// an outage the client may retry — rather than a problem with the query.
pub fn is_connection_error(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            is_connection_sqlx_error(e)
        }
        _ => false,
    }
}

fn is_connection_sqlx_error(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // Class 08 (connection exception) and the server shutting down or starting up
        // (57P01–57P03).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        _ => false,
    }
}

/// The database's state, for `/readyz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbStatus {
    pub backend: &'static str,
    /// False while the breaker is open: requests needing the database get a 503 at once.
    pub available: bool,
    /// Failed probes since the last success.
    pub consecutive_failures: u32,
}

/// The breaker of one connection pool; cheap to clone. The probe stops when the last clone is
/// dropped.
#[derive(Clone)]
pub struct DbHealth {
    shared: Arc<Shared>,
}

struct Shared {
    backend: &'static str,
    down: AtomicBool,
    failures: AtomicU32,
}

impl DbHealth {
    /// Starts probing `db` (PostgreSQL only; must be called inside a Tokio runtime).
    pub fn start(db: &DatabaseConnection) -> Self {
        let backend = db.get_database_backend();
        let shared = Arc::new(Shared {
            backend: match backend {
                DatabaseBackend::Postgres => "postgres",
                DatabaseBackend::Sqlite => "sqlite",
                _ => "other",
            },
            down: AtomicBool::new(false),
            failures: AtomicU32::new(0),
        });
        metrics::gauge!("strata_db_available").set(1.0);
        if backend == DatabaseBackend::Postgres {
            let pool = db.get_postgres_connection_pool().clone();
            tokio::spawn(probe(Arc::downgrade(&shared), pool));
        }
        DbHealth { shared }
    }

    pub fn status(&self) -> DbStatus {
        DbStatus {
            backend: self.shared.backend,
            available: !self.shared.down.load(Ordering::Acquire),
            consecutive_failures: self.shared.failures.load(Ordering::Relaxed),
        }
    }
}

/// Probes until the breaker is dropped. The probe's connection is its own, so a pool exhausted
/// by slow requests is never mistaken for a database that is down.
async fn probe(shared: Weak<Shared>, pool: PgPool) {
    let real = Arc::unwrap_or_clone(pool.connect_options());
    let mut conn: Option<PgConnection> = None;
    loop {
        tokio::time::sleep(PROBE_INTERVAL).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let outcome = tokio::time::timeout(PROBE_TIMEOUT, ping(&mut conn, &real)).await;
        match outcome {
            Ok(Ok(())) => shared.succeeded(&pool, &real),
            Ok(Err(error)) => {
                conn = None;
                shared.failed(&pool, &real, &error.to_string());
            }
            Err(_) => {
                conn = None;
                shared.failed(&pool, &real, "no answer within the probe timeout");
            }
        }
    }
}

async fn ping(conn: &mut Option<PgConnection>, options: &PgConnectOptions) -> sqlx::Result<()> {
    let conn = match conn {
        Some(conn) => conn,
        None => conn.insert(PgConnection::connect_with(options).await?),
    };
    conn.ping().await
}

impl Shared {
    fn failed(&self, pool: &PgPool, real: &PgConnectOptions, error: &str) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures >= OPEN_AFTER && !self.down.swap(true, Ordering::AcqRel) {
            pool.set_connect_options(real.clone().socket(NOWHERE));
            metrics::gauge!("strata_db_available").set(0.0);
            tracing::error!(
                %error,
                failures,
                "PostgreSQL is unreachable: requests that need it get a 503 until a probe succeeds"
            );
        }
    }

    fn succeeded(&self, pool: &PgPool, real: &PgConnectOptions) {
        self.failures.store(0, Ordering::Relaxed);
        if self.down.swap(false, Ordering::AcqRel) {
            pool.set_connect_options(real.clone());
            metrics::gauge!("strata_db_available").set(1.0);
            tracing::info!("PostgreSQL answers again");
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnAcquireErr;

    use super::*;

    #[test]
    fn connection_errors_are_told_from_query_errors() {
        let sqlx_err = |e: sqlx::Error| RuntimeErr::SqlxError(Arc::new(e));
        assert!(is_connection_error(&DbErr::ConnectionAcquire(
            ConnAcquireErr::Timeout
        )));
        assert!(is_connection_error(&DbErr::Conn(sqlx_err(
            sqlx::Error::PoolTimedOut
        ))));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(is_connection_error(&DbErr::Query(sqlx_err(
            sqlx::Error::Io(reset)
        ))));
        assert!(!is_connection_error(&DbErr::Query(sqlx_err(
            sqlx::Error::RowNotFound
        ))));
        assert!(!is_connection_error(&DbErr::RecordNotFound("x".into())));
    }
}
