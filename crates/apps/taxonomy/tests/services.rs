//! Taxonomy's admin resources through their services (no HTTP, no binary): what each write
//! stores and publishes, what it refuses without writing or publishing anything, and the list
//! query every admin list shares (ordering table, search, filters, cache).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use serde_json::json;
use strata_api::admin::{IfMatch, ListQuery, OnDelete, service};
use strata_api::testing::{self, TestCtx};
use strata_api::{
    ApiError, ApiSettings, Change, Entity, JsonObject, Mode, Op, PageRequest, UrlQuery,
};
use strata_db::testing::TestDb;
use strata_taxonomy::serializers::{CategoryInput, TagInput, category_input, tag_input};
use strata_taxonomy::services::admin::{Categories, Tags};

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        strata_taxonomy::migrations()
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
                Entity::Category,
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
                Entity::Category,
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
