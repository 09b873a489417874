//! `rediss://` against a real TLS Redis: verification with `cache.redis.ca_file`, mutual TLS with
//! `cert_file`/`key_file`, and every way it can go wrong failing at start with the reason.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use strata_cache::{Cache, CacheError, CacheSettings, Invalidation, Namespace};
use support::tls::{ClientCerts, TlsRedis};

fn settings_with(redis: &TlsRedis, files: &[&str]) -> CacheSettings {
    let mut settings = support::fast_settings();
    for file in files {
        let path = Some(redis.file(file));
        match *file {
            "ca.crt" | "other-ca.crt" => settings.redis.ca_file = path,
            "client.crt" => settings.redis.cert_file = path,
            "client.key" => settings.redis.key_file = path,
            other => panic!("no setting for {other}"),
        }
    }
    settings
}

/// Start-up must fail with a TLS reason containing `expected`.
async fn refused(url: &str, settings: CacheSettings, expected: &str) {
    match Cache::redis(url, &support::unique_env("tls-refused"), settings).await {
        Ok(_) => panic!("{url} started although TLS cannot work"),
        Err(e) => {
            let message = e.to_string();
            assert!(
                matches!(e, CacheError::RedisConfig(_)) && message.contains(expected),
                "expected a configuration error about `{expected}`, got: {message}"
            );
        }
    }
}

/// A value is filled, served from Redis, and invalidated: the cache really works over TLS.
async fn round_trip(cache: &Cache) {
    let key = Namespace::public("tls", "detail").id(1);
    let calls = AtomicUsize::new(0);
    assert_eq!(support::load(cache, &key, "v1", &calls).await, "v1");
    assert_eq!(support::load(cache, &key, "v2", &calls).await, "v1");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the second read was a hit");
    assert_eq!(cache.invalidate(&key).await, Invalidation::Applied);
    assert_eq!(support::load(cache, &key, "v3", &calls).await, "v3");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_with_the_ca_file_connects() {
    let Some(redis) = TlsRedis::start("tls-ok", ClientCerts::NotAsked).await else {
        return;
    };
    let url = format!("rediss://127.0.0.1:{}", redis.port);
    let cache = Cache::redis(&url, "tls-ok", settings_with(&redis, &["ca.crt"]))
        .await
        .expect("rediss:// with the right CA starts");
    round_trip(&cache).await;
    assert!(!cache.health().breaker_open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_does_not_verify_fails_start_up() {
    let Some(redis) = TlsRedis::start("tls-wrong-ca", ClientCerts::NotAsked).await else {
        return;
    };
    let port = redis.port;
    // Signed by a CA nobody trusts (neither ca_file nor the built-in roots).
    refused(
        &format!("rediss://127.0.0.1:{port}"),
        settings_with(&redis, &["other-ca.crt"]),
        "UnknownIssuer",
    )
    .await;
    refused(
        &format!("rediss://127.0.0.1:{port}"),
        support::fast_settings(),
        "UnknownIssuer",
    )
    .await;
    // The right CA, but the URL names a host the certificate is not for.
    refused(
        &format!("rediss://127.0.0.2:{port}"),
        settings_with(&redis, &["ca.crt"]),
        "not valid for name",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_needs_the_client_certificate() {
    let Some(redis) = TlsRedis::start("tls-mutual", ClientCerts::Required).await else {
        return;
    };
    // `localhost`: the name the server's certificate is checked against (and sent as SNI).
    let url = format!("rediss://localhost:{}", redis.port);
    let cache = Cache::redis(
        &url,
        "tls-mutual",
        settings_with(&redis, &["ca.crt", "client.crt", "client.key"]),
    )
    .await
    .expect("rediss:// with a client certificate starts");
    round_trip(&cache).await;

    // Without one, the server refuses after the handshake; start-up says so.
    refused(
        &url,
        settings_with(&redis, &["ca.crt"]),
        "CertificateRequired",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_never_reaches_a_tls_port() {
    let Some(redis) = TlsRedis::start("tls-plain", ClientCerts::NotAsked).await else {
        return;
    };
    let url = format!("redis://127.0.0.1:{}", redis.port);
    // TLS files with a plain-text URL are a mistake caught before anything connects.
    refused(&url, settings_with(&redis, &["ca.crt"]), "plain text").await;

    // Without them it is a Redis Strata cannot talk to: it starts (fail-open) but nothing works.
    let cache = Cache::redis(&url, "tls-plain", support::fast_settings())
        .await
        .expect("starts without the data cache");
    let key = Namespace::public("tls", "plain").id(1);
    assert_eq!(cache.invalidate(&key).await, Invalidation::Queued);
    assert!(cache.disabled_namespaces().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_to_a_plain_text_redis_fails_start_up() {
    if !support::require_redis().await {
        return;
    }
    let url = format!("rediss://{}", support::REDIS_ADDR);
    refused(&url, support::fast_settings(), "TLS with Redis at").await;
}

#[tokio::test]
async fn unreadable_tls_files_are_configuration_errors() {
    let dir = std::env::temp_dir().join(support::unique_env("tls-files"));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    // Nothing listens: the files are read before any connection.
    let url = format!("rediss://127.0.0.1:{}", support::free_port());

    let mut settings = support::fast_settings();
    settings.redis.ca_file = Some(dir.join("missing.pem"));
    refused(&url, settings, "cache.redis.ca_file").await;

    let mut settings = support::fast_settings();
    settings.redis.ca_file = Some(garbage.clone());
    refused(&url, settings, "no PEM certificate").await;

    let mut settings = support::fast_settings();
    settings.redis.cert_file = Some(garbage.clone());
    settings.redis.key_file = Some(garbage.clone());
    refused(&url, settings, "cache.redis.cert_file").await;

    let mut settings = support::fast_settings();
    settings.redis.cert_file = Some(garbage);
    match Cache::redis(&url, "tls-files", settings).await {
        Err(CacheError::Settings(errors)) => assert!(
            errors.iter().any(|e| e.contains("set both or neither")),
            "{errors:?}"
        ),
        other => panic!(
            "a certificate without its key was accepted: {:?}",
            other.err()
        ),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
