//! The migrations that add the admin's sort keys and the option groups' labels, on rows written
//! before them (both backends): every key is filled as a write would fill it, and free-text
//! groups become keys with labels (the demo's in both languages).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, EntityTrait};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use strata_api::lang::stored_sort_key;
use strata_real_estate::models::property;
use strata_taxonomy::models::{option, tag};

/// The migrations under test, last.
const ADDED: [&str; 3] = [
    "m20261207_000310_taxonomy_name_sort",
    "m20261207_000320_taxonomy_option_groups",
    "m20261207_000410_real_estate_title_sort",
];

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = strata_media::migrations();
        all.extend(strata_taxonomy::migrations());
        all.extend(strata_real_estate::migrations());
        let (added, mut before): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|m| ADDED.contains(&m.name()));
        assert_eq!(added.len(), ADDED.len());
        before.extend(added);
        before
    }
}

#[tokio::test]
async fn existing_rows_get_sort_keys_and_group_labels() {
    let test_name = "existing_rows_get_sort_keys_and_group_labels";
    let mut databases = vec![strata_db::testing::sqlite("strata_sort_keys_migration").await];
    databases.extend(strata_db::testing::postgres("strata_sort_keys_migration", test_name).await);
    for test in databases {
        let db = &test.db;
        let before = (Migrator::migrations().len() - ADDED.len()) as u32;
        Migrator::up(db, Some(before)).await.unwrap();
        let now = "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'";
        db.execute_unprepared(&format!(
            "INSERT INTO taxonomy_tag (name_fa, name_en, slug, created_at, updated_at) VALUES \
             ('پنت‌هاوس', 'Penthouse', 'penthouse', {now}), ('', 'Garden', 'garden', {now})"
        ))
        .await
        .unwrap();
        db.execute_unprepared(&format!(
            "INSERT INTO taxonomy_option (name_fa, name_en, slug, \"group\", position, created_at, \
             updated_at) VALUES ('استخر', 'Pool', 'pool', 'comfort', 0, {now}), \
             ('باغچه', '', 'yard', 'Outdoor Space', 0, {now}), \
             ('سونا', '', 'sauna', 'امکانات رفاهی', 0, {now}), ('آسانسور', '', 'lift', '', 0, {now})"
        ))
        .await
        .unwrap();
        db.execute_unprepared(&format!(
            "INSERT INTO real_estate_property (title_fa, title_en, slug, description_fa, \
             description_en, deal, price, area, rooms, city_fa, city_en, district_fa, district_en, \
             address_fa, address_en, search_text, city_key_fa, city_key_en, status, featured, \
             created_at, updated_at) VALUES ('ويلا', 'Villa', 'a', '', '', 'sale', 1, 1, 1, \
             'تهران', '', '', '', '', '', '', '', '', 'published', false, {now}), \
             ('', 'Loft', 'b', '', '', 'sale', 1, 1, 1, 'تهران', '', '', '', '', '', '', '', '', \
             'published', false, {now})"
        ))
        .await
        .unwrap();
        Migrator::up(db, None).await.unwrap();

        let mut tags = tag::Entity::find().all(db).await.unwrap();
        tags.sort_by_key(|t| t.id);
        let keys: Vec<&str> = tags.iter().map(|t| t.name_sort.as_str()).collect();
        assert_eq!(
            keys,
            [
                stored_sort_key("پنت‌هاوس", ""),
                stored_sort_key("", "Garden")
            ],
            "{}",
            test.backend
        );

        let mut options = option::Entity::find().all(db).await.unwrap();
        options.sort_by_key(|o| o.id);
        let groups: Vec<[&str; 3]> = options
            .iter()
            .map(|o| [o.group.as_str(), o.group_fa.as_str(), o.group_en.as_str()])
            .collect();
        assert_eq!(
            groups,
            [
                ["comfort", "رفاه و آسایش", "Comfort"],
                ["outdoor-space", "", "Outdoor Space"],
                ["امکانات-رفاهی", "امکانات رفاهی", ""],
                ["", "", ""],
            ],
            "{}",
            test.backend
        );
        assert_eq!(options[0].name_sort, stored_sort_key("استخر", "Pool"));

        let mut properties = property::Entity::find().all(db).await.unwrap();
        properties.sort_by_key(|p| p.id);
        let keys: Vec<&str> = properties.iter().map(|p| p.title_sort.as_str()).collect();
        assert_eq!(
            keys,
            [stored_sort_key("ویلا", ""), stored_sort_key("", "Loft")],
            "{}",
            test.backend
        );
        test.close().await;
    }
}
