//! Category trees stay trees: `tree::check_parent` refuses loops, also under concurrent
//! re-parents on two connections, and the reads that walk trees survive a loop written
//! straight into the database by another writer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    QuerySelect,
};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use strata_api::ApiError;
use strata_db::testing::{self, TestDb};
use strata_taxonomy::models::category;
use strata_taxonomy::{selectors, tree};

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = strata_api::migrations();
        all.extend(strata_taxonomy::migrations());
        all
    }
}

async fn migrated(test: TestDb) -> TestDb {
    Migrator::up(&test.db, None).await.unwrap();
    test
}

/// SQLite always; PostgreSQL too when reachable (required under `CI=true`).
async fn databases(test: &str) -> Vec<TestDb> {
    let mut all = vec![testing::sqlite_migrated::<Migrator>("strata_taxonomy").await];
    if let Some(pg) = testing::postgres("strata_taxonomy", test).await {
        all.push(migrated(pg).await);
    }
    all
}

async fn category(db: &DatabaseConnection, app: &str, slug: &str, parent: Option<i64>) -> i64 {
    let now = Utc::now();
    category::ActiveModel {
        app: Set(app.to_owned()),
        name_fa: Set(String::new()),
        name_en: Set(slug.to_owned()),
        slug: Set(slug.to_owned()),
        parent_id: Set(parent),
        position: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// What another writer could do: set a parent with plain SQL, no check.
async fn set_parent(db: &impl ConnectionTrait, id: i64, parent: Option<i64>) {
    let parent = parent.map_or("NULL".to_owned(), |p| p.to_string());
    db.execute_unprepared(&format!(
        "UPDATE taxonomy_category SET parent_id = {parent} WHERE id = {id}"
    ))
    .await
    .unwrap();
}

/// `check_parent` in its own write transaction, rolled back.
async fn check(
    db: &DatabaseConnection,
    id: Option<i64>,
    app: &str,
    parent: i64,
) -> Result<(), String> {
    let txn = strata_db::begin_write(db).await.unwrap();
    let checked = tokio::time::timeout(
        Duration::from_secs(10),
        tree::check_parent(&txn, id, app, parent),
    )
    .await
    .expect("check_parent must not hang");
    txn.rollback().await.unwrap();
    checked.map_err(|err| match err {
        ApiError::Invalid(errors) => serde_json::to_value(&errors).unwrap()["parent"][0]
            .as_str()
            .unwrap()
            .to_owned(),
        other => panic!("expected a 400 on parent, got {other:?}"),
    })
}

#[tokio::test]
async fn a_parent_must_exist_share_the_app_and_not_descend_from_the_category() {
    for test in databases("check_parent").await {
        let db = &test.db;
        let root = category(db, "real_estate", "root", None).await;
        let child = category(db, "real_estate", "child", Some(root)).await;
        let grandchild = category(db, "real_estate", "grandchild", Some(child)).await;
        let other_app = category(db, "blog", "news", None).await;
        let itself = "A category cannot be nested under itself.";
        assert_eq!(
            check(db, Some(root), "real_estate", root).await,
            Err(itself.into())
        );
        assert_eq!(
            check(db, Some(root), "real_estate", grandchild).await,
            Err(itself.into())
        );
        assert_eq!(
            check(db, None, "real_estate", 999_999).await,
            Err("Invalid pk \"999999\" - object does not exist.".into())
        );
        assert_eq!(
            check(db, None, "real_estate", other_app).await,
            Err("The parent must belong to the same app.".into())
        );
        assert_eq!(
            check(db, Some(grandchild), "real_estate", root).await,
            Ok(())
        );
        assert_eq!(check(db, None, "real_estate", grandchild).await, Ok(()));
        test.close().await;
    }
}

#[tokio::test]
async fn nesting_is_capped() {
    for test in databases("nesting_is_capped").await {
        let db = &test.db;
        let mut parent = None;
        for n in 0..tree::MAX_DEPTH {
            parent = Some(category(db, "blog", &format!("level-{n}"), parent).await);
        }
        let deepest = parent.unwrap();
        assert_eq!(
            check(db, None, "blog", deepest).await,
            Err(format!(
                "Categories cannot be nested more than {} levels deep.",
                tree::MAX_DEPTH
            ))
        );
        test.close().await;
    }
}

/// Loops written by SQL (a two-node one and a self-loop): the reads answer at once, and a
/// write under them is refused instead of walking forever.
#[tokio::test]
async fn a_loop_written_by_another_writer_cannot_hang_a_reader() {
    for test in databases("loop_from_another_writer").await {
        let db = &test.db;
        let x = category(db, "real_estate", "x", None).await;
        let y = category(db, "real_estate", "y", Some(x)).await;
        let leaf = category(db, "real_estate", "leaf", Some(y)).await;
        set_parent(db, x, Some(y)).await;
        let z = category(db, "real_estate", "z", None).await;
        set_parent(db, z, Some(z)).await;

        let subtree = |slug: &'static str| async move {
            tokio::time::timeout(
                Duration::from_secs(10),
                selectors::subtree(db, "real_estate", slug),
            )
            .await
            .expect("the walk must end")
            .unwrap()
        };
        assert_eq!(subtree("x").await, vec![x, y, leaf]);
        assert_eq!(subtree("leaf").await, vec![leaf]);
        assert_eq!(subtree("z").await, vec![z]);

        let refused = check(db, None, "real_estate", leaf).await.unwrap_err();
        assert!(refused.contains("form a loop"), "{refused}");
        assert_eq!(
            check(db, Some(x), "real_estate", leaf).await,
            Err("A category cannot be nested under itself.".into())
        );
        assert!(check(db, None, "real_estate", z).await.is_err());
        test.close().await;
    }
}

/// Two connections re-parent `a` under `b` and `b` under `a` at the same moment, each with
/// `check_parent` then the write, in one transaction: one of them must get the 400, never
/// both succeed (a loop), and neither a database error.
#[tokio::test]
async fn concurrent_re_parents_never_make_a_loop() {
    for test in databases("concurrent_re_parents").await {
        let db = &test.db;
        let mut refused = 0;
        for round in 0..20 {
            let a = category(db, "real_estate", &format!("a-{round}"), None).await;
            let b = category(db, "real_estate", &format!("b-{round}"), None).await;
            let start = Arc::new(tokio::sync::Barrier::new(2));
            let move_under = |id: i64, parent: i64| {
                let (db, start) = (db.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    let txn = strata_db::begin_write(&db).await?;
                    if let Err(err) =
                        tree::check_parent(&txn, Some(id), "real_estate", parent).await
                    {
                        txn.rollback().await?;
                        return Ok(Err(err));
                    }
                    set_parent(&txn, id, Some(parent)).await;
                    txn.commit().await?;
                    Ok::<_, sea_orm::DbErr>(Ok(()))
                })
            };
            let (first, second) = (move_under(a, b), move_under(b, a));
            let outcomes = [first.await.unwrap(), second.await.unwrap()];
            let mut ok = 0;
            for outcome in outcomes {
                match outcome.expect("no database error (SQLITE_BUSY, deadlock…)") {
                    Ok(()) => ok += 1,
                    Err(ApiError::Invalid(_)) => refused += 1,
                    Err(other) => panic!("expected a 400, got {other:?}"),
                }
            }
            assert_eq!(
                ok, 1,
                "round {round} on {}: exactly one re-parent wins",
                test.backend
            );
            assert_no_loop(db).await;
        }
        assert_eq!(refused, 20);
        test.close().await;
    }
}

async fn assert_no_loop(db: &DatabaseConnection) {
    let parents: HashMap<i64, Option<i64>> = category::Entity::find()
        .select_only()
        .column(category::Column::Id)
        .column(category::Column::ParentId)
        .into_tuple::<(i64, Option<i64>)>()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for start in parents.keys() {
        let mut seen = HashSet::new();
        let mut cursor = Some(*start);
        while let Some(id) = cursor {
            assert!(seen.insert(id), "category {start} is its own ancestor");
            cursor = parents.get(&id).copied().flatten();
        }
    }
}
