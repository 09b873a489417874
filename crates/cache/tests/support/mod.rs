//! Shared test support: real Redis (or a loud skip outside CI), unique key prefixes, a TCP proxy
//! that can refuse or hang, and a way to run one test body on both stores.
// Each test binary uses its own subset.
#![allow(dead_code)]

pub mod proxy;
pub mod tls;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use fred::clients::Client;
use fred::interfaces::ClientLike;
use fred::types::config::Config;
use strata_cache::{Cache, CacheKey, CacheSettings, TtlClass};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const REDIS_ADDR: &str = "127.0.0.1:6379";

pub fn redis_url() -> String {
    std::env::var("STRATA_TEST_REDIS_URL").unwrap_or_else(|_| format!("redis://{REDIS_ADDR}"))
}

/// True if Redis answers. Missing Redis fails under `CI=true` and skips loudly elsewhere.
pub async fn require_redis() -> bool {
    let up = async {
        let mut stream = tokio::net::TcpStream::connect(REDIS_ADDR).await.ok()?;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream.write_all(b"PING\r\n").await.ok()?;
        let mut buf = [0u8; 7];
        stream.read_exact(&mut buf).await.ok()?;
        (&buf == b"+PONG\r\n").then_some(())
    };
    if tokio::time::timeout(std::time::Duration::from_secs(2), up)
        .await
        .ok()
        .flatten()
        .is_some()
    {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Redis is not reachable at {REDIS_ADDR} and CI=true: this test needs it");
    }
    eprintln!(
        "\n*** SKIPPED: Redis is not reachable at {REDIS_ADDR}; start it to run this test ***\n"
    );
    false
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

/// A plain connection to the real Redis, to look behind the engine's back.
pub async fn raw_redis() -> Client {
    let config = Config::from_url(&redis_url()).expect("redis url");
    let client = Client::new(config, None, None, None);
    client.init().await.expect("connect to redis");
    client
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Settings with short timeouts so failure tests finish quickly.
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
            Backend::Redis { env } => Cache::redis(&redis_url(), env, settings)
                .await
                .expect("redis cache"),
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
