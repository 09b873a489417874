//! Shared by the users tests: migrated databases (SQLite always; PostgreSQL when reachable,
//! required under `CI=true`) and an API context around one.

// Each test binary uses part of these helpers.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use strata_api::{ApiSettings, Change, ChangeSink, Ctx, MediaStorage};

/// This crate's migrations alone, as the binary's migrator runs them.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        strata_users::migrations()
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Unique within this machine: the process id and a counter (tests run in parallel).
fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// A database of one backend, deleted (SQLite file) or dropped (PostgreSQL) by [`close`].
///
/// [`close`]: TestDb::close
pub struct TestDb {
    pub db: DatabaseConnection,
    pub backend: &'static str,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres(String),
}

impl TestDb {
    pub async fn close(self) {
        let _ = self.db.close().await;
        match self.cleanup {
            Cleanup::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres(name) => {
                let admin = sea_orm::Database::connect(POSTGRES_ADMIN_URL)
                    .await
                    .unwrap();
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .unwrap();
            }
        }
    }
}

/// A SQLite file in a new temporary directory (a file, not `:memory:`, so the pool's
/// connections share it), migrated when `migrated`.
pub async fn sqlite(migrated: bool) -> TestDb {
    let dir = std::env::temp_dir().join(unique("strata-users"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("test.db").display());
    let db = strata_db::connect(&url, 4).await.unwrap();
    if migrated {
        Migrator::up(&db, None).await.unwrap();
    }
    TestDb {
        db,
        backend: "sqlite",
        cleanup: Cleanup::Sqlite(dir),
    }
}

const POSTGRES_ADDR: &str = "127.0.0.1:5432";
const POSTGRES_ADMIN_URL: &str = "postgres://root@127.0.0.1:5432/test";

/// A fresh PostgreSQL database (`strata_users_<pid>_<n>`), migrated when `migrated`; or `None`
/// with a loud notice when PostgreSQL is not reachable outside CI. Under `CI=true` a missing
/// PostgreSQL fails the test (brief §8).
pub async fn postgres(test: &str, migrated: bool) -> Option<TestDb> {
    let addr: SocketAddr = POSTGRES_ADDR.parse().unwrap();
    if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{test}: PostgreSQL is not reachable at {POSTGRES_ADDR} and CI=true"
        );
        eprintln!(
            "\n*** SKIPPED: PostgreSQL not reachable at {POSTGRES_ADDR}; {test} ran on SQLite only ***\n"
        );
        return None;
    }
    let name = unique("strata_users");
    let admin = sea_orm::Database::connect(POSTGRES_ADMIN_URL)
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let _ = admin.close().await;
    let db = strata_db::connect(&format!("postgres://root@{POSTGRES_ADDR}/{name}"), 4)
        .await
        .unwrap();
    if migrated {
        Migrator::up(&db, None).await.unwrap();
    }
    Some(TestDb {
        db,
        backend: "postgres",
        cleanup: Cleanup::Postgres(name),
    })
}

/// Migrated SQLite, then migrated PostgreSQL when it is there.
pub async fn backends(test: &str) -> Vec<TestDb> {
    let mut dbs = vec![sqlite(true).await];
    dbs.extend(postgres(test, true).await);
    dbs
}

/// Media and invalidations are not this app's business: the context's are inert.
struct Nothing;

#[async_trait::async_trait]
impl MediaStorage for Nothing {
    async fn save(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    async fn delete(&self, _: &str) -> std::io::Result<()> {
        Ok(())
    }
}

#[async_trait::async_trait]
impl ChangeSink for Nothing {
    async fn record(
        &self,
        _: &sea_orm::DatabaseTransaction,
        _: &Change,
    ) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
    async fn committed(&self, _: &Change) {}
}

/// What the binary hands the router, around `db`.
pub fn ctx(db: &DatabaseConnection, settings: ApiSettings) -> Ctx {
    let cache = strata_cache::Cache::memory(Default::default()).unwrap();
    Ctx::new(
        db.clone(),
        cache,
        Arc::new(Nothing),
        settings,
        Arc::new(Nothing),
    )
}
