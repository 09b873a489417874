//! Property texts in both languages (`title_fa`, `title_en`, … as django-modeltranslation adds
//! them), each existing value in the language it is written in, the single-language columns
//! dropped; and the normalised copies search and the city filter compare (`search_text`,
//! `city_key`), filled here for existing rows and by every write after. (`city_key` is replaced
//! by two indexed columns in `m20261127_000500`; this migration keeps its own way of filling it.)

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;
use strata_api::lang::{normalize, split_column};

use crate::serializers::SearchColumns;

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
        // SQLite cannot drop an indexed column; the city filter now reads `city_key`.
        manager
            .drop_index(
                Index::drop()
                    .name("real_estate_property_status_city")
                    .table(TABLE)
                    .to_owned(),
            )
            .await?;
        for (field, sql_type) in [
            ("title", "varchar(200)"),
            ("description", "text"),
            ("city", "varchar(100)"),
            ("district", "varchar(100)"),
            ("address", "varchar(300)"),
        ] {
            split_column(db, TABLE, field, sql_type).await?;
        }
        for column in ["search_text", "city_key"] {
            db.execute_unprepared(&format!(
                "ALTER TABLE {TABLE} ADD COLUMN {column} text NOT NULL DEFAULT ''"
            ))
            .await?;
        }
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT id, title_fa, title_en, city_fa, city_en, district_fa, district_en \
                     FROM {TABLE}"
                ),
            ))
            .await?;
        for row in rows {
            let text = |column: &str| row.try_get::<String>("", column);
            let columns = SearchColumns::new(
                [&text("title_fa")?, &text("title_en")?],
                [&text("city_fa")?, &text("city_en")?],
                [&text("district_fa")?, &text("district_en")?],
            );
            db.execute(
                Query::update()
                    .table(TABLE)
                    .value("search_text", columns.search_text)
                    .value("city_key", city_key(&text("city_fa")?, &text("city_en")?))
                    .and_where(Expr::col("id").eq(row.try_get::<i64>("", "id")?)),
            )
            .await?;
        }
        Ok(())
    }
}

/// Both city names normalised, `|fa|en|`, as this migration's version of the model had it.
fn city_key(fa: &str, en: &str) -> String {
    let mut key = String::from("|");
    for name in [fa, en].map(normalize).iter().filter(|n| !n.is_empty()) {
        key.push_str(name);
        key.push('|');
    }
    key
}
