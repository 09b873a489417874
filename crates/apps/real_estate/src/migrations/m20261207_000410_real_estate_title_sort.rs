//! `title_sort`: the title's stored sort key, so the admin's `?ordering=title` follows the
//! Persian alphabet on both backends (code-point order put `پنت‌هاوس` after `ویلا`), indexed
//! for the paginated list. Filled here for existing rows; every write keeps it current.

use sea_orm_migration::prelude::*;
use strata_api::lang::add_sort_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "real_estate_property";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm-migration runs SQLite's without one): the
    /// backfill reads the column the step before it adds.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_sort_key(manager.get_connection(), TABLE, "title").await?;
        manager
            .create_index(
                Index::create()
                    .name("real_estate_property_title_sort")
                    .table(TABLE)
                    .col("title_sort")
                    .to_owned(),
            )
            .await
    }
}
