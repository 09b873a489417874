//! `bench/run.sh`: the cache engine against baselines measured in the same run, on the same Redis.
//!
//! 1. Hit path: `Cache::get_or_load` on a warm key vs a raw `GET` of the same stored key through
//!    a fred pool of the same size (and a raw `GET` plus the JSON decode the engine also does),
//!    at concurrency 1 and 32; the in-process store for reference.
//! 2. Namespace invalidation with 1k / 100k / 1M unrelated keys present vs django-redis's
//!    `delete_pattern` (`SCAN MATCH *<ns>* COUNT 10` over the keyspace, then `DEL`).
//! 3. Redis Cluster (`REDIS_CLUSTER_URL`; empty skips it) against one Redis as the baseline:
//!    hit, miss (lease, index registrations, fill) and namespace invalidation among 1M keys.
//!
//! Results replace the cache-engine section of the Markdown file named as the first argument.
//! With `SMOKE=1` every scenario runs briefly (a few seconds in all) and nothing is written: CI
//! proves the documented command still works, the numbers are discarded.

use std::collections::HashMap;
use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fred::clients::Pool;
use fred::interfaces::{ClientLike, ClusterInterface, KeysInterface, ServerInterface};
use fred::types::config::Config;
use fred::types::{Builder, ClusterHash, CustomCommand, Expiration, Value};
use serde_json::json;
use strata_cache::{Cache, CacheKey, CacheSettings, Invalidation, Namespace, TtlClass};

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const DETAIL: Namespace = Namespace::public("bench", "detail");
const LIST: Namespace = Namespace::public("bench", "list");
const HOT: Namespace = Namespace::public("bench", "hot");
const MISS: Namespace = Namespace::public("bench", "miss");
const SPREAD: Namespace = Namespace::public("bench", "spread");
/// A scenario stops early past this, whatever its op count.
const SCENARIO_LIMIT: Duration = Duration::from_secs(20);
const NAMESPACE_KEYS: i64 = 100;
const BEGIN: &str = "<!-- cache-engine:begin -->";
const END: &str = "<!-- cache-engine:end -->";

/// How much work each scenario does.
struct Plan {
    hit_ops: usize,
    /// Unrelated keys present in each invalidation row.
    unrelated: &'static [usize],
    /// Invalidations timed per row (the median is reported), fewer for the largest keyspace.
    repeats: fn(usize) -> usize,
    /// Cluster vs one Redis: `get_or_load` calls per hit or miss row.
    cluster_ops: usize,
    /// Cluster vs one Redis: unrelated keys loaded on each (spread over the primaries).
    cluster_unrelated: usize,
    /// Cluster vs one Redis: namespace sizes invalidated, each with its repeat count.
    cluster_namespaces: &'static [(i64, usize)],
}

const FULL: Plan = Plan {
    hit_ops: 20_000,
    unrelated: &[1_000, 100_000, 1_000_000],
    repeats: |unrelated| if unrelated >= 1_000_000 { 3 } else { 5 },
    cluster_ops: 10_000,
    cluster_unrelated: 1_000_000,
    cluster_namespaces: &[(1_000, 5), (10_000, 3)],
};

const SMOKE: Plan = Plan {
    hit_ops: 320,
    unrelated: &[1_000, 10_000],
    repeats: |_| 1,
    cluster_ops: 64,
    cluster_unrelated: 10_000,
    cluster_namespaces: &[(100, 1)],
};

struct Stats {
    ops: usize,
    p50: Duration,
    p99: Duration,
    per_second: f64,
}

/// Runs `op` `ops` times split over `concurrency` tasks; latency per op, throughput overall.
async fn measure<F, Fut>(concurrency: usize, ops: usize, op: F) -> BenchResult<Stats>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = BenchResult<()>> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(ops / concurrency);
            for _ in 0..ops / concurrency {
                if started.elapsed() > SCENARIO_LIMIT {
                    break;
                }
                let t = Instant::now();
                op().await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, Box<dyn Error + Send + Sync>>(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(ops);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Ok(Stats {
        ops: latencies.len(),
        p50: at(0.50),
        p99: at(0.99),
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
    })
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// A realistic cached value: a property detail of about 2 KB.
fn detail_value() -> serde_json::Value {
    json!({
        "id": 1,
        "title": "ویلای ساحلی با چشم‌انداز دریا",
        "slug": "villa-sea-view-1",
        "description": "<p>".to_owned() + &"نمای دریا، حیاط بزرگ و پارکینگ. ".repeat(30) + "</p>",
        "deal": "sale", "price": "12500000000.00", "deposit": null, "area": "240.00", "rooms": 4,
        "city": "Ramsar", "district": "Sadat Mahalleh", "status": "published", "featured": true,
        "category": {"id": 3, "slug": "villa", "name": "ویلا"},
        "tags": [{"id": 1, "slug": "sea-view", "name": "Sea view"}, {"id": 2, "slug": "parking", "name": "Parking"}],
        "images": [{"id": 9, "url": "/media/properties/1/front.jpg", "position": 0}],
        "published_at": "2026-11-01T09:30:00Z", "updated_at": "2026-11-20T17:05:12Z",
    })
}

async fn hit_path(
    plan: &Plan,
    url: &str,
    env: &str,
    pool: &Pool,
    out: &mut String,
) -> BenchResult<()> {
    let cache = Cache::redis(url, env, CacheSettings::default()).await?;
    let memory = Cache::memory(CacheSettings::default())?;
    let key = DETAIL.id(1);
    let value = detail_value();
    for c in [&cache, &memory] {
        let v = value.clone();
        c.get_or_load(&key, TtlClass::PublicDetail, || async move {
            Ok::<_, Infallible>(v)
        })
        .await?;
    }
    let stored = format!("{env}:myproject:1:{key}");
    let bytes: Option<Vec<u8>> = pool.get(&stored).await?;
    let size = bytes.map_or(0, |b| b.len());

    out.push_str(&format!(
        "### Hit path: `get_or_load` on a warm key vs a raw `GET` (value of {size} bytes)\n\n\
         Same Redis, same pool size ({} connections), {} operations per row.\n\n\
         | operation | concurrency | p50 | p99 | ops/s | p50 vs raw GET | ops/s vs raw GET |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        CacheSettings::default().redis.pool_size,
        plan.hit_ops
    ));
    for concurrency in [1, 32] {
        let raw = {
            let (pool, stored) = (pool.clone(), stored.clone());
            measure(concurrency, plan.hit_ops, move || {
                let (pool, stored) = (pool.clone(), stored.clone());
                async move {
                    let _: Option<Vec<u8>> = pool.get(stored).await?;
                    Ok(())
                }
            })
            .await?
        };
        let raw_decode = {
            let (pool, stored) = (pool.clone(), stored.clone());
            measure(concurrency, plan.hit_ops, move || {
                let (pool, stored) = (pool.clone(), stored.clone());
                async move {
                    let bytes: Option<Vec<u8>> = pool.get(stored).await?;
                    let _: serde_json::Value = serde_json::from_slice(&bytes.unwrap_or_default())?;
                    Ok(())
                }
            })
            .await?
        };
        let redis = warm_hits(cache.clone(), key.clone(), concurrency, plan.hit_ops).await?;
        let memory = warm_hits(memory.clone(), key.clone(), concurrency, plan.hit_ops).await?;
        for (name, stats) in [
            ("raw `GET` (baseline)", &raw),
            ("raw `GET` + JSON decode", &raw_decode),
            ("`get_or_load`, Redis", &redis),
            ("`get_or_load`, in-process", &memory),
        ] {
            out.push_str(&format!(
                "| {name} | {concurrency} | {} | {} | {:.0} | {:.2}× | {:.2}× |\n",
                micros(stats.p50),
                micros(stats.p99),
                stats.per_second,
                stats.p50.as_secs_f64() / raw.p50.as_secs_f64(),
                stats.per_second / raw.per_second,
            ));
            if stats.ops < plan.hit_ops {
                out.push_str(&format!(
                    "| ↑ stopped after {} ops (time limit) | | | | | | |\n",
                    stats.ops
                ));
            }
        }
    }
    out.push('\n');
    Ok(())
}

/// django-redis's `delete_pattern`: `SCAN MATCH pattern COUNT 10` through the whole keyspace,
/// deleting what matches.
async fn scan_delete(pool: &Pool, pattern: &str) -> BenchResult<usize> {
    let client = pool.next();
    let scan = CustomCommand::new_static("SCAN", ClusterHash::Random, false);
    let mut cursor = "0".to_owned();
    let mut deleted = 0;
    loop {
        let (next, keys): (String, Vec<String>) = client
            .custom(
                scan.clone(),
                vec![cursor.as_str(), "MATCH", pattern, "COUNT", "10"],
            )
            .await?;
        if !keys.is_empty() {
            deleted += keys.len();
            let _: i64 = client.del(keys).await?;
        }
        if next == "0" {
            return Ok(deleted);
        }
        cursor = next;
    }
}

fn unrelated_key(env: &str, i: usize) -> String {
    format!("{env}:myproject:1:public:noise:item:{i}")
}

async fn invalidation(
    plan: &Plan,
    url: &str,
    env: &str,
    pool: &Pool,
    out: &mut String,
) -> BenchResult<()> {
    let cache = Cache::redis(url, env, CacheSettings::default()).await?;
    let pattern = format!("{env}:myproject:1:*{LIST}*");
    out.push_str(&format!(
        "### Namespace invalidation: {NAMESPACE_KEYS} keys in the namespace, more unrelated keys around\n\n\
         Median wall time of one invalidation. Baseline: django-redis's `delete_pattern(\"*{LIST}*\")`, \
         i.e. `SCAN MATCH <ENV>:myproject:1:*{LIST}* COUNT 10` (django-redis's `make_pattern`) over the whole keyspace, then `DEL` of each page.\n\n\
         | unrelated keys | keys in the Redis db | Strata `invalidate_namespace` | SCAN-based `delete_pattern` | speed-up |\n\
         |---:|---:|---:|---:|---:|\n"
    ));
    let mut loaded = 0;
    for &unrelated in plan.unrelated {
        unrelated_keys(pool, env, loaded..unrelated, true).await?;
        loaded = unrelated;
        let dbsize: u64 = pool.next().dbsize().await?;
        let (mut strata, mut scan) = (Vec::new(), Vec::new());
        for _ in 0..(plan.repeats)(unrelated) {
            fill(&cache, LIST, NAMESPACE_KEYS).await?;
            let t = Instant::now();
            if cache.invalidate_namespace(&LIST).await != Invalidation::Applied {
                return Err("the namespace invalidation did not reach Redis".into());
            }
            strata.push(t.elapsed());
            fill(&cache, LIST, NAMESPACE_KEYS).await?;
            let t = Instant::now();
            let deleted = scan_delete(pool, &pattern).await?;
            scan.push(t.elapsed());
            // Data keys, their index; leases are gone after the fills.
            if deleted < NAMESPACE_KEYS as usize {
                return Err(format!("delete_pattern found {deleted} keys").into());
            }
        }
        let (strata, scan) = (median(strata), median(scan));
        out.push_str(&format!(
            "| {unrelated} | {dbsize} | {} | {} | {:.0}× |\n",
            millis(strata),
            millis(scan),
            scan.as_secs_f64() / strata.as_secs_f64()
        ));
    }
    out.push('\n');
    unrelated_keys(pool, env, 0..loaded, false).await?;
    Ok(())
}

/// fred's configuration for a Redis URL as Strata reads it (a cluster's seed list included).
fn raw_config(url: &str) -> BenchResult<Config> {
    Ok(strata_cache::redis_config(
        url,
        &CacheSettings::default().redis,
    )?)
}

/// The keys grouped by the primary that owns their slot (one group on one Redis), so that each
/// pipeline goes to one node.
fn by_node(pool: &Pool, keys: Vec<String>) -> Vec<Vec<String>> {
    let Some(routing) = pool.next().cached_cluster_state() else {
        return vec![keys];
    };
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for key in keys {
        let node = routing
            .get_server(fred::util::redis_keyslot(key.as_bytes()))
            .map(|server| server.to_string())
            .unwrap_or_default();
        groups.entry(node).or_default().push(key);
    }
    groups.into_values().collect()
}

/// Sets (expiring on their own if the benchmark is interrupted) or deletes the unrelated keys
/// `range`, in pipelines of single-key commands, one per node and batch, the nodes in parallel.
async fn unrelated_keys(
    pool: &Pool,
    env: &str,
    range: std::ops::Range<usize>,
    set: bool,
) -> BenchResult<()> {
    for start in range.clone().step_by(30_000) {
        let keys = (start..(start + 30_000).min(range.end))
            .map(|i| unrelated_key(env, i))
            .collect();
        let mut tasks = Vec::new();
        for group in by_node(pool, keys) {
            let pipeline = pool.next().pipeline();
            tasks.push(tokio::spawn(async move {
                for key in group {
                    let _: () = if set {
                        pipeline
                            .set(key, "x", Some(Expiration::EX(900)), None, false)
                            .await?
                    } else {
                        pipeline.del(key).await?
                    };
                }
                let _: Vec<Value> = pipeline.all().await?;
                Ok::<_, Box<dyn Error + Send + Sync>>(())
            }));
        }
        for task in tasks {
            task.await??;
        }
    }
    Ok(())
}

/// Keys on the server, or on all the cluster's primaries.
async fn key_count(pool: &Pool) -> BenchResult<u64> {
    let client = pool.next();
    let Some(routing) = client.cached_cluster_state() else {
        return Ok(client.dbsize().await?);
    };
    let mut total = 0;
    for node in routing.unique_primary_nodes() {
        let keys: u64 = client.with_cluster_node(node).dbsize().await?;
        total += keys;
    }
    Ok(total)
}

/// Loads `ns.id(0..keys)` through `get_or_load` (32 at a time), so that every key goes through
/// the index as it does in production.
async fn fill(cache: &Cache, ns: Namespace, keys: i64) -> BenchResult<()> {
    let next = Arc::new(AtomicI64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (cache, next, ns) = (cache.clone(), next.clone(), ns.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let id = next.fetch_add(1, Ordering::Relaxed);
                if id >= keys {
                    return Ok::<_, Box<dyn Error + Send + Sync>>(());
                }
                cache
                    .get_or_load(&ns.id(id), TtlClass::PublicList, || async move {
                        Ok::<_, Infallible>(json!({"id": id}))
                    })
                    .await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// A deployment the cluster comparison runs on: its engine and a raw pool to check and clean.
struct Deployment {
    cache: Cache,
    pool: Pool,
}

impl Deployment {
    /// Whether `key` is stored: `get_or_load` serves the loader when Redis fails (fail open),
    /// so the rows check that their keys really reached it.
    async fn stored(&self, env: &str, key: &CacheKey) -> BenchResult<bool> {
        let found: Option<Vec<u8>> = self.pool.get(format!("{env}:myproject:1:{key}")).await?;
        Ok(found.is_some())
    }

    async fn invalidate(&self, ns: &Namespace) -> BenchResult<()> {
        match self.cache.invalidate_namespace(ns).await {
            Invalidation::Applied => Ok(()),
            Invalidation::Queued => Err(format!("invalidating {ns} did not reach Redis").into()),
        }
    }
}

/// `get_or_load` of a key that is already cached: a miss would be an error.
async fn warm_hits(
    cache: Cache,
    key: CacheKey,
    concurrency: usize,
    ops: usize,
) -> BenchResult<Stats> {
    measure(concurrency, ops, move || {
        let (cache, key) = (cache.clone(), key.clone());
        async move {
            let _: serde_json::Value = cache
                .get_or_load(&key, TtlClass::PublicDetail, || async {
                    Err::<serde_json::Value, _>("a miss in a hit benchmark")
                })
                .await?;
            Ok(())
        }
    })
    .await
}

/// Every call a new key of `MISS`: lookup script, index registration, load, registration with
/// the TTL, fill script.
async fn miss_stats(
    deployment: &Deployment,
    env: &str,
    concurrency: usize,
    ops: usize,
) -> BenchResult<Stats> {
    let cache = deployment.cache.clone();
    let value = Arc::new(detail_value());
    let next = Arc::new(AtomicI64::new(0));
    let counter = next.clone();
    let stats = measure(concurrency, ops, move || {
        let (cache, value) = (cache.clone(), value.clone());
        let key = MISS.id(next.fetch_add(1, Ordering::Relaxed));
        async move {
            let _: serde_json::Value = cache
                .get_or_load(&key, TtlClass::PublicDetail, || async move {
                    Ok::<_, Infallible>((*value).clone())
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    let last = MISS.id(counter.load(Ordering::Relaxed) - 1);
    if !deployment.stored(env, &last).await? {
        return Err(format!("the miss row's last key {last} was not stored").into());
    }
    deployment.invalidate(&MISS).await?;
    Ok(stats)
}

/// The invalidation of a `keys`-key namespace, timed; checks that it really deleted the keys.
async fn timed_invalidation(
    deployment: &Deployment,
    env: &str,
    keys: i64,
) -> BenchResult<Duration> {
    fill(&deployment.cache, SPREAD, keys).await?;
    let (first, last) = (SPREAD.id(0), SPREAD.id(keys - 1));
    if !deployment.stored(env, &first).await? || !deployment.stored(env, &last).await? {
        return Err("the namespace to invalidate was not stored".into());
    }
    let t = Instant::now();
    deployment.invalidate(&SPREAD).await?;
    let elapsed = t.elapsed();
    if deployment.stored(env, &first).await? || deployment.stored(env, &last).await? {
        return Err("the namespace invalidation left keys behind".into());
    }
    Ok(elapsed)
}

fn ratio(cluster: f64, one: f64) -> String {
    format!("{:.2}×", cluster / one)
}

async fn cluster_vs_one(
    plan: &Plan,
    one_url: &str,
    cluster_url: &str,
    env: &str,
    one_pool: &Pool,
    out: &mut String,
) -> BenchResult<()> {
    // A hit then asks Redis for the value, not an in-process copy: the row compares the stores.
    let mut settings = CacheSettings::default();
    settings.near.enabled = false;
    let pool_size = settings.redis.pool_size;
    let cluster_pool = Builder::from_config(raw_config(cluster_url)?).build_pool(pool_size)?;
    cluster_pool.init().await?;
    let primaries = cluster_pool
        .next()
        .cached_cluster_state()
        .map_or(0, |routing| routing.unique_primary_nodes().len());
    if primaries == 0 {
        return Err(format!("{cluster_url} is not a Redis Cluster").into());
    }
    let one = Deployment {
        cache: Cache::redis(one_url, env, settings.clone()).await?,
        pool: one_pool.clone(),
    };
    let cluster = Deployment {
        cache: Cache::redis(cluster_url, env, settings).await?,
        pool: cluster_pool,
    };
    let value = detail_value();
    for deployment in [&one, &cluster] {
        let v = value.clone();
        deployment
            .cache
            .get_or_load(&HOT.id(1), TtlClass::PublicDetail, || async move {
                Ok::<_, Infallible>(v)
            })
            .await?;
    }

    out.push_str(&format!(
        "### Redis Cluster vs one Redis\n\n\
         The same engine on one Redis (the baseline) and on a Redis Cluster of {primaries} primaries \
         (each with a replica; all nodes on this machine), measured in the same run: \
         pool of {pool_size} connections, near-cache off so that every hit reads the store, \
         {} `get_or_load` calls per row. A miss is a new key each time: the lookup script (value \
         and lease, one slot), the key registered in the namespace index (the index's slot), \
         the load, the registration with the TTL, the fill script — the same steps on one Redis.\n\n\
         | operation | concurrency | one Redis p50 | p99 | ops/s | cluster p50 | p99 | ops/s | p50 cluster/one | ops/s cluster/one |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        plan.cluster_ops
    ));
    for (name, miss) in [
        ("`get_or_load` hit (warm key)", false),
        ("`get_or_load` miss (new key)", true),
    ] {
        for concurrency in [1, 32] {
            let mut rows = Vec::new();
            for deployment in [&one, &cluster] {
                rows.push(if miss {
                    miss_stats(deployment, env, concurrency, plan.cluster_ops).await?
                } else {
                    warm_hits(
                        deployment.cache.clone(),
                        HOT.id(1),
                        concurrency,
                        plan.cluster_ops,
                    )
                    .await?
                });
            }
            let (o, c) = (&rows[0], &rows[1]);
            out.push_str(&format!(
                "| {name} | {concurrency} | {} | {} | {:.0} | {} | {} | {:.0} | {} | {} |\n",
                micros(o.p50),
                micros(o.p99),
                o.per_second,
                micros(c.p50),
                micros(c.p99),
                c.per_second,
                ratio(c.p50.as_secs_f64(), o.p50.as_secs_f64()),
                ratio(c.per_second, o.per_second),
            ));
            // `measure` splits the ops evenly over the tasks, dropping the remainder.
            let expected = plan.cluster_ops / concurrency * concurrency;
            if o.ops < expected || c.ops < expected {
                out.push_str(&format!(
                    "| ↑ stopped after {} / {} ops (time limit) | | | | | | | | | |\n",
                    o.ops, c.ops
                ));
            }
        }
    }

    eprintln!(
        "cluster vs one Redis: loading {} unrelated keys on each…",
        plan.cluster_unrelated
    );
    for deployment in [&one, &cluster] {
        unrelated_keys(&deployment.pool, env, 0..plan.cluster_unrelated, true).await?;
    }
    let (one_keys, cluster_keys) = (key_count(&one.pool).await?, key_count(&cluster.pool).await?);
    out.push_str(&format!(
        "\nNamespace invalidation among {} unrelated keys (loaded on each, spread over the \
         cluster's primaries by their hash slots): median wall time of `invalidate_namespace`, \
         which snapshots the index (`RENAME`) and deletes the keys with their leases, on a \
         cluster in one `DEL` per hash slot sent concurrently, on one Redis in one `DEL` per \
         chunk of the index. Keys present: {one_keys} on one Redis, {cluster_keys} on the cluster's primaries.\n\n\
         | keys in the namespace | runs | one Redis | cluster | cluster/one |\n\
         |---:|---:|---:|---:|---:|\n",
        plan.cluster_unrelated
    ));
    for &(keys, repeats) in plan.cluster_namespaces {
        let (mut o, mut c) = (Vec::new(), Vec::new());
        for _ in 0..repeats {
            o.push(timed_invalidation(&one, env, keys).await?);
            c.push(timed_invalidation(&cluster, env, keys).await?);
        }
        let (o, c) = (median(o), median(c));
        out.push_str(&format!(
            "| {keys} | {repeats} | {} | {} | {} |\n",
            millis(o),
            millis(c),
            ratio(c.as_secs_f64(), o.as_secs_f64())
        ));
    }
    out.push('\n');
    for deployment in [&one, &cluster] {
        unrelated_keys(&deployment.pool, env, 0..plan.cluster_unrelated, false).await?;
        deployment.invalidate(&HOT).await?;
    }
    // The bus counter the invalidations bumped (main deletes one Redis's).
    let _: i64 = cluster.pool.del(bus_epoch_key(env)).await?;
    Ok(())
}

async fn redis_version(pool: &Pool) -> BenchResult<String> {
    let info: String = pool
        .next()
        .info(Some(fred::types::InfoKind::Server))
        .await?;
    Ok(info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .unwrap_or("unknown")
        .trim()
        .to_owned())
}

/// Where the engine counts its bus notices (`KeyPrefix::meta("bus:epoch")`): no TTL, so the
/// bench deletes it.
fn bus_epoch_key(env: &str) -> String {
    format!("{env}:myproject:_strata:bus:epoch")
}

/// The 1-minute load average, to tell a quiet machine from a busy one.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn write_section(path: &str, section: &str) -> BenchResult<()> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{BEGIN}\n{section}{END}");
    let updated = match (current.find(BEGIN), current.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!(
                "{}{block}{}",
                &current[..begin],
                &current[end + END.len()..]
            )
        }
        _ => format!("{}\n{block}\n", current.trim_end()),
    };
    std::fs::write(path, updated)?;
    Ok(())
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    let output = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "docs/BENCHMARKS.md".to_owned());
    let smoke = std::env::var("SMOKE").is_ok_and(|v| v == "1");
    let plan = if smoke { &SMOKE } else { &FULL };
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let env = format!("bench-{}-{nanos}", std::process::id());
    let pool = Builder::from_config(raw_config(&url)?)
        .build_pool(CacheSettings::default().redis.pool_size)?;
    pool.init().await?;

    let cluster_url = std::env::var("REDIS_CLUSTER_URL").unwrap_or_else(|_| {
        "redis-cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103".to_owned()
    });
    let load_at_start = load_average();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut out = format!(
        "## Cache engine\n\nMeasured {} UTC with `bench/run.sh` (release build) on {cores} cores, \
         Redis {} on loopback; load average {load_at_start} when it started, LOAD_AT_END when it \
         ended (above {cores}, something else competed for the cores).\n\n",
        std::process::Command::new("date")
            .args(["-u", "+%Y-%m-%d %H:%M"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default(),
        redis_version(&pool).await?
    );
    eprintln!("hit path…");
    hit_path(plan, &url, &env, &pool, &mut out).await?;
    eprintln!(
        "namespace invalidation (loads up to {} keys)…",
        plan.unrelated.iter().max().unwrap_or(&0)
    );
    invalidation(plan, &url, &env, &pool, &mut out).await?;
    if cluster_url.is_empty() {
        eprintln!("REDIS_CLUSTER_URL is empty: Redis Cluster vs one Redis not measured");
        out.push_str("### Redis Cluster vs one Redis\n\nNot measured: no cluster (`REDIS_CLUSTER_URL` empty).\n\n");
    } else {
        eprintln!("Redis Cluster ({cluster_url}) vs one Redis…");
        cluster_vs_one(plan, &url, &cluster_url, &env, &pool, &mut out).await?;
    }
    let out = out.replace("LOAD_AT_END", &load_average());
    let _: i64 = pool
        .next()
        .del(vec![
            format!("{env}:myproject:1:{}", DETAIL.id(1)),
            format!("{env}:myproject:1:{DETAIL}:_index"),
            bus_epoch_key(&env),
        ])
        .await?;
    if smoke {
        eprintln!("SMOKE=1: {output} left unchanged");
    } else {
        write_section(&output, &out)?;
    }
    println!("{out}");
    Ok(())
}
