//! The cache engine's invariants, each on the in-process store and on real Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fred::interfaces::{ClientLike, KeysInterface};
use fred::types::{ClusterHash, CustomCommand, FromValue};
use serde_json::json;
use strata_cache::{Cache, CacheKey, CacheSettings, Invalidation, Namespace, TtlClass};
use support::{Backend, PausedFill, load, raw_redis};

const LIST: Namespace = Namespace::public("testapp", "list");
const DETAIL: Namespace = Namespace::public("testapp", "detail");
const OTHER: Namespace = Namespace::admin("otherapp", "list");

on_both_stores!(
    hit_after_fill,
    exact_invalidation,
    namespace_invalidation_with_100k_unrelated_keys,
    paused_loader_never_fills_after_key_invalidation,
    paused_loader_never_fills_after_namespace_invalidation,
    fifty_concurrent_misses_load_once,
    waiters_give_up_after_the_bounded_wait,
    loader_errors_are_not_cached,
    flag_off_bypasses_reads_and_writes,
);

async fn hit_after_fill(backend: Backend) {
    let cache = backend.engine(CacheSettings::default()).await;
    let calls = AtomicUsize::new(0);
    let key = DETAIL.id(1);
    assert_eq!(load(&cache, &key, "v1", &calls).await, "v1");
    assert_eq!(
        load(&cache, &key, "v2", &calls).await,
        "v1",
        "second read is a hit"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(cache.peek::<String>(&key).await.as_deref(), Some("v1"));
    // Plain data of any shape round-trips.
    let nested = json!({"title": "ویلا", "price": "12.50", "tags": ["a", "b"], "n": null});
    let got = cache
        .get_or_load(&DETAIL.id(2), TtlClass::PublicDetail, || async {
            Ok::<_, Infallible>(nested.clone())
        })
        .await
        .unwrap_or_else(|never| match never {});
    assert_eq!(got, nested);
    assert_eq!(
        cache.peek::<serde_json::Value>(&DETAIL.id(2)).await,
        Some(nested)
    );
}

async fn exact_invalidation(backend: Backend) {
    let cache = backend.engine(CacheSettings::default()).await;
    let calls = AtomicUsize::new(0);
    for id in 1..=3 {
        load(&cache, &DETAIL.id(id), "old", &calls).await;
    }
    load(&cache, &LIST.hashed(&json!({"page": 1})), "old", &calls).await;
    assert_eq!(cache.invalidate(&DETAIL.id(2)).await, Invalidation::Applied);
    assert_eq!(load(&cache, &DETAIL.id(2), "new", &calls).await, "new");
    assert_eq!(load(&cache, &DETAIL.id(1), "new", &calls).await, "old");
    assert_eq!(load(&cache, &DETAIL.id(3), "new", &calls).await, "old");
    assert_eq!(
        load(&cache, &LIST.hashed(&json!({"page": 1})), "new", &calls).await,
        "old"
    );
}

async fn namespace_invalidation_with_100k_unrelated_keys(backend: Backend) {
    let cache = backend.engine(CacheSettings::default()).await;
    let calls = AtomicUsize::new(0);
    // 100k unrelated keys: on Redis written behind the engine's back, django-redis style; on the
    // in-process store filled through the engine in other namespaces.
    let unrelated = 100_000;
    match &backend {
        Backend::Redis { env } => {
            let raw = raw_redis().await;
            for chunk in (0..unrelated).collect::<Vec<_>>().chunks(5_000) {
                let pipeline = raw.pipeline();
                for i in chunk {
                    let _: () = pipeline
                        .set(
                            format!("{env}:myproject:1:public:noise:item:{i}"),
                            i.to_string(),
                            Some(fred::types::Expiration::EX(600)),
                            None,
                            false,
                        )
                        .await
                        .expect("queue");
                }
                let _: Vec<fred::types::Value> = pipeline.all().await.expect("pipeline");
            }
        }
        Backend::Memory => {
            let noise = Namespace::public("noise", "item");
            for i in 0..unrelated {
                load(&cache, &noise.id(i), "noise", &calls).await;
            }
        }
    }
    for page in 1..=20 {
        load(&cache, &LIST.hashed(&json!({"page": page})), "old", &calls).await;
    }
    load(&cache, &OTHER.id(1), "other", &calls).await;
    load(&cache, &DETAIL.id(1), "detail", &calls).await;

    assert_eq!(
        cache.invalidate_namespace(&LIST).await,
        Invalidation::Applied
    );

    for page in 1..=20 {
        assert_eq!(
            load(&cache, &LIST.hashed(&json!({"page": page})), "new", &calls).await,
            "new"
        );
    }
    assert_eq!(load(&cache, &OTHER.id(1), "changed", &calls).await, "other");
    assert_eq!(
        load(&cache, &DETAIL.id(1), "changed", &calls).await,
        "detail"
    );
    match &backend {
        Backend::Redis { env } => {
            let raw = raw_redis().await;
            let sample: Vec<String> = (0..unrelated)
                .step_by(997)
                .map(|i| format!("{env}:myproject:1:public:noise:item:{i}"))
                .collect();
            // One key per command: on a cluster the keys live in different slots.
            let pipeline = raw.pipeline();
            for key in &sample {
                let _: () = pipeline.exists(key.as_str()).await.expect("queue");
            }
            let present: Vec<i64> = pipeline.all().await.expect("exists");
            assert_eq!(
                present.iter().sum::<i64>() as usize,
                sample.len(),
                "unrelated keys survive"
            );
            // Delete the noise by name rather than leave 100k keys to their TTL.
            for chunk in (0..unrelated).collect::<Vec<_>>().chunks(10_000) {
                let pipeline = raw.pipeline();
                for i in chunk {
                    let key = format!("{env}:myproject:1:public:noise:item:{i}");
                    let _: () = pipeline.del(key).await.expect("queue");
                }
                let _: Vec<i64> = pipeline.all().await.expect("clean up");
            }
        }
        Backend::Memory => {
            let noise = Namespace::public("noise", "item");
            assert_eq!(
                cache.peek::<String>(&noise.id(4242)).await.as_deref(),
                Some("noise")
            );
        }
    }
}

/// A reader that loaded the old row and is paused until after the invalidation: the fill it
/// attempts afterwards must not leave the old value behind.
async fn paused_loader_race(backend: Backend, by_namespace: bool) {
    let cache = backend.engine(CacheSettings::default()).await;
    let key = LIST.hashed(&json!({"city": "تهران"}));
    // The reader loaded the old row and is paused before its fill.
    let slow_reader = PausedFill::start(&cache, &key, "old").await;
    // The writer commits, then invalidates — while the reader still holds the old row.
    if by_namespace {
        assert_eq!(
            cache.invalidate_namespace(&LIST).await,
            Invalidation::Applied
        );
    } else {
        assert_eq!(cache.invalidate(&key).await, Invalidation::Applied);
    }
    assert_eq!(
        slow_reader.finish().await,
        "old",
        "it answers its own request"
    );
    assert_eq!(
        cache.peek::<String>(&key).await,
        None,
        "but leaves nothing behind"
    );
    let calls = AtomicUsize::new(0);
    assert_eq!(
        load(&cache, &key, "new", &calls).await,
        "new",
        "the next request is fresh"
    );
}

async fn paused_loader_never_fills_after_key_invalidation(backend: Backend) {
    paused_loader_race(backend, false).await;
}

async fn paused_loader_never_fills_after_namespace_invalidation(backend: Backend) {
    paused_loader_race(backend, true).await;
}

/// A command the client has no method for (routed by its first key on a cluster).
async fn command<R: FromValue>(
    raw: &fred::clients::Client,
    name: &'static str,
    args: Vec<&String>,
) -> R {
    raw.custom(
        CustomCommand::new_static(name, ClusterHash::FirstKey, false),
        args,
    )
    .await
    .expect(name)
}

/// The Redis names of `LIST`'s index and of a snapshot of it (bookkeeping keys hash-tagged into
/// the index's slot).
fn index_names(env: &str, snapshot: &str) -> (String, String, String) {
    let index = format!("{env}:myproject:1:public:testapp:list:_index");
    let snapshots = format!("{env}:myproject:1:{{{index}}}:_invs");
    let snapshot = format!("{env}:myproject:1:{{{index}}}:_inv:{snapshot}");
    (index, snapshots, snapshot)
}

/// An engine on Redis of its own, with a fill of a `LIST` key paused in its loader: the start of
/// each ordering test. `None` when Redis is missing outside CI.
async fn paused_list_fill(tag: &str) -> Option<(String, Cache, CacheKey, PausedFill)> {
    if !support::require_redis().await {
        return None;
    }
    let env = support::unique_env(tag);
    let cache = Backend::Redis { env: env.clone() }
        .engine(CacheSettings::default())
        .await;
    let key = LIST.hashed(&json!({"page": 2}));
    let slow_reader = PausedFill::start(&cache, &key, "old").await;
    Some((env, cache, key, slow_reader))
}

/// The ordering that replaces one atomic script on a cluster, step 1: a filler is listed in the
/// namespace's index before its loader runs, so an invalidation that follows finds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filler_is_listed_in_the_index_before_its_loader_runs() {
    let Some((env, _cache, key, slow_reader)) = paused_list_fill("listed").await else {
        return;
    };
    let (index, _, _) = index_names(&env, "");
    let data = format!("{env}:myproject:1:{key}");
    let listed: Option<f64> = command(&raw_redis().await, "ZSCORE", vec![&index, &data]).await;
    assert!(listed.is_some(), "{data} is not in {index} while loading");
    slow_reader.finish().await;
}

/// An invalidation that died between its snapshot and its deletes (a crash, a failover) leaves
/// the snapshot behind; the next invalidation of the namespace finishes it, so a filler listed
/// in it still loses its lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_snapshot_is_finished_by_the_next_invalidation() {
    let Some((env, cache, key, slow_reader)) = paused_list_fill("orphan").await else {
        return;
    };
    let calls = AtomicUsize::new(0);
    let filled = LIST.hashed(&json!({"page": 1}));
    load(&cache, &filled, "old", &calls).await;
    // What an invalidation leaves when it stops right after its snapshot.
    let (index, snapshots, snapshot) = index_names(&env, "dead");
    let raw = raw_redis().await;
    let _: () = raw
        .rename(index.as_str(), snapshot.as_str())
        .await
        .expect("rename");
    let _: i64 = command(&raw, "SADD", vec![&snapshots, &snapshot]).await;

    assert_eq!(
        cache.invalidate_namespace(&LIST).await,
        Invalidation::Applied
    );
    slow_reader.finish().await;
    assert_eq!(
        cache.peek::<String>(&key).await,
        None,
        "the paused fill was refused"
    );
    assert_eq!(
        cache.peek::<String>(&filled).await,
        None,
        "the value was deleted"
    );
    let left: i64 = raw
        .exists(vec![snapshot.as_str(), snapshots.as_str()])
        .await
        .expect("exists");
    assert_eq!(left, 0, "the snapshot is finished and forgotten");
}

/// Step 2 of the ordering: a value is listed for its whole lifetime before it is stored. When
/// that listing fails, the value is not stored at all (it could never be invalidated by
/// namespace).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_that_cannot_be_listed_stores_nothing() {
    let Some((env, _cache, key, slow_reader)) = paused_list_fill("unlisted").await else {
        return;
    };
    // The index becomes a string: the fill's listing fails with WRONGTYPE.
    let (index, _, _) = index_names(&env, "");
    let raw = raw_redis().await;
    let _: () = raw
        .set(index.as_str(), "not a sorted set", None, None, false)
        .await
        .expect("set");
    assert_eq!(
        slow_reader.finish().await,
        "old",
        "the caller gets its value"
    );
    let stored: Option<String> = raw
        .get(format!("{env}:myproject:1:{key}"))
        .await
        .expect("get");
    assert_eq!(stored, None, "an unlisted value was stored");
    let _: i64 = raw.del(index.as_str()).await.expect("clean up");
}

async fn concurrent_misses(caches: &[Cache], per_cache: usize) -> (usize, Vec<String>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let key = DETAIL.id(50);
    let mut tasks = Vec::new();
    for cache in caches {
        for _ in 0..per_cache {
            let (cache, key, calls) = (cache.clone(), key.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_load(&key, TtlClass::PublicDetail, || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        Ok::<_, Infallible>("filled".to_owned())
                    })
                    .await
                    .unwrap_or_else(|never| match never {})
            }));
        }
    }
    let mut values = Vec::new();
    for task in tasks {
        values.push(task.await.expect("join"));
    }
    (calls.load(Ordering::SeqCst), values)
}

async fn fifty_concurrent_misses_load_once(backend: Backend) {
    let cache = backend.engine(CacheSettings::default()).await;
    let (calls, values) = concurrent_misses(&[cache], 50).await;
    assert_eq!(calls, 1);
    assert!(values.iter().all(|v| v == "filled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_misses_across_two_instances_load_once() {
    if !support::require_redis().await {
        return;
    }
    let backend = Backend::Redis {
        env: support::unique_env("two-instances"),
    };
    let a = backend.engine(CacheSettings::default()).await;
    let b = backend.engine(CacheSettings::default()).await;
    let (calls, values) = concurrent_misses(&[a, b], 25).await;
    assert_eq!(calls, 1, "one fill across two engines with separate pools");
    assert_eq!(values.len(), 50);
    assert!(values.iter().all(|v| v == "filled"));
}

async fn waiters_give_up_after_the_bounded_wait(backend: Backend) {
    let settings = CacheSettings {
        fill_wait_ms: 200,
        ..CacheSettings::default()
    };
    let cache = backend.engine(settings).await;
    let key = DETAIL.id(7);
    let slow = PausedFill::start(&cache, &key, "slow").await;
    let calls = AtomicUsize::new(0);
    // The waiter gives up after 200 ms and loads itself, without filling.
    assert_eq!(load(&cache, &key, "impatient", &calls).await, "impatient");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(slow.finish().await, "slow");
    assert_eq!(
        cache.peek::<String>(&key).await.as_deref(),
        Some("slow"),
        "the lease holder filled"
    );
}

async fn loader_errors_are_not_cached(backend: Backend) {
    let cache = backend.engine(CacheSettings::default()).await;
    let key = DETAIL.id(9);
    let failed = cache
        .get_or_load(&key, TtlClass::PublicDetail, || async {
            Err::<String, _>("database down")
        })
        .await;
    assert_eq!(failed, Err("database down"));
    let calls = AtomicUsize::new(0);
    // The failed filler released its lease: the next caller fills at once instead of waiting.
    let started = std::time::Instant::now();
    assert_eq!(load(&cache, &key, "ok", &calls).await, "ok");
    assert!(started.elapsed() < Duration::from_millis(CacheSettings::default().fill_wait_ms));
}

async fn flag_off_bypasses_reads_and_writes(backend: Backend) {
    let cache = backend.engine(CacheSettings::default()).await;
    let calls = AtomicUsize::new(0);
    let key = LIST.id(1);
    load(&cache, &key, "cached", &calls).await;
    cache.set_enabled(&LIST, false).await.expect("flag off");
    assert!(!cache.is_enabled(&LIST));
    assert!(cache.is_enabled(&DETAIL), "other namespaces stay on");
    assert_eq!(load(&cache, &key, "live1", &calls).await, "live1");
    assert_eq!(load(&cache, &key, "live2", &calls).await, "live2");
    // Invalidations still run while the flag is off…
    assert_eq!(cache.invalidate(&key).await, Invalidation::Applied);
    cache.set_enabled(&LIST, true).await.expect("flag on");
    // …so turning it back on cannot resurrect the value cached before.
    assert_eq!(load(&cache, &key, "fresh", &calls).await, "fresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_reach_every_instance_within_a_second() {
    if !support::require_redis().await {
        return;
    }
    let backend = Backend::Redis {
        env: support::unique_env("flags"),
    };
    let a = backend.engine(CacheSettings::default()).await;
    let b = backend.engine(CacheSettings::default()).await;
    a.set_enabled(&LIST, false).await.expect("flag off");
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert!(!b.is_enabled(&LIST), "instance b sees the flag within 1 s");
    let calls = AtomicUsize::new(0);
    load(&b, &LIST.id(1), "x", &calls).await;
    load(&b, &LIST.id(1), "x", &calls).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "b bypasses the cache");
    a.set_enabled(&LIST, true).await.expect("flag on");
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert!(b.is_enabled(&LIST));
    assert_eq!(b.disabled_namespaces().await.expect("flags").len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_layout_is_django_redis() {
    if !support::require_redis().await {
        return;
    }
    let env = support::unique_env("layout");
    let cache = Backend::Redis { env: env.clone() }
        .engine(CacheSettings::default())
        .await;
    let key = LIST.hashed(&json!({"city": "Tehran", "category": "apartment"}));
    assert_eq!(key.as_str(), "public:testapp:list:c4f4fdbd4b");
    cache
        .get_or_load(&key, TtlClass::PublicList, || async {
            Ok::<_, Infallible>(json!({"count": 1}))
        })
        .await
        .unwrap_or_else(|never| match never {});
    let count = DETAIL.named("count");
    cache
        .get_or_load(&count, TtlClass::PublicDetail, || async {
            Ok::<_, Infallible>(42_i64)
        })
        .await
        .unwrap_or_else(|never| match never {});
    let raw = raw_redis().await;
    let stored: Option<String> = raw
        .get(format!("{env}:myproject:1:public:testapp:list:c4f4fdbd4b"))
        .await
        .expect("get");
    assert_eq!(stored.as_deref(), Some(r#"{"count":1}"#));
    let stored: Option<String> = raw
        .get(format!("{env}:myproject:1:public:testapp:detail:count"))
        .await
        .expect("get");
    assert_eq!(
        stored.as_deref(),
        Some("42"),
        "plain integers are stored raw, as django-redis does"
    );
    let ttl: i64 = raw
        .ttl(format!("{env}:myproject:1:public:testapp:list:c4f4fdbd4b"))
        .await
        .expect("ttl");
    assert!(
        (110..=120).contains(&ttl),
        "public list TTL comes from the policy table, got {ttl}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_reports_keys_off_convention_without_ttl_or_oversized() {
    if !support::require_redis().await {
        return;
    }
    let env = support::unique_env("audit");
    let cache = Backend::Redis { env: env.clone() }
        .engine(CacheSettings::default())
        .await;
    let calls = AtomicUsize::new(0);
    load(&cache, &DETAIL.id(1), "fine", &calls).await;
    load(&cache, &LIST.id(1), &"x".repeat(2_000), &calls).await;
    let raw = raw_redis().await;
    let _: () = raw
        .set(
            format!("{env}:myproject:1:views.decorators.cache.page"),
            "html",
            None,
            None,
            false,
        )
        .await
        .expect("set");
    let _: () = raw
        .expire(
            format!("{env}:myproject:1:views.decorators.cache.page"),
            600,
            None,
        )
        .await
        .expect("expire");
    let _: () = raw
        .set(
            format!("{env}:myproject:1:public:testapp:detail:2"),
            "1",
            None,
            None,
            false,
        )
        .await
        .expect("set");

    let report = cache.audit(1_000, u64::MAX).await.expect("audit");
    assert_eq!(report.backend, "redis");
    // Two values, the leased-then-filled namespace indexes, and the two keys written by hand.
    assert_eq!(report.scanned, 6, "{report:?}");
    assert_eq!(
        report.off_convention.samples,
        vec!["views.decorators.cache.page"]
    );
    assert_eq!(report.without_ttl.samples, vec!["public:testapp:detail:2"]);
    assert_eq!(report.oversized.samples, vec!["public:testapp:list:1"]);
    for key in ["public:testapp:detail:2", "views.decorators.cache.page"] {
        let _: i64 = raw
            .del(format!("{env}:myproject:1:{key}"))
            .await
            .expect("clean up the key without TTL");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_of_the_in_process_store_reports_oversized_values() {
    let cache = Backend::Memory.engine(CacheSettings::default()).await;
    let calls = AtomicUsize::new(0);
    load(&cache, &DETAIL.id(1), "fine", &calls).await;
    load(&cache, &LIST.id(1), &"x".repeat(2_000), &calls).await;
    let report = cache.audit(1_000, u64::MAX).await.expect("audit");
    assert_eq!((report.backend, report.scanned), ("memory", 2));
    assert_eq!(report.oversized.samples, vec!["public:testapp:list:1"]);
    assert_eq!(report.off_convention.count + report.without_ttl.count, 0);
    assert!(!report.truncated);
    // Bounded: the admin dashboard's audit stops at its key limit and says so.
    let capped = cache.audit(1_000, 1).await.expect("audit");
    assert_eq!((capped.scanned, capped.truncated), (1, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hits_and_misses_are_counted_per_namespace_for_the_dashboard() {
    let cache = Backend::Memory.engine(CacheSettings::default()).await;
    let calls = AtomicUsize::new(0);
    load(&cache, &DETAIL.id(1), "a", &calls).await;
    cache.sample_stats();
    load(&cache, &DETAIL.id(1), "a", &calls).await;
    load(&cache, &DETAIL.id(1), "a", &calls).await;
    let history = cache.history();
    let detail = history
        .iter()
        .find(|h| h.namespace == DETAIL.to_string())
        .expect("the detail namespace is counted");
    assert_eq!((detail.total.hits, detail.total.misses), (2, 1));
    // Since the snapshot: two hits, no miss.
    let last = detail.series.last().expect("an interval");
    assert_eq!((last.tally.hits, last.tally.misses), (2, 0));
    assert_eq!(last.hit_ratio, Some(1.0));
}
