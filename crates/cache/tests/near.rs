//! The near-cache across instances on real Redis: each engine below is an instance of one
//! deployment (its own pool, subscription and near-cache). An invalidation acknowledged on one
//! is seen by the first read on every other, including when its notice is late or lost, on a
//! bus gap and across a Redis outage.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fred::interfaces::{KeysInterface, PubsubInterface};
use strata_cache::{Cache, CacheSettings, Invalidation, Namespace};
use support::proxy::{Mode, Proxy};
use support::{REDIS_ADDR, fast_settings, load, raw_redis, redis_url, unique_env};

const DETAIL: Namespace = Namespace::public("nearapp", "detail");
const LIST: Namespace = Namespace::public("nearapp", "list");

/// An instance on `url`: the suite's Redis (trusting its test CA when that is TLS) or a proxy.
async fn instance(url: &str, env: &str, mut settings: CacheSettings) -> Cache {
    if url == redis_url() {
        support::test_settings_tls(&mut settings);
    }
    let cache = Cache::redis(url, env, settings).await.expect("cache");
    wait_for("the near-cache to listen", || {
        cache.health().near.is_some_and(|near| near.listening)
    })
    .await;
    cache
}

async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `<env>:myproject:_strata:bus…`, as the engine names the bus's counter and channel.
fn bus(env: &str, suffix: &str) -> String {
    format!("{env}:myproject:_strata:bus{suffix}")
}

/// `<env>:myproject:1:<key>`, where django-redis keeps a value.
fn stored(env: &str, key: &str) -> String {
    format!("{env}:myproject:1:{key}")
}

/// A near hit does not reach Redis: a value removed behind the engine's back (no
/// announcement) is still served from the near-cache; an invalidation through the engine is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hit_is_served_from_the_near_cache_until_invalidated() {
    if !support::require_redis().await {
        return;
    }
    let env = unique_env("near-hit");
    let cache = instance(&redis_url(), &env, CacheSettings::default()).await;
    let raw = raw_redis().await;
    let calls = AtomicUsize::new(0);
    let key = DETAIL.id(1);
    assert_eq!(load(&cache, &key, "v1", &calls).await, "v1");
    let _: i64 = raw.del(stored(&env, key.as_str())).await.unwrap();
    assert_eq!(load(&cache, &key, "v2", &calls).await, "v1", "served near");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(cache.health().near.unwrap().entries >= 1);

    assert_eq!(cache.invalidate(&key).await, Invalidation::Applied);
    assert_eq!(load(&cache, &key, "v3", &calls).await, "v3");
}

/// Excluded namespaces, and a near-cache switched off, are read from Redis every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switches_keep_namespaces_out() {
    if !support::require_redis().await {
        return;
    }
    let env = unique_env("near-switch");
    let raw = raw_redis().await;
    let mut excluded = CacheSettings::default();
    excluded.near.exclude = vec![DETAIL.to_string()];
    let mut off = CacheSettings::default();
    off.near.enabled = false;
    for settings in [excluded, off] {
        let mut settings = settings;
        support::test_settings_tls(&mut settings);
        let cache = Cache::redis(&redis_url(), &env, settings).await.unwrap();
        let calls = AtomicUsize::new(0);
        let key = DETAIL.id(7);
        load(&cache, &key, "v1", &calls).await;
        let _: i64 = raw.del(stored(&env, key.as_str())).await.unwrap();
        assert_eq!(load(&cache, &key, "v2", &calls).await, "v2");
        let _: i64 = raw.del(stored(&env, key.as_str())).await.unwrap();
    }
}

/// Two and three instances: every kind of invalidation through one is seen by the first read
/// on each of the others, many times over (the notices race the reads).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalidation_on_one_instance_is_seen_by_the_first_read_on_every_other() {
    if !support::require_redis().await {
        return;
    }
    let env = unique_env("near-instances");
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(instance(&redis_url(), &env, CacheSettings::default()).await);
    }
    let calls = AtomicUsize::new(0);
    for round in 0..60 {
        let writer = &instances[round % 3];
        let id = i64::try_from(round).unwrap();
        let key = if round % 2 == 0 {
            DETAIL.id(id)
        } else {
            LIST.id(id)
        };
        let old = format!("v{round}");
        for cache in &instances {
            load(cache, &key, &old, &calls).await;
            assert_eq!(load(cache, &key, "unused", &calls).await, old);
        }
        let outcome = match round % 4 {
            0 | 1 => writer.invalidate(&key).await,
            2 => writer.invalidate_namespace(key.namespace()).await,
            _ => {
                writer
                    .invalidate_all_of(&[LIST], std::slice::from_ref(&key))
                    .await
            }
        };
        assert_eq!(outcome, Invalidation::Applied);
        let new = format!("v{round}-new");
        for (i, cache) in instances.iter().enumerate() {
            assert_eq!(
                load(cache, &key, &new, &calls).await,
                new,
                "round {round}: instance {i} served a copy from before the invalidation"
            );
        }
    }
}

/// The forced interleaving: the invalidation is acknowledged (the key deleted and the bus
/// counter moved) but its notice has not reached the reader's instance. The reader waits for
/// it; when it never comes, the near-cache is emptied. Either way the first read is fresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_or_lost_notice_never_lets_a_copy_be_served() {
    if !support::require_redis().await {
        return;
    }
    let env = unique_env("near-late");
    let mut settings = CacheSettings::default();
    settings.near.wait_ms = 300;
    let reader = instance(&redis_url(), &env, settings).await;
    let raw = raw_redis().await;
    let calls = AtomicUsize::new(0);

    // Lost: the counter moves, no notice is ever published.
    let key = DETAIL.id(1);
    load(&reader, &key, "old", &calls).await;
    let _: i64 = raw.del(stored(&env, key.as_str())).await.unwrap();
    let _: i64 = raw.incr(bus(&env, ":epoch")).await.unwrap();
    let started = Instant::now();
    assert_eq!(load(&reader, &key, "new", &calls).await, "new");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "it waited for the notice"
    );

    // Late: the notice comes 100 ms after the read began; the read waits for it.
    let key = DETAIL.id(2);
    load(&reader, &key, "old", &calls).await;
    assert_eq!(load(&reader, &key, "unused", &calls).await, "old");
    let _: i64 = raw.del(stored(&env, key.as_str())).await.unwrap();
    let epoch: u64 = raw.incr(bus(&env, ":epoch")).await.unwrap();
    let notice = format!(
        "{epoch}\n{{\"origin\":\"elsewhere\",\"near\":{{\"keys\":[\"{}\"]}}}}",
        key.as_str()
    );
    let channel = bus(&env, "");
    let publisher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _: i64 = raw.publish(channel, notice).await.unwrap();
    });
    let started = Instant::now();
    assert_eq!(load(&reader, &key, "new", &calls).await, "new");
    assert!(started.elapsed() >= Duration::from_millis(100));
    publisher.await.unwrap();
}

/// A gap in the notices' numbers (one was lost) empties the near-cache, whatever the lost one
/// named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_in_the_bus_empties_the_near_cache() {
    if !support::require_redis().await {
        return;
    }
    let env = unique_env("near-gap");
    let reader = instance(&redis_url(), &env, CacheSettings::default()).await;
    let raw = raw_redis().await;
    let calls = AtomicUsize::new(0);
    let key = DETAIL.id(3);
    load(&reader, &key, "old", &calls).await;
    // Behind Strata's back: the value goes, and notice n+1 (which said so) is lost; n+2 names
    // something else.
    let _: i64 = raw.del(stored(&env, key.as_str())).await.unwrap();
    let _: i64 = raw.incr(bus(&env, ":epoch")).await.unwrap();
    let epoch: u64 = raw.incr(bus(&env, ":epoch")).await.unwrap();
    let notice = format!("{epoch}\n{{\"origin\":\"elsewhere\",\"near\":{{\"keys\":[]}}}}");
    let _: i64 = raw.publish(bus(&env, ""), notice).await.unwrap();
    wait_for("the gap to be seen", || {
        reader.health().near.is_some_and(|near| near.entries == 0)
    })
    .await;
    assert_eq!(load(&reader, &key, "new", &calls).await, "new");
}

/// While Redis is unreachable nothing is served from the near-cache (nothing proves it
/// current); the invalidation made meanwhile by another instance is seen once Redis is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_empties_the_near_cache() {
    if !support::require_redis().await {
        return;
    }
    let env = unique_env("near-outage");
    let proxy = Proxy::start(REDIS_ADDR).await;
    let reader = instance(&proxy.url(), &env, fast_settings()).await;
    // On the proxy's Redis, whatever the suite's: the proxy runs in front of the plain one.
    let writer = instance(
        &format!("redis://{REDIS_ADDR}"),
        &env,
        CacheSettings::default(),
    )
    .await;
    let calls = AtomicUsize::new(0);
    let key = DETAIL.id(4);
    load(&reader, &key, "old", &calls).await;
    assert_eq!(load(&reader, &key, "unused", &calls).await, "old");

    proxy.set(Mode::Refuse);
    assert_eq!(writer.invalidate(&key).await, Invalidation::Applied);
    assert_eq!(
        load(&reader, &key, "from the database", &calls).await,
        "from the database",
        "an outage is a miss, not a near hit"
    );
    assert_eq!(reader.health().near.unwrap().entries, 0);

    proxy.set(Mode::Forward);
    wait_for("the reader to resubscribe", || {
        let health = reader.health();
        !health.breaker_open && health.near.is_some_and(|near| near.listening)
    })
    .await;
    assert_eq!(load(&reader, &key, "new", &calls).await, "new");
}
