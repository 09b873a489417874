//! `web_outbox`: revalidations owed to external Next.js targets, one row per target and tag.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "web_outbox";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("target", 2000))
                    .col(string_len("tag", 256))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(text_null("last_error"))
                    .to_owned(),
            )
            .await?;
        // The dispatcher's only query: what is due, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("web_outbox_due")
                    .table(TABLE)
                    .if_not_exists()
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TABLE).if_exists().to_owned())
            .await
    }
}
