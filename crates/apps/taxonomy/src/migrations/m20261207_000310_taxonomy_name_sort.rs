//! `name_sort` on every term table: the name's stored sort key, so the admin's
//! `?ordering=name` follows the Persian alphabet on both backends (code-point order put
//! `پنت‌هاوس` after `ویلا`). Filled here for existing rows; every write keeps it current.

use sea_orm_migration::prelude::*;
use strata_api::lang::add_sort_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm-migration runs SQLite's without one): the
    /// backfill reads the column the step before it adds.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["taxonomy_category", "taxonomy_tag", "taxonomy_option"] {
            add_sort_key(db, table, "name").await?;
        }
        Ok(())
    }
}
