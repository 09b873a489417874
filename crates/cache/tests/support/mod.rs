//! Shared test support: real Redis (or a loud skip outside CI), unique key prefixes, a TCP proxy
//! that can refuse or hang, and a way to run one test body on both stores.
// Each test binary uses its own subset.
#![allow(dead_code)]

pub mod cluster;
pub mod proxy;
pub mod tls;

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fred::clients::Client;
use fred::interfaces::ClientLike;
use fred::types::Builder;
use fred::types::config::Config;
use strata_cache::{Cache, CacheKey, CacheSettings, TtlClass};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The plain Redis that the proxy tests put themselves in front of.
pub const REDIS_ADDR: &str = "127.0.0.1:6379";

/// Which Redis the suites run on: `redis://`, `rediss://` (with [`CA_FILE_VAR`]) or
/// `redis-cluster://host:port,host:port` (Strata's form: comma-separated seeds).
const URL_VAR: &str = "STRATA_TEST_REDIS_URL";
/// The CA that signs the certificate of a `rediss://` [`URL_VAR`] server.
const CA_FILE_VAR: &str = "STRATA_TEST_REDIS_CA_FILE";

pub fn redis_url() -> String {
    std::env::var(URL_VAR).unwrap_or_else(|_| format!("redis://{REDIS_ADDR}"))
}

fn is_tls(url: &str) -> bool {
    url.split_once("://")
        .and_then(|(scheme, _)| scheme.split('-').next())
        .is_some_and(|scheme| matches!(scheme, "rediss" | "valkeys"))
}

/// Trusts the test CA when the suites run over TLS, so that every engine built on [`redis_url`]
/// verifies its server. Not for engines behind the plain-text proxy: those dial `redis://`.
pub fn test_settings_tls(settings: &mut CacheSettings) {
    trust_test_ca(&redis_url(), settings);
}

/// `ca_file` from [`CA_FILE_VAR`] when `url` is TLS and no CA is set yet.
fn trust_test_ca(url: &str, settings: &mut CacheSettings) {
    if is_tls(url) && settings.redis.ca_file.is_none() {
        settings.redis.ca_file = std::env::var_os(CA_FILE_VAR).map(PathBuf::from);
    }
}

/// True if the Redis of [`redis_url`] answers (every primary, for a cluster). Missing Redis
/// fails under `CI=true` and skips loudly elsewhere; a URL asked for explicitly (the
/// [`URL_VAR`] variable) fails everywhere.
pub async fn require_redis() -> bool {
    let url = redis_url();
    if answers(&url).await {
        return true;
    }
    if std::env::var_os(URL_VAR).is_some() {
        let hint = if is_tls(&url) {
            format!(" (or its certificate is not signed by {CA_FILE_VAR})")
        } else {
            String::new()
        };
        panic!(
            "Redis does not answer at {URL_VAR}={url}{hint}, and this test was asked to run on it"
        );
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Redis is not reachable at {url} and CI=true: this test needs it");
    }
    eprintln!("\n*** SKIPPED: Redis is not reachable at {url}; start it to run this test ***\n");
    false
}

async fn answers(url: &str) -> bool {
    const WITHIN: Duration = Duration::from_secs(2);
    let Ok(client) = Builder::from_config(fred_config(url))
        .with_connection_config(|c| c.connection_timeout = WITHIN)
        .build()
    else {
        return false;
    };
    let ping = async {
        client.init().await.ok()?;
        client.ping::<String>(None).await.ok()
    };
    let answered = tokio::time::timeout(WITHIN, ping)
        .await
        .ok()
        .flatten()
        .is_some();
    if answered {
        let _ = client.quit().await;
    }
    answered
}

/// A plain connection to the real Redis of [`redis_url`], to look behind the engine's back.
pub async fn raw_redis() -> Client {
    redis_client(&redis_url()).await
}

/// A connected fred client for a test Redis URL (plain, TLS, Sentinel or Cluster).
pub async fn redis_client(url: &str) -> Client {
    let client = Client::new(fred_config(url), None, None, None);
    client.init().await.expect("connect to redis");
    client
}

/// fred's configuration for a URL in the forms Strata accepts, as the engine builds it (a
/// cluster's seed list, TLS trusting [`CA_FILE_VAR`]).
pub fn fred_config(url: &str) -> Config {
    let mut settings = CacheSettings::default();
    trust_test_ca(url, &mut settings);
    strata_cache::redis_config(url, &settings.redis).expect("a usable Redis URL")
}

/// An `ENV` value no other test (or run) shares, so every test owns its keyspace.
pub fn unique_env(tag: &str) -> String {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "test-{tag}-{}-{nanos}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Settings with short timeouts so failure tests finish quickly. Plain text whatever
/// [`redis_url`] is: the failure tests reach Redis through the plain-text proxy.
pub fn fast_settings() -> CacheSettings {
    let mut settings = CacheSettings::default();
    settings.redis.connect_timeout_ms = 500;
    settings.redis.command_timeout_ms = 500;
    settings.redis.pool_size = 2;
    settings.breaker_threshold = 3;
    settings.probe_interval_ms = 200;
    settings.error_log_interval_ms = 60_000;
    settings
}

/// `get_or_load` of a string whose loader counts its calls: how tests see hits and misses.
pub async fn load(cache: &Cache, key: &CacheKey, value: &str, calls: &AtomicUsize) -> String {
    cache
        .get_or_load(key, TtlClass::PublicDetail, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Infallible>(value.to_owned())
        })
        .await
        .unwrap_or_else(|never| match never {})
}

/// A slow reader forced into place: a `get_or_load` of `key` whose loader has read the database
/// (it will return `value`) and is paused until [`finish`](Self::finish). Tests use it to put an
/// invalidation, an outage or a rival caller exactly between the read and the fill.
pub struct PausedFill {
    task: JoinHandle<Result<String, Infallible>>,
    resume: oneshot::Sender<()>,
}

impl PausedFill {
    /// Returns once the loader is running (so this caller holds the key's lease).
    pub async fn start(cache: &Cache, key: &CacheKey, value: &str) -> Self {
        let (started_tx, started_rx) = oneshot::channel();
        let (resume, resume_rx) = oneshot::channel::<()>();
        let (cache, key, value) = (cache.clone(), key.clone(), value.to_owned());
        let task = tokio::spawn(async move {
            cache
                .get_or_load(&key, TtlClass::PublicDetail, || async move {
                    let _ = started_tx.send(());
                    let _ = resume_rx.await;
                    Ok::<_, Infallible>(value)
                })
                .await
        });
        started_rx.await.expect("the paused loader started");
        PausedFill { task, resume }
    }

    /// Lets the loader return and its fill run; returns what its caller got.
    pub async fn finish(self) -> String {
        self.resume.send(()).expect("the paused loader is waiting");
        let result = self.task.await.expect("the paused caller completed");
        result.unwrap_or_else(|never| match never {})
    }
}

/// Which store a test body runs on.
#[derive(Clone, Debug)]
pub enum Backend {
    Memory,
    Redis { env: String },
}

impl Backend {
    /// A fresh engine. On Redis, engines of one `Backend` share a keyspace (like instances of
    /// one deployment); on memory each engine has its own store (like separate processes).
    pub async fn engine(&self, settings: CacheSettings) -> Cache {
        match self {
            Backend::Memory => Cache::memory(settings).expect("memory cache"),
            Backend::Redis { env } => {
                let mut settings = settings;
                test_settings_tls(&mut settings);
                Cache::redis(&redis_url(), env, settings)
                    .await
                    .expect("redis cache")
            }
        }
    }

    pub fn is_redis(&self) -> bool {
        matches!(self, Backend::Redis { .. })
    }
}

/// Runs an `async fn(Backend)` test body once on the in-process store and once on real Redis.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                super::$name($crate::support::Backend::Memory).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                if $crate::support::require_redis().await {
                    let env = $crate::support::unique_env(stringify!($name));
                    super::$name($crate::support::Backend::Redis { env }).await;
                }
            }
        }
    )*};
}
