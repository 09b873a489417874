//! A real Varnish (Debian's `varnish` and `varnish-modules`) in front of the real binary, with
//! the shipped `deploy/varnish/strata.vcl`: pages and public API answers are served from
//! Varnish; after a mutation's ack every dependent page and answer read through Varnish is
//! fresh once the purge lands (the delay from the ack is measured, for docs/BENCHMARKS.md), and
//! with the commit's bounded wait on, the first read after the ack is; the hit ratio while a
//! writer runs is reported; answers behind a token are never stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::api::Api;
use common::varnish::Varnish;
use common::{Backend, Server, Site};
use reqwest::Method;
use serde_json::json;

/// How long a purge may take to land before the test fails (not a performance bound: the
/// measured delays are printed and recorded in docs/BENCHMARKS.md).
const PATIENCE: Duration = Duration::from_secs(10);

struct Front {
    _varnish: Varnish,
    /// An editor's API token.
    token: String,
    server: Server,
    /// Reads through Varnish.
    cdn: reqwest::Client,
    base: String,
    admin: Api,
}

impl Front {
    /// Varnish in front of a server of `site` whose purges go to it; `wait_ms` is the commit's
    /// bounded wait for them.
    async fn start(site: &Site, token: &str, wait_ms: &str) -> Option<Front> {
        let bind = SocketAddr::from(([127, 0, 0, 1], common::free_port()));
        let varnish = Varnish::start(bind)?;
        let mut env = site.env.clone();
        env.push(("STRATA_CDN__VARNISH__URLS".into(), varnish.url()));
        env.push(("STRATA_CDN__WAIT_MS".into(), wait_ms.into()));
        let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let server = Server::start_logged_at(&refs, bind);
        let admin = Api::new(&server, Some(token));
        Some(Front {
            token: token.to_owned(),
            base: varnish.url(),
            _varnish: varnish,
            server,
            cdn: reqwest::Client::new(),
            admin,
        })
    }

    /// Varnish in front of a new seeded site of `backend`; a published property's id and the
    /// pages and answers that show it.
    async fn seeded(
        backend: Backend,
        test: &str,
        wait_ms: &str,
    ) -> Option<(Front, i64, Vec<String>)> {
        let site = Site::seeded(backend, test, 30).await?;
        let token = site.token("editor1", "editor");
        let front = Front::start(&site, &token, wait_ms).await?;
        let listed = Api::new(&front.server, None)
            .ok("/api/properties/?page_size=100")
            .await;
        let id = listed["results"][0]["id"].as_i64().unwrap();
        let slug = listed["results"][0]["slug"].as_str().unwrap();
        let paths = dependents(id, slug);
        Some((front, id, paths))
    }

    /// Status, `X-Cache` and body of a read through Varnish.
    async fn read(&self, path: &str) -> (u16, String, String) {
        let response = self
            .cdn
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let cache = response
            .headers()
            .get("x-cache")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, cache, response.text().await.unwrap())
    }

    async fn rename(&self, id: i64, title: &str) -> Instant {
        let (status, body) = self
            .admin
            .json(
                Method::PATCH,
                &format!("/api/admin/properties/{id}/"),
                json!({"title": title}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        Instant::now()
    }
}

/// The pages and answers showing property `id` (slug `slug`).
fn dependents(id: i64, slug: &str) -> Vec<String> {
    vec![
        "/".to_owned(),
        "/properties/".to_owned(),
        format!("/properties/{slug}/"),
        "/api/properties/?page_size=100".to_owned(),
        format!("/api/properties/{id}/"),
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::test]
async fn pages_and_api_answers_through_varnish_are_fresh_after_the_ack() {
    let Some((front, id, paths)) = Front::seeded(Backend::Production, "varnish", "0").await else {
        return;
    };

    // Served from Varnish: the second read is a hit, pages and public API answers alike.
    for path in &paths {
        let (status, _, _) = front.read(path).await;
        assert_eq!(status, 200, "{path}");
        let (_, cache, _) = front.read(path).await;
        assert_eq!(cache, "HIT", "{path}: a second read through Varnish");
    }
    // Behind a token: passed every time, and never storable anywhere.
    for _ in 0..2 {
        let response = front
            .cdn
            .get(format!("{}/api/admin/properties/", front.base))
            .header("authorization", format!("Token {}", front.token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "private, no-store");
        assert_ne!(response.headers()["x-cache"], "HIT");
    }

    // After each ack, every dependent read through Varnish is polled until fresh.
    let mut delays = Vec::new();
    let mut first_reads_fresh = 0;
    let mut first_reads = 0;
    for round in 0..20 {
        for path in &paths {
            front.read(path).await;
        }
        let title = format!("Purged through Varnish {round}");
        let acked = front.rename(id, &title).await;
        for path in &paths {
            let mut first = true;
            loop {
                let (status, _, body) = front.read(path).await;
                assert_eq!(status, 200, "{path}");
                if body.contains(&title) {
                    delays.push(acked.elapsed());
                    first_reads += 1;
                    first_reads_fresh += usize::from(first);
                    break;
                }
                first = false;
                assert!(
                    acked.elapsed() < PATIENCE,
                    "{path} still stale: {body:.300}"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    }
    delays.sort();
    eprintln!(
        "Varnish purge delay from the ack over {} reads: p50 {:?}, p99 {:?}, max {:?}; \
         first read fresh {first_reads_fresh}/{first_reads}",
        delays.len(),
        percentile(&delays, 0.50),
        percentile(&delays, 0.99),
        delays.last().unwrap()
    );

    // Hit ratio while a writer renames a property every 200 ms for 5 s.
    let writer = async {
        for round in 0..25 {
            front
                .rename(id, &format!("Written during reads {round}"))
                .await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let readers = async {
        let (mut hits, mut reads) = (0u32, 0u32);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            for path in &paths {
                let (status, cache, _) = front.read(path).await;
                assert_eq!(status, 200, "{path}");
                reads += 1;
                hits += u32::from(cache == "HIT");
            }
        }
        (hits, reads)
    };
    let ((), (hits, reads)) = tokio::join!(writer, readers);
    eprintln!(
        "through Varnish while a writer renames every 200 ms: {hits}/{reads} hits ({:.1} %)",
        f64::from(hits) * 100.0 / f64::from(reads)
    );
    assert!(!front.server.log().contains("panicked at"));
}

#[tokio::test]
async fn with_the_bounded_wait_the_first_read_after_the_ack_is_fresh() {
    let Some((front, id, paths)) = Front::seeded(Backend::Embedded, "varnish_wait", "2000").await
    else {
        return;
    };
    for round in 0..5 {
        for path in &paths {
            front.read(path).await;
            assert_eq!(front.read(path).await.1, "HIT", "{path}");
        }
        let title = format!("Fresh on the first read {round}");
        front.rename(id, &title).await;
        for path in &paths {
            let (status, _, body) = front.read(path).await;
            assert_eq!(status, 200, "{path}");
            assert!(
                body.contains(&title),
                "{path}: the first read after the ack"
            );
        }
    }
    assert!(!front.server.log().contains("panicked at"));
}
