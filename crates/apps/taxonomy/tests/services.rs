//! Taxonomy's admin resources through their services (no HTTP, no binary): what each write
//! stores and publishes, what it refuses without writing or publishing anything, and the list
//! query every admin list shares (ordering table, search, filters, cache).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use serde_json::json;
use strata_api::admin::{IfMatch, ListQuery, OnDelete, service};
use strata_api::testing::{self, TestCtx};
use strata_api::{ApiError, ApiSettings, Change, JsonObject, Mode, Op, PageRequest, UrlQuery};
use strata_db::testing::TestDb;
use strata_taxonomy::catalog::CATEGORY;
use strata_taxonomy::serializers::{
    CategoryInput, OptionInput, TagInput, category_input, option_input, tag_input,
};
use strata_taxonomy::services::admin::{Categories, Options, Tags};

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = strata_api::migrations();
        all.extend(strata_taxonomy::migrations());
        all
    }
}

/// SQLite always; PostgreSQL too when reachable (required under `CI=true`).
async fn databases(test: &str) -> Vec<TestDb> {
    let mut all =
        vec![strata_db::testing::sqlite_migrated::<Migrator>("strata_taxonomy_services").await];
    if let Some(postgres) = strata_db::testing::postgres("strata_taxonomy_services", test).await {
        Migrator::up(&postgres.db, None).await.unwrap();
        all.push(postgres);
    }
    all
}

fn category(body: serde_json::Value, mode: Mode) -> CategoryInput {
    category_input(
        JsonObject::parse(body.to_string().as_bytes()).unwrap(),
        mode,
    )
    .unwrap()
}

fn tag(body: serde_json::Value) -> TagInput {
    tag_input(
        JsonObject::parse(body.to_string().as_bytes()).unwrap(),
        Mode::Create,
    )
    .unwrap()
}

fn option(body: serde_json::Value) -> OptionInput {
    option_input(
        JsonObject::parse(body.to_string().as_bytes()).unwrap(),
        Mode::Create,
    )
    .unwrap()
}

fn field_errors(err: ApiError) -> serde_json::Value {
    match err {
        ApiError::Invalid(errors) => serde_json::to_value(errors).unwrap(),
        other => panic!("expected a 400, got {other:?}"),
    }
}

fn url(query: &str) -> UrlQuery {
    let params = url_params(query);
    UrlQuery::new("http://test/api/admin/categories/", params)
}

fn url_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

const PAGE: PageRequest = PageRequest {
    page: 1,
    page_size: 20,
};

#[tokio::test]
async fn category_writes_publish_their_ids_and_every_slug() {
    for test in databases("category_writes").await {
        let TestCtx { ctx, changes, .. } = testing::ctx(&test.db, ApiSettings::default());
        let villas = service::create::<Categories>(
            &ctx,
            category(
                json!({"app": "real_estate", "name": "Villas"}),
                Mode::Create,
            ),
        )
        .await
        .unwrap()
        .body;
        assert_eq!(villas.slug, "villas");
        assert_eq!(
            changes.take(),
            [Change::new(
                CATEGORY,
                Op::Create,
                vec![villas.id],
                vec!["villas".into()]
            )]
        );

        let renamed = service::update::<Categories>(
            &ctx,
            villas.id,
            category(json!({"slug": "houses", "name": "Houses"}), Mode::Patch),
            &IfMatch::Absent,
        )
        .await
        .unwrap()
        .body;
        assert_eq!(
            (renamed.label.name.as_str(), renamed.slug.as_str()),
            ("Houses", "houses")
        );
        assert_eq!(
            changes.take(),
            [Change::new(
                CATEGORY,
                Op::Update,
                vec![villas.id],
                vec!["houses".into(), "villas".into()]
            )],
            "both slugs: pages under the old one must go"
        );

        service::delete::<Categories>(&ctx, villas.id, OnDelete::Protect, &IfMatch::Absent)
            .await
            .unwrap();
        assert_eq!(changes.take()[0].op, Op::Delete);
        assert!(matches!(
            service::delete::<Categories>(&ctx, villas.id, OnDelete::Protect, &IfMatch::Absent)
                .await,
            Err(ApiError::NotFound)
        ));
        assert!(changes.take().is_empty(), "a 404 publishes nothing");
        test.close().await;
    }
}

#[tokio::test]
async fn refused_writes_store_and_publish_nothing() {
    for test in databases("refused_writes").await {
        let TestCtx { ctx, changes, .. } = testing::ctx(&test.db, ApiSettings::default());
        let parent = service::create::<Categories>(
            &ctx,
            category(json!({"app": "real_estate", "name": "Homes"}), Mode::Create),
        )
        .await
        .unwrap()
        .body;
        let child = service::create::<Categories>(
            &ctx,
            category(
                json!({"app": "real_estate", "name": "Villas", "parent": parent.id}),
                Mode::Create,
            ),
        )
        .await
        .unwrap()
        .body;
        changes.take();

        // A duplicate slug, a parent under its own child, a parent of another app.
        let duplicate = service::create::<Categories>(
            &ctx,
            category(json!({"app": "real_estate", "name": "Homes"}), Mode::Create),
        )
        .await
        .unwrap_err();
        assert_eq!(
            field_errors(duplicate),
            json!({"slug": ["category with this slug already exists."]})
        );
        let cycle = service::update::<Categories>(
            &ctx,
            parent.id,
            category(json!({"parent": child.id}), Mode::Patch),
            &IfMatch::Absent,
        )
        .await
        .unwrap_err();
        assert!(field_errors(cycle)["parent"].is_array());
        let other_app = service::create::<Categories>(
            &ctx,
            category(
                json!({"app": "blog", "name": "News", "parent": parent.id}),
                Mode::Create,
            ),
        )
        .await
        .unwrap_err();
        assert!(field_errors(other_app)["parent"].is_array());

        assert!(changes.take().is_empty(), "nothing refused is published");
        let count = test
            .db
            .query_one_raw(Statement::from_string(
                test.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM taxonomy_category",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(count, 2, "nothing refused is stored");
        let unchanged = service::retrieve::<Categories>(&ctx, parent.id)
            .await
            .unwrap();
        assert_eq!(unchanged.body.parent, None);
        test.close().await;
    }
}

#[tokio::test]
async fn admin_lists_order_search_filter_and_cache() {
    for test in databases("admin_lists").await {
        let TestCtx { ctx, .. } = testing::ctx(&test.db, ApiSettings::default());
        for name in ["Sea view", "Garden", "Sea breeze"] {
            service::create::<Tags>(&ctx, tag(json!({ "name": name })))
                .await
                .unwrap();
        }
        let names = |page: &strata_api::Page<strata_taxonomy::serializers::TagOut>| {
            page.results
                .iter()
                .map(|t| t.label.name.clone())
                .collect::<Vec<_>>()
        };

        let query = ListQuery::read::<Tags>(&url("ordering=-name&q=SEA")).unwrap();
        let page = service::list::<Tags>(&ctx, &query, PAGE).await.unwrap();
        assert_eq!(names(&page), ["Sea view", "Sea breeze"]);

        // `%` and `_` are literal in a search, as in Django's `icontains`.
        let query = ListQuery::read::<Tags>(&url("q=%25")).unwrap();
        assert_eq!(
            service::list::<Tags>(&ctx, &query, PAGE)
                .await
                .unwrap()
                .count,
            0
        );

        // An ordering outside the resource's table is a 400, not a silent `id`.
        let err = ListQuery::<strata_api::admin::NoFilters>::read::<Tags>(&url("ordering=slug"))
            .unwrap_err();
        assert_eq!(
            field_errors(err),
            json!({"ordering": ["Select a valid choice. slug is not one of the available choices."]})
        );
        let err = ListQuery::read::<Categories>(&url("app=shop")).unwrap_err();
        assert!(field_errors(err)["app"].is_array());

        // Cached for the admin TTL: a row written behind the service's back is not seen
        // until the list's namespace is invalidated (the binary's map does that on commit).
        let query = ListQuery::read::<Tags>(&url("")).unwrap();
        let before = service::list::<Tags>(&ctx, &query, PAGE).await.unwrap();
        test.db
            .execute_raw(Statement::from_string(
                test.db.get_database_backend(),
                "DELETE FROM taxonomy_tag",
            ))
            .await
            .unwrap();
        let cached = service::list::<Tags>(&ctx, &query, PAGE).await.unwrap();
        assert_eq!(cached, before);
        let invalidated = ctx
            .cache
            .invalidate_namespace(&strata_taxonomy::cache::TAG_LIST)
            .await;
        assert_eq!(invalidated, strata_cache::Invalidation::Applied);
        let fresh = service::list::<Tags>(&ctx, &query, PAGE).await.unwrap();
        assert_eq!(fresh.count, 0);
        test.close().await;
    }
}

/// Names in the Persian alphabet's order (code points put پ, ک, گ and ی after the Arabic
/// letters, ZWNJ after every letter): Arabic ي/ك are ی/ک, ZWNJ is no letter, a name only in
/// English comes after the Persian ones.
const ALPHABETICAL: [&str; 9] = [
    "آپارتمان",
    "پنت‌هاوس",
    "پنتی",
    "كلبه",
    "کوثر",
    "گلخانه",
    "ویلا",
    "يخچال",
    "Garden",
];

#[tokio::test]
async fn name_orderings_follow_the_persian_alphabet() {
    for test in databases("name_orderings").await {
        let TestCtx { ctx, .. } = testing::ctx(&test.db, ApiSettings::default());
        // Created out of order; the English-only one in English.
        for (i, name) in ALPHABETICAL.iter().rev().enumerate() {
            let field = if i == 0 { "name_en" } else { "name_fa" };
            service::create::<Tags>(&ctx, tag(json!({ field: name, "slug": format!("t{i}") })))
                .await
                .unwrap();
        }
        let listed = |ordering: &'static str, page_size: u64| {
            let ctx = &ctx;
            async move {
                let query = ListQuery::read::<Tags>(&url(&format!("ordering={ordering}"))).unwrap();
                let mut names = Vec::new();
                for page in 1.. {
                    let request = PageRequest { page, page_size };
                    let Ok(found) = service::list::<Tags>(ctx, &query, request).await else {
                        break;
                    };
                    names.extend(found.results.iter().map(|t| t.label.name.clone()));
                    if page * page_size >= found.count {
                        break;
                    }
                }
                names
            }
        };
        assert_eq!(listed("name", 100).await, ALPHABETICAL, "{}", test.backend);
        // Pages of 4 follow one another without a gap or an overlap.
        assert_eq!(listed("name", 4).await, ALPHABETICAL, "{}", test.backend);
        let mut descending = ALPHABETICAL.to_vec();
        descending.reverse();
        assert_eq!(listed("-name", 4).await, descending, "{}", test.backend);

        // A rename moves the row: the key is written with the name.
        let garden = service::list::<Tags>(
            &ctx,
            &ListQuery::read::<Tags>(&url("q=Garden")).unwrap(),
            PAGE,
        )
        .await
        .unwrap()
        .results[0]
            .id;
        service::update::<Tags>(
            &ctx,
            garden,
            tag_input(
                JsonObject::parse(json!({"name_fa": "باغ"}).to_string().as_bytes()).unwrap(),
                Mode::Patch,
            )
            .unwrap(),
            &IfMatch::Absent,
        )
        .await
        .unwrap();
        // The admin list is cached; the binary's invalidation map clears it on commit.
        let invalidated = ctx
            .cache
            .invalidate_namespace(&strata_taxonomy::cache::TAG_LIST)
            .await;
        assert_eq!(invalidated, strata_cache::Invalidation::Applied);
        assert_eq!(listed("name", 100).await[..2], ["آپارتمان", "باغ"]);

        // Categories and options sort the same way.
        for (name, slug) in [("ویلا", "villa"), ("پنت‌هاوس", "penthouse")] {
            service::create::<Categories>(
                &ctx,
                category(
                    json!({"app": "real_estate", "name": name, "slug": slug}),
                    Mode::Create,
                ),
            )
            .await
            .unwrap();
            service::create::<Options>(&ctx, option(json!({"name": name, "slug": slug})))
                .await
                .unwrap();
        }
        let query = ListQuery::read::<Categories>(&url("ordering=name")).unwrap();
        let page = service::list::<Categories>(&ctx, &query, PAGE)
            .await
            .unwrap();
        let names: Vec<&str> = page.results.iter().map(|c| c.label.name.as_str()).collect();
        assert_eq!(names, ["پنت‌هاوس", "ویلا"]);
        let query = ListQuery::read::<Options>(&url("ordering=name")).unwrap();
        let page = service::list::<Options>(&ctx, &query, PAGE).await.unwrap();
        let names: Vec<&str> = page.results.iter().map(|o| o.label.name.as_str()).collect();
        assert_eq!(names, ["پنت‌هاوس", "ویلا"]);
        test.close().await;
    }
}

#[tokio::test]
async fn option_groups_have_a_stable_key_and_two_labels() {
    for test in databases("option_groups").await {
        let TestCtx { ctx, .. } = testing::ctx(&test.db, ApiSettings::default());
        let create = |body: serde_json::Value| {
            let ctx = &ctx;
            async move {
                service::create::<Options>(ctx, option(body))
                    .await
                    .unwrap()
                    .body
            }
        };
        // The key is made from the English label, else the Persian one, as a slug is.
        let pool =
            create(json!({"name": "استخر", "group_en": "Outdoor space", "group_fa": "فضای باز"}))
                .await;
        assert_eq!(
            (pool.group.key.as_str(), pool.group.group_name.as_str()),
            ("outdoor-space", "فضای باز")
        );
        assert_eq!(
            (pool.group.group_fa.as_str(), pool.group.group_en.as_str()),
            ("فضای باز", "Outdoor space")
        );
        // A label already in use joins its group.
        let deck = create(json!({"name": "عرشه", "group_fa": "فضای باز"})).await;
        assert_eq!(deck.group.key, "outdoor-space");
        let sauna = create(json!({"name": "سونا", "group_fa": "رفاه و آسایش"})).await;
        assert_eq!(sauna.group.key, "رفاه-و-آسایش");
        let gym = create(json!({"name": "Gym", "group": "outdoor-space"})).await;
        assert_eq!(
            (gym.group.key.as_str(), gym.group.group_name.as_str()),
            ("outdoor-space", "")
        );
        let plain = create(json!({"name": "Lift"})).await;
        assert_eq!(plain.group.key, "");

        // Relabelling keeps the key (what grouping uses); `group_name` is read-only.
        let relabelled = service::update::<Options>(
            &ctx,
            pool.id,
            option_input(
                JsonObject::parse(
                    json!({"group_en": "Outside", "group_fa": "", "group_name": "x"})
                        .to_string()
                        .as_bytes(),
                )
                .unwrap(),
                Mode::Patch,
            )
            .unwrap(),
            &IfMatch::Absent,
        )
        .await
        .unwrap()
        .body;
        assert_eq!(relabelled.group.key, "outdoor-space");
        // Persian empty: the name falls back to English, as `name` does.
        assert_eq!(relabelled.group.group_name, "Outside");
        let row = strata_taxonomy::models::option::Entity::find_by_id(pool.id)
            .one(&test.db)
            .await
            .unwrap()
            .unwrap();
        let summary = strata_taxonomy::serializers::option_summary(&row, strata_api::Lang::En);
        assert_eq!(
            (summary.group.as_str(), summary.group_name.as_str()),
            ("outdoor-space", "Outside")
        );

        // A key is a slug; labels are at most 100 characters.
        let refused = option_input(
            JsonObject::parse(
                json!({"name": "X", "group": "Not a key", "group_en": "x".repeat(101)})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap(),
            Mode::Create,
        )
        .unwrap_err();
        assert_eq!(
            field_errors(refused),
            json!({
                "group": ["Enter a valid \u{201c}slug\u{201d} consisting of Unicode letters, numbers, underscores, or hyphens."],
                "group_en": ["Ensure this field has no more than 100 characters."],
            })
        );
        test.close().await;
    }
}
