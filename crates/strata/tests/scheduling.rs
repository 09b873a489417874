//! Scheduled publishing through the real binary, on both backends (two instances on
//! PostgreSQL + Redis): a property published for a time a few seconds ahead is absent from the
//! API list, its detail, its page and the sitemap — every one of them cached while it is
//! absent — until that time, then present on the first read of each on every instance, with
//! exactly one transition committed; the same for its `unpublish_at`; also when the instance
//! that would have run it is killed first, and when the time passes while every instance is
//! down. The delay after the due time is printed (BENCHMARKS.md), not asserted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use common::api::Api;
use common::web::get;
use common::{Backend, Server, Site};
use reqwest::Method;
use serde_json::{Value, json};

/// How far ahead the tests schedule: long enough to read everything while it is absent.
const AHEAD: Duration = Duration::from_secs(4);
/// How long a transition may take before the test gives up (the goal is one second).
const PATIENCE: Duration = Duration::from_secs(15);

/// Where a published property shows: the API list, the API detail, its page, the sitemap.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Shown {
    list: bool,
    detail: bool,
    page: bool,
    sitemap: bool,
}

const EVERYWHERE: Shown = Shown {
    list: true,
    detail: true,
    page: true,
    sitemap: true,
};
const NOWHERE: Shown = Shown {
    list: false,
    detail: false,
    page: false,
    sitemap: false,
};

async fn listed(server: &Server, id: i64) -> bool {
    let list = Api::new(server, None)
        .ok("/api/properties/?page_size=100")
        .await;
    list["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == id)
}

async fn shown(server: &Server, id: i64, slug: &str) -> Shown {
    let (detail, _) = Api::new(server, None)
        .get(&format!("/api/properties/{id}/"))
        .await;
    let page = get(server, &format!("/properties/{slug}/")).await;
    let sitemap = get(server, "/sitemap.xml").await;
    assert_eq!(sitemap.status, 200);
    Shown {
        list: listed(server, id).await,
        detail: detail == 200,
        page: page.status == 200,
        sitemap: sitemap.body.contains(&format!("/properties/{slug}/")),
    }
}

/// `AHEAD` from now, to the millisecond (what the test sends).
fn ahead() -> DateTime<Utc> {
    (Utc::now() + AHEAD).trunc_subsecs(3)
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A property published for `from` (and withdrawn at `until`), created through `server`.
async fn schedule(
    server: &Server,
    token: &str,
    title: &str,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> (i64, String) {
    let (status, body) = Api::new(server, Some(token))
        .json(
            Method::POST,
            "/api/admin/properties/",
            json!({
                "title": title, "deal": "sale", "price": "1", "area": "1", "city": "Qom",
                "status": "published",
                "published_at": iso(from),
                "unpublish_at": until.map(iso),
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["unpublish_at"], json!(until.map(iso_micros)));
    (
        body["id"].as_i64().unwrap(),
        body["slug"].as_str().unwrap().to_owned(),
    )
}

/// How the API writes a time back (microseconds, or seconds when whole).
fn iso_micros(at: DateTime<Utc>) -> String {
    strata_api::serial::datetime(&at)
}

/// Polls the list on `server` until the property's presence is `present`; returns how long
/// after `due` that was.
async fn until_listed(server: &Server, id: i64, present: bool, due: DateTime<Utc>) -> Duration {
    let deadline = Instant::now() + AHEAD + PATIENCE;
    while listed(server, id).await != present {
        assert!(
            Instant::now() < deadline,
            "the list never showed the transition to {present}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (Utc::now() - due).to_std().unwrap_or_default()
}

/// Transitions committed by `server`, from its metrics.
async fn transitions(server: &Server) -> u64 {
    let text = server.metrics().await;
    text.lines()
        .filter(|line| {
            line.starts_with("strata_tasks_runs_total{")
                && line.contains("kind=\"publish.transition\"")
                && line.contains("outcome=\"done\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

async fn publishes_and_withdraws_on_time(backend: Backend) {
    let Some(site) = Site::new(backend, "scheduling").await else {
        return;
    };
    let token = site.token("scheduler", "admin");
    let instances: Vec<Server> = match backend {
        Backend::Embedded => vec![site.serve()],
        Backend::Production => vec![site.serve(), site.serve()],
    };
    // Published now, stamped by the write itself: nothing to schedule.
    let (status, body) = Api::new(&instances[0], Some(&token))
        .json(
            Method::POST,
            "/api/admin/properties/",
            json!({"title": "Public now", "deal": "sale", "price": "1", "area": "1", "city": "Qom", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let from = ahead();
    let until = from + AHEAD;
    let (id, slug) = schedule(&instances[0], &token, "Scheduled villa", from, Some(until)).await;
    // Before its time: absent from every read, which caches the absence.
    for server in &instances {
        assert_eq!(
            shown(server, id, &slug).await,
            NOWHERE,
            "{backend:?} before"
        );
    }
    let delay = until_listed(&instances[0], id, true, from).await;
    for server in &instances {
        assert_eq!(
            shown(server, id, &slug).await,
            EVERYWHERE,
            "{backend:?} published"
        );
    }
    let withdrawn = until_listed(&instances[0], id, false, until).await;
    for server in &instances {
        assert_eq!(
            shown(server, id, &slug).await,
            NOWHERE,
            "{backend:?} withdrawn"
        );
    }
    let mut committed = 0;
    for server in &instances {
        committed += transitions(server).await;
    }
    assert_eq!(
        committed, 2,
        "{backend:?}: one transition each for the publish and the withdrawal"
    );
    eprintln!(
        "scheduling delay ({backend:?}, {} instance(s)): published {} ms, withdrawn {} ms after the due time",
        instances.len(),
        delay.as_millis(),
        withdrawn.as_millis()
    );
}

async fn survives_a_killed_instance_and_a_full_stop(backend: Backend) {
    let Some(site) = Site::new(backend, "scheduling_down").await else {
        return;
    };
    let token = site.token("scheduler", "admin");
    let mut instances = vec![site.serve()];
    if backend == Backend::Production {
        instances.push(site.serve());
        // The instance that would run it is either: kill one, the other must.
        let from = ahead();
        let (id, slug) = schedule(&instances[0], &token, "Killed claimer", from, None).await;
        assert_eq!(shown(&instances[1], id, &slug).await, NOWHERE);
        drop(instances.remove(0));
        until_listed(&instances[0], id, true, from).await;
        assert_eq!(shown(&instances[0], id, &slug).await, EVERYWHERE);
    }
    // Every instance down when it comes due: applied when one starts, before it serves.
    let from = ahead();
    let (id, slug) = schedule(&instances[0], &token, "While down", from, None).await;
    assert_eq!(shown(&instances[0], id, &slug).await, NOWHERE);
    instances.clear();
    tokio::time::sleep((from - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(1))
        .await;
    let restarted = site.serve();
    assert_eq!(
        shown(&restarted, id, &slug).await,
        EVERYWHERE,
        "{backend:?}: the first reads after the restart"
    );
    assert_eq!(transitions(&restarted).await, 1);
}

on_both_backends!(publishes_and_withdraws_on_time);
on_both_backends!(survives_a_killed_instance_and_a_full_stop);

/// Bad schedules are a 400 in DRF's shape, naming the field.
#[tokio::test]
async fn bad_schedules_are_refused_with_the_field_named() {
    let Some(site) = Site::new(Backend::Embedded, "scheduling_input").await else {
        return;
    };
    let token = site.token("scheduler", "admin");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let base = json!({"title": "Bad", "deal": "sale", "price": "1", "area": "1", "city": "Qom"});
    let with = |extra: Value| {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    for (extra, field) in [
        (json!({"published_at": "tomorrow"}), "published_at"),
        (json!({"unpublish_at": 5}), "unpublish_at"),
        (
            json!({"published_at": "2030-01-02T00:00:00Z", "unpublish_at": "2030-01-01T00:00:00Z"}),
            "unpublish_at",
        ),
    ] {
        let (status, body) = admin
            .json(Method::POST, "/api/admin/properties/", with(extra.clone()))
            .await;
        assert_eq!(status, 400, "{extra}: {body}");
        assert!(body[field].is_array(), "{extra}: {body}");
    }
}
