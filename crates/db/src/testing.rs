//! Databases for tests (the `testing` feature, for dev-dependencies): a SQLite file in a new
//! temporary directory, and a fresh PostgreSQL database when PostgreSQL is reachable — required
//! under `CI=true` (brief §8), otherwise skipped with a notice nobody can miss. Both are
//! unmigrated; [`TestDb::close`] deletes the file or drops the database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failure is a failed test

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, DatabaseConnection};

const POSTGRES_ADDR: &str = "127.0.0.1:5432";
const POSTGRES_ADMIN_URL: &str = "postgres://root@127.0.0.1:5432/test";

/// Unique on this machine: the time, the process id and a counter (tests run in parallel).
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{now}_{}_{n}", std::process::id())
}

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

/// A SQLite file (not `:memory:`, so the pool's connections share it) named after `prefix`.
pub async fn sqlite(prefix: &str) -> TestDb {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("test.db").display());
    TestDb {
        db: crate::connect(&url, 4).await.unwrap(),
        backend: "sqlite",
        cleanup: Cleanup::Sqlite(dir),
    }
}

/// A new SQLite database migrated by `M` through a connection of its own, closed before the
/// pool opens, as `strata` does: a pooled connection that had loaded the schema before a
/// migration changed it would misname the new columns of its next statement.
pub async fn sqlite_migrated<M: sea_orm_migration::MigratorTrait>(prefix: &str) -> TestDb {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("test.db").display());
    let migrator = crate::connect(&url, 1).await.unwrap();
    M::up(&migrator, None).await.unwrap();
    migrator.close().await.unwrap();
    TestDb {
        db: crate::connect(&url, 4).await.unwrap(),
        backend: "sqlite",
        cleanup: Cleanup::Sqlite(dir),
    }
}

/// A new PostgreSQL database named `<prefix>_<unique>`, or `None` outside CI when PostgreSQL
/// is not reachable (`test` names the test in the notice).
pub async fn postgres(prefix: &str, test: &str) -> Option<TestDb> {
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
    let name = unique(prefix);
    let admin = sea_orm::Database::connect(POSTGRES_ADMIN_URL)
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let _ = admin.close().await;
    let db = crate::connect(&format!("postgres://root@{POSTGRES_ADDR}/{name}"), 4)
        .await
        .unwrap();
    Some(TestDb {
        db,
        backend: "postgres",
        cleanup: Cleanup::Postgres(name),
    })
}
