//! The row version counter of the admin's optimistic concurrency (`If-Match`), on every
//! table an admin resource edits; existing rows start at 1.

use sea_orm_migration::prelude::*;
use strata_api::admin::{add_version_column, drop_version_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On one connection, in one transaction, on SQLite too: sea-orm-migration otherwise runs
    /// SQLite's steps on whichever pooled connection is free (see the bilingual migrations).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_version_column(manager, "users_user").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_version_column(manager, "users_user").await?;
        Ok(())
    }
}
