//! A Sentinel URL works: a real `redis-server --sentinel` monitoring the test Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use std::convert::Infallible;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fred::interfaces::KeysInterface;
use strata_cache::{Cache, CacheSettings, Namespace, TtlClass};

struct Sentinel(Child);

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_url_reaches_the_monitored_primary() {
    if !support::require_redis().await {
        return;
    }
    let dir = std::env::temp_dir().join(support::unique_env("sentinel"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let port = support::free_port();
    let conf = dir.join("sentinel.conf");
    // Sentinel rewrites its config file, so it gets a private, writable one.
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbind 127.0.0.1\ndir {}\nsentinel monitor strata-primary 127.0.0.1 6379 1\n",
            dir.display()
        ),
    )
    .expect("write sentinel.conf");
    let _sentinel = Sentinel(
        Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server --sentinel (Debian's redis-server package)"),
    );
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

    let env = support::unique_env("via-sentinel");
    let url = format!("redis-sentinel://127.0.0.1:{port}/0?sentinelServiceName=strata-primary");
    let cache = Cache::redis(&url, &env, CacheSettings::default())
        .await
        .expect("sentinel url accepted");
    let key = Namespace::public("sentinel", "detail").id(1);
    let value = cache
        .get_or_load(&key, TtlClass::PublicDetail, || async {
            Ok::<_, Infallible>("through sentinel".to_owned())
        })
        .await
        .unwrap_or_else(|never| match never {});
    assert_eq!(value, "through sentinel");
    assert!(!cache.health().breaker_open);
    let stored: Option<String> = support::raw_redis()
        .await
        .get(format!("{env}:myproject:1:{key}"))
        .await
        .expect("get");
    assert_eq!(
        stored.as_deref(),
        Some("\"through sentinel\""),
        "the value landed on the primary"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
