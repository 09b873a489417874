use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A many-to-many table from properties to `target`, both sides cascading.
fn link_table(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .if_not_exists()
        .col(big_integer("property_id"))
        .col(big_integer(column))
        .primary_key(Index::create().col("property_id").col(column))
        .foreign_key(
            ForeignKey::create()
                .from(table, "property_id")
                .to("real_estate_property", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(table, column)
                .to(target, "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn index(name: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table("real_estate_property");
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("real_estate_property")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("title", 200))
                    .col(string_len_uniq("slug", 220))
                    .col(text("description"))
                    .col(string_len("deal", 8))
                    .col(big_integer("price"))
                    .col(big_integer_null("deposit"))
                    .col(big_integer("area"))
                    .col(integer("rooms"))
                    .col(string_len("city", 100))
                    .col(string_len("district", 100))
                    .col(string_len("address", 300))
                    .col(string_len("status", 16))
                    .col(boolean("featured"))
                    .col(big_integer_null("category_id"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("real_estate_property", "category_id")
                            .to("taxonomy_category", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The public list's filters and orderings, all restricted to published rows.
        for (name, columns) in [
            (
                "real_estate_property_status_published",
                &["status", "published_at"][..],
            ),
            (
                "real_estate_property_status_price",
                &["status", "price"][..],
            ),
            ("real_estate_property_status_city", &["status", "city"][..]),
            ("real_estate_property_category", &["category_id"][..]),
            ("real_estate_property_updated", &["updated_at"][..]),
        ] {
            manager.create_index(index(name, columns)).await?;
        }
        manager
            .create_table(link_table(
                "real_estate_property_tag",
                "tag_id",
                "taxonomy_tag",
            ))
            .await?;
        manager
            .create_table(link_table(
                "real_estate_property_option",
                "option_id",
                "taxonomy_option",
            ))
            .await
    }
}
