//! The city filter by equality on an index: `city_key` (`|fa|en|`, matched with `LIKE '%|x|%'`,
//! which no index serves) becomes `city_key_fa` and `city_key_en`, each one normalised name,
//! indexed with `status` as the public list filters them.

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;
use strata_api::lang::normalize;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "real_estate_property";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm-migration runs SQLite's without one, each
    /// statement on whichever pooled connection is free): the steps read the columns the steps
    /// before them add, and a failure must not leave half of them applied.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for lang in ["fa", "en"] {
            db.execute_unprepared(&format!(
                "ALTER TABLE {TABLE} ADD COLUMN city_key_{lang} varchar(100) NOT NULL DEFAULT ''"
            ))
            .await?;
        }
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT id, city_fa, city_en FROM {TABLE}"),
            ))
            .await?;
        for row in rows {
            db.execute(
                Query::update()
                    .table(TABLE)
                    .value(
                        "city_key_fa",
                        normalize(&row.try_get::<String>("", "city_fa")?),
                    )
                    .value(
                        "city_key_en",
                        normalize(&row.try_get::<String>("", "city_en")?),
                    )
                    .and_where(Expr::col("id").eq(row.try_get::<i64>("", "id")?)),
            )
            .await?;
        }
        for lang in ["fa", "en"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("real_estate_property_status_city_{lang}"))
                        .table(TABLE)
                        .col("status")
                        .col(format!("city_key_{lang}"))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(TABLE)
                    .drop_column("city_key")
                    .to_owned(),
            )
            .await
    }
}
