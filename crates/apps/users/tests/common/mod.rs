//! Shared by the users tests: migrated databases (SQLite always; PostgreSQL when reachable,
//! required under `CI=true`) and an API context around one.

// Each test binary uses part of these helpers.
#![allow(dead_code)]

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use strata_api::{ApiSettings, Change, ChangeSink, Ctx, MediaStorage};
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
    let test = testing::sqlite("strata-users").await;
    if migrated {
        Migrator::up(&test.db, None).await.unwrap();
    }
    test
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
