//! `task`: durable work owed after a commit or at a time (`strata_api::tasks`).

use strata_db::sea_orm_migration::prelude::*;
use strata_db::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000700_tasks"
    }
}

const TABLE: &str = "task";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("kind", 64))
                    // NULL for work that is never rescheduled or cancelled by name (a
                    // revalidation), so such rows never conflict.
                    .col(string_len_null("key", 256))
                    .col(text("payload"))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(integer("attempts"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        // `enqueue` reschedules the task of a key in place.
        manager
            .create_index(
                Index::create()
                    .name("task_kind_key")
                    .table(TABLE)
                    .if_not_exists()
                    .col("kind")
                    .col("key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The runner's only query: what is due, soonest first.
        manager
            .create_index(
                Index::create()
                    .name("task_due")
                    .table(TABLE)
                    .if_not_exists()
                    .col("due_at")
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
