//! `slug_redirect`: the slugs objects had before a rename, and the object each now names.

use strata_db::sea_orm_migration::prelude::*;
use strata_db::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000900_slug_redirects"
    }
}

const TABLE: &str = "slug_redirect";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .if_not_exists()
                    .col(string_len("entity", 64))
                    .col(string_len("slug", 255))
                    .col(big_integer("object_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("entity").col("slug"))
                    .to_owned(),
            )
            .await?;
        // An object's deletion drops the redirects to it.
        manager
            .create_index(
                Index::create()
                    .name("slug_redirect_object")
                    .table(TABLE)
                    .if_not_exists()
                    .col("entity")
                    .col("object_id")
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
