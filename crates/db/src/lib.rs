//! The persistence layer's plumbing: one connection type for SQLite and PostgreSQL, and the
//! migration runner apps register their migrations with.
//!
//! Models live in their apps (`crates/apps/<app>/src/models`); this crate only connects and
//! migrates. It must never depend on the cache (enforced by `crates/strata/tests/crate_graph.rs`).

use std::time::Duration;

pub use sea_orm;
pub use sea_orm::DatabaseConnection;
use sea_orm::{
    ConnectOptions, Database, DbErr, SqlErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
pub use sea_orm_migration;

mod health;
#[cfg(feature = "testing")]
pub mod testing;

pub use health::{DbHealth, DbStatus, OPEN_AFTER, RETRY_AFTER, is_connection_error};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] DbErr),
    #[error("migration failed: {0}")]
    Migrate(#[source] DbErr),
}

/// Which engine a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(DbError::UnsupportedUrl(url.to_owned()))
        }
    }
}

/// Connects to `url`. A SQLite file is created when missing; SQLite connections enforce foreign
/// keys and use WAL so readers never block the writer.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbError> {
    let backend = Backend::of_url(url)?;
    let url = match backend {
        Backend::Sqlite if !url.contains("mode=") => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        }
        _ => url.to_owned(),
    };
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if backend == Backend::Sqlite {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.foreign_keys(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    Database::connect(options).await.map_err(DbError::Connect)
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
/// taken (waiting up to the busy timeout) before the first read, because a deferred
/// transaction that has read cannot take it once another writer has committed — SQLite answers
/// `SQLITE_BUSY` at once, which would be a 500. On PostgreSQL it is a plain `BEGIN`.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// True when the error is a unique-constraint violation (a duplicate slug, username…), which
/// the API reports as a 400 on that field rather than a 500.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// True when the error is a foreign-key violation (a category id that does not exist…).
pub fn is_foreign_key_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    )
}

/// True when the database refused the statement because of the data it touched: any integrity
/// constraint (unique, foreign key, check, not null, exclusion: PostgreSQL's SQLSTATE class 23;
/// SQLite's `SQLITE_CONSTRAINT` and its extended codes, a trigger's `RAISE` included). Such an
/// error belongs to the rows written, not to the database being unwell.
pub fn is_constraint_violation(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let Some(db) = e.as_database_error() else {
        return false;
    };
    let Some(code) = db.code() else {
        return false;
    };
    if db
        .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        code.starts_with("23")
    } else {
        // SQLite: the primary result code is the low byte of the extended one.
        code.parse::<i32>().is_ok_and(|c| c & 0xff == 19)
    }
}
