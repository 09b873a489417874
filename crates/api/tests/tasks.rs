//! The task queue on both backends: exactly-once runs under contention, failures that leave
//! the effect undone and the task due again, reschedules during a leased run, lanes, and tasks
//! held until their change is applied.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, Statement};
use strata_api::tasks::{self, Kind, Run, RunInTxn, RunLeased, Runner, Task, TaskError};
use strata_db::sea_orm_migration::{MigrationTrait, MigratorTrait};
use strata_db::testing::{self, TestDb};
use tokio::sync::Barrier;

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(tasks::Migration)]
    }
}

/// A migrated SQLite database, and a PostgreSQL one when it is reachable.
async fn databases(test: &str) -> Vec<TestDb> {
    let mut all = vec![testing::sqlite_migrated::<Migrator>(test).await];
    if let Some(pg) = testing::postgres(test, test).await {
        Migrator::up(&pg.db, None).await.unwrap();
        all.push(pg);
    }
    for db in &all {
        db.db
            .execute_unprepared("CREATE TABLE effect (task_id BIGINT NOT NULL)")
            .await
            .unwrap();
    }
    all
}

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// When the task `key` of `kind` is due, if it is pending.
async fn due_at(db: &impl ConnectionTrait, kind: &str, key: &str) -> Option<DateTime<Utc>> {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT due_at FROM task WHERE kind = '{kind}' AND key = '{key}'"),
    ))
    .await
    .unwrap()
    .map(|row| row.try_get_by_index(0).unwrap())
}

async fn record_effect(txn: &DatabaseTransaction, task: &Task) {
    txn.execute_raw(Statement::from_string(
        txn.get_database_backend(),
        format!("INSERT INTO effect (task_id) VALUES ({})", task.id),
    ))
    .await
    .unwrap();
}

/// Writes an effect in the claim's transaction; commits it, or fails after writing it.
struct Effect {
    fail: bool,
}

#[async_trait]
impl RunInTxn for Effect {
    async fn run(&self, task: &Task, txn: DatabaseTransaction) -> Result<(), TaskError> {
        record_effect(&txn, task).await;
        // Long enough for every other runner to have read the row and tried to claim it.
        tokio::time::sleep(Duration::from_millis(20)).await;
        if self.fail {
            return Err(TaskError::retry("refused"));
        }
        txn.commit().await?;
        Ok(())
    }
}

fn exactly(name: &'static str, fail: bool) -> Kind {
    Kind {
        name,
        run: Run::Exactly(Arc::new(Effect { fail })),
        max_backoff: Duration::from_secs(60),
    }
}

#[tokio::test]
async fn each_task_runs_exactly_once_however_many_instances_race_for_it() {
    for test_db in databases("tasks_exactly_once").await {
        let (db, backend) = (test_db.db.clone(), test_db.backend);
        const TASKS: usize = 20;
        const INSTANCES: usize = 6;
        let txn = strata_db::begin_write(&db).await.unwrap();
        tasks::enqueue_all(&txn, "once", (0..TASKS).map(|n| format!("{n}")))
            .await
            .unwrap();
        txn.commit().await.unwrap();
        let start = Arc::new(Barrier::new(INSTANCES));
        let runs: Vec<_> = (0..INSTANCES)
            .map(|_| {
                let runner = Runner::new(db.clone(), vec![exactly("once", false)]);
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    runner.run_due(None).await.unwrap()
                })
            })
            .collect();
        let mut looked = 0;
        for run in runs {
            looked += run.await.unwrap();
        }
        // The race happened: instances read the same due rows before claiming them.
        assert!(
            looked > TASKS,
            "{backend}: no contention ({looked} rows read)"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM effect").await,
            TASKS as i64,
            "{backend}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(DISTINCT task_id) FROM effect").await,
            TASKS as i64,
            "{backend}: a task ran twice"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM task").await,
            0,
            "{backend}"
        );
        test_db.close().await;
    }
}

#[tokio::test]
async fn a_failed_run_leaves_no_effect_and_the_task_due_again_later() {
    for test_db in databases("tasks_failure").await {
        let (db, backend) = (test_db.db.clone(), test_db.backend);
        tasks::enqueue(&db, "flaky", Some("post:1"), "{}", Utc::now())
            .await
            .unwrap();
        let before = Utc::now();
        let failing = Runner::new(db.clone(), vec![exactly("flaky", true)]);
        assert_eq!(failing.run_due(None).await.unwrap(), 1);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM effect").await,
            0,
            "{backend}: effect kept"
        );
        let due = due_at(&db, "flaky", "post:1").await;
        assert!(
            due.is_some_and(|due| due > before),
            "{backend}: not backed off: {due:?}"
        );
        assert_eq!(
            count(&db, "SELECT SUM(attempts) FROM task").await,
            1,
            "{backend}"
        );
        // Not due yet: nothing runs; once due (rescheduled to now), another instance runs it.
        let working = Runner::new(db.clone(), vec![exactly("flaky", false)]);
        assert_eq!(working.run_due(None).await.unwrap(), 0, "{backend}");
        tasks::enqueue(&db, "flaky", Some("post:1"), "{}", Utc::now())
            .await
            .unwrap();
        assert_eq!(working.run_due(None).await.unwrap(), 1, "{backend}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM effect").await,
            1,
            "{backend}"
        );
        assert_eq!(due_at(&db, "flaky", "post:1").await, None);
        test_db.close().await;
    }
}

/// Records each run's payload; fails the tasks whose payload starts with `fail`, and on its
/// first run of `reschedule` enqueues that key again, as a commit during the run would.
struct Deliveries {
    db: DatabaseConnection,
    seen: Mutex<Vec<String>>,
}

#[async_trait]
impl RunLeased for Deliveries {
    async fn run(&self, task: &Task) -> Result<(), TaskError> {
        self.seen.lock().unwrap().push(task.payload.clone());
        if task.payload == "reschedule" {
            tasks::enqueue(
                &self.db,
                "deliver",
                task.key.as_deref(),
                "again",
                Utc::now(),
            )
            .await?;
        }
        if task.payload.starts_with("fail") {
            return Err(TaskError::retry("down"));
        }
        Ok(())
    }

    fn lane(&self, task: &Task) -> Option<String> {
        task.payload.split(':').next().map(str::to_owned)
    }
}

fn leased(db: &DatabaseConnection) -> (Arc<Deliveries>, Arc<Runner>) {
    let deliveries = Arc::new(Deliveries {
        db: db.clone(),
        seen: Mutex::default(),
    });
    let kind = Kind {
        name: "deliver",
        run: Run::Leased {
            lease: Duration::from_secs(30),
            handler: deliveries.clone(),
        },
        max_backoff: Duration::from_secs(60),
    };
    (deliveries, Runner::new(db.clone(), vec![kind]))
}

#[tokio::test]
async fn a_task_rescheduled_while_it_runs_is_run_again() {
    for test_db in databases("tasks_reschedule").await {
        let (db, backend) = (test_db.db.clone(), test_db.backend);
        let (deliveries, runner) = leased(&db);
        tasks::enqueue(&db, "deliver", Some("tag:x"), "reschedule", Utc::now())
            .await
            .unwrap();
        runner.run_due(None).await.unwrap();
        assert!(
            due_at(&db, "deliver", "tag:x").await.is_some(),
            "{backend}: the run deleted the work owed again"
        );
        runner.run_due(None).await.unwrap();
        assert_eq!(
            *deliveries.seen.lock().unwrap(),
            ["reschedule", "again"],
            "{backend}"
        );
        assert_eq!(due_at(&db, "deliver", "tag:x").await, None);
        test_db.close().await;
    }
}

#[tokio::test]
async fn a_failure_holds_back_its_lane_for_the_round_only() {
    for test_db in databases("tasks_lanes").await {
        let (db, backend) = (test_db.db.clone(), test_db.backend);
        let (deliveries, runner) = leased(&db);
        let txn = strata_db::begin_write(&db).await.unwrap();
        tasks::enqueue_all(
            &txn,
            "deliver",
            ["fail:1", "fail:2", "ok:1"].map(str::to_owned),
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        runner.run_due(None).await.unwrap();
        assert_eq!(
            *deliveries.seen.lock().unwrap(),
            ["fail:1", "ok:1"],
            "{backend}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM task").await,
            2,
            "{backend}"
        );
        // Unknown kinds are left alone: another release's work is not this runner's.
        tasks::enqueue(&db, "unknown", None, "{}", Utc::now())
            .await
            .unwrap();
        let rows = runner.run_due(None).await.unwrap();
        assert_eq!(rows, 1, "{backend}: only fail:2 is due");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM task WHERE kind = 'unknown'").await,
            1
        );
        test_db.close().await;
    }
}

#[tokio::test]
async fn cancel_removes_only_the_named_tasks() {
    for test_db in databases("tasks_cancel").await {
        let (db, backend) = (test_db.db.clone(), test_db.backend);
        let later = Utc::now() + chrono::Duration::hours(1);
        for key in ["a", "b"] {
            tasks::enqueue(&db, "deliver", Some(key), "{}", later)
                .await
                .unwrap();
        }
        tasks::cancel_all(&db, "deliver", &["a".to_owned()])
            .await
            .unwrap();
        assert_eq!(due_at(&db, "deliver", "a").await, None, "{backend}");
        assert!(due_at(&db, "deliver", "b").await.is_some(), "{backend}");
        test_db.close().await;
    }
}

/// Held tasks wait for their release (the committing instance's caches invalidated), or for
/// their deadline should it never come; another change's held tasks stay held.
#[tokio::test]
async fn held_tasks_run_only_once_released_or_past_their_deadline() {
    for test_db in databases("tasks_held").await {
        let (db, backend) = (test_db.db.clone(), test_db.backend);
        let (deliveries, runner) = leased(&db);
        let later = Utc::now() + chrono::Duration::seconds(120);
        let txn = strata_db::begin_write(&db).await.unwrap();
        tasks::enqueue_held(
            &txn,
            "deliver",
            "change:7",
            ["a:1", "a:2"].map(str::to_owned),
            later,
        )
        .await
        .unwrap();
        tasks::enqueue_held(
            &txn,
            "deliver",
            "change:70",
            ["b:1"].map(str::to_owned),
            later,
        )
        .await
        .unwrap();
        let past = Utc::now() - chrono::Duration::seconds(1);
        tasks::enqueue_held(
            &txn,
            "deliver",
            "change:8",
            ["c:1"].map(str::to_owned),
            past,
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();

        runner.run_due(None).await.unwrap();
        assert_eq!(
            *deliveries.seen.lock().unwrap(),
            ["c:1"],
            "{backend}: only the one past its deadline runs before a release"
        );
        tasks::release(&db, "deliver", "change:7").await.unwrap();
        runner.run_due(None).await.unwrap();
        assert_eq!(
            *deliveries.seen.lock().unwrap(),
            ["c:1", "a:1", "a:2"],
            "{backend}: change:70 is another change"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM task").await,
            1,
            "{backend}"
        );
        test_db.close().await;
    }
}
