//! A real Next.js 16 App Router front end (`tests/nextjs`, built here with npm) revalidated by
//! Strata's outbox, configured as the original stack configures it: `NEXTJS_URL` is the front
//! end's base URL. Its first load after a mutation's ack must be fresh (or within a measured
//! bound), and a wrong secret must be refused by Next.js, counted and logged by Strata.
//!
//! Needs node ≥ 20.9 and npm (and the npm registry the first time); outside CI a missing node is
//! a loud skip, under `CI=true` a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::api::Api;
use common::{Backend, Server, Site};
use reqwest::Method;
use serde_json::json;

const SECRET: &str = "nextjs-e2e-secret";
/// How long the first fresh load may take after Strata's ack, if it is not the very first load:
/// the outbox is woken by the commit and posts at once, so this is generous (measured in
/// docs/ARCHITECTURE.md).
const FRESH_WITHIN: Duration = Duration::from_secs(3);
const PATIENCE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn nextjs_front_end_is_fresh_after_the_ack_and_a_wrong_secret_is_counted() {
    let test = "nextjs";
    let Some(mut site) = Site::seeded(Backend::Production, test, 30).await else {
        return;
    };
    let Some(app) = NextApp::prepare(test) else {
        return;
    };
    let token = site.token("editor1", "editor");

    // Next's port first: Strata must know it, and Next must know Strata's.
    let next_port = common::free_port();
    let next_base = format!("http://127.0.0.1:{next_port}");
    site.env.push(("NEXTJS_URL".into(), next_base.clone()));
    let mut with_secret = site.env.clone();
    with_secret.push(("REVALIDATE_SECRET".into(), SECRET.into()));
    let strata = Server::start_logged(&refs(&with_secret));
    // One INFO line names the form read and the URL used.
    let info = logged(&strata, "NEXTJS_URL entry read as").await;
    assert!(
        info.contains("base URL") && info.contains(&format!("url=\"{next_base}/api/revalidate\"")),
        "{info}"
    );
    let _next = app.start(next_port, &strata.url(""));
    let admin = Api::new(&strata, Some(&token));

    let listed = Api::new(&strata, None)
        .ok("/api/properties/?page_size=100")
        .await;
    let id = listed["results"][0]["id"].as_i64().unwrap();
    let old = listed["results"][0]["title"].as_str().unwrap().to_owned();
    let detail = format!("{next_base}/properties/{id}");
    // Both pages are now in Next's data cache.
    assert!(page(&next_base).await.contains(&old));
    assert!(page(&detail).await.contains(&old));

    // Fresh after the ack.
    let title = "Revalidated from Strata";
    rename(&admin, id, title).await;
    let acked = Instant::now();
    let (first_load_fresh, list_after) = fresh_within(&next_base, title).await;
    let (_, detail_after) = fresh_within(&detail, title).await;
    eprintln!(
        "Next.js after Strata's ack: first load fresh: {first_load_fresh}; list fresh after \
         {list_after:?}, detail after {detail_after:?} (from the ack {:?})",
        acked.elapsed()
    );
    assert_eq!(delivered(&strata, "unauthorized").await, 0);
    drop(strata);

    // A wrong secret: Next refuses it, Strata counts and logs it, Next keeps its cached page —
    // which also shows the freshness above came from the revalidation, not from no caching.
    let mut wrong = site.env.clone();
    wrong.push(("REVALIDATE_SECRET".into(), "not-the-secret".into()));
    let strata = Server::start_logged(&refs(&wrong));
    let admin = Api::new(&strata, Some(&token));
    rename(&admin, id, "Never seen by Next").await;
    let deadline = Instant::now() + PATIENCE;
    while delivered(&strata, "unauthorized").await == 0 {
        assert!(Instant::now() < deadline, "the 401 was never counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    logged(&strata, "refused REVALIDATE_SECRET").await;
    let list = page(&next_base).await;
    assert!(list.contains(title) && !list.contains("Never seen by Next"));
}

/// The first line of the server's log containing `needle` (stderr is read by another thread).
async fn logged(strata: &Server, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(line) = strata.log().lines().find(|l| l.contains(needle)) {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in:\n{}",
            strata.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn rename(admin: &Api, id: i64, title: &str) {
    let (status, body) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{id}/"),
            json!({ "title": title }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn page(url: &str) -> String {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response.text().await.unwrap()
}

/// Loads `url` until it shows `title`: whether the first load did, and when it first did.
async fn fresh_within(url: &str, title: &str) -> (bool, Duration) {
    let start = Instant::now();
    let mut first = true;
    loop {
        if page(url).await.contains(title) {
            return (first, start.elapsed());
        }
        first = false;
        assert!(
            start.elapsed() < FRESH_WITHIN,
            "{url} still stale {FRESH_WITHIN:?} after Strata's ack"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `strata_web_outbox_deliveries_total{outcome=…}` from Strata's metrics.
async fn delivered(strata: &Server, outcome: &str) -> u64 {
    let text = strata.metrics().await;
    let series = format!("strata_web_outbox_deliveries_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// The Next.js app under `tests/nextjs`, installed and built once per change of its sources.
struct NextApp {
    dir: PathBuf,
}

impl NextApp {
    /// `None` (a loud skip) without node and npm outside CI; installs and builds if needed.
    fn prepare(test: &str) -> Option<NextApp> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/nextjs");
        let node = Command::new("node").arg("--version").output();
        let npm = Command::new("npm").arg("--version").output();
        if !(node.is_ok_and(|o| o.status.success()) && npm.is_ok_and(|o| o.status.success())) {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{test}: node and npm are needed and CI=true");
            }
            eprintln!("\n*** SKIPPED: node or npm not found; {test} did not run ***\n");
            return None;
        }
        let app = NextApp { dir };
        app.step(
            "node_modules/.strata-installed",
            &["package-lock.json"],
            &["npm", "ci", "--no-audit", "--no-fund"],
        );
        app.step(
            ".next/.strata-built",
            &[
                "package-lock.json",
                "package.json",
                "next.config.ts",
                "tsconfig.json",
                "app",
                "lib",
            ],
            &["node", "node_modules/next/dist/bin/next", "build"],
        );
        Some(app)
    }

    /// Runs `command` unless `stamp` holds the hash of `inputs` (files or folders).
    fn step(&self, stamp: &str, inputs: &[&str], command: &[&str]) {
        let mut hasher = DefaultHasher::new();
        for input in inputs {
            hash_tree(&self.dir.join(input), &mut hasher);
        }
        let want = format!("{:016x}", hasher.finish());
        let stamp = self.dir.join(stamp);
        if std::fs::read_to_string(&stamp).is_ok_and(|have| have == want) {
            return;
        }
        let started = Instant::now();
        let status = Command::new(command[0])
            .args(&command[1..])
            .current_dir(&self.dir)
            .env("NEXT_TELEMETRY_DISABLED", "1")
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{command:?} failed in {:?}", self.dir);
        eprintln!("{command:?} took {:?}", started.elapsed());
        std::fs::write(&stamp, want).unwrap();
    }

    /// `next start` (production) on `port`, reading Strata at `api`; waits until it answers.
    fn start(&self, port: u16, api: &str) -> NextServer {
        // Fetches cached by earlier runs are keyed by other Strata addresses; start clean.
        let _ = std::fs::remove_dir_all(self.dir.join(".next/cache/fetch-cache"));
        let child = Command::new("node")
            .args([
                "node_modules/next/dist/bin/next",
                "start",
                "-H",
                "127.0.0.1",
            ])
            .args(["-p", &port.to_string()])
            .current_dir(&self.dir)
            .env("NEXT_TELEMETRY_DISABLED", "1")
            .env("STRATA_API", api)
            .env("REVALIDATE_SECRET", SECRET)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let server = NextServer(child);
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "next start did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

/// Hashes a file's name and bytes, or a folder's files in name order.
fn hash_tree(path: &Path, hasher: &mut DefaultHasher) {
    path.file_name().hash(hasher);
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            hash_tree(&entry, hasher);
        }
    } else {
        std::fs::read(path).unwrap().hash(hasher);
    }
}

/// `next start`, killed when the test ends.
struct NextServer(Child);

impl Drop for NextServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
