//! Option groups in both languages: `group` stays the stable key (made slug-like here, what
//! grouping uses) and gains labels, `group_fa` and `group_en`. The demo's groups get their
//! Persian and English labels; any other group keeps its text as the label of the language it
//! is written in.

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;
use strata_api::lang::Lang;
use strata_api::serial::slugify;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "taxonomy_option";

/// The demo's groups (`strata seed --demo` before this migration): key, Persian, English.
/// A copy frozen with the migration: the seed's own table may change later.
const DEMO_GROUPS: &[(&str, &str, &str)] = &[
    ("facilities", "امکانات", "Facilities"),
    ("comfort", "رفاه و آسایش", "Comfort"),
    ("security", "امنیت", "Security"),
];

/// The key and the (Persian, English) labels of a group written as free text.
fn labelled(group: &str) -> (String, String, String) {
    if let Some((key, fa, en)) = DEMO_GROUPS.iter().find(|g| g.0 == group) {
        return ((*key).to_owned(), (*fa).to_owned(), (*en).to_owned());
    }
    let key = match slugify(group) {
        key if key.is_empty() => group.to_owned(),
        key => key,
    };
    match Lang::of_text(group) {
        Lang::Fa => (key, group.to_owned(), String::new()),
        // `outdoor-space` reads "Outdoor space".
        Lang::En => {
            let words = group.replace(['-', '_'], " ");
            let mut chars = words.chars();
            let label = chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            (key, String::new(), label)
        }
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm-migration runs SQLite's without one): the
    /// backfill writes the columns the steps before it add.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for lang in Lang::ALL {
            db.execute_unprepared(&format!(
                "ALTER TABLE {TABLE} ADD COLUMN group_{} varchar(100) NOT NULL DEFAULT ''",
                lang.code()
            ))
            .await?;
        }
        let groups = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT DISTINCT \"group\" FROM {TABLE} WHERE \"group\" <> ''"),
            ))
            .await?;
        for row in groups {
            let group: String = row.try_get("", "group")?;
            let (key, fa, en) = labelled(&group);
            db.execute(
                Query::update()
                    .table(TABLE)
                    .value("group", key)
                    .value("group_fa", fa)
                    .value("group_en", en)
                    .and_where(Expr::col("group").eq(group)),
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_groups_become_keys_and_labels() {
        let label = |g: &str| {
            let (key, fa, en) = labelled(g);
            [key, fa, en]
        };
        assert_eq!(label("comfort"), ["comfort", "رفاه و آسایش", "Comfort"]);
        assert_eq!(
            label("outdoor-space"),
            ["outdoor-space", "", "Outdoor space"]
        );
        assert_eq!(label("Sea Side"), ["sea-side", "", "Sea Side"]);
        assert_eq!(
            label("امکانات رفاهی"),
            ["امکانات-رفاهی", "امکانات رفاهی", ""]
        );
    }
}
