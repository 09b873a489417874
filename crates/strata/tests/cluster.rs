//! Two `strata serve` instances on PostgreSQL and a private Redis Cluster, under readers and a
//! writer, through a resharding of their hot slots, a graceful failover and then a crashed
//! primary: no request fails, and once the cluster healed the last acknowledged write is what
//! every instance serves at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The cache crate's private-cluster support.
#[path = "../../cache/tests/support/cluster.rs"]
mod cluster;
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cluster::Cluster;
use common::api::Api;
use common::web::ok;
use common::{Server, Site};
use reqwest::Client;
use serde_json::{Value, json};

/// The name `cluster.rs` gives its state directory.
fn unique_env(tag: &str) -> String {
    format!("{tag}-{}", common::unique_env())
}

#[derive(Default)]
struct Tally {
    requests: AtomicUsize,
    server_errors: AtomicUsize,
    connection_errors: AtomicUsize,
    /// The first few failures, for the assertion's message.
    failures: std::sync::Mutex<Vec<String>>,
}

impl Tally {
    /// Counts one request's outcome: its status, or the error that kept it from having one.
    fn record(&self, what: &str, outcome: Result<u16, reqwest::Error>) -> Option<u16> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let failure = match outcome {
            Ok(status) if status < 500 => return Some(status),
            Ok(status) => {
                self.server_errors.fetch_add(1, Ordering::Relaxed);
                format!("{what}: {status}")
            }
            Err(error) => {
                self.connection_errors.fetch_add(1, Ordering::Relaxed);
                format!("{what}: {error}")
            }
        };
        let mut failures = self.failures.lock().unwrap();
        if failures.len() < 10 {
            failures.push(failure);
        }
        None
    }
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn reader(urls: Vec<String>, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let client = client();
    for url in urls.iter().cycle() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let outcome = match client.get(url).send().await {
            // The whole body: a response cut short is a failure too.
            Ok(response) => {
                let status = response.status().as_u16();
                response.bytes().await.map(|_| status)
            }
            Err(error) => Err(error),
        };
        tally.record(&format!("GET {url}"), outcome);
    }
}

/// PATCHes the title through each instance in turn; returns the last title acknowledged.
async fn writer(
    bases: Vec<String>,
    token: String,
    id: i64,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) -> Option<String> {
    let client = client();
    let mut acked = None;
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let title = format!("Written {n}");
        let url = format!("{}/api/admin/properties/{id}/", bases[n % bases.len()]);
        let outcome = match client
            .patch(&url)
            .header("Authorization", format!("Token {token}"))
            .json(&json!({ "title": title }))
            .send()
            .await
        {
            Ok(response) => {
                let status = response.status().as_u16();
                response.bytes().await.map(|_| status)
            }
            Err(error) => Err(error),
        };
        if tally
            .record(&format!("PATCH {url}"), outcome)
            .is_some_and(|status| (200..300).contains(&status))
        {
            acked = Some(title);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    acked
}

/// Waits until every instance reports its cache healthy again (breaker closed, nothing queued).
async fn settled(servers: &[Server]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    for server in servers {
        loop {
            let ready: Value = Api::new(server, None).get("/readyz").await.1;
            if ready["degraded"] == false {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} still degraded: {ready}",
                server.addr
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resharding_a_failover_and_a_crashed_primary_under_load_fail_no_request() {
    let started = Instant::now();
    let Some(cluster) = Cluster::start("strata-http-failover") else {
        return;
    };
    let Some(site) = Site::on_redis("cluster_failover", &cluster.url()).await else {
        return;
    };
    assert!(
        site.run(&["seed", "--demo", "--properties", "5"])
            .status
            .success()
    );
    let token = site.token("editor1", "editor");
    let servers = [site.serve_logged(), site.serve_logged()];
    let property = Api::new(&servers[0], None)
        .ok("/api/properties/?page_size=1")
        .await["results"][0]
        .clone();
    let id = property["id"].as_i64().unwrap();
    let detail = format!("/properties/{}/", property["slug"].as_str().unwrap());
    let api_detail = format!("/api/properties/{id}/");

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for server in &servers {
        let paths = [
            api_detail.as_str(),
            "/api/properties/?page_size=5",
            detail.as_str(),
            "/properties/",
            "/",
        ];
        for first in 0..2 {
            // Each reader starts elsewhere in the cycle, so every path is read at every moment.
            let urls = paths
                .iter()
                .cycle()
                .skip(first * 2)
                .take(paths.len())
                .map(|path| server.url(path))
                .collect();
            readers.push(tokio::spawn(reader(urls, tally.clone(), stop.clone())));
        }
    }
    let bases = servers.iter().map(|server| server.url("")).collect();
    let writer = tokio::spawn(writer(bases, token, id, tally.clone(), stop.clone()));

    tokio::time::sleep(Duration::from_millis(1_000)).await;
    // A resharding: the slots of the property's detail keys, the list's index and the bus
    // counter move to other primaries, each held half-moved (`ASK`, `TRYAGAIN`, then `MOVED`).
    let env = site
        .env
        .iter()
        .find_map(|(name, value)| (name == "ENV").then_some(value.as_str()))
        .expect("the site's ENV");
    let hot = [
        format!("{env}:myproject:1:public:property:detail:{id}"),
        format!("{env}:myproject:1:public:property:detail:{id}_en"),
        format!("{env}:myproject:1:public:property:list:_index"),
        format!("{env}:myproject:_strata:bus:epoch"),
    ];
    let resharding = Instant::now();
    cluster
        .reshard_slots_of(&hot, Duration::from_millis(150))
        .await;
    settled(&servers).await;
    let resharding_healed = resharding.elapsed();
    tokio::time::sleep(Duration::from_millis(1_000)).await;

    let replica = cluster.replica_of(cluster.primaries()[0]);
    let failing_over = Instant::now();
    cluster.failover(replica).await;
    settled(&servers).await;
    let failover_healed = failing_over.elapsed();
    tokio::time::sleep(Duration::from_millis(1_000)).await;

    let killed = Instant::now();
    let promoted = cluster.crash_a_primary_other_than(replica).await;
    settled(&servers).await;
    let crash_healed = killed.elapsed();
    // More writes and reads on the healed cluster: the last acknowledged write comes after it.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await.expect("no reader panicked");
    }
    let title = writer
        .await
        .expect("the writer did not panic")
        .expect("a PATCH was acknowledged");

    let requests = tally.requests.load(Ordering::Relaxed);
    let server_errors = tally.server_errors.load(Ordering::Relaxed);
    let connection_errors = tally.connection_errors.load(Ordering::Relaxed);
    eprintln!(
        "{requests} requests, {server_errors} 5xx, {connection_errors} connection errors; \
         healthy {resharding_healed:?} after the resharding began, {failover_healed:?} after \
         the failover began; after the crash: promoted in \
         {promoted:?}, healthy in {crash_healed:?}; last acknowledged title {title:?}; \
         {:?} in all",
        started.elapsed()
    );
    assert!(requests > 200, "the load ran: {requests} requests");
    assert_eq!(
        (server_errors, connection_errors),
        (0, 0),
        "failed requests: {:#?}",
        tally.failures.lock().unwrap()
    );
    // Read-after-ack: the API and the HTML page alike. A write acknowledged while its
    // invalidation could only be queued (a command timing out on the crashed primary, which
    // happens even after `/readyz` first said healthy) is fresh on its own instance at once but
    // on the others only once that instance replays it (ARCHITECTURE.md: "that window is the
    // partition itself"), so the reads wait until no instance has anything queued.
    settled(&servers).await;
    for (n, server) in servers.iter().enumerate() {
        let api = Api::new(server, None).ok(&api_detail).await;
        assert_eq!(api["title"], title.as_str(), "API detail on instance {n}");
        assert!(
            ok(server, &detail).await.body.contains(&title),
            "{detail} on instance {n} is stale"
        );
    }
    for server in &servers {
        let log = server.log();
        assert!(!log.contains("panicked at"), "a server panicked:\n{log}");
    }
}
