use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("media_image")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("owner_type", 32))
                    .col(big_integer("owner_id"))
                    .col(integer("position"))
                    .col(string_len_uniq("file", 255))
                    .col(string_len("content_type", 32))
                    .col(integer("width"))
                    .col(integer("height"))
                    .col(big_integer("size_bytes"))
                    .col(string_len("alt", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("media_image_owner")
                    .table("media_image")
                    .col("owner_type")
                    .col("owner_id")
                    .col("position")
                    .to_owned(),
            )
            .await
    }
}
