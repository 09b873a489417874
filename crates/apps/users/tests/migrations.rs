//! The migration on SQLite and PostgreSQL: tables, 64-bit autoincrementing keys, indexes,
//! idempotence and rollback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::{Migrator, TestDb};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, Statement};
use sea_orm_migration::MigratorTrait;
use strata_users::models::user;

fn row(username: &str) -> user::ActiveModel {
    user::ActiveModel {
        username: Set(username.to_owned()),
        email: Set(String::new()),
        password: Set("$argon2id$…".to_owned()),
        role: Set("editor".to_owned()),
        is_active: Set(true),
        last_login: Set(None),
        date_joined: Set(Utc::now()),
        ..Default::default()
    }
}

async fn strings(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<String> {
    let stmt = Statement::from_string(db.get_database_backend(), sql);
    db.query_all_raw(stmt)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// Ids are assigned by the database, one after another, and a deleted id is not reused.
async fn keys_autoincrement(t: &TestDb) {
    let db = &t.db;
    let a = row("a").insert(db).await.unwrap();
    let b = row("b").insert(db).await.unwrap();
    assert!(
        a.id >= 1 && b.id == a.id + 1,
        "{}: {} {}",
        t.backend,
        a.id,
        b.id
    );
    user::Entity::delete_by_id(b.id).exec(db).await.unwrap();
    let c = row("c").insert(db).await.unwrap();
    assert!(c.id > b.id, "{}: id {} reused", t.backend, c.id);
    // Up to 2^63 - 1, not 32 bits.
    let big = user::ActiveModel {
        id: Set(1 << 40),
        ..row("big")
    }
    .insert(db)
    .await
    .unwrap();
    assert_eq!(big.id, 1 << 40);
}

async fn migrate_twice_then_down_and_up(t: &TestDb) {
    Migrator::up(&t.db, None).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(&t.db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::down(&t.db, None).await.unwrap();
    Migrator::up(&t.db, None).await.unwrap();
}

#[tokio::test]
async fn sqlite_schema() {
    let t = common::sqlite(true).await;
    let tables = strings(
        &t.db,
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name LIKE 'users_%' ORDER BY name",
    )
    .await;
    assert_eq!(tables.len(), 3, "{tables:?}");
    for sql in &tables {
        // SQLite's rowid alias: only this exact type autoincrements (never `bigint`).
        assert!(
            sql.contains(r#""id" integer NOT NULL PRIMARY KEY AUTOINCREMENT"#),
            "{sql}"
        );
    }
    let indexes = strings(
        &t.db,
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'users_%' ORDER BY name",
    )
    .await;
    for name in [
        "users_session_expires_at",
        "users_session_user_id",
        "users_token_user_id",
    ] {
        assert!(indexes.iter().any(|i| i == name), "{name} in {indexes:?}");
    }
    keys_autoincrement(&t).await;
    migrate_twice_then_down_and_up(&t).await;
    t.close().await;
}

#[tokio::test]
async fn postgres_schema() {
    // A fresh, unmigrated database: the migration itself is under test.
    let Some(t) = common::postgres("postgres_schema", false).await else {
        return;
    };
    Migrator::up(&t.db, None).await.unwrap();
    let ids = strings(
        &t.db,
        "SELECT table_name || '.' || data_type FROM information_schema.columns \
         WHERE table_name LIKE 'users_%' AND column_name IN ('id', 'user_id') ORDER BY 1",
    )
    .await;
    assert_eq!(
        ids,
        [
            "users_session.bigint",
            "users_session.bigint",
            "users_token.bigint",
            "users_token.bigint",
            "users_user.bigint",
        ]
    );
    let stamps = strings(
        &t.db,
        "SELECT DISTINCT data_type FROM information_schema.columns \
         WHERE table_name LIKE 'users_%' AND column_name IN \
         ('last_login', 'date_joined', 'created', 'expires_at', 'created_at')",
    )
    .await;
    assert_eq!(stamps, ["timestamp with time zone"]);
    let indexes = strings(
        &t.db,
        "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'users_%' ORDER BY 1",
    )
    .await;
    for name in [
        "users_session_expires_at",
        "users_session_user_id",
        "users_token_user_id",
    ] {
        assert!(indexes.iter().any(|i| i == name), "{name} in {indexes:?}");
    }
    keys_autoincrement(&t).await;
    migrate_twice_then_down_and_up(&t).await;
    t.close().await;
}
