//! `admin_bulk_job`: bulk jobs of the admin resources, their snapshot of ids and their progress.

use strata_db::sea_orm_migration::prelude::*;
use strata_db::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000600_admin_bulk_jobs"
    }
}

const TABLE: &str = "admin_bulk_job";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("resource", 64))
                    .col(string_len("action", 16))
                    .col(string_len_null("status", 32))
                    .col(text("ids"))
                    .col(big_integer("total"))
                    .col(big_integer("done"))
                    .col(big_integer("failed"))
                    .col(text("errors"))
                    .col(string_len("state", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .to_owned(),
            )
            .await?;
        // Old jobs are deleted by age when a new one is created.
        manager
            .create_index(
                Index::create()
                    .name("admin_bulk_job_created")
                    .table(TABLE)
                    .if_not_exists()
                    .col("created_at")
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
