//! The bilingual migrations on rows written before them (both backends): each text goes to the
//! language it is written in, the other stays empty, and the normalised search copies are
//! filled (through the migrations after them too: the city keys' split).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, EntityTrait};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use strata_real_estate::models::property;
use strata_taxonomy::models::tag;

/// The single-language schema first, then both bilingual steps and what follows them.
struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut taxonomy = strata_taxonomy::migrations().into_iter();
        let mut real_estate = strata_real_estate::migrations().into_iter();
        let mut all = strata_media::migrations();
        all.extend(taxonomy.next());
        all.extend(real_estate.next());
        all.extend(taxonomy);
        all.extend(real_estate);
        all
    }
}

#[tokio::test]
async fn old_texts_go_to_the_language_they_are_written_in() {
    let mut databases = vec![strata_db::testing::sqlite("strata_bilingual_migration").await];
    databases.extend(
        strata_db::testing::postgres(
            "strata_bilingual_migration",
            "old_texts_go_to_the_language_they_are_written_in",
        )
        .await,
    );
    for test in databases {
        let db = &test.db;
        let before = Migrator::migrations()
            .iter()
            .position(|m| m.name().contains("bilingual"))
            .expect("a bilingual migration") as u32;
        Migrator::up(db, Some(before)).await.unwrap();
        db.execute_unprepared(
            "INSERT INTO taxonomy_tag (name, slug, created_at, updated_at) VALUES \
             ('Sea view', 'sea-view', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), \
             ('نوساز', 'new-build', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        )
        .await
        .unwrap();
        db.execute_unprepared(
            "INSERT INTO real_estate_property (title, slug, description, deal, price, area, \
             rooms, city, district, address, status, featured, created_at, updated_at) VALUES \
             ('آپارتمان ۱۲۰ متری', 'a', '<p>نورگیر</p>', 'sale', 1, 1, 1, 'تهران', 'Niavaran', \
              '', 'published', false, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        )
        .await
        .unwrap();
        Migrator::up(db, None).await.unwrap();

        let mut tags = tag::Entity::find().all(db).await.unwrap();
        tags.sort_by_key(|t| t.id);
        let names: Vec<(&str, &str)> = tags
            .iter()
            .map(|t| (t.name_fa.as_str(), t.name_en.as_str()))
            .collect();
        assert_eq!(names, [("", "Sea view"), ("نوساز", "")], "{}", test.backend);
        let p = property::Entity::find().one(db).await.unwrap().unwrap();
        assert_eq!(
            (p.title_fa.as_str(), p.title_en.as_str()),
            ("آپارتمان ۱۲۰ متری", "")
        );
        assert_eq!((p.city_fa.as_str(), p.city_en.as_str()), ("تهران", ""));
        assert_eq!(
            (p.district_fa.as_str(), p.district_en.as_str()),
            ("", "Niavaran")
        );
        assert_eq!(p.description_fa, "<p>نورگیر</p>");
        assert_eq!(p.search_text, "آپارتمان 120 متری | تهران | niavaran");
        assert_eq!(
            (p.city_key_fa.as_str(), p.city_key_en.as_str()),
            ("تهران", "")
        );
        test.close().await;
    }
}
