//! A committed mutation is always invalidated, whatever happens to its request after the
//! commit: the request timeout fires, or the client hangs up. The change sink is slowed down so
//! that both happen while the invalidation is still running; the first reads after it are
//! fresh on the API and the site. And a change whose process died between its commit and its
//! invalidation is applied from the journal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::api::Api;
use common::inprocess::{self, InProcess};
use common::{Backend, Site};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};
use serde_json::{Value, json};
use strata_api::{Change, ChangeSink, Op, Receipt};
use strata_real_estate::catalog::PROPERTY;

on_both_backends!(a_timeout_after_the_commit_still_invalidates);
on_both_backends!(a_client_gone_after_the_commit_still_invalidates);
on_both_backends!(a_change_left_in_the_journal_is_applied_by_the_sweeper);

/// Longer than the request timeout (1 s) and than the impatient client's patience.
const INVALIDATION_DELAY: Duration = Duration::from_millis(2500);

/// The real sink, with every invalidation delayed and counted once finished.
struct Slow {
    inner: Arc<dyn ChangeSink>,
    finished: Arc<AtomicUsize>,
}

#[async_trait]
impl ChangeSink for Slow {
    async fn record(&self, txn: &DatabaseTransaction, change: &Change) -> Result<Receipt, DbErr> {
        self.inner.record(txn, change).await
    }

    async fn committed(&self, change: &Change, receipt: Receipt) {
        tokio::time::sleep(INVALIDATION_DELAY).await;
        self.inner.committed(change, receipt).await;
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
}

struct Fixture {
    _site: Site,
    server: InProcess,
    admin: Api,
    public: Api,
    finished: Arc<AtomicUsize>,
}

async fn fixture(backend: Backend, test: &str) -> Option<Fixture> {
    let site = Site::new(backend, test).await?;
    assert!(
        site.run(&["seed", "--demo", "--properties", "5"])
            .status
            .success()
    );
    let token = site.token("editor1", "editor");
    let finished = Arc::new(AtomicUsize::new(0));
    let counter = finished.clone();
    let server = inprocess::serve(&site, &[("STRATA_REQUEST_TIMEOUT_SECS", "1")], |inner| {
        Arc::new(Slow {
            inner,
            finished: counter,
        })
    })
    .await;
    let admin = Api::at(server.base.clone(), Some(&token));
    let public = Api::at(server.base.clone(), None);
    Some(Fixture {
        _site: site,
        server,
        admin,
        public,
        finished,
    })
}

/// A published property, with its detail, the list and its page read (so all three are cached).
async fn warm(f: &Fixture) -> (i64, String) {
    let list = f.public.ok("/api/properties/").await;
    let first = &list["results"][0];
    let id = first["id"].as_i64().unwrap();
    let slug = first["slug"].as_str().unwrap().to_owned();
    f.public.ok(&format!("/api/properties/{id}/")).await;
    f.public.html(&format!("/en/properties/{slug}/")).await;
    (id, slug)
}

async fn wait_for_invalidations(f: &Fixture, count: usize) {
    let deadline = Instant::now() + INVALIDATION_DELAY * 4;
    while f.finished.load(Ordering::SeqCst) < count {
        assert!(
            Instant::now() < deadline,
            "the committed change was never invalidated"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first reads after the invalidation show `title` everywhere.
async fn assert_fresh(f: &Fixture, id: i64, slug: &str, title: &str) {
    let detail = f.public.ok(&format!("/api/properties/{id}/")).await;
    assert_eq!(detail["title"], title, "API detail");
    let list = f.public.ok("/api/properties/").await;
    let listed: Vec<&Value> = list["results"].as_array().unwrap().iter().collect();
    assert!(
        listed.iter().any(|p| p["id"] == id && p["title"] == title),
        "API list: {list}"
    );
    // The plain `title` is the default language's: the Persian site shows it.
    let page = f.public.html(&format!("/properties/{slug}/")).await;
    assert!(page.contains(title), "page");
}

async fn a_timeout_after_the_commit_still_invalidates(backend: Backend) {
    let Some(f) = fixture(backend, "commit_timeout").await else {
        return;
    };
    let (id, slug) = warm(&f).await;
    let title = "Renamed while the timeout fired";
    let (status, body) = f
        .admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{id}/"),
            json!({ "title": title }),
        )
        .await;
    assert_eq!(
        status, 408,
        "the timeout fires during the invalidation: {body}"
    );
    wait_for_invalidations(&f, 1).await;
    assert_fresh(&f, id, &slug, title).await;
}

async fn a_client_gone_after_the_commit_still_invalidates(backend: Backend) {
    let Some(f) = fixture(backend, "commit_disconnect").await else {
        return;
    };
    let (id, slug) = warm(&f).await;
    let title = "Renamed while the client left";
    let impatient = f.admin.impatient(Duration::from_millis(300));
    let gone = impatient
        .request(Method::PATCH, &format!("/api/admin/properties/{id}/"))
        .json(&json!({ "title": title }))
        .send()
        .await;
    assert!(gone.is_err(), "the client hangs up before the answer");
    wait_for_invalidations(&f, 1).await;
    assert_fresh(&f, id, &slug, title).await;
}

async fn a_change_left_in_the_journal_is_applied_by_the_sweeper(backend: Backend) {
    let Some(f) = fixture(backend, "commit_journal").await else {
        return;
    };
    let (id, slug) = warm(&f).await;
    let title = "Renamed by a writer that died";
    // A writer that commits its row and its journal entry, then dies before invalidating.
    let state = &f.server.app_state;
    let txn = state.api.db.begin().await.unwrap();
    let backend_sql = txn.get_database_backend();
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend_sql,
        match backend_sql {
            sea_orm::DbBackend::Postgres => {
                "UPDATE real_estate_property SET title_fa = $1 WHERE id = $2"
            }
            _ => "UPDATE real_estate_property SET title_fa = ? WHERE id = ?",
        },
        [title.into(), id.into()],
    ))
    .await
    .unwrap();
    let change = Change::new(PROPERTY, Op::Update, vec![id], vec![slug.clone()]);
    state.changes.record(&txn, &change).await.unwrap();
    txn.commit().await.unwrap();

    let detail = f.public.ok(&format!("/api/properties/{id}/")).await;
    assert_ne!(detail["title"], title, "the cache still holds the old row");
    state.changes.sweep(Duration::ZERO).await;
    assert_fresh(&f, id, &slug, title).await;
    // Applied and gone: a second sweep finds nothing to do.
    let left = state
        .api
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            backend_sql,
            "SELECT COUNT(*) AS n FROM invalidation_journal",
        ))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = left.try_get("", "n").unwrap();
    assert_eq!(n, 0, "the journal keeps no applied change");
}
