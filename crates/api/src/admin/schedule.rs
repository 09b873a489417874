//! Scheduled publishing, for every resource that declares a [`Publication`] (brief §3: content
//! scheduled for a time goes live on its own at that time and reaches everything within a
//! second).
//!
//! Public reads show a row only while it is published *and* within its window
//! (`published_at <= now < unpublish_at`, [`visible`]), so a row published for a future time is
//! invisible everywhere until then. Nothing is written when that time comes, so nothing would
//! invalidate what was cached while the row was hidden: each write therefore enqueues, in its
//! own transaction, the row's next transition as a task of kind [`KIND`] on the shared queue
//! ([`sync`]). When it comes due, one instance claims it in a transaction and commits it
//! through [`Ctx::commit`] with a status change of that row ([`transition`]), which invalidates
//! what shows the row on every instance, as any write does — exactly once, and also after a
//! restart or for a time that passed while every instance was down.
//!
//! "Now" is the database's clock on PostgreSQL (`CURRENT_TIMESTAMP`), in the public filter and in
//! the queue's due query alike, so instances whose clocks differ agree on what is visible; on
//! SQLite (one host) the process clock.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Statement,
};
use serde::Deserialize;
use serde_json::json;

use super::AdminResource;
use super::service::change;
use crate::context::{Change, Ctx, Op};
use crate::tasks::{self, Kind, Run, RunInTxn, Task, TaskError};

/// The queue's kind of a publication's transition.
pub const KIND: &str = "publish.transition";

/// Where a resource keeps its publication: the status column and the status that publishes,
/// and the columns that bound when a published row is public.
#[derive(Clone, Copy, Debug)]
pub struct Publication<C> {
    pub status: C,
    pub published: &'static str,
    pub published_at: C,
    /// Null in a row: never withdrawn.
    pub unpublish_at: C,
}

/// The transition of one row that came due, in the claim's transaction: the change to commit
/// (the row's status change), or `None` when the row is gone.
pub type TransitionFn =
    for<'a> fn(
        &'a DatabaseTransaction,
        i64,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Change>, DbErr>> + Send + 'a>>;

/// The current time as the database sees it, for filters and due queries.
pub fn db_now(backend: DbBackend) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust("CURRENT_TIMESTAMP"),
        _ => Expr::value(Utc::now()),
    }
}

/// The database's current time, read inside a write (see [`db_now`]). `clock_timestamp()`,
/// not `CURRENT_TIMESTAMP`: the latter is when the transaction began, before the write stamped
/// its rows with the process's "now", which would then look ahead and be scheduled.
async fn read_db_now(db: &impl ConnectionTrait) -> Result<DateTime<Utc>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Utc::now());
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT clock_timestamp()",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("SELECT clock_timestamp() returned no row".to_owned()))?;
    row.try_get_by_index(0)
        .map_err(|error| DbErr::Custom(error.to_string()))
}

/// What public reads filter on: published, and within the window, now.
pub fn visible<C: ColumnTrait>(publication: &Publication<C>, backend: DbBackend) -> Condition {
    Condition::all()
        .add(publication.status.eq(publication.published))
        .add(publication.published_at.into_expr().lte(db_now(backend)))
        .add(
            Condition::any()
                .add(publication.unpublish_at.is_null())
                .add(publication.unpublish_at.into_expr().gt(db_now(backend))),
        )
}

/// The next time a row's visibility changes on its own, if any is ahead.
fn next_transition(
    published: bool,
    published_at: Option<DateTime<Utc>>,
    unpublish_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !published {
        return None;
    }
    [published_at, unpublish_at]
        .into_iter()
        .flatten()
        .filter(|at| *at > now)
        .min()
}

fn task_key<R: AdminResource>(id: i64) -> String {
    format!("{}:{id}", R::ENTITY.name())
}

/// A row's id, status, `published_at` and `unpublish_at`, as [`sync`] reads them.
type PublicationRow = (i64, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// In a write's transaction, after it wrote the rows `ids`: each row's next transition is
/// enqueued (rescheduling the one pending) or, with none ahead, cancelled.
pub async fn sync<R: AdminResource>(txn: &DatabaseTransaction, ids: &[i64]) -> Result<(), DbErr> {
    let Some(publication) = R::PUBLICATION else {
        return Ok(());
    };
    let now = read_db_now(txn).await?;
    for chunk in ids.chunks(500) {
        let rows: Vec<PublicationRow> = R::Table::find()
            .select_only()
            .column(R::ID)
            .column(publication.status)
            .column(publication.published_at)
            .column(publication.unpublish_at)
            .filter(R::ID.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        let mut cancelled = Vec::new();
        for (id, status, published_at, unpublish_at) in rows {
            let published = status == publication.published;
            match next_transition(published, published_at, unpublish_at, now) {
                Some(due) => {
                    let payload = json!({ "entity": R::ENTITY.name(), "id": id }).to_string();
                    tasks::enqueue(txn, KIND, Some(&task_key::<R>(id)), &payload, due).await?;
                }
                None => cancelled.push(task_key::<R>(id)),
            }
        }
        tasks::cancel_all(txn, KIND, &cancelled).await?;
    }
    Ok(())
}

/// The [`TransitionFn`] of `R`: locks the row, enqueues its next transition (an `unpublish_at`
/// after a `published_at`), and answers the status change that makes every cache drop it.
pub fn transition<R: AdminResource>(
    txn: &DatabaseTransaction,
    id: i64,
) -> Pin<Box<dyn Future<Output = Result<Option<Change>, DbErr>> + Send + '_>> {
    Box::pin(async move {
        let rows = R::lock(txn, &[id]).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        sync::<R>(txn, &[id]).await?;
        Ok(Some(change::<R>(Op::Status, &rows)))
    })
}

/// A transition's task, as [`sync`] writes it.
#[derive(Deserialize)]
struct Owed {
    entity: String,
    id: i64,
}

/// Runs transitions that came due: the queue's handler of [`KIND`]. It commits through the
/// server's [`Ctx`], which exists only once the queue does: [`Transitions::bind`] gives it.
#[derive(Default)]
pub struct Transitions {
    ctx: OnceLock<Ctx>,
}

impl Transitions {
    pub fn kind(self: &Arc<Self>) -> Kind {
        Kind {
            name: KIND,
            run: Run::Exactly(Arc::clone(self) as Arc<dyn RunInTxn>),
            max_backoff: Duration::from_secs(60),
        }
    }

    /// The context transitions commit through (set once; later calls are ignored).
    pub fn bind(&self, ctx: Ctx) {
        let _ = self.ctx.set(ctx);
    }
}

#[async_trait]
impl RunInTxn for Transitions {
    async fn run(&self, task: &Task, txn: DatabaseTransaction) -> Result<(), TaskError> {
        let ctx = self
            .ctx
            .get()
            .ok_or_else(|| TaskError::retry("the server's context is not bound yet"))?;
        let owed: Owed = serde_json::from_str(&task.payload)
            .map_err(|error| TaskError::retry(format!("unreadable payload: {error}")))?;
        // A release that knows the entity may be running elsewhere: retried, not dropped.
        let transition = ctx.catalog.transition(&owed.entity).ok_or_else(|| {
            TaskError::retry(format!("no app schedules the entity {:?}", owed.entity))
        })?;
        match transition(&txn, owed.id).await? {
            Some(change) => ctx.commit(txn, change).await?,
            None => txn.commit().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32) -> Option<DateTime<Utc>> {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .and_then(|day| day.and_hms_opt(hour, 0, 0))
            .map(|at| at.and_utc())
    }

    #[test]
    fn the_next_transition_is_the_nearest_future_bound_of_a_published_row() {
        let now = at(12).unwrap_or_default();
        assert_eq!(next_transition(true, at(14), at(16), now), at(14));
        assert_eq!(next_transition(true, at(10), at(16), now), at(16));
        assert_eq!(next_transition(true, at(10), at(11), now), None);
        assert_eq!(next_transition(true, at(10), None, now), None);
        // A draft becomes visible only by a write, which syncs again.
        assert_eq!(next_transition(false, at(14), at(16), now), None);
    }
}
