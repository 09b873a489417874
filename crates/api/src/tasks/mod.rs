//! One durable claim-and-run queue for work that a commit owes later or at a set time: the
//! revalidations owed to external front ends, scheduled publishing, and whatever comes next
//! (mail, CDN purges) as further [`Kind`]s rather than further queues.
//!
//! A task is a row of `task`, written with [`enqueue`] in the transaction of the change that
//! owes it, so it commits or rolls back with that change and survives any process. Every
//! instance runs one [`Runner`]; instances share the table and claim a due row in the
//! database, so each run happens on one instance at a time and a dead instance loses nothing:
//!
//! - [`Run::Exactly`]: the row is deleted in a transaction handed to the handler, which commits
//!   it together with its own writes. One row deleted is the claim, and the effect and the claim
//!   commit together or not at all: exactly once. A claimer that dies holds nothing once its
//!   transaction is rolled back; a task that came due while every instance was down runs at
//!   the next start.
//! - [`Run::Leased`]: the row's due time is moved forward by the lease with a compare-and-set,
//!   the handler runs outside any transaction (an HTTP call), and the row is deleted only if
//!   nobody rescheduled it meanwhile: at least once. An instance that dies mid-run leaves the row
//!   to whoever claims it when the lease lapses.
//!
//! Failures back off exponentially (with jitter, up to the kind's cap) and are retried forever,
//! logged louder after [`LOUD_AFTER`] attempts: never dropped.

mod m20261207_000700_tasks;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use metrics::{counter, gauge, histogram};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::Notify;

use crate::admin::schedule::db_now;

pub use m20261207_000700_tasks::Migration;
pub use model::Model as Task;

mod model {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub key: Option<String>,
        pub payload: String,
        pub due_at: DateTimeUtc,
        pub attempts: i32,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use model::{Column, Entity as Tasks};

/// How often due rows are looked for when nothing wakes the runner.
const POLL: Duration = Duration::from_secs(1);
/// Rows looked at per round.
pub const BATCH: u64 = 100;
/// After this many failed attempts a task is reported at ERROR (and still retried).
pub const LOUD_AFTER: i32 = 10;

/// Why a run did not do its work; the task is retried after a backoff.
#[derive(Debug)]
pub struct TaskError {
    pub message: String,
    /// Retrying cannot help until an operator acts: report at ERROR on every attempt.
    pub needs_operator: bool,
}

impl TaskError {
    pub fn retry(message: impl Into<String>) -> Self {
        TaskError {
            message: message.into(),
            needs_operator: false,
        }
    }
}

impl From<DbErr> for TaskError {
    fn from(error: DbErr) -> Self {
        TaskError::retry(error.to_string())
    }
}

/// A kind's work, run once: commits `txn` (which holds the claim) with its own writes.
#[async_trait]
pub trait RunInTxn: Send + Sync {
    async fn run(&self, task: &Task, txn: DatabaseTransaction) -> Result<(), TaskError>;
}

/// A kind's work, run at least once, outside any transaction.
#[async_trait]
pub trait RunLeased: Send + Sync {
    async fn run(&self, task: &Task) -> Result<(), TaskError>;

    /// Tasks sharing a lane with one that just failed (one endpoint) wait for the next round
    /// rather than each waiting out the same failure.
    fn lane(&self, _task: &Task) -> Option<String> {
        None
    }
}

/// How a kind's tasks are claimed and run.
pub enum Run {
    Exactly(Arc<dyn RunInTxn>),
    Leased {
        lease: Duration,
        handler: Arc<dyn RunLeased>,
    },
}

pub struct Kind {
    /// The `kind` column and the metrics' label: `nextjs.revalidate`, `publish.transition`.
    pub name: &'static str,
    pub run: Run,
    pub max_backoff: Duration,
}

impl Kind {
    /// A kind whose work is outside the database, run at least once under `lease`.
    pub fn leased(
        name: &'static str,
        lease: Duration,
        max_backoff: Duration,
        handler: Arc<dyn RunLeased>,
    ) -> Kind {
        Kind {
            name,
            run: Run::Leased { lease, handler },
            max_backoff,
        }
    }
}

/// Inside the transaction that owes the work: a task of `kind`, due at `due`. A `key` names the
/// task: enqueueing the same key again reschedules it (new payload and due time) instead of
/// adding one, even while it runs, so the run in flight does not delete the rescheduled row.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    kind: &str,
    key: Option<&str>,
    payload: &str,
    due: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = new_row(kind, key.map(str::to_owned), payload.to_owned(), due);
    let insert = Tasks::insert(row);
    match key {
        Some(_) => {
            insert
                .on_conflict(
                    OnConflict::columns([Column::Kind, Column::Key])
                        .update_columns([Column::Payload, Column::DueAt])
                        .to_owned(),
                )
                .exec(conn)
                .await?;
        }
        None => {
            insert.exec(conn).await?;
        }
    }
    Ok(())
}

/// Inside the transaction that owes the work: one unnamed task per payload, due now.
pub async fn enqueue_all(
    conn: &impl ConnectionTrait,
    kind: &str,
    payloads: impl IntoIterator<Item = String>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let rows: Vec<_> = payloads
        .into_iter()
        .map(|payload| new_row(kind, None, payload, now))
        .collect();
    if !rows.is_empty() {
        Tasks::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

/// Inside the transaction that owes the work: one task per payload, keyed `<held>:<n>`, held
/// until [`release`] says the work may go (the commit's effects are in place), or until
/// `until` should the releasing process die first.
pub async fn enqueue_held(
    conn: &impl ConnectionTrait,
    kind: &str,
    held: &str,
    payloads: impl IntoIterator<Item = String>,
    until: DateTime<Utc>,
) -> Result<(), DbErr> {
    let rows: Vec<_> = payloads
        .into_iter()
        .enumerate()
        .map(|(n, payload)| new_row(kind, Some(format!("{held}:{n}")), payload, until))
        .collect();
    for chunk in rows.chunks(500) {
        Tasks::insert_many(chunk.to_vec()).exec(conn).await?;
    }
    Ok(())
}

/// Makes the tasks [`enqueue_held`] wrote under `held` due now.
pub async fn release(conn: &impl ConnectionTrait, kind: &str, held: &str) -> Result<(), DbErr> {
    Tasks::update_many()
        .col_expr(Column::DueAt, Expr::value(Utc::now()))
        .filter(Column::Kind.eq(kind))
        .filter(Column::Key.starts_with(format!("{held}:")))
        .filter(Column::DueAt.gt(Utc::now()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Removes the tasks `keys` of `kind` that exist.
pub async fn cancel_all(
    conn: &impl ConnectionTrait,
    kind: &str,
    keys: &[String],
) -> Result<(), DbErr> {
    for chunk in keys.chunks(500) {
        Tasks::delete_many()
            .filter(Column::Kind.eq(kind))
            .filter(Column::Key.is_in(chunk.iter().map(String::as_str)))
            .exec(conn)
            .await?;
    }
    Ok(())
}

fn new_row(
    kind: &str,
    key: Option<String>,
    payload: String,
    due: DateTime<Utc>,
) -> model::ActiveModel {
    model::ActiveModel {
        kind: Set(kind.to_owned()),
        key: Set(key),
        payload: Set(payload),
        due_at: Set(due),
        attempts: Set(0),
        last_error: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
}

/// How long a task waits after its `attempts`-th failure: 2^attempts seconds up to `max`,
/// less up to a fifth at random so that instances retrying together drift apart.
pub fn backoff(attempts: i32, max: Duration) -> Duration {
    let full = Duration::from_secs(1u64 << attempts.clamp(1, 16)).min(max);
    full.mul_f64(1.0 - rand::thread_rng().gen_range(0.0..0.2))
}

/// Runs the due tasks of its kinds, on every instance.
pub struct Runner {
    db: DatabaseConnection,
    kinds: HashMap<&'static str, Kind>,
    wake: Notify,
}

impl Runner {
    pub fn new(db: DatabaseConnection, kinds: Vec<Kind>) -> Arc<Self> {
        Arc::new(Runner {
            db,
            kinds: kinds.into_iter().map(|kind| (kind.name, kind)).collect(),
            wake: Notify::new(),
        })
    }

    /// Runs due tasks until the process ends (or the runner is dropped), sleeping until the
    /// next due time, at most [`POLL`], or until [`Runner::wake`].
    pub fn start(self: &Arc<Self>) {
        if self.kinds.is_empty() {
            return;
        }
        let this: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(runner) = this.upgrade() else {
                    return;
                };
                let pause = match runner.run_due(None).await {
                    // More may be due right away.
                    Ok(n) if n as u64 == BATCH => Duration::ZERO,
                    // Counted here, not on a commit's path (`run_now`).
                    Ok(_) => match runner.report_pending().await {
                        Ok(()) => runner.until_next_due().await,
                        Err(error) => {
                            tracing::warn!(%error, "tasks: counting pending tasks failed");
                            POLL
                        }
                    },
                    Err(error) => {
                        tracing::error!(%error, "tasks: reading due tasks failed");
                        POLL
                    }
                };
                if !pause.is_zero() {
                    let _ = tokio::time::timeout(pause, runner.wake.notified()).await;
                }
            }
        });
    }

    /// Looks for due tasks now (after a commit that enqueued some).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// One bounded attempt at the due tasks of `kind`, on the commit's path, so that what a
    /// commit owes is normally done by its ack; what `within` does not cover stays for the loop.
    pub async fn run_now(&self, kind: &str, within: Duration) {
        if !self.kinds.contains_key(kind) {
            return;
        }
        match tokio::time::timeout(within, self.run_due(Some(kind))).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::error!(%error, kind, "tasks: reading due tasks failed"),
            // Tasks claimed by the attempt are retried once their claim lapses.
            Err(_) => self.wake(),
        }
    }

    /// Runs what is due (of `only`, or of every kind); returns how many rows it looked at.
    pub async fn run_due(&self, only: Option<&str>) -> Result<usize, DbErr> {
        let kinds: Vec<&str> = match only {
            Some(kind) => vec![kind],
            None => self.kinds.keys().copied().collect(),
        };
        let due = Tasks::find()
            .filter(Column::Kind.is_in(kinds.iter().copied()))
            .filter(
                Column::DueAt
                    .into_expr()
                    .lte(db_now(self.db.get_database_backend())),
            )
            .order_by_asc(Column::DueAt)
            .order_by_asc(Column::Id)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        let mut blocked: HashSet<(String, String)> = HashSet::new();
        for task in &due {
            let Some(kind) = self.kinds.get(task.kind.as_str()) else {
                continue;
            };
            if let Err(error) = self.run_one(kind, task, &mut blocked).await {
                tracing::error!(%error, kind = kind.name, id = task.id, "tasks: a run failed to record its outcome");
            }
        }
        Ok(due.len())
    }

    async fn run_one(
        &self,
        kind: &Kind,
        task: &Task,
        blocked: &mut HashSet<(String, String)>,
    ) -> Result<(), DbErr> {
        // The due time the row has unless someone rescheduled it during the run.
        let (outcome, due_after_claim) = match &kind.run {
            Run::Exactly(handler) => {
                let txn = strata_db::begin_write(&self.db).await?;
                // The claim: whoever deletes the row runs it, in the transaction that deletes it.
                let claimed = Tasks::delete_many()
                    .filter(Column::Id.eq(task.id))
                    .filter(Column::DueAt.eq(task.due_at))
                    .exec(&txn)
                    .await?;
                if claimed.rows_affected != 1 {
                    // Another instance ran it: end the transaction now (it holds SQLite's lock).
                    txn.rollback().await?;
                    return Ok(());
                }
                observe_delay(kind, task);
                (handler.run(task, txn).await, task.due_at)
            }
            Run::Leased { lease, handler } => {
                let lane = handler.lane(task).map(|lane| (task.kind.clone(), lane));
                if lane.as_ref().is_some_and(|lane| blocked.contains(lane)) {
                    return Ok(());
                }
                let Some(claimed_until) = self.lease(task, *lease).await? else {
                    return Ok(());
                };
                observe_delay(kind, task);
                let outcome = handler.run(task).await;
                match &outcome {
                    Ok(()) => {
                        // Not if it was rescheduled while it ran: that is owed again.
                        Tasks::delete_many()
                            .filter(Column::Id.eq(task.id))
                            .filter(Column::DueAt.eq(claimed_until))
                            .exec(&self.db)
                            .await?;
                    }
                    Err(_) => blocked.extend(lane),
                }
                (outcome, claimed_until)
            }
        };
        match outcome {
            Ok(()) => {
                counter!("strata_tasks_runs_total", "kind" => kind.name, "outcome" => "done")
                    .increment(1);
                Ok(())
            }
            Err(error) => self.failed(kind, task, due_after_claim, &error).await,
        }
    }

    /// Moves the row's due time past the lease if nobody else did; the new due time, or `None`
    /// when another instance has it.
    async fn lease(&self, task: &Task, lease: Duration) -> Result<Option<DateTime<Utc>>, DbErr> {
        // To the microsecond, as PostgreSQL keeps it: the delete after the run compares it.
        let until = (Utc::now()
            + chrono::Duration::from_std(lease).unwrap_or(chrono::TimeDelta::MAX))
        .trunc_subsecs(6);
        let claimed = Tasks::update_many()
            .col_expr(Column::DueAt, Expr::value(until))
            .filter(Column::Id.eq(task.id))
            .filter(Column::DueAt.eq(task.due_at))
            .exec(&self.db)
            .await?;
        Ok((claimed.rows_affected == 1).then_some(until))
    }

    /// Records a failed run and when to retry it, unless the row's due time is no longer
    /// `due`: a row rescheduled or run by another instance meanwhile is left as they left it.
    async fn failed(
        &self,
        kind: &Kind,
        task: &Task,
        due: DateTime<Utc>,
        error: &TaskError,
    ) -> Result<(), DbErr> {
        counter!("strata_tasks_runs_total", "kind" => kind.name, "outcome" => "failed")
            .increment(1);
        let attempts = task.attempts.saturating_add(1);
        let retry_in = backoff(attempts, kind.max_backoff);
        let retry_at = Utc::now() + chrono::Duration::from_std(retry_in).unwrap_or_default();
        Tasks::update_many()
            .col_expr(Column::Attempts, Expr::value(attempts))
            .col_expr(Column::DueAt, Expr::value(retry_at))
            .col_expr(Column::LastError, Expr::value(error.message.clone()))
            .filter(Column::Id.eq(task.id))
            .filter(Column::DueAt.eq(due))
            .exec(&self.db)
            .await?;
        // One event, at the level the failure deserves (tracing's levels are static).
        macro_rules! report {
            ($level:ident, $message:literal) => {
                tracing::$level!(
                    kind = kind.name,
                    key = task.key,
                    id = task.id,
                    attempts,
                    error = error.message,
                    retry_in_secs = retry_in.as_secs(),
                    $message
                )
            };
        }
        if error.needs_operator || attempts >= LOUD_AFTER {
            report!(error, "tasks: still failing");
        } else {
            report!(warn, "tasks: failed; will retry");
        }
        Ok(())
    }

    /// How long until the soonest task of a known kind is due (at most [`POLL`]).
    async fn until_next_due(&self) -> Duration {
        let next = Tasks::find()
            .filter(Column::Kind.is_in(self.kinds.keys().copied()))
            .order_by_asc(Column::DueAt)
            .one(&self.db)
            .await;
        match next {
            Ok(Some(task)) => (task.due_at - Utc::now())
                .to_std()
                .unwrap_or_default()
                .min(POLL),
            Ok(None) | Err(_) => POLL,
        }
    }

    async fn report_pending(&self) -> Result<(), DbErr> {
        let counts: Vec<(String, i64)> = Tasks::find()
            .select_only()
            .column(Column::Kind)
            .column_as(Column::Id.count(), "pending")
            .filter(Column::Kind.is_in(self.kinds.keys().copied()))
            .group_by(Column::Kind)
            .into_tuple()
            .all(&self.db)
            .await?;
        let counts: HashMap<String, i64> = counts.into_iter().collect();
        for name in self.kinds.keys() {
            let pending = counts.get(*name).copied().unwrap_or(0);
            gauge!("strata_tasks_pending", "kind" => *name).set(pending as f64);
        }
        Ok(())
    }
}

/// How late the task ran after it came due (the scheduling delay, for BENCHMARKS.md).
fn observe_delay(kind: &Kind, task: &Task) {
    let late = (Utc::now() - task.due_at).to_std().unwrap_or_default();
    histogram!("strata_tasks_delay_seconds", "kind" => kind.name).record(late.as_secs_f64());
}
