//! Shared by the users tests: migrated databases (SQLite always; PostgreSQL when reachable,
//! required under `CI=true`) and an API context around one.

// Each test binary uses part of these helpers.
#![allow(dead_code)]

use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use strata_api::{ApiSettings, Ctx};
pub use strata_db::testing::{self, TestDb};

/// This crate's migrations alone, as the binary's migrator runs them.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        strata_users::migrations()
    }
}

/// A SQLite database, migrated when `migrated`.
pub async fn sqlite(migrated: bool) -> TestDb {
    if migrated {
        testing::sqlite_migrated::<Migrator>("strata-users").await
    } else {
        testing::sqlite("strata-users").await
    }
}

/// A fresh PostgreSQL database, migrated when `migrated`; `None` when PostgreSQL is not
/// reachable outside CI.
pub async fn postgres(test: &str, migrated: bool) -> Option<TestDb> {
    let db = testing::postgres("strata_users", test).await?;
    if migrated {
        Migrator::up(&db.db, None).await.unwrap();
    }
    Some(db)
}

/// Migrated SQLite, then migrated PostgreSQL when it is there.
pub async fn backends(test: &str) -> Vec<TestDb> {
    let mut dbs = vec![sqlite(true).await];
    dbs.extend(postgres(test, true).await);
    dbs
}

/// What the binary hands the router, around `db` (media and invalidations are not this app's
/// business: they are only recorded).
pub fn ctx(db: &DatabaseConnection, settings: ApiSettings) -> Ctx {
    strata_api::testing::ctx(db, settings).ctx
}
