//! `unpublish_at`: when a published property stops being public on its own (scheduled
//! publishing, `strata_api::admin::schedule`); null: never.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "real_estate_property";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TABLE)
                    .add_column(timestamp_with_time_zone_null("unpublish_at"))
                    .to_owned(),
            )
            .await
    }
}
