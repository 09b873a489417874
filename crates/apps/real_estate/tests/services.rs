//! Real estate's admin services (no HTTP, no binary): relations checked inside the write,
//! `published_at` set once, bulk actions all or nothing, and a property's image files removed
//! only once its deletion has committed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use serde_json::{Value, json};
use strata_api::admin::IfMatch;
use strata_api::admin::service::{self, BulkAction};
use strata_api::testing::{self, TestCtx};
use strata_api::{ApiError, ApiSettings, JsonObject, Mode, Op};
use strata_db::testing::TestDb;
use strata_media::upload::Upload;
use strata_media::validate::validate_image;
use strata_real_estate::catalog::PROPERTY;
use strata_real_estate::serializers::{PropertyInput, property_input};
use strata_real_estate::services::admin::{self as admin, Properties};

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = strata_media::migrations();
        all.extend(strata_api::migrations());
        all.extend(strata_taxonomy::migrations());
        all.extend(strata_real_estate::migrations());
        all
    }
}

async fn databases(test: &str) -> Vec<TestDb> {
    let mut all =
        vec![strata_db::testing::sqlite_migrated::<Migrator>("strata_real_estate_services").await];
    if let Some(postgres) = strata_db::testing::postgres("strata_real_estate_services", test).await
    {
        Migrator::up(&postgres.db, None).await.unwrap();
        all.push(postgres);
    }
    all
}

fn input(body: Value, mode: Mode) -> PropertyInput {
    property_input(
        JsonObject::parse(body.to_string().as_bytes()).unwrap(),
        mode,
    )
    .unwrap()
}

fn villa(slug: &str) -> Value {
    json!({"title": "Villa", "slug": slug, "deal": "sale", "price": "100", "area": "80", "city": "Shiraz"})
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

fn png() -> Upload {
    Upload {
        bytes: PNG.to_vec(),
        image: validate_image(PNG, 1 << 20).unwrap(),
        alt: String::new(),
    }
}

async fn count(test: &TestDb, table: &str) -> i64 {
    test.db
        .query_one_raw(Statement::from_string(
            test.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

#[tokio::test]
async fn relations_are_checked_in_the_write_and_published_at_is_set_once() {
    for test in databases("relations_and_publication").await {
        let TestCtx { ctx, changes, .. } = testing::ctx(&test.db, ApiSettings::default());
        let mut body = villa("villa-1");
        body["tags"] = json!([41, 41]);
        let err = service::create::<Properties>(&ctx, input(body, Mode::Create))
            .await
            .unwrap_err();
        let ApiError::Invalid(errors) = err else {
            panic!("expected a 400")
        };
        assert_eq!(
            serde_json::to_value(errors).unwrap(),
            json!({"tags": ["Invalid pk \"41\" - object does not exist."]})
        );
        assert_eq!(count(&test, "real_estate_property").await, 0);
        assert!(changes.take().is_empty());

        let created = service::create::<Properties>(&ctx, input(villa("villa-1"), Mode::Create))
            .await
            .unwrap();
        assert_eq!(created.body.detail.status, "draft");
        assert_eq!(created.version, 1);
        let id = created.body.detail.id;
        let ctx = &ctx;
        let status = |status, precondition| async move {
            service::set_status::<Properties>(ctx, id, status, &precondition).await
        };
        let published = status("published", IfMatch::Absent).await.unwrap();
        let first = published
            .body
            .detail
            .published_at
            .clone()
            .expect("set on publishing");
        assert_eq!(published.version, 2);
        let stale = status("archived", IfMatch::Tags(vec!["\"1\"".to_owned()])).await;
        assert!(
            matches!(stale, Err(ApiError::PreconditionFailed(_))),
            "{stale:?}"
        );
        status("archived", IfMatch::Tags(vec!["\"2\"".to_owned()]))
            .await
            .unwrap();
        let again = status("published", IfMatch::Any).await.unwrap();
        assert_eq!(
            again.body.detail.published_at,
            Some(first),
            "set only the first time"
        );
        assert_eq!(again.version, 4, "the refused write bumped nothing");
        let ops: Vec<Op> = changes.take().iter().map(|c| c.op).collect();
        assert_eq!(ops, [Op::Create, Op::Status, Op::Status, Op::Status]);
        test.close().await;
    }
}

#[tokio::test]
async fn bulk_is_all_or_nothing_and_files_go_after_the_commit() {
    for test in databases("bulk_and_files").await {
        let TestCtx {
            ctx,
            changes,
            media,
        } = testing::ctx(&test.db, ApiSettings::default());
        let mut ids = Vec::new();
        for n in 0..3 {
            let created =
                service::create::<Properties>(&ctx, input(villa(&format!("v-{n}")), Mode::Create))
                    .await
                    .unwrap();
            ids.push(created.body.detail.id);
        }
        admin::add_image(&ctx, ids[0], png()).await.unwrap();
        assert_eq!(media.names().len(), 1);
        changes.take();

        // One missing id: nothing changes.
        let err = service::bulk::<Properties>(&ctx, BulkAction::Delete, &[ids[0], 999_999])
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::Invalid(_)));
        assert_eq!(count(&test, "real_estate_property").await, 3);
        assert_eq!(media.names().len(), 1);
        assert!(changes.take().is_empty());

        let done = service::bulk::<Properties>(&ctx, BulkAction::Delete, &ids[..2])
            .await
            .unwrap();
        assert_eq!((done.action, done.count), ("delete", 2));
        assert_eq!(count(&test, "real_estate_property").await, 1);
        assert_eq!(count(&test, "media_image").await, 0);
        assert!(media.names().is_empty(), "the image file went with its row");
        let published = changes.take();
        assert_eq!(published.len(), 1);
        assert_eq!(
            (
                published[0].entity,
                published[0].op,
                published[0].ids.clone()
            ),
            (PROPERTY, Op::Bulk, vec![ids[0], ids[1]])
        );
        test.close().await;
    }
}

/// The admin list's `?ordering=title` pages through titles in the Persian alphabet's order:
/// digits first, پ after ب, Arabic ك/ي as ک/ی, ZWNJ no letter, an English-only title after the
/// Persian ones (code points put ۲, پ, ک, گ and ی after the Arabic letters, ZWNJ after ه).
#[tokio::test]
async fn title_ordering_follows_the_persian_alphabet_across_pages() {
    const TITLES: [&str; 9] = [
        "۲ خوابه در شهرک",
        "باغ ویلا",
        "پنت‌هاوس زعفرانیه",
        "پنتهاوس سعادت‌آباد",
        "كاخ",
        "گلستان",
        "ويلا ساحلی",
        "یاس",
        "Loft",
    ];
    for test in databases("title_ordering").await {
        let TestCtx { ctx, .. } = testing::ctx(&test.db, ApiSettings::default());
        let mut ids = Vec::new();
        for (i, title) in TITLES.iter().enumerate().rev() {
            let language = if title.is_ascii() {
                "title_en"
            } else {
                "title_fa"
            };
            let body = json!({
                language: title, "slug": format!("p{i}"), "deal": "sale", "price": "100",
                "area": "80", "city": "Shiraz",
            });
            let created = service::create::<Properties>(&ctx, input(body, Mode::Create))
                .await
                .unwrap();
            ids.push(created.body.detail.id);
        }
        let ctx = &ctx;
        let listed = |ordering: &'static str| async move {
            let url = strata_api::UrlQuery::new(
                "http://test/api/admin/properties/",
                vec![("ordering".to_owned(), ordering.to_owned())],
            );
            let query = strata_api::admin::ListQuery::read::<Properties>(&url).unwrap();
            let mut titles = Vec::new();
            // Pages of 4: no gap, no overlap.
            for page in 1..=3 {
                let request = strata_api::PageRequest { page, page_size: 4 };
                let found = service::list::<Properties>(ctx, &query, request)
                    .await
                    .unwrap();
                assert_eq!(found.count, 9);
                titles.extend(found.results.into_iter().map(|p| p.title));
            }
            titles
        };
        assert_eq!(listed("title").await, TITLES, "{}", test.backend);
        let mut descending = TITLES.to_vec();
        descending.reverse();
        assert_eq!(listed("-title").await, descending, "{}", test.backend);

        // An update rewrites the key: "Loft" in Persian moves before "یاس".
        service::update::<Properties>(
            ctx,
            ids[0],
            input(json!({"title_fa": "لافت"}), Mode::Patch),
            &IfMatch::Absent,
        )
        .await
        .unwrap();
        // The admin list is cached; the binary's invalidation map clears it on commit.
        let invalidated = ctx
            .cache
            .invalidate_namespace(&strata_real_estate::cache::admin::LIST)
            .await;
        assert_eq!(invalidated, strata_cache::Invalidation::Applied);
        assert_eq!(listed("title").await[5..8], ["گلستان", "لافت", "ويلا ساحلی"]);
        test.close().await;
    }
}
