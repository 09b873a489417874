//! `strata serve` end to end: the real binary on a free port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Server, redis_available, redis_url, unique_env};
use serde_json::{Value, json};

async fn get(server: &Server, path: &str) -> (u16, String) {
    let response = reqwest::get(server.url(path)).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn get_json(server: &Server, path: &str) -> (u16, Value) {
    let (status, body) = get(server, path).await;
    let value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {body}"));
    (status, value)
}

#[tokio::test]
async fn memory_backend_serves_health_readiness_metrics_apart_and_drf_404() {
    let server = Server::start(&[]);

    assert_eq!(
        get_json(&server, "/healthz").await,
        (200, json!({"status": "ok"}))
    );

    let (status, ready) = get_json(&server, "/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["degraded"], false);
    assert_eq!(ready["cache"]["backend"], "memory");
    assert_eq!(ready["cache"]["breaker_open"], false);
    assert_eq!(ready["cache"]["pending_invalidations"], 0);

    assert_eq!(
        get_json(&server, "/api/no/such/route").await,
        (404, json!({"detail": "Not found."}))
    );
    // Outside the API, people and crawlers get the site's 404 page.
    let (status, page) = get(&server, "/no/such/route").await;
    assert_eq!(status, 404);
    assert!(page.contains(r#"<html lang="fa" dir="rtl">"#), "{page}");

    // Metrics are not the public's: not on the application's port, only on their own
    // listener (loopback by default).
    assert_eq!(get(&server, "/metrics").await.0, 404);
    let response = reqwest::get(server.metrics_url()).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(server.metrics_addr.unwrap().ip().is_loopback());
    let metrics = response.text().await.unwrap();
    for needle in [
        "strata_cache_breaker_open",
        "strata_http_requests_total",
        r#"route="/healthz",status="200""#,
        r#"route="unmatched",status="404""#,
        "strata_http_request_duration_seconds_bucket",
    ] {
        assert!(
            metrics.contains(needle),
            "/metrics lacks {needle}:\n{metrics}"
        );
    }
}

#[tokio::test]
async fn redis_backend_is_ready() {
    if !redis_available("redis_backend_is_ready") {
        return;
    }
    let env = unique_env();
    let server = Server::start(&[("REDIS_URL", redis_url()), ("ENV", &env)]);
    let (status, ready) = get_json(&server, "/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(ready["cache"]["backend"], "redis");
    assert_eq!(ready["degraded"], false);
}

/// Fail-open: a Redis that is down at start-up does not keep the site from starting or answering.
#[tokio::test]
async fn unreachable_redis_does_not_stop_the_server() {
    let server = Server::start(&[
        ("REDIS_URL", "redis://127.0.0.1:1"),
        ("ENV", &unique_env()),
        ("STRATA_CACHE__REDIS__CONNECT_TIMEOUT_MS", "200"),
    ]);
    assert_eq!(get(&server, "/healthz").await.0, 200);
    let (status, ready) = get_json(&server, "/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(ready["cache"]["backend"], "redis");
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let mut server = Server::start(&[]);
    assert_eq!(get(&server, "/healthz").await.0, 200);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server
        .wait_exit(Duration::from_secs(20))
        .expect("strata serve exits on SIGTERM");
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );
}

/// Two `strata serve` processes on one Redis: a flag switched with the CLI reaches both within a
/// second, without a restart.
#[tokio::test]
async fn a_flag_reaches_every_instance_within_a_second() {
    if !redis_available("a_flag_reaches_every_instance_within_a_second") {
        return;
    }
    let env = unique_env();
    let vars = [("REDIS_URL", redis_url()), ("ENV", env.as_str())];
    let servers = [Server::start(&vars), Server::start(&vars)];
    let out = common::run(&["cache", "flags", "--off", "public:property:list"], &vars);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    tokio::time::sleep(Duration::from_secs(1)).await;
    for server in &servers {
        let (_, ready) = get_json(server, "/readyz").await;
        assert_eq!(
            ready["cache"]["disabled_namespaces"],
            json!(["public:property:list"]),
            "every instance sees the flag"
        );
    }
    let out = common::run(&["cache", "flags", "--on", "public:property:list"], &vars);
    assert_eq!(out.status.code(), Some(0));
}

/// Everything `strata serve` announces on stdout: once it answers `/healthz` the announcement
/// is complete (it is written before the first connection is accepted), so the server is
/// stopped and its stdout read to the end.
async fn announcement(env: &[(&str, &str)]) -> String {
    use std::io::{BufRead, BufReader};
    let mut child = common::strata(&["serve", "--bind", "0"], env)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .strip_prefix("Strata listening on http://")
        .unwrap()
        .to_owned();
    let healthy = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(healthy.status().as_u16(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    format!("{first}\n{}", rest.join("\n"))
}

/// A first run: `serve` takes a bare port, says how to make the first admin while there is
/// none (and no more once there is), and refuses a busy port (exit 1) saying how to pick
/// another.
#[tokio::test]
async fn a_first_run_is_told_what_to_do() {
    let site = common::Site::new(common::Backend::Embedded, "first_run")
        .await
        .unwrap();
    let env: Vec<(&str, &str)> = site
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let first = announcement(&env).await;
    assert!(
        first.starts_with("Strata listening on http://127.0.0.1:"),
        "{first}"
    );
    assert!(
        first.contains("(no admin yet: create one with `"),
        "{first}"
    );
    assert!(
        first.contains("createsuperuser --username NAME --email EMAIL`"),
        "{first}"
    );
    site.token("admin", "admin");
    let later = announcement(&env).await;
    assert!(!later.contains("no admin yet"), "{later}");

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let refused = site.run(&["serve", "--bind", &port]);
    assert_eq!(refused.status.code(), Some(1));
    let message = common::stderr(&refused);
    assert!(
        message.contains("pick another with `--bind PORT`"),
        "{message}"
    );
}
