//! `media_image`: one row per stored image, ordered per owner.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "media_image";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .if_not_exists()
                    // BIGINT on PostgreSQL (BIGSERIAL); `integer primary key autoincrement`
                    // on SQLite, which is its 64-bit rowid (tests insert two rows to check).
                    .col(big_pk_auto("id"))
                    // No foreign key: owners live in other apps' tables (a property, a post).
                    .col(string_len("owner_type", 32))
                    .col(big_integer("owner_id"))
                    .col(integer("position"))
                    // The storage name; unique so two rows never share (and delete) one file.
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
        // Every read is "this owner's images in order" (or several owners' at once).
        manager
            .create_index(
                Index::create()
                    .name("media_image_owner")
                    .table(TABLE)
                    .if_not_exists()
                    .col("owner_type")
                    .col("owner_id")
                    .col("position")
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
