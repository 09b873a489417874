//! The cache dashboard's API through the binary: per-namespace stats from this instance's
//! reads, flags switched and read back, the bounded audit, and the warm job with progress.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::api::Api;
use common::{Backend, Site};
use reqwest::Method;
use serde_json::{Value, json};

const LIST: &str = "public:property:list";

fn namespace<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["namespace"] == name)
        .unwrap_or_else(|| panic!("{name} not in {stats}"))
}

#[tokio::test]
async fn the_dashboard_api_reports_switches_audits_and_warms() {
    let site = Site::new(Backend::Embedded, "cache_admin").await.unwrap();
    let token = site.token("cache-admin", "admin");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let public = Api::new(&server, None);

    // Stats: a miss then a hit on the default list, counted for its namespace.
    let before = admin.ok("/api/admin/cache/stats/").await;
    assert_eq!(before["backend"], "memory");
    assert_eq!(before["breaker_open"], false);
    assert_eq!(before["interval_seconds"], 10);
    assert_eq!(before["window"], 90);
    for ns in [LIST, "public:property:detail", "public:taxonomy:tag"] {
        assert_eq!(namespace(&before, ns)["enabled"], true);
    }
    public.ok("/api/properties/").await;
    public.ok("/api/properties/").await;
    let stats = admin.ok("/api/admin/cache/stats/").await;
    let list = namespace(&stats, LIST);
    assert_eq!(
        (&list["hits"], &list["misses"]),
        (&json!(1), &json!(1)),
        "{list}"
    );
    assert_eq!(list["hit_ratio"], 0.5);
    // The last point of the series ends now and holds both reads.
    let last = list["series"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["hits"], &last["misses"]),
        (&json!(1), &json!(1)),
        "{list}"
    );
    assert!(last["at"].as_str().unwrap().ends_with('Z'));

    // Flags: off, seen in the flags and the stats, and reads bypass; then on again.
    let (status, flags) = admin
        .json(
            Method::PUT,
            "/api/admin/cache/flags/",
            json!({"namespace": LIST, "enabled": false}),
        )
        .await;
    assert_eq!(status, 200, "{flags}");
    let off = |flags: &Value| {
        flags
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["enabled"] == false)
            .map(|f| f["namespace"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(off(&flags), [LIST]);
    assert_eq!(off(&admin.ok("/api/admin/cache/flags/").await), [LIST]);
    public.ok("/api/properties/").await;
    let stats = admin.ok("/api/admin/cache/stats/").await;
    let list = namespace(&stats, LIST);
    assert_eq!(
        (&list["enabled"], &list["bypasses"]),
        (&json!(false), &json!(1))
    );
    let (status, errors) = admin
        .json(
            Method::PUT,
            "/api/admin/cache/flags/",
            json!({"namespace": "public:nothing:here", "enabled": "perhaps"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        errors,
        json!({
            "namespace": ["\"public:nothing:here\" is not a valid choice."],
            "enabled": ["Must be a valid boolean."],
        })
    );
    let (status, flags) = admin
        .json(
            Method::PUT,
            "/api/admin/cache/flags/",
            json!({"namespace": LIST, "enabled": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(off(&flags).is_empty(), "{flags}");

    // Audit: what the reads above stored, nothing off the convention.
    let audit = admin.ok("/api/admin/cache/audit/").await;
    assert_eq!(
        (&audit["backend"], &audit["truncated"]),
        (&json!("memory"), &json!(false))
    );
    assert!(audit["scanned"].as_u64().unwrap() >= 1, "{audit}");
    assert_eq!(audit["off_convention"]["count"], 0);

    // Warm: idle, started (202), done with every load, then the English list is a hit.
    let state = admin.ok("/api/admin/cache/warm/").await;
    assert_eq!(
        state,
        json!({"state": "idle", "done": 0, "total": 0, "failed": 0})
    );
    let (status, _) = admin
        .json(Method::POST, "/api/admin/cache/warm/", json!({}))
        .await;
    assert_eq!(status, 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    let done = loop {
        let state = admin.ok("/api/admin/cache/warm/").await;
        if state["state"] == "done" {
            break state;
        }
        assert!(Instant::now() < deadline, "warm still {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let total = done["total"].as_u64().unwrap();
    assert!(total >= 8, "{done}");
    assert_eq!((&done["done"], &done["failed"]), (&json!(total), &json!(0)));
    let hits = |stats: &Value| namespace(stats, LIST)["hits"].as_u64().unwrap();
    let before = hits(&admin.ok("/api/admin/cache/stats/").await);
    public.ok("/api/properties/?lang=en").await;
    let after = hits(&admin.ok("/api/admin/cache/stats/").await);
    assert_eq!(
        after,
        before + 1,
        "the warmed English list is served from the cache"
    );
}

/// The HTML page cache's numbers: what visitors' page requests did on this instance.
#[tokio::test]
async fn the_stats_count_the_html_page_cache() {
    let site = Site::new(Backend::Embedded, "cache_admin_html")
        .await
        .unwrap();
    let token = site.token("cache-admin", "admin");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let visitor = Api::new(&server, None);
    let count = |stats: &Value, field: &str| stats["html"][field].as_u64().unwrap();

    let before = admin.ok("/api/admin/cache/stats/").await;
    assert!(before["at"].as_str().unwrap().ends_with('Z'), "{before}");
    assert_eq!(count(&before, "capacity_bytes"), 64 * 1024 * 1024);
    // A page rendered for its first request, then served from the cache.
    visitor.html("/en/").await;
    visitor.html("/en/").await;
    let after = admin.ok("/api/admin/cache/stats/").await;
    for (field, more) in [("misses", 1), ("hits", 1), ("stale", 0)] {
        assert_eq!(
            count(&after, field),
            count(&before, field) + more,
            "{field}: {after}"
        );
    }
    assert!(
        count(&after, "entries") > count(&before, "entries"),
        "{after}"
    );
    assert!(count(&after, "bytes") > count(&before, "bytes"), "{after}");
    assert_eq!(after["html"]["since"], before["html"]["since"]);
}
