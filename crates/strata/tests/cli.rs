//! The `strata` command line end to end: exit codes, messages, and the cache commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{redis_available, redis_url, run, stderr, stdout, unique_env};
use serde_json::Value;

#[test]
fn a_bad_variable_is_a_config_error_naming_it() {
    let out = run(
        &["serve", "--bind", "127.0.0.1:0"],
        &[("STRATA_CACHE__TTL__PUBLIC_LIST", "abc")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("STRATA_CACHE__TTL__PUBLIC_LIST"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "nothing is served");
}

#[test]
fn every_config_problem_is_reported_at_once() {
    let out = run(
        &["cache", "stats"],
        &[
            ("STRATA_BIND", "nowhere"),
            ("DATABASE_URL", "mysql://localhost/strata"),
            ("STRATA_CACHE__REDIS__POOL_SIZE", "0"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for needle in ["STRATA_BIND", "DATABASE_URL", "pool_size"] {
        assert!(err.contains(needle), "missing {needle}: {err}");
    }
}

#[test]
fn a_key_prefix_that_redis_cluster_would_split_is_refused() {
    let out = run(
        &["serve", "--bind", "127.0.0.1:0"],
        &[
            ("REDIS_URL", "redis-cluster://127.0.0.1:7000,127.0.0.1:7001"),
            ("ENV", "prod{1}"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("contains `{` or `}`"), "{err}");
}

#[test]
fn a_bad_namespace_is_a_usage_error() {
    let out = run(&["cache", "invalidate", "bad-ns"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad-ns"), "{}", stderr(&out));
}

#[test]
fn cache_warm_fills_the_public_keys_once() {
    if !redis_available("cache_warm_fills_the_public_keys_once") {
        return;
    }
    let db = std::env::temp_dir().join(format!("strata-warm-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}", db.display());
    let env = unique_env();
    let vars = [
        ("DATABASE_URL", url.as_str()),
        ("REDIS_URL", redis_url()),
        ("ENV", env.as_str()),
    ];
    let seeded = run(&["seed", "--demo", "--properties", "6"], &vars);
    assert_eq!(seeded.status.code(), Some(0), "{}", stderr(&seeded));
    let scanned = || {
        let out = run(&["cache", "audit"], &vars);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(report["off_convention"]["count"], 0, "{report}");
        assert_eq!(report["without_ttl"]["count"], 0, "{report}");
        report["scanned"].as_u64().unwrap()
    };
    assert_eq!(scanned(), 0, "a fresh ENV's keyspace is empty");

    let warm = || {
        let out = run(&["cache", "warm"], &vars);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    let first = warm();
    // The list, categories, tags and options in two languages, and each published detail in
    // two: at least the eight lists, and nothing failed.
    let words: Vec<&str> = first.split_whitespace().collect();
    let (filled, total): (u64, u64) = (words[1].parse().unwrap(), words[3].parse().unwrap());
    assert!(filled == total && total > 8, "{first}");
    assert!(first.ends_with("(0 failed)"), "{first}");
    let keys = scanned();
    // Each value, plus a namespace index per namespace (five).
    assert_eq!(keys, total + 5, "{first}");

    // Idempotent: a second warm finds every key and adds none.
    assert_eq!(warm(), first);
    assert_eq!(scanned(), keys);
    let _ = std::fs::remove_file(&db);
}

#[test]
fn database_commands_work_like_manage_py() {
    let db = std::env::temp_dir().join(format!("strata-cli-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}", db.display());
    let env = [("DATABASE_URL", url.as_str())];
    let migrate = run(&["migrate"], &env);
    assert_eq!(migrate.status.code(), Some(0));
    assert_eq!(
        stdout(&migrate).trim(),
        "No migrations to apply.",
        "the embedded default migrates on its own"
    );
    let su = [
        "createsuperuser",
        "--username",
        "u",
        "--email",
        "u@example.com",
        "--password",
    ];
    let weak = run(&[&su[..], &["short"]].concat(), &env);
    assert_eq!(weak.status.code(), Some(2));
    assert!(stderr(&weak).contains("at least 8"));
    let common = run(&[&su[..], &["12345678"]].concat(), &env);
    assert_eq!(common.status.code(), Some(2));
    assert!(stderr(&common).contains("This password is too common."));
    assert!(stderr(&common).contains("This password is entirely numeric."));
    assert_eq!(
        run(&[&su[..], &["long enough"]].concat(), &env)
            .status
            .code(),
        Some(0)
    );
    let taken = run(&[&su[..], &["long enough"]].concat(), &env);
    assert_eq!(taken.status.code(), Some(2));
    let token = run(&["token", "create", "--user", "u"], &env);
    assert_eq!(token.status.code(), Some(0));
    let key = stdout(&token).lines().last().unwrap().to_owned();
    assert!(
        key.len() == 40 && key.bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );
    assert_eq!(
        run(&["token", "create", "--user", "nobody"], &env)
            .status
            .code(),
        Some(2)
    );
    // Listed (never with their keys), revoked by id or by user.
    let expiring = run(
        &["token", "create", "--user", "u", "--expires-in-days", "30"],
        &env,
    );
    assert_eq!(expiring.status.code(), Some(0));
    let list = run(&["token", "list", "--user", "u"], &env);
    assert_eq!(list.status.code(), Some(0));
    let listed = stdout(&list);
    let rows: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(listed.lines().next(), Some("id\tuser\tcreated\texpires"));
    assert_eq!(rows.len(), 2, "{listed}");
    assert!(rows[0].ends_with("\tnever"), "{listed}");
    assert!(!rows[1].ends_with("\tnever"), "{listed}");
    assert!(!listed.contains(&key), "a key is never shown again");
    let first_id = rows[0].split('\t').next().unwrap();
    assert_eq!(
        run(&["token", "revoke", first_id], &env).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["token", "revoke", first_id], &env).status.code(),
        Some(2)
    );
    let revoked = run(&["token", "revoke", "--user", "u"], &env);
    assert!(
        stdout(&revoked).contains("1 token(s)"),
        "{}",
        stdout(&revoked)
    );
    assert_eq!(stdout(&run(&["token", "list"], &env)).lines().count(), 1);
    // Seeding is deterministic and idempotent.
    let first = run(&["seed", "--demo", "--properties", "25"], &env);
    assert!(
        stdout(&first).contains("25 properties (25 added)"),
        "{}",
        stdout(&first)
    );
    let again = run(&["seed", "--demo", "--properties", "25"], &env);
    assert!(stdout(&again).contains("(0 added)"), "{}", stdout(&again));
    let _ = std::fs::remove_file(&db);
}

#[test]
fn cache_stats_prints_health_as_json() {
    let out = run(&["cache", "stats"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let health: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(health["backend"], "memory");
    assert_eq!(health["breaker_open"], false);
}

#[test]
fn changing_the_cache_needs_a_shared_store() {
    for args in [
        &["cache", "flags", "--off", "public:demo:list"][..],
        &["cache", "invalidate", "public:demo:list"],
    ] {
        let out = run(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("REDIS_URL"), "{args:?}");
    }
}

#[test]
fn invalidating_with_redis_down_fails_loudly() {
    let env = unique_env();
    let out = run(
        &["cache", "invalidate", "public:demo:list"],
        &[
            ("REDIS_URL", "redis://127.0.0.1:1"),
            ("ENV", &env),
            ("STRATA_CACHE__REDIS__CONNECT_TIMEOUT_MS", "200"),
            ("STRATA_CACHE__REDIS__COMMAND_TIMEOUT_MS", "300"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("NOT invalidated"), "{}", stderr(&out));
}

#[test]
fn flags_round_trip_through_redis() {
    if !redis_available("flags_round_trip_through_redis") {
        return;
    }
    let env = unique_env();
    let vars = [("REDIS_URL", redis_url()), ("ENV", env.as_str())];
    let listed = |vars: &[(&str, &str)]| {
        let out = run(&["cache", "flags"], vars);
        assert_eq!(out.status.code(), Some(0));
        stdout(&out).lines().map(str::to_owned).collect::<Vec<_>>()
    };

    assert!(listed(&vars).is_empty(), "a fresh ENV has no flags");

    let out = run(&["cache", "flags", "--off", "public:demo:list"], &vars);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(listed(&vars), ["public:demo:list"]);

    let out = run(&["cache", "stats"], &vars);
    let health: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(health["backend"], "redis");
    assert_eq!(health["disabled_namespaces"][0], "public:demo:list");

    let out = run(&["cache", "invalidate", "public:demo:list"], &vars);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A fresh ENV's keyspace is empty (flags live outside the versioned keys).
    let out = run(&["cache", "audit", "--max-bytes", "1000"], &vars);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (report["backend"].as_str(), report["scanned"].as_u64()),
        (Some("redis"), Some(0))
    );
    assert_eq!(report["off_convention"]["count"], 0);

    let out = run(&["cache", "flags", "--on", "public:demo:list"], &vars);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(listed(&vars).is_empty(), "--on clears the flag");
}

/// A database migrated before the outbox's migration got its dated name recorded it as
/// `migration`; `migrate` renames the record instead of refusing the database.
#[tokio::test]
async fn a_migration_recorded_under_its_old_name_still_migrates() {
    use sea_orm::ConnectionTrait;
    let db = std::env::temp_dir().join(format!("strata-cli-renamed-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let env = [("DATABASE_URL", url.as_str())];
    assert_eq!(run(&["migrate"], &env).status.code(), Some(0));
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    let renamed = conn
        .execute_unprepared(
            "UPDATE seaql_migrations SET version = 'migration' \
             WHERE version = 'm20261124_000500_web_outbox'",
        )
        .await
        .unwrap();
    assert_eq!(
        renamed.rows_affected(),
        1,
        "the outbox's migration is recorded"
    );
    conn.close().await.unwrap();
    let migrate = run(&["migrate"], &env);
    assert_eq!(migrate.status.code(), Some(0), "{}", stderr(&migrate));
    assert_eq!(stdout(&migrate).trim(), "No migrations to apply.");
    let _ = std::fs::remove_file(&db);
}

/// Revalidations still owed in `web_outbox` when a release with the task queue first migrates
/// are moved into `task`, due as they were, and the old table is dropped.
#[tokio::test]
async fn the_outbox_rows_owed_at_the_upgrade_move_to_the_task_queue() {
    use sea_orm::{ConnectionTrait, Statement};
    let db = std::env::temp_dir().join(format!("strata-cli-outbox-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let env = [("DATABASE_URL", url.as_str())];
    assert_eq!(run(&["migrate"], &env).status.code(), Some(0));
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    // The database as the release before left it: the table, one row owed, the move not applied.
    for sql in [
        "CREATE TABLE web_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, \
         tag TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, \
         created_at TEXT NOT NULL, last_error TEXT)",
        "INSERT INTO web_outbox (target, tag, attempts, next_attempt_at, created_at, last_error) \
         VALUES ('https://front.example/api/revalidate', 'properties', 3, \
         '2026-12-01 10:00:00+00:00', '2026-12-01 09:00:00+00:00', 'answered 502')",
        "DELETE FROM seaql_migrations WHERE version = 'm20261207_000800_outbox_to_tasks'",
    ] {
        conn.execute_unprepared(sql).await.unwrap();
    }
    let migrate = run(&["migrate"], &env);
    assert_eq!(migrate.status.code(), Some(0), "{}", stderr(&migrate));
    let moved = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT kind, payload, attempts, last_error FROM task",
        ))
        .await
        .unwrap()
        .expect("the owed revalidation is a task");
    assert_eq!(
        moved.try_get_by_index::<String>(0).unwrap(),
        "nextjs.revalidate"
    );
    let payload: serde_json::Value =
        serde_json::from_str(&moved.try_get_by_index::<String>(1).unwrap()).unwrap();
    assert_eq!(
        payload,
        serde_json::json!({"target": "https://front.example/api/revalidate", "tag": "properties"})
    );
    assert_eq!(moved.try_get_by_index::<i32>(2).unwrap(), 3);
    assert_eq!(
        moved
            .try_get_by_index::<Option<String>>(3)
            .unwrap()
            .as_deref(),
        Some("answered 502")
    );
    let old = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'web_outbox'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        old.try_get_by_index::<i64>(0).unwrap(),
        0,
        "web_outbox dropped"
    );
    conn.close().await.unwrap();
    let _ = std::fs::remove_file(&db);
}
