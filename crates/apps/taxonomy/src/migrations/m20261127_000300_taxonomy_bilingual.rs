//! Term names in both languages (`name_fa`, `name_en`), as django-modeltranslation adds them;
//! each existing name goes to the language it is written in, and `name` is dropped.

use sea_orm_migration::prelude::*;
use strata_api::lang::split_column;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm-migration runs SQLite's without one, each
    /// statement on whichever pooled connection is free): the steps read the columns the steps
    /// before them add, and a failure must not leave half of them applied.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        split_column(db, "taxonomy_category", "name", "varchar(200)").await?;
        split_column(db, "taxonomy_tag", "name", "varchar(100)").await?;
        split_column(db, "taxonomy_option", "name", "varchar(100)").await
    }
}
