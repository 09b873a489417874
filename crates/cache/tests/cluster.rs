//! Redis Cluster: the engine under a resharding, a primary failover and a primary crash, with
//! two instances reading and writing throughout. Every caller gets an answer, nothing
//! acknowledged is ever read stale, and the cache serves hits again once the cluster has healed.
//!
//! The engine's other suites run on a cluster too: `scripts/test` reruns them with
//! `STRATA_TEST_REDIS_URL=redis-cluster://…` against the shared cluster of `scripts/redis-cluster`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use strata_cache::{Cache, CacheError, CacheKey, CacheSettings, Invalidation, Namespace, TtlClass};
use support::cluster::Cluster;

const DETAIL: Namespace = Namespace::public("clustered", "detail");
const LIST: Namespace = Namespace::public("clustered", "list");
const ROWS: usize = 40;

/// The "database": each row's version, and the highest version whose invalidation was
/// acknowledged (`Applied`): a read that starts after that must not return less.
struct Db {
    versions: Vec<AtomicU64>,
    acked: Vec<AtomicU64>,
    /// The list's acknowledged versions, per row (the list holds every row's version).
    list_acked: Vec<AtomicU64>,
}

impl Db {
    fn new() -> Self {
        let zeros = || (0..ROWS).map(|_| AtomicU64::new(0)).collect();
        Db {
            versions: zeros(),
            acked: zeros(),
            list_acked: zeros(),
        }
    }

    fn snapshot(&self) -> Vec<u64> {
        self.versions
            .iter()
            .map(|v| v.load(Ordering::SeqCst))
            .collect()
    }
}

#[derive(Default)]
struct Tally {
    reads: AtomicUsize,
    stale: AtomicUsize,
    applied: AtomicUsize,
    queued: AtomicUsize,
}

async fn read_row(cache: &Cache, db: &Db, row: usize) -> u64 {
    cache
        .get_or_load(&DETAIL.id(row as i64), TtlClass::PublicDetail, || async {
            Ok::<_, Infallible>(db.versions[row].load(Ordering::SeqCst))
        })
        .await
        .unwrap_or_else(|never| match never {})
}

async fn read_list(cache: &Cache, db: &Db) -> Vec<u64> {
    cache
        .get_or_load(&LIST.named("all"), TtlClass::PublicList, || async {
            Ok::<_, Infallible>(db.snapshot())
        })
        .await
        .unwrap_or_else(|never| match never {})
}

/// A write: the row's new version, then one invalidation of its key and of the list namespace.
async fn write(cache: &Cache, db: &Db, row: usize, tally: &Tally) {
    let version = db.versions[row].fetch_add(1, Ordering::SeqCst) + 1;
    let key: CacheKey = DETAIL.id(row as i64);
    match cache.invalidate_all_of(&[LIST], &[key]).await {
        Invalidation::Applied => {
            db.acked[row].fetch_max(version, Ordering::SeqCst);
            db.list_acked[row].fetch_max(version, Ordering::SeqCst);
            tally.applied.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            tally.queued.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn reader(cache: Cache, db: Arc<Db>, tally: Arc<Tally>, stop: Arc<AtomicBool>, seed: usize) {
    let mut n = seed;
    while !stop.load(Ordering::Relaxed) {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let row = (n >> 33) % ROWS;
        if n.is_multiple_of(4) {
            let floors: Vec<u64> = db
                .list_acked
                .iter()
                .map(|v| v.load(Ordering::SeqCst))
                .collect();
            let list = read_list(&cache, &db).await;
            if list.iter().zip(&floors).any(|(got, floor)| got < floor) {
                tally.stale.fetch_add(1, Ordering::Relaxed);
            }
        } else {
            let floor = db.acked[row].load(Ordering::SeqCst);
            if read_row(&cache, &db, row).await < floor {
                tally.stale.fetch_add(1, Ordering::Relaxed);
            }
        }
        tally.reads.fetch_add(1, Ordering::Relaxed);
        // A read answered without touching Redis (breaker open) never yields on its own.
        tokio::task::yield_now().await;
    }
}

async fn writer(cache: Cache, db: Arc<Db>, tally: Arc<Tally>, stop: Arc<AtomicBool>, first: usize) {
    let mut row = first;
    while !stop.load(Ordering::Relaxed) {
        write(&cache, &db, row % ROWS, &tally).await;
        row += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn settings() -> CacheSettings {
    let mut settings = support::fast_settings();
    settings.redis.pool_size = 4;
    settings
}

/// Waits until neither instance holds back invalidations or reads, and every connection of
/// each answered since its last failed command (a connection that fails only some commands —
/// one node's slots — never opens the breaker, yet turns the hits it serves into misses).
async fn settled(caches: &[Cache]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while caches.iter().any(|cache| {
        let health = cache.health();
        health.breaker_open || health.pending_invalidations > 0 || health.connections_unverified
    }) {
        assert!(
            Instant::now() < deadline,
            "the instances did not recover within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resharding_a_failover_and_a_crashed_primary_serve_nothing_stale() {
    // What the engine logs (connections restarted or renewed, replays) shows in a failure's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("strata_cache=info")
        .try_init();
    let Some(cluster) = Cluster::start("cluster-failover") else {
        return;
    };
    let env = support::unique_env("failover");
    let mut caches = Vec::new();
    for _ in 0..2 {
        caches.push(
            Cache::redis(&cluster.url(), &env, settings())
                .await
                .expect("cluster cache"),
        );
    }
    let db = Arc::new(Db::new());
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (i, cache) in caches.iter().enumerate() {
        tasks.push(tokio::spawn(writer(
            cache.clone(),
            db.clone(),
            tally.clone(),
            stop.clone(),
            i * ROWS / 2,
        )));
        for seed in 0..3 {
            tasks.push(tokio::spawn(reader(
                cache.clone(),
                db.clone(),
                tally.clone(),
                stop.clone(),
                i * 10 + seed + 1,
            )));
        }
    }

    tokio::time::sleep(Duration::from_millis(500)).await;
    // A resharding: the slots of the list, its index, the bus's counter and some rows move to
    // another primary, each held half-moved for a while (`ASK`, `TRYAGAIN`, then `MOVED`).
    let prefix = format!("{env}:myproject:1:");
    let mut moved: Vec<String> = vec![
        format!("{prefix}{}", LIST.named("all")),
        format!("{prefix}{LIST}:_index"),
        format!("{env}:myproject:_strata:bus:epoch"),
    ];
    moved.extend((0..4).map(|row| format!("{prefix}{}", DETAIL.id(row))));
    let resharding = Instant::now();
    cluster
        .reshard_slots_of(&moved, Duration::from_millis(150))
        .await;
    settled(&caches).await;
    let after_resharding = resharding.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A graceful failover: the replica catches up, then takes the primary's slots.
    let primaries = cluster.primaries();
    let replica = cluster.replica_of(primaries[0]);
    cluster.failover(replica).await;
    let failed_over = Instant::now();
    settled(&caches).await;
    let after_failover = failed_over.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A crash: the replica is promoted once the others mark the primary failed.
    let killed = Instant::now();
    let promoted = cluster.crash_a_primary_other_than(replica).await;
    settled(&caches).await;
    let after_crash = killed.elapsed();
    // More load on the healed cluster.
    tokio::time::sleep(Duration::from_millis(1_000)).await;

    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("no reader or writer panicked");
    }
    settled(&caches).await;

    let reads = tally.reads.load(Ordering::Relaxed);
    let stale = tally.stale.load(Ordering::Relaxed);
    eprintln!(
        "healthy {after_resharding:?} after the resharding began, {after_failover:?} after the \
         failover; after the crash: promoted in \
         {promoted:?}, healthy in {after_crash:?}; {reads} reads, {} writes applied, {} queued, \
         {stale} stale",
        tally.applied.load(Ordering::Relaxed),
        tally.queued.load(Ordering::Relaxed),
    );
    assert!(reads > 500, "the readers ran: {reads}");
    assert_eq!(stale, 0, "a read returned less than an acknowledged write");

    // Healed: every instance reads the last version of every row and of the list, and the
    // second read of each is a hit again.
    let expected = db.snapshot();
    for cache in &caches {
        assert_eq!(read_list(cache, &db).await, expected);
        for (row, version) in expected.iter().enumerate() {
            assert_eq!(read_row(cache, &db, row).await, *version, "row {row}");
        }
    }
    let loads = AtomicUsize::new(0);
    for row in 0..ROWS {
        caches[1]
            .get_or_load(&DETAIL.id(row as i64), TtlClass::PublicDetail, || async {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Infallible>(0_u64)
            })
            .await
            .unwrap_or_else(|never| match never {});
    }
    assert_eq!(
        loads.load(Ordering::SeqCst),
        0,
        "the cache serves hits again"
    );
}

#[tokio::test]
async fn a_key_prefix_with_braces_is_refused() {
    // Refused before anything connects: no server needed.
    let refused = Cache::redis(
        "redis-cluster://127.0.0.1:1,127.0.0.1:2",
        "te{st}",
        CacheSettings::default(),
    )
    .await;
    let Err(CacheError::RedisConfig(error)) = refused else {
        panic!("a prefix with braces was accepted");
    };
    assert!(error.to_string().contains("contains `{` or `}`"), "{error}");
}
