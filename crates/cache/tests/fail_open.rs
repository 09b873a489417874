//! Redis refused or hung: every call still answers (from the loader), no call waits on a
//! timeout once the breaker is open, errors are logged at ERROR without flooding, the breaker
//! closes by itself, and invalidations that could not reach Redis are replayed.
//!
//! Each test runs in its own process under nextest, so the captured log is the test's own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fred::interfaces::KeysInterface;
use strata_cache::{Cache, CacheSettings, Invalidation, Namespace};
use support::proxy::{Mode, Proxy};
use support::{PausedFill, REDIS_ADDR, fast_settings, load, raw_redis, unique_env};

const DETAIL: Namespace = Namespace::public("failapp", "detail");
const OTHER: Namespace = Namespace::public("failapp", "other");

static LOG: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    let _ = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(|| Capture)
        .try_init();
}

fn log_lines(needle: &str) -> Vec<String> {
    let log = LOG
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    String::from_utf8_lossy(&log)
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

async fn eventually(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for: {what}; log:\n{}",
            log_lines("").join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Calls while the store is failing: all answered by the loader; once the breaker is open each
/// returns well within the command timeout, because none reaches the store.
async fn calls_while_failing(cache: &Cache, settings: &CacheSettings) {
    let calls = AtomicUsize::new(0);
    for i in 0..settings.breaker_threshold {
        assert_eq!(
            load(cache, &DETAIL.id(100 + i64::from(i)), "db", &calls).await,
            "db"
        );
    }
    assert!(
        cache.health().breaker_open,
        "breaker opens after consecutive failures"
    );
    let timeout = Duration::from_millis(settings.redis.command_timeout_ms);
    for i in 0..20 {
        let started = Instant::now();
        assert_eq!(load(cache, &DETAIL.id(200 + i), "db", &calls).await, "db");
        assert!(
            started.elapsed() < timeout / 2,
            "a call waited {:?} with the breaker open",
            started.elapsed()
        );
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        settings.breaker_threshold as usize + 20
    );
}

fn assert_error_logged_once(command: &str) {
    let lines = log_lines(&format!("command=\"{command}\""));
    assert!(lines.iter().all(|l| l.contains("ERROR")), "{lines:?}");
    assert_eq!(
        lines.len(),
        1,
        "one ERROR line per command and interval, not a flood: {lines:?}"
    );
    assert_eq!(log_lines("circuit breaker opened").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_refused_fails_open_and_recovers() {
    if !support::require_redis().await {
        return;
    }
    capture_logs();
    let proxy = Proxy::start(REDIS_ADDR).await;
    proxy.set(Mode::Refuse);
    let settings = fast_settings();
    let cache = Cache::redis(&proxy.url(), &unique_env("refused"), settings.clone())
        .await
        .expect("starts while Redis is down");

    calls_while_failing(&cache, &settings).await;
    assert_error_logged_once("get");

    proxy.set(Mode::Forward);
    eventually("breaker closes", Duration::from_secs(10), || {
        !cache.health().breaker_open
    })
    .await;
    let calls = AtomicUsize::new(0);
    assert_eq!(
        load(&cache, &DETAIL.id(1), "filled", &calls).await,
        "filled"
    );
    assert_eq!(
        load(&cache, &DETAIL.id(1), "again", &calls).await,
        "filled",
        "cached again after recovery"
    );
    assert_eq!(log_lines("circuit breaker closed").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_hung_fails_open_and_replays_invalidations() {
    if !support::require_redis().await {
        return;
    }
    capture_logs();
    let proxy = Proxy::start(REDIS_ADDR).await;
    let env = unique_env("hung");
    let settings = fast_settings();
    let cache = Cache::redis(&proxy.url(), &env, settings.clone())
        .await
        .expect("cache");
    let calls = AtomicUsize::new(0);
    let key = DETAIL.id(1);
    load(&cache, &key, "old", &calls).await;
    let stored_key = format!("{env}:myproject:1:{key}");

    proxy.set(Mode::Hang);
    calls_while_failing(&cache, &settings).await;
    assert_error_logged_once("get");
    let get = log_lines("command=\"get\"");
    assert!(
        get[0].contains("kind=\"timeout\""),
        "the error kind is logged: {get:?}"
    );

    // The mutation's invalidation cannot reach Redis: it is queued, the old value still there.
    assert_eq!(cache.invalidate(&key).await, Invalidation::Queued);
    assert_eq!(cache.health().pending_invalidations, 1);
    let raw = raw_redis().await;
    let still: Option<String> = raw.get(&stored_key).await.expect("get");
    assert_eq!(still.as_deref(), Some("\"old\""));

    proxy.set(Mode::Forward);
    eventually("replay and close", Duration::from_secs(10), || {
        let health = cache.health();
        !health.breaker_open && health.pending_invalidations == 0
    })
    .await;
    let gone: Option<String> = raw.get(&stored_key).await.expect("get");
    assert_eq!(gone, None, "the queued invalidation was replayed");
    assert_eq!(load(&cache, &key, "new", &calls).await, "new");
}

/// Failures too scattered to open the breaker (on a cluster: one node's slots, or one stuck
/// client of the pool, between successes; forced here with a threshold out of reach) still
/// report the store as partly failing, until a probe reaches it through every connection.
/// Connections that keep failing that probe are renewed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_the_breaker_ignores_are_probed_until_every_connection_answers() {
    if !support::require_redis().await {
        return;
    }
    capture_logs();
    let proxy = Proxy::start(REDIS_ADDR).await;
    let mut settings = fast_settings();
    settings.breaker_threshold = 1_000;
    let cache = Cache::redis(&proxy.url(), &unique_env("scattered"), settings)
        .await
        .expect("cache");
    let calls = AtomicUsize::new(0);
    assert_eq!(
        load(&cache, &DETAIL.id(1), "filled", &calls).await,
        "filled"
    );
    assert!(!cache.health().connections_unverified);

    proxy.set(Mode::Hang);
    assert_eq!(load(&cache, &DETAIL.id(2), "db", &calls).await, "db");
    let health = cache.health();
    assert!(!health.breaker_open && health.pending_invalidations == 0);
    assert!(
        health.connections_unverified,
        "a failure that did not open the breaker is reported"
    );
    eventually(
        "the connections that keep failing are renewed",
        Duration::from_secs(30),
        || !log_lines("Redis connections renewed").is_empty(),
    )
    .await;
    assert!(cache.health().connections_unverified);

    proxy.set(Mode::Forward);
    eventually(
        "every connection answers again",
        Duration::from_secs(10),
        || !cache.health().connections_unverified,
    )
    .await;
    assert_eq!(
        load(&cache, &DETAIL.id(1), "again", &calls).await,
        "filled",
        "a hit again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_overflow_collapses_into_namespace_invalidation() {
    if !support::require_redis().await {
        return;
    }
    let proxy = Proxy::start(REDIS_ADDR).await;
    let mut settings = fast_settings();
    settings.replay_capacity = 2;
    let cache = Cache::redis(&proxy.url(), &unique_env("overflow"), settings.clone())
        .await
        .expect("cache");
    let calls = AtomicUsize::new(0);
    for id in 1..=4 {
        load(&cache, &DETAIL.id(id), "old", &calls).await;
    }
    load(&cache, &OTHER.id(1), "other", &calls).await;

    proxy.set(Mode::Refuse);
    calls_while_failing(&cache, &settings).await;
    for id in 1..=3 {
        assert_eq!(cache.invalidate(&DETAIL.id(id)).await, Invalidation::Queued);
    }
    assert_eq!(
        cache.health().pending_invalidations,
        1,
        "three keys over a capacity of two: one namespace"
    );

    proxy.set(Mode::Forward);
    eventually("replayed", Duration::from_secs(10), || {
        let health = cache.health();
        !health.breaker_open && health.pending_invalidations == 0
    })
    .await;
    // More was invalidated than asked (key 4), never less; other namespaces are untouched.
    assert_eq!(load(&cache, &DETAIL.id(4), "new", &calls).await, "new");
    assert_eq!(load(&cache, &DETAIL.id(1), "new", &calls).await, "new");
    assert_eq!(load(&cache, &OTHER.id(1), "new", &calls).await, "other");
}

/// A loader holds a lease when this instance's invalidation fails and is queued; Redis heals
/// before the replay. Its fill must not store the old row in that window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_is_abandoned_when_an_invalidation_is_queued_meanwhile() {
    if !support::require_redis().await {
        return;
    }
    let proxy = Proxy::start(REDIS_ADDR).await;
    let env = unique_env("queued-epoch");
    let mut settings = fast_settings();
    settings.probe_interval_ms = 3_000; // a wide window between healing and replay
    let cache = Cache::redis(&proxy.url(), &env, settings)
        .await
        .expect("cache");
    let key = DETAIL.id(5);
    let reader = PausedFill::start(&cache, &key, "old").await;
    // Refused, not hung: a hung proxy would deliver the DEL late and hide the window.
    proxy.set(Mode::Refuse);
    assert_eq!(cache.invalidate(&key).await, Invalidation::Queued); // fails: queued
    assert_eq!(cache.health().pending_invalidations, 1);
    assert!(
        !cache.health().breaker_open,
        "one failure does not open the breaker"
    );
    proxy.set(Mode::Forward);
    // Let the pool reconnect so the fill can reach Redis (replay is still seconds away).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(reader.finish().await, "old");
    let raw = raw_redis().await;
    let stored: Option<String> = raw
        .get(format!("{env}:myproject:1:{key}"))
        .await
        .expect("get");
    assert_eq!(
        stored, None,
        "the old row was not stored while its invalidation waited for replay"
    );
}

/// Every failure is either an ERROR line or counted in the next one, including a burst that
/// stops (the engine flushes the count when the interval ends).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_logged_once_per_interval_with_a_count() {
    if !support::require_redis().await {
        return;
    }
    capture_logs();
    let proxy = Proxy::start(REDIS_ADDR).await;
    proxy.set(Mode::Refuse);
    let mut settings = fast_settings();
    settings.breaker_threshold = 1_000; // keep every call reaching the store
    // The burst (4 × at most 100 ms) ends well inside one interval.
    settings.redis.command_timeout_ms = 100;
    settings.error_log_interval_ms = 1_000;
    settings.probe_interval_ms = 100;
    let cache = Cache::redis(&proxy.url(), &unique_env("errlog"), settings)
        .await
        .expect("cache");
    let calls = AtomicUsize::new(0);
    let failures = 4;
    for id in 0..failures {
        assert_eq!(load(&cache, &DETAIL.id(id), "db", &calls).await, "db");
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let lines = log_lines("command=\"get\"");
    let suppressed: u64 = lines
        .iter()
        .filter_map(|line| line.split("suppressed=").nth(1))
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .filter_map(|digits| digits.parse::<u64>().ok())
        .sum();
    let logged = lines
        .iter()
        .filter(|l| l.contains("command failed"))
        .count() as u64;
    assert!(logged < failures as u64, "rate-limited: {lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("kept failing")),
        "the burst's count is flushed: {lines:?}"
    );
    assert_eq!(
        logged + suppressed,
        failures as u64,
        "every failure accounted for: {lines:?}"
    );
}

/// Writes keep coming while Redis is away, and each one queues its invalidation. Once Redis is
/// back the breaker must still close: the replay drains what queued during the replay itself
/// instead of waiting a probe interval per round (which a steady write rate never lets empty).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_closes_under_a_steady_stream_of_writes() {
    if !support::require_redis().await {
        return;
    }
    let proxy = Proxy::start(REDIS_ADDR).await;
    let cache = Cache::redis(&proxy.url(), &unique_env("steady"), fast_settings())
        .await
        .expect("cache");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (cache, stop) = (cache.clone(), stop.clone());
        tokio::spawn(async move {
            let mut id = 0;
            while !stop.load(Ordering::Relaxed) {
                let _ = cache.invalidate(&DETAIL.id(id % 500)).await;
                id += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    proxy.set(Mode::Refuse);
    eventually("the breaker opens", Duration::from_secs(10), || {
        cache.health().breaker_open
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.set(Mode::Forward);
    eventually(
        "the breaker closes while writes go on",
        Duration::from_secs(5),
        || {
            let health = cache.health();
            !health.breaker_open && health.pending_invalidations == 0
        },
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("the writer ran");
}
