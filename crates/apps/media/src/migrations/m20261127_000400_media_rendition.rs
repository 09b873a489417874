//! `media_rendition`: the resized variants of an image, deleted with it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "media_rendition";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("image_id"))
                    .col(integer("width"))
                    .col(integer("height"))
                    // The stored extension (`webp`, `png`, `jpg`), as `ImageFormat::ext`.
                    .col(string_len("format", 8))
                    // The storage name; unique for the same reason as `media_image.file`.
                    .col(string_len_uniq("file", 255))
                    .foreign_key(
                        ForeignKey::create()
                            .name("media_rendition_image")
                            .from(TABLE, "image_id")
                            .to("media_image", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("media_rendition_image_id")
                    .table(TABLE)
                    .if_not_exists()
                    .col("image_id")
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
