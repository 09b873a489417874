//! Every read, bypass and invalidation is counted per namespace, on both stores.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, OnceLock};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use strata_cache::{CacheSettings, Invalidation, Namespace};
use support::{Backend, load};

const LIST: Namespace = Namespace::public("metricsapp", "list");
const DETAIL: Namespace = Namespace::public("metricsapp", "detail");

fn snapshotter() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder
            .install()
            .expect("the only recorder of this test process");
        snapshotter
    })
}

/// A counter's name and its labels, sorted.
type Series = (String, Vec<(String, String)>);

/// Counter totals so far, keyed by name and sorted labels. A debugging snapshot drains the
/// counters, so totals are accumulated here.
fn totals() -> BTreeMap<Series, u64> {
    static TOTALS: Mutex<BTreeMap<Series, u64>> = Mutex::new(BTreeMap::new());
    let mut totals = TOTALS.lock().unwrap();
    for (key, _, _, value) in snapshotter().snapshot().into_vec() {
        if let DebugValue::Counter(n) = value {
            let mut labels: Vec<(String, String)> = key
                .key()
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            *totals
                .entry((key.key().name().to_owned(), labels))
                .or_default() += n;
        }
    }
    totals.clone()
}

/// The counter `name` for `namespace` (and `extra` label, if given), summed over other labels.
fn counter(name: &str, namespace: &Namespace, extra: Option<(&str, &str)>) -> u64 {
    let has = |labels: &[(String, String)], k: &str, v: &str| {
        labels.iter().any(|(lk, lv)| lk == k && lv == v)
    };
    totals()
        .into_iter()
        .filter(|((n, labels), _)| {
            n == name
                && has(labels, "namespace", &namespace.to_string())
                && extra.is_none_or(|(k, v)| has(labels, k, v))
        })
        .map(|(_, n)| n)
        .sum()
}

on_both_stores!(reads_bypasses_and_invalidations_are_counted_per_namespace);

async fn reads_bypasses_and_invalidations_are_counted_per_namespace(backend: Backend) {
    snapshotter();
    let cache = backend.engine(CacheSettings::default()).await;
    let calls = AtomicUsize::new(0);
    // Misses of the store itself (a near-cache miss is counted under `layer="near"`).
    let store = Some(("layer", cache.health().backend));
    let (hits, misses) = (
        counter("strata_cache_hits_total", &LIST, None),
        counter("strata_cache_misses_total", &LIST, store),
    );

    load(&cache, &LIST.id(1), "v", &calls).await; // miss
    load(&cache, &LIST.id(1), "v", &calls).await; // hit
    load(&cache, &LIST.id(1), "v", &calls).await; // hit
    load(&cache, &DETAIL.id(1), "v", &calls).await; // another namespace's miss
    assert_eq!(
        counter("strata_cache_misses_total", &LIST, store) - misses,
        1
    );
    assert_eq!(counter("strata_cache_hits_total", &LIST, None) - hits, 2);

    cache.set_enabled(&LIST, false).await.expect("flag off");
    let bypassed = counter(
        "strata_cache_bypasses_total",
        &LIST,
        Some(("reason", "flag_off")),
    );
    load(&cache, &LIST.id(1), "v", &calls).await;
    let now = counter(
        "strata_cache_bypasses_total",
        &LIST,
        Some(("reason", "flag_off")),
    );
    assert_eq!(now - bypassed, 1);
    cache.set_enabled(&LIST, true).await.expect("flag on");

    let applied = Some(("outcome", "applied"));
    let invalidated = counter("strata_cache_invalidations_total", &LIST, applied);
    assert_eq!(
        cache.invalidate_namespace(&LIST).await,
        Invalidation::Applied
    );
    assert_eq!(cache.invalidate(&LIST.id(1)).await, Invalidation::Applied);
    assert_eq!(
        counter("strata_cache_invalidations_total", &LIST, applied) - invalidated,
        2
    );
}

/// With Redis, hits and misses say which layer answered: the near-cache (`layer="near"`) or
/// Redis itself (`layer="redis"`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_and_redis_hits_are_counted_apart() {
    if !support::require_redis().await {
        return;
    }
    snapshotter();
    const NEAR: Namespace = Namespace::public("metricsapp", "near");
    let cache = Backend::Redis {
        env: support::unique_env("metrics-near"),
    }
    .engine(CacheSettings::default())
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !cache.health().near.is_some_and(|near| near.listening) {
        assert!(
            std::time::Instant::now() < deadline,
            "the near-cache never listened"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let layer = |name, layer| counter(name, &NEAR, Some(("layer", layer)));
    let calls = AtomicUsize::new(0);
    load(&cache, &NEAR.id(1), "v", &calls).await; // a miss in both layers; filled in both
    load(&cache, &NEAR.id(1), "v", &calls).await; // a near hit
    assert_eq!(layer("strata_cache_misses_total", "near"), 1);
    assert_eq!(layer("strata_cache_misses_total", "redis"), 1);
    assert_eq!(layer("strata_cache_hits_total", "near"), 1);
    assert_eq!(layer("strata_cache_hits_total", "redis"), 0);
}
