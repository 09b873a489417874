//! CDN purges through the real binary against fake Fastly and Cloudflare APIs written here,
//! which enforce what the real ones document: keys (Fastly, 256) or tags (Cloudflare, 100) per
//! request, the account's token bucket (a 429 with `Retry-After` when it is empty) and the API
//! token. Two instances share the PostgreSQL queue; a 10,000-row bulk job and a category rename
//! must be delivered completely, within the rate, no request over the limit, no tag sent by
//! both instances; a provider down for 30 s loses nothing; a backlog the rate would take too
//! long to clear becomes one purge of the site's key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::api::Api;
use common::{Backend, Server, Site};
use reqwest::Method;
use serde_json::{Value, json};

const TOKEN: &str = "fake-api-token";
const JOBS: &str = "/api/admin/properties/bulk/jobs/";

/// A token bucket as the providers describe theirs.
struct Bucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self) -> Result<(), Duration> {
        let now = Instant::now();
        self.tokens =
            (self.tokens + (now - self.at).as_secs_f64() * self.per_second).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }
}

#[derive(Default)]
struct Seen {
    /// Accepted requests: when, and their keys.
    purged: Vec<(Instant, Vec<String>)>,
    over_limit: usize,
    unauthorized: usize,
    /// When each 429 told the caller it could try again.
    refused_until: Vec<Instant>,
    /// Requests that came before a 429's `Retry-After` had passed.
    too_early: usize,
    while_down: usize,
}

/// A fake provider's API on a free port.
struct Fake {
    addr: SocketAddr,
    max_keys: usize,
    bucket: Option<Mutex<Bucket>>,
    down_until: Mutex<Option<Instant>>,
    seen: Mutex<Seen>,
    /// Fastly's body field, or Cloudflare's.
    field: &'static str,
}

impl Fake {
    async fn fastly() -> Arc<Fake> {
        Self::start("surrogate_keys", 256, None, "/service/svc/purge").await
    }

    /// Cloudflare with a bucket of `per_second` tokens refilled per second.
    async fn cloudflare(capacity: f64, per_second: f64) -> Arc<Fake> {
        let bucket = Bucket {
            capacity,
            per_second,
            tokens: capacity,
            at: Instant::now(),
        };
        Self::start("tags", 100, Some(bucket), "/zones/zone/purge_cache").await
    }

    async fn start(
        field: &'static str,
        max_keys: usize,
        bucket: Option<Bucket>,
        path: &str,
    ) -> Arc<Fake> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Arc::new(Fake {
            addr: listener.local_addr().unwrap(),
            max_keys,
            bucket: bucket.map(Mutex::new),
            down_until: Mutex::new(None),
            seen: Mutex::new(Seen::default()),
            field,
        });
        let app = axum::Router::new()
            .route(path, post(purge))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn down_for(&self, span: Duration) {
        *self.down_until.lock().unwrap() = Some(Instant::now() + span);
    }

    /// Every key purged, with how many accepted requests named it.
    fn purged(&self) -> BTreeMap<String, usize> {
        let mut keys = BTreeMap::new();
        for (_, batch) in &self.seen.lock().unwrap().purged {
            for key in batch {
                *keys.entry(key.clone()).or_default() += 1;
            }
        }
        keys
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().purged.len()
    }
}

async fn purge(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: Json<Value>) -> Response {
    let now = Instant::now();
    let mut seen = fake.seen.lock().unwrap();
    if fake
        .down_until
        .lock()
        .unwrap()
        .is_some_and(|until| now < until)
    {
        seen.while_down += 1;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let token = headers
        .get("fastly-key")
        .or_else(|| headers.get(header::AUTHORIZATION))
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if token != TOKEN && token != format!("Bearer {TOKEN}") {
        seen.unauthorized += 1;
        return StatusCode::FORBIDDEN.into_response();
    }
    if seen.refused_until.last().is_some_and(|until| now < *until) {
        seen.too_early += 1;
    }
    if let Some(bucket) = &fake.bucket
        && let Err(wait) = bucket.lock().unwrap().take()
    {
        let retry_after = wait.as_secs().max(1);
        seen.refused_until
            .push(now + Duration::from_secs(retry_after));
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after.to_string())],
        )
            .into_response();
    }
    let keys: Vec<String> = body[fake.field]
        .as_array()
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() || keys.len() > fake.max_keys {
        seen.over_limit += 1;
        return (StatusCode::BAD_REQUEST, "too many keys").into_response();
    }
    seen.purged.push((now, keys));
    Json(json!({"success": true, "status": "ok"})).into_response()
}

/// Both fakes configured on `site`, Cloudflare at `rate`.
fn cdn_env(
    site: &Site,
    fastly: &Fake,
    cloudflare: &Fake,
    rate: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut env = site.env.clone();
    for (key, value) in [
        ("STRATA_CDN__FASTLY__SERVICE_ID", "svc"),
        ("STRATA_CDN__FASTLY__API", fastly.url().as_str()),
        ("FASTLY_API_TOKEN", TOKEN),
        ("STRATA_CDN__CLOUDFLARE__ZONE_ID", "zone"),
        ("STRATA_CDN__CLOUDFLARE__API", cloudflare.url().as_str()),
        ("CLOUDFLARE_API_TOKEN", TOKEN),
        ("STRATA_CDN__CLOUDFLARE__RATE", rate),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    {
        env.push((key.to_owned(), value.to_owned()));
    }
    env
}

fn refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Waits until `done` holds, polling, or fails after `patience`; how long it took.
async fn until(patience: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < patience,
            "{what}: not within {patience:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    start.elapsed()
}

async fn ids(public: &Api) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut page = 1;
    loop {
        let (status, body) = public
            .get(&format!("/api/properties/?page_size=100&page={page}"))
            .await;
        if status != 200 {
            break;
        }
        let results = body["results"].as_array().unwrap();
        ids.extend(results.iter().map(|p| p["id"].as_i64().unwrap()));
        if body["next"].is_null() {
            break;
        }
        page += 1;
    }
    ids
}

async fn bulk_status(admin: &Api, status: &str) {
    let (code, job) = admin
        .json(
            Method::POST,
            JOBS,
            json!({"action": "status", "status": status, "filter": {}}),
        )
        .await;
    assert_eq!(code, 202, "{job}");
    let url = format!("{JOBS}{}/", job["id"]);
    let start = Instant::now();
    loop {
        let job = admin.ok(&url).await;
        if job["state"] == "done" {
            break;
        }
        assert!(
            ["pending", "running", "queued"].contains(&job["state"].as_str().unwrap()),
            "bulk job: {job}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "bulk job: {job}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn assert_within_limits(name: &str, fake: &Fake) {
    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.over_limit, 0, "{name}: requests over the key limit");
    assert_eq!(seen.unauthorized, 0, "{name}: requests without the token");
    assert_eq!(
        seen.too_early, 0,
        "{name}: requests before a 429's Retry-After"
    );
}

#[tokio::test]
async fn a_bulk_job_and_a_rename_reach_fastly_and_cloudflare_from_two_instances() {
    let rows = 10_000;
    let Some(site) = Site::seeded(Backend::Production, "cdn_bulk", rows).await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let fastly = Fake::fastly().await;
    // Enterprise: 50 requests a second.
    let cloudflare = Fake::cloudflare(50.0, 50.0).await;
    let env = cdn_env(&site, &fastly, &cloudflare, "50/s", &[]);
    let one = Server::start_logged(&refs(&env));
    let two = Server::start_logged(&refs(&env));
    let admin = Api::new(&one, Some(&token));
    // The published ones have pages; the job takes every row (drafts too).
    let all = ids(&Api::new(&two, None)).await;
    assert!(!all.is_empty());

    let started = Instant::now();
    bulk_status(&admin, "draft").await;
    let acked = started.elapsed();
    let every_page: BTreeSet<String> = all.iter().map(|id| format!("property:{id}")).collect();
    for (name, fake) in [("fastly", &fastly), ("cloudflare", &cloudflare)] {
        let took = until(Duration::from_secs(240), name, || {
            let purged = fake.purged();
            every_page.iter().all(|tag| purged.contains_key(tag))
        })
        .await;
        let purged = fake.purged();
        let twice: Vec<_> = every_page
            .iter()
            .filter(|tag| purged[tag.as_str()] > 1)
            .take(5)
            .collect();
        // Each page's tag was owed by one commit; sent twice means two instances sent it.
        assert!(twice.is_empty(), "{name}: sent more than once: {twice:?}");
        assert_within_limits(name, fake);
        eprintln!(
            "bulk job over {rows} rows, {} of them published (acked after {acked:?}): {name} \
             purged {} keys in {} requests, the last {took:?} after the ack",
            all.len(),
            purged.len(),
            fake.requests(),
        );
    }

    // A category rename touches every page that shows the category.
    let categories = Api::new(&one, None).ok("/api/categories/").await;
    let category = &categories.as_array().unwrap()[0];
    let (code, renamed) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/categories/{}/", category["id"]),
            json!({"name": "Renamed for the CDNs"}),
        )
        .await;
    assert_eq!(code, 200, "{renamed}");
    let before = (fastly.requests(), cloudflare.requests());
    for (name, fake) in [("fastly", &fastly), ("cloudflare", &cloudflare)] {
        until(Duration::from_secs(60), name, || {
            fake.purged().contains_key("categories")
        })
        .await;
        assert_within_limits(name, fake);
    }
    eprintln!(
        "category rename: fastly {} request(s), cloudflare {}",
        fastly.requests() - before.0,
        cloudflare.requests() - before.1
    );
    for server in [&one, &two] {
        assert!(!server.log().contains("panicked at"));
    }
}

#[tokio::test]
async fn a_provider_down_for_30_s_loses_nothing_and_429s_are_waited_out() {
    let Some(site) = Site::seeded(Backend::Production, "cdn_down", 30).await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let fastly = Fake::fastly().await;
    // The account allows one request every 2 s; Strata is told 5 a second: it meets 429s.
    let cloudflare = Fake::cloudflare(1.0, 0.5).await;
    let env = cdn_env(&site, &fastly, &cloudflare, "5/s", &[]);
    let server = Server::start_logged(&refs(&env));
    let admin = Api::new(&server, Some(&token));
    let all = ids(&Api::new(&server, None)).await;

    fastly.down_for(Duration::from_secs(30));
    let mut owed = BTreeSet::new();
    for (n, id) in all.iter().take(10).enumerate() {
        let (code, body) = admin
            .json(
                Method::PATCH,
                &format!("/api/admin/properties/{id}/"),
                json!({"title": format!("Edited while Fastly is down {n}")}),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        owed.insert(format!("property:{id}"));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for (name, fake) in [("fastly", &fastly), ("cloudflare", &cloudflare)] {
        until(Duration::from_secs(120), name, || {
            let purged = fake.purged();
            owed.iter().all(|tag| purged.contains_key(tag))
        })
        .await;
        assert_within_limits(name, fake);
    }
    let while_down = fastly.seen.lock().unwrap().while_down;
    assert!(while_down > 0, "the outage was never met");
    let refused = cloudflare.seen.lock().unwrap().refused_until.len();
    assert!(refused > 0, "Cloudflare's bucket never ran out");
    eprintln!(
        "fastly refused {while_down} request(s) while down; cloudflare answered {refused} 429(s), \
         each waited out"
    );
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(
            r#"strata_cdn_purge_requests_total{provider="cloudflare",outcome="rate_limited"}"#
        ),
        "{metrics}"
    );
    assert!(!server.log().contains("panicked at"));
}

#[tokio::test]
async fn a_backlog_the_rate_cannot_clear_in_time_purges_the_site_once() {
    let Some(site) = Site::seeded(Backend::Production, "cdn_fallback", 300).await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let fastly = Fake::fastly().await;
    // Cloudflare Free: 5 requests a minute; 300 pages' tags would take minutes.
    let cloudflare = Fake::cloudflare(5.0, 5.0 / 60.0).await;
    let env = cdn_env(
        &site,
        &fastly,
        &cloudflare,
        "5/m",
        &[
            ("STRATA_CDN__FALLBACK_AFTER_SECS", "30"),
            ("STRATA_CDN__SITE_KEY", "site-under-test"),
        ],
    );
    let server = Server::start_logged(&refs(&env));
    let admin = Api::new(&server, Some(&token));
    bulk_status(&admin, "draft").await;
    until(Duration::from_secs(60), "cloudflare's site purge", || {
        cloudflare.purged().contains_key("site-under-test")
    })
    .await;
    // Nothing owed is left, in a handful of requests; Fastly (no rate) got every tag.
    let stats_url = "/api/admin/cache/stats/";
    let admin_token = site.token("admin1", "admin");
    let dashboard = Api::new(&server, Some(&admin_token));
    let start = Instant::now();
    let cdn = loop {
        let stats = dashboard.ok(stats_url).await;
        let cdn = stats["cdn"].clone();
        let pending: u64 = cdn
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["pending"].as_u64().unwrap())
            .sum();
        if pending == 0 {
            break cdn;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{cdn}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let cloudflare_stats = cdn
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "cloudflare")
        .unwrap();
    // The job commits in batches of 100 rows, each owing more than the rate clears in 30 s:
    // each is one purge of the site, not dozens of requests a minute apart.
    let fallbacks = cloudflare_stats["fallbacks"].as_u64().unwrap();
    assert!(fallbacks >= 1, "{cdn}");
    assert_eq!(cloudflare_stats["requests"], fallbacks, "{cdn}");
    assert!(
        cloudflare.requests() <= 3,
        "{} requests",
        cloudflare.requests()
    );
    assert_within_limits("cloudflare", &cloudflare);
    assert!(
        server.log().contains("purged the whole site's key instead"),
        "the fallback is said once, loudly"
    );
    eprintln!(
        "fallback: cloudflare got {} request(s) for a 300-row job; fastly {} requests; {cdn}",
        cloudflare.requests(),
        fastly.requests()
    );
    assert!(!server.log().contains("panicked at"));
}
