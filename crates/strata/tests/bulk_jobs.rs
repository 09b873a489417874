//! Bulk jobs over every row a filter matches (`strata_api::admin::jobs`), on both backends:
//! progress and final counts over more rows than a page and than a batch; one invalidation per
//! batch; a row deleted by another writer between the snapshot and its batch (forced: the
//! runner is held after a batch's commit); rows the database refuses, isolated in their batch;
//! a server error that interrupts the job; a runner that died; bad filters; and the public API
//! fresh on the first read after the job says done.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::api::{Api, PNG};
use common::inprocess::{self, InProcess};
use common::{Backend, Server, Site};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Statement};
use serde_json::{Value, json};
use strata_api::{Change, ChangeSink, Op, Receipt};
use strata_real_estate::catalog::PROPERTY;
use tokio::sync::oneshot;

on_both_backends!(a_job_changes_every_matching_row);
on_both_backends!(each_batch_is_one_invalidation_and_a_row_gone_since_the_snapshot_is_an_error);
on_both_backends!(refused_rows_are_isolated_and_a_server_error_interrupts);

const JOBS: &str = "/api/admin/properties/bulk/jobs/";

fn job_path(job: &Value) -> String {
    format!("{JOBS}{}/", job["id"])
}

/// Polls the job until it is no longer running; returns it.
async fn finish(admin: &Api, job: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = admin.ok(&job_path(job)).await;
        if now["state"] != "running" {
            return now;
        }
        assert!(Instant::now() < deadline, "the job never finished: {now}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn start(admin: &Api, body: Value) -> Value {
    let (status, job) = admin.json(Method::POST, JOBS, body).await;
    assert_eq!(status, 202, "{job}");
    job
}

/// The ids the admin list shows for `query`, every page at once, in its order.
async fn listed(admin: &Api, query: &str) -> Vec<i64> {
    let page = admin
        .ok(&format!("/api/admin/properties/?{query}&page_size=100"))
        .await;
    let ids: Vec<i64> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(page["count"], ids.len(), "more than one page of 100");
    ids
}

async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn seeded(backend: Backend, test: &str) -> Option<(Site, String)> {
    let site = Site::seeded(backend, test, 30).await?;
    let token = site.token("editor1", "editor");
    Some((site, token))
}

/// Through the real binary (its log kept): bad filters start nothing; a job over more rows
/// than a page and a batch changes each of them, reports progress, and the public API shows
/// the result on its first read after `done`; a job whose runner stopped reporting reads as
/// interrupted.
async fn a_job_changes_every_matching_row(backend: Backend) {
    let Some((site, token)) = seeded(backend, "bulk_job").await else {
        return;
    };
    let mut env: Vec<(&str, &str)> = site
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.push(("STRATA_API__BULK_BATCH_SIZE", "7"));
    let server = Server::start_logged(&env);
    let admin = Api::new(&server, Some(&token));
    let public = Api::new(&server, None);
    let db = sea_orm::Database::connect(&site.database_url)
        .await
        .unwrap();

    // Refused before any job exists, in DRF's shape, each problem naming its parameter.
    for (body, errors) in [
        (
            json!({"action": "status", "status": "archived", "filter": {"status": "gone", "ordering": "nope"}}),
            json!({"filter": [
                "ordering: Select a valid choice. nope is not one of the available choices.",
                "status: Select a valid choice. gone is not one of the available choices."
            ]}),
        ),
        (
            json!({"action": "status", "filter": {"category": "x"}}),
            json!({"filter": ["category: Enter a whole number."], "status": ["This field is required."]}),
        ),
        (
            json!({"action": "delete", "filter": [1]}),
            json!({"filter": ["Expected a dictionary of items but got type \"list\"."]}),
        ),
        (
            json!({"action": "delete", "filter": {"q": ["a", "b"]}}),
            json!({"filter": ["q: Expected a single value."]}),
        ),
        (
            json!({"action": "delete"}),
            json!({"filter": ["This field is required."]}),
        ),
        (
            json!({"action": "delete", "filter": {"q": "matches-nothing-at-all"}}),
            json!({"filter": ["No object matches this filter."]}),
        ),
    ] {
        let (status, answer) = admin.json(Method::POST, JOBS, body.clone()).await;
        assert_eq!((status, answer), (400, errors), "{body}");
    }
    let none = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM admin_bulk_job",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(none.try_get::<i64>("", "n").unwrap(), 0, "a 400 made a job");

    // Published properties: more than one admin page (20) and several batches of 7.
    let published = listed(&admin, "status=published").await;
    assert!(published.len() > 20, "{} published", published.len());
    // The public list, a detail and a page, cached before the job.
    let before = public.ok("/api/properties/").await;
    assert_eq!(before["count"], published.len());
    let first = &before["results"][0];
    let detail = format!("/api/properties/{}/", first["id"]);
    public.ok(&detail).await;
    let page = format!("/en/properties/{}/", first["slug"].as_str().unwrap());
    public.html(&page).await;

    let job = start(
        &admin,
        json!({"action": "status", "status": "archived", "filter": {"status": "published", "page": 2, "page_size": 5, "utm_source": "x"}}),
    )
    .await;
    assert_eq!(job["action"], "status");
    assert_eq!(job["status"], "archived");
    assert_eq!(
        job["total"],
        published.len(),
        "every matching row, not a page"
    );
    assert_eq!(job["failed"], 0);
    assert_eq!(job["errors"], json!([]));
    // Progress only grows, to the total.
    let mut seen = vec![job["done"].as_i64().unwrap()];
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let now = admin.ok(&job_path(&job)).await;
        seen.push(now["done"].as_i64().unwrap());
        if now["state"] != "running" {
            break now;
        }
        assert!(Instant::now() < deadline, "{now}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress: {seen:?}");
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["done"], published.len());
    assert_eq!(
        (done["failed"].clone(), done["errors"].clone()),
        (json!(0), json!([]))
    );
    assert!(done["finished_at"].is_string(), "{done}");

    // The first reads after `done` are fresh: admin, public API, site.
    let archived: BTreeSet<i64> = listed(&admin, "status=archived")
        .await
        .into_iter()
        .collect();
    assert!(published.iter().all(|id| archived.contains(id)));
    assert_eq!(listed(&admin, "status=published").await, Vec::<i64>::new());
    assert_eq!(public.ok("/api/properties/").await["count"], 0);
    assert_eq!(public.get(&detail).await.0, 404);
    let response = public.request(Method::GET, &page).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404, "{page}");

    // A delete job: the rows go, and their files once their batch has committed.
    let drafts = listed(&admin, "status=draft").await;
    assert!(!drafts.is_empty());
    let (status, image) = admin
        .upload(
            &format!("/api/admin/properties/{}/images/", drafts[0]),
            PNG,
            "a.png",
        )
        .await;
    assert_eq!(status, 201, "{image}");
    let file = image["url"].as_str().unwrap().to_owned();
    let fetched = public.request(Method::GET, &file).send().await.unwrap();
    assert_eq!(fetched.status().as_u16(), 200, "{file}");
    let job = start(
        &admin,
        json!({"action": "delete", "filter": {"status": "draft"}}),
    )
    .await;
    assert_eq!(
        (job["action"].clone(), job["status"].clone()),
        (json!("delete"), Value::Null)
    );
    let done = finish(&admin, &job).await;
    assert_eq!(
        (done["state"].clone(), done["done"].clone()),
        (json!("done"), json!(drafts.len())),
        "{done}"
    );
    assert_eq!(listed(&admin, "status=draft").await, Vec::<i64>::new());
    let gone = format!("/api/admin/properties/{}/", drafts[0]);
    assert_eq!(admin.get(&gone).await.0, 404);
    let fetched = public.request(Method::GET, &file).send().await.unwrap();
    assert_eq!(fetched.status().as_u16(), 404, "{file} outlived its row");

    // A job whose runner stopped reporting (its process died) reads as interrupted.
    let silent = chrono::Utc::now() - chrono::TimeDelta::minutes(5);
    let backend_sql = db.get_database_backend();
    let sql = match backend_sql {
        sea_orm::DbBackend::Postgres => {
            "INSERT INTO admin_bulk_job (resource, action, status, ids, total, done, failed, \
             errors, state, created_at, updated_at, finished_at) VALUES ('properties', \
             'delete', NULL, '[1, 2, 3]', 3, 1, 0, '[]', 'running', $1, $1, NULL) RETURNING id"
        }
        _ => {
            "INSERT INTO admin_bulk_job (resource, action, status, ids, total, done, failed, \
             errors, state, created_at, updated_at, finished_at) VALUES ('properties', \
             'delete', NULL, '[1, 2, 3]', 3, 1, 0, '[]', 'running', ?1, ?1, NULL) RETURNING id"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend_sql,
            sql,
            [silent.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let id: i64 = row.try_get("", "id").unwrap();
    let dead = admin.ok(&format!("{JOBS}{id}/")).await;
    assert_eq!(
        (
            dead["state"].clone(),
            dead["done"].clone(),
            dead["finished_at"].clone()
        ),
        (json!("interrupted"), json!(1), Value::Null),
        "{dead}"
    );
    assert_eq!(admin.get(&format!("{JOBS}{}/", id + 1)).await.0, 404);

    let log = server.log();
    assert!(!log.contains("panicked at"), "the server panicked:\n{log}");
}

/// Holds the runner after a chosen batch's commit, so another writer can act in between.
#[derive(Default)]
struct Gate {
    armed: Mutex<Option<Armed>>,
}

struct Armed {
    /// Bulk changes still to let through before holding one.
    skip: usize,
    held: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

impl Gate {
    /// The runner will be held after the commit of its batch number `batch` (1-based); returns
    /// "it is held" and "let it go".
    fn hold_after(&self, batch: usize) -> (oneshot::Receiver<()>, oneshot::Sender<()>) {
        let (held, is_held) = oneshot::channel();
        let (release, released) = oneshot::channel();
        *self.armed.lock().unwrap() = Some(Armed {
            skip: batch - 1,
            held,
            release: released,
        });
        (is_held, release)
    }

    async fn pass(&self, change: &Change) {
        if change.op != Op::Bulk {
            return;
        }
        let hold = {
            let mut armed = self.armed.lock().unwrap();
            match armed.as_mut() {
                Some(a) if a.skip > 0 => {
                    a.skip -= 1;
                    None
                }
                Some(_) => armed.take(),
                None => None,
            }
        };
        if let Some(Armed { held, release, .. }) = hold {
            let _ = held.send(());
            let _ = release.await;
        }
    }
}

/// The real sink, recording every change and passing each through the gate once invalidated.
struct Watched {
    inner: Arc<dyn ChangeSink>,
    seen: Arc<Mutex<Vec<Change>>>,
    gate: Arc<Gate>,
}

#[async_trait]
impl ChangeSink for Watched {
    async fn record(&self, txn: &DatabaseTransaction, change: &Change) -> Result<Receipt, DbErr> {
        self.inner.record(txn, change).await
    }

    async fn committed(&self, change: &Change, receipt: Receipt) {
        self.seen.lock().unwrap().push(change.clone());
        self.inner.committed(change, receipt).await;
        self.gate.pass(change).await;
    }
}

struct Fixture {
    _site: Site,
    server: InProcess,
    admin: Api,
    seen: Arc<Mutex<Vec<Change>>>,
    gate: Arc<Gate>,
}

/// Batches of this many rows in the in-process fixture.
const BATCH: usize = 5;

async fn fixture(backend: Backend, test: &str) -> Option<Fixture> {
    let (site, token) = seeded(backend, test).await?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let gate = Arc::new(Gate::default());
    let (recording, gated) = (seen.clone(), gate.clone());
    let batch = BATCH.to_string();
    let server = inprocess::serve(
        &site,
        &[("STRATA_API__BULK_BATCH_SIZE", batch.as_str())],
        |inner| {
            Arc::new(Watched {
                inner,
                seen: recording,
                gate: gated,
            })
        },
    )
    .await;
    let admin = Api::at(server.base.clone(), Some(&token));
    Some(Fixture {
        _site: site,
        server,
        admin,
        seen,
        gate,
    })
}

impl Fixture {
    fn db(&self) -> &DatabaseConnection {
        &self.server.app_state.api.db
    }

    /// The bulk changes published since the last call (other writes' changes dropped).
    fn bulk_changes(&self) -> Vec<Change> {
        std::mem::take(&mut *self.seen.lock().unwrap())
            .into_iter()
            .filter(|c| c.op == Op::Bulk)
            .collect()
    }
}

/// Each batch is one transaction and one invalidation carrying exactly its rows; progress is
/// written batch by batch; a row another writer deleted after the snapshot (while the runner
/// is held after its second batch) is a per-row "Not found.", a row another editor changed
/// then is left as that editor wrote it and reported, and the rest of its batch commits.
async fn each_batch_is_one_invalidation_and_a_row_gone_since_the_snapshot_is_an_error(
    backend: Backend,
) {
    let Some(f) = fixture(backend, "bulk_job_batches").await else {
        return;
    };
    let snapshot = listed(&f.admin, "status=published&ordering=id").await;
    assert!(snapshot.len() > 3 * BATCH, "{} rows", snapshot.len());
    let gone = snapshot[2 * BATCH];
    let edited = snapshot[2 * BATCH + 1];
    f.bulk_changes();

    let (held, release) = f.gate.hold_after(2);
    let job = start(
        &f.admin,
        json!({"action": "status", "status": "draft", "filter": {"status": "published", "ordering": "id"}}),
    )
    .await;
    held.await.unwrap();
    // Batch 1 reported; batch 2 committed, its runner held inside the commit.
    let midway = f.admin.ok(&job_path(&job)).await;
    assert_eq!(
        (midway["state"].clone(), midway["done"].clone()),
        (json!("running"), json!(BATCH)),
        "{midway}"
    );
    // Another writer deletes a row of batch 3, after the snapshot and before its batch.
    assert_eq!(
        f.admin
            .delete(&format!("/api/admin/properties/{gone}/"))
            .await,
        204
    );
    // And an editor changes another row of batch 3: the job took its snapshot before.
    let (status, body) = f
        .admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{edited}/"),
            json!({"title_en": "Edited while the job ran"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    release.send(()).unwrap();
    let done = finish(&f.admin, &job).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["total"], snapshot.len());
    assert_eq!(done["done"], snapshot.len() - 2);
    assert_eq!(done["failed"], 2);
    assert_eq!(
        done["errors"],
        json!([
            {"id": gone, "detail": "Not found."},
            {"id": edited, "detail": strata_api::admin::jobs::CHANGED_SINCE_SNAPSHOT},
        ])
    );
    let kept = f
        .admin
        .ok(&format!("/api/admin/properties/{edited}/"))
        .await;
    assert_eq!(
        (kept["status"].clone(), kept["title_en"].clone()),
        (json!("published"), json!("Edited while the job ran")),
        "the editor's row is as the editor left it"
    );

    // One invalidation per batch, each with exactly that batch's remaining rows and slugs.
    let changes = f.bulk_changes();
    let batches: Vec<Vec<i64>> = snapshot
        .chunks(BATCH)
        .map(|chunk| {
            chunk
                .iter()
                .copied()
                .filter(|id| *id != gone && *id != edited)
                .collect()
        })
        .collect();
    assert_eq!(changes.len(), batches.len(), "{changes:?}");
    for (change, batch) in changes.iter().zip(&batches) {
        assert_eq!(change.entity, PROPERTY);
        let mut expected = batch.clone();
        expected.sort_unstable();
        assert_eq!(change.ids, expected);
        assert_eq!(change.slugs.len(), batch.len(), "{change:?}");
    }
    let drafts: BTreeSet<i64> = listed(&f.admin, "status=draft").await.into_iter().collect();
    assert!(
        snapshot
            .iter()
            .all(|id| *id == gone || *id == edited || drafts.contains(id))
    );
}

/// A row the database refuses (a trigger, a constraint-class error) is a per-row error while
/// the rest of its batch commits in the same transaction (still one invalidation per batch);
/// a server-class error after the first batch stops the job as interrupted, the remaining rows
/// untouched.
async fn refused_rows_are_isolated_and_a_server_error_interrupts(backend: Backend) {
    let Some(f) = fixture(backend, "bulk_job_refusals").await else {
        return;
    };
    let postgres = f.db().get_database_backend() == sea_orm::DbBackend::Postgres;
    let snapshot = listed(&f.admin, "status=published&ordering=id").await;
    let held_row = snapshot[1];
    if postgres {
        execute(
            f.db(),
            &format!(
                "CREATE FUNCTION hold_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF OLD.id = {held_row} THEN RAISE EXCEPTION 'held' USING ERRCODE = \
                 'check_violation'; END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER hold_row BEFORE UPDATE ON real_estate_property FOR EACH ROW \
                 EXECUTE FUNCTION hold_row()"
            ),
        )
        .await;
    } else {
        execute(
            f.db(),
            &format!(
                "CREATE TRIGGER hold_row BEFORE UPDATE ON real_estate_property \
                 WHEN OLD.id = {held_row} BEGIN SELECT RAISE(ABORT, 'held'); END"
            ),
        )
        .await;
    }
    f.bulk_changes();
    let job = start(
        &f.admin,
        json!({"action": "status", "status": "archived", "filter": {"status": "published", "ordering": "id"}}),
    )
    .await;
    let done = finish(&f.admin, &job).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["done"], snapshot.len() - 1);
    assert_eq!(
        done["errors"],
        json!([{"id": held_row, "detail": "The database refused this change."}])
    );
    let changes = f.bulk_changes();
    assert_eq!(changes.len(), snapshot.len().div_ceil(BATCH), "{changes:?}");
    assert!(!changes[0].ids.contains(&held_row), "{changes:?}");
    assert_eq!(changes[0].ids.len(), BATCH - 1);
    assert_eq!(listed(&f.admin, "status=published").await, [held_row]);

    // Now a server-class error from the second batch on: the job stops there.
    let archived = listed(&f.admin, "status=archived&ordering=id").await;
    let (held, release) = f.gate.hold_after(1);
    let job = start(
        &f.admin,
        json!({"action": "status", "status": "draft", "filter": {"status": "archived", "ordering": "id"}}),
    )
    .await;
    held.await.unwrap();
    if postgres {
        execute(
            f.db(),
            "CREATE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             RAISE EXCEPTION 'broken'; END $$; \
             CREATE TRIGGER broken BEFORE UPDATE ON real_estate_property FOR EACH ROW \
             EXECUTE FUNCTION broken()",
        )
        .await;
    } else {
        execute(
            f.db(),
            "CREATE TRIGGER broken BEFORE UPDATE ON real_estate_property \
             BEGIN INSERT INTO no_such_table VALUES (1); END",
        )
        .await;
    }
    release.send(()).unwrap();
    let stopped = finish(&f.admin, &job).await;
    assert_eq!(stopped["state"], "interrupted", "{stopped}");
    assert_eq!(stopped["total"], archived.len());
    assert_eq!(
        (stopped["done"].clone(), stopped["failed"].clone()),
        (json!(BATCH), json!(0)),
        "{stopped}"
    );
    assert!(stopped["finished_at"].is_string(), "{stopped}");
    assert_eq!(f.bulk_changes().len(), 1, "only the first batch committed");
    let drafts = listed(&f.admin, "status=draft&ordering=id").await;
    let still_archived = listed(&f.admin, "status=archived&ordering=id").await;
    assert!(archived[..BATCH].iter().all(|id| drafts.contains(id)));
    assert_eq!(still_archived, archived[BATCH..]);
}
