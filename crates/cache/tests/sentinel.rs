//! Sentinel URLs work: a real `redis-server --sentinel` monitoring the test Redis, and one
//! speaking TLS monitoring a TLS Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fred::interfaces::KeysInterface;
use strata_cache::{Cache, CacheSettings, Namespace};
use support::tls::{ClientCerts, TlsRedis};

/// A `redis-server --sentinel` monitoring `127.0.0.1:<primary>` as `strata-primary`, on a port
/// of its own (`listen` is the config's listening lines, plain or TLS); stopped on drop.
struct Sentinel {
    process: Child,
    dir: PathBuf,
}

impl Sentinel {
    async fn start(tag: &str, listen: &str, primary: u16, port: u16) -> Sentinel {
        let dir = std::env::temp_dir().join(support::unique_env(tag));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let conf = dir.join("sentinel.conf");
        // Sentinel rewrites its config file, so it gets a private, writable one.
        std::fs::write(
            &conf,
            format!(
                "{listen}\nbind 127.0.0.1\ndir {}\nsentinel monitor strata-primary 127.0.0.1 {primary} 1\n",
                dir.display()
            ),
        )
        .expect("write sentinel.conf");
        let process = Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server --sentinel (Debian's redis-server package)");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "sentinel did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Sentinel { process, dir }
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Fills a value through the primary the sentinel reports and reads it back as a hit.
async fn through_sentinel(url: &str, env: &str, settings: CacheSettings) -> Cache {
    let cache = Cache::redis(url, env, settings)
        .await
        .expect("sentinel url accepted");
    let key = Namespace::public("sentinel", "detail").id(1);
    let calls = AtomicUsize::new(0);
    assert_eq!(
        support::load(&cache, &key, "through sentinel", &calls).await,
        "through sentinel"
    );
    assert_eq!(
        support::load(&cache, &key, "again", &calls).await,
        "through sentinel"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the second read was a hit");
    cache
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_url_reaches_the_monitored_primary() {
    if !support::require_redis().await {
        return;
    }
    let port = support::free_port();
    let _sentinel = Sentinel::start("sentinel", &format!("port {port}"), 6379, port).await;
    let env = support::unique_env("via-sentinel");
    let url = format!("redis-sentinel://127.0.0.1:{port}/0?sentinelServiceName=strata-primary");
    through_sentinel(&url, &env, CacheSettings::default()).await;
    let key = Namespace::public("sentinel", "detail").id(1);
    let stored: Option<String> = support::redis_client(&format!("redis://{}", support::REDIS_ADDR))
        .await
        .get(format!("{env}:myproject:1:{key}"))
        .await
        .expect("get");
    assert_eq!(
        stored.as_deref(),
        Some("\"through sentinel\""),
        "the value landed on the primary"
    );
}

/// `rediss-sentinel://`: the sentinel and the primary it reports both speak only TLS, verified
/// with `cache.redis.ca_file` (the primary's name is the address the sentinel reports).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_over_tls_reaches_the_monitored_primary() {
    let Some(redis) = TlsRedis::start("sentinel-tls", ClientCerts::NotAsked).await else {
        return;
    };
    let port = support::free_port();
    let file = |name: &str| redis.file(name).display().to_string();
    let listen = format!(
        "port 0\ntls-port {port}\ntls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\n\
         tls-auth-clients no\ntls-replication yes",
        file("server.crt"),
        file("server.key"),
        file("ca.crt"),
    );
    let _sentinel = Sentinel::start("sentinel-tls", &listen, redis.port, port).await;
    let url = format!("rediss-sentinel://127.0.0.1:{port}/0?sentinelServiceName=strata-primary");
    let mut settings = support::fast_settings();
    settings.redis.ca_file = Some(redis.file("ca.crt"));
    through_sentinel(&url, &support::unique_env("via-tls-sentinel"), settings).await;
    // Without the CA the sentinel's certificate does not verify: refused at start.
    let refused = Cache::redis(&url, "tls-sentinel", support::fast_settings()).await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("UnknownIssuer")),
        "a sentinel whose certificate does not verify was accepted"
    );
}
