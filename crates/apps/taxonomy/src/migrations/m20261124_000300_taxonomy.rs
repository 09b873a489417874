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
                    .table("taxonomy_category")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("app", 32))
                    .col(string_len("name", 200))
                    .col(string_len("slug", 200))
                    .col(big_integer_null("parent_id"))
                    .col(integer("position").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("taxonomy_category", "parent_id")
                            .to("taxonomy_category", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("taxonomy_category_app_slug")
                    .table("taxonomy_category")
                    .col("app")
                    .col("slug")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("taxonomy_tag")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("name", 100))
                    .col(string_len_uniq("slug", 100))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("taxonomy_option")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("name", 100))
                    .col(string_len_uniq("slug", 100))
                    .col(string_len("group", 100))
                    .col(integer("position").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await
    }
}
