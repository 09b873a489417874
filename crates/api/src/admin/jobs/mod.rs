//! Bulk jobs: a status change or a deletion of every row a list filter matches, not only the
//! ids a client can send (`POST bulk/`, at most [`crate::BULK_IDS_MAX`], all or nothing).
//!
//! `POST {plural}/bulk/jobs/` validates the filter exactly as the list validates its query,
//! snapshots the matching ids (at most `bulk_job_max_rows`), stores the job and answers `202`;
//! a task on the instance that accepted it then works through the ids in batches of
//! `bulk_batch_size`. Each batch is one transaction: its rows locked ([`AdminResource::lock`]),
//! changed, and committed by one [`Ctx::commit`] — one invalidation per batch, carrying that
//! batch's ids and slugs —, its files removed after the commit. Progress is written after each
//! batch, so `GET {plural}/bulk/jobs/{job_id}/` answers from any instance; once it says `done`,
//! every batch's invalidation has finished (the commit awaits it), so the next read is fresh.
//!
//! The snapshot holds each row's version: a row written since (by an editor, or another job) is
//! left as it is and reported (`CHANGED_SINCE_SNAPSHOT`), as an `If-Match` would refuse it.
//! Per-row errors: a row gone since the snapshot is `{id, detail: "Not found."}` and the rest
//! of its batch goes on. A batch refused as a whole for a client-class reason (a 4xx, a
//! constraint) is tried again row by row, each in a savepoint of the same transaction, so the
//! refused rows are recorded and the others still commit together. A server-class error
//! (the database down) rolls the batch back and stops the job: `interrupted`, the rest
//! unprocessed. A runner that died with its process stops reporting; a running job silent for
//! [`STALE_AFTER`] reads as `interrupted`.

mod m20261127_000600_admin_bulk_jobs;
mod model;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::query::{ListQuery, matching_ids};
use super::service::{BulkAction, change};
use super::{AdminResource, Column, Publishable, Row};
use crate::ApiResult;
use crate::context::{Ctx, Op};
use crate::error::ApiError;
use crate::query::UrlQuery;

pub use m20261127_000600_admin_bulk_jobs::Migration;

/// How long a running job may go without reporting before it reads as `interrupted`: far
/// longer than a batch takes, so only a runner that died (with its process) is taken for one.
pub const STALE_AFTER: Duration = Duration::from_secs(60);
/// A row's error when it was written after the job took its snapshot.
pub const CHANGED_SINCE_SNAPSHOT: &str =
    "Changed by someone else after this job started; left as it is.";
/// Jobs are kept this long (their outcome stays readable), then deleted when a job is created.
const RETAIN: chrono::TimeDelta = chrono::TimeDelta::days(7);

crate::choice_schema!(
    /// What a bulk job does.
    BulkJobAction = &["status", "delete"]
);

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BulkJobState {
    /// Its runner is working through the batches.
    Running,
    /// Every row was processed: changed, or recorded in `errors`.
    Done,
    /// Stopped by a server error, or its runner died: rows past `done + failed` were not
    /// processed.
    Interrupted,
}

impl BulkJobState {
    fn as_str(self) -> &'static str {
        match self {
            BulkJobState::Running => "running",
            BulkJobState::Done => "done",
            BulkJobState::Interrupted => "interrupted",
        }
    }
}

/// A row the job could not change, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkJobError {
    pub id: i64,
    pub detail: String,
}

impl BulkJobError {
    fn new(id: i64, error: &ApiError) -> Self {
        let detail = match error {
            ApiError::Invalid(errors) => errors
                .iter()
                .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        };
        BulkJobError { id, detail }
    }
}

/// A bulk job as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkJob {
    pub id: i64,
    #[schema(value_type = BulkJobAction)]
    pub action: String,
    /// The status it sets (`action` `status`), else null.
    #[schema(required)]
    pub status: Option<String>,
    pub state: BulkJobState,
    /// Rows the filter matched when the job was created.
    pub total: i64,
    /// Rows changed so far.
    pub done: i64,
    /// Rows that could not be changed: one entry each in `errors`.
    pub failed: i64,
    pub errors: Vec<BulkJobError>,
    pub created_at: String,
    /// When the runner finished or stopped; null while running (and for a runner that died).
    #[schema(required)]
    pub finished_at: Option<String>,
}

impl BulkJob {
    fn of(row: &model::Model, now: DateTime<Utc>) -> ApiResult<Self> {
        let errors: Vec<BulkJobError> =
            serde_json::from_str(&row.errors).map_err(ApiError::internal)?;
        let state = match row.state.as_str() {
            "done" => BulkJobState::Done,
            "interrupted" => BulkJobState::Interrupted,
            _ if stale(row.updated_at, now) => BulkJobState::Interrupted,
            _ => BulkJobState::Running,
        };
        Ok(BulkJob {
            id: row.id,
            action: row.action.clone(),
            status: row.status.clone(),
            state,
            total: row.total,
            done: row.done,
            failed: row.failed,
            errors,
            created_at: crate::serial::datetime(&row.created_at),
            finished_at: row.finished_at.as_ref().map(crate::serial::datetime),
        })
    }
}

fn stale(reported: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    (now - reported)
        .to_std()
        .is_ok_and(|silent| silent > STALE_AFTER)
}

/// The list query a job's `filter` (the list's query parameters as a JSON object) stands for,
/// read by the list's own reader; or the problems, each naming its parameter.
pub(in crate::admin) fn read_filter<R: AdminResource>(
    filter: Map<String, Value>,
) -> Result<ListQuery<R::Filters>, Vec<String>> {
    let mut params = Vec::with_capacity(filter.len());
    let mut problems = Vec::new();
    for (name, value) in filter {
        let text = match value {
            Value::Null => continue,
            Value::String(text) => text,
            Value::Bool(flag) => flag.to_string(),
            Value::Number(number) => number.to_string(),
            Value::Array(_) | Value::Object(_) => {
                problems.push(format!("{name}: Expected a single value."));
                continue;
            }
        };
        params.push((name, text));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    ListQuery::read::<R>(&UrlQuery::new("", params)).map_err(|error| match error {
        ApiError::Invalid(errors) => errors
            .iter()
            .flat_map(|(name, messages)| messages.iter().map(move |m| format!("{name}: {m}")))
            .collect(),
        other => vec![other.to_string()],
    })
}

/// Snapshots the rows `query` matches, stores the job and starts its runner on this instance.
pub async fn create<R: Publishable>(
    ctx: &Ctx,
    action: BulkAction,
    query: &ListQuery<R::Filters>,
) -> ApiResult<BulkJob>
where
    Column<R>: ColumnTrait,
{
    let max = ctx.settings.bulk_job_max_rows;
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let snapshot = matching_ids::<R, _>(&ctx.db, query, limit).await?;
    if snapshot.len() > max {
        return Err(ApiError::field(
            "filter",
            format!(
                "This filter matches more than {max} objects; a bulk job takes at most {max}. \
                 Narrow the filter."
            ),
        ));
    }
    if snapshot.is_empty() {
        return Err(ApiError::field("filter", "No object matches this filter."));
    }
    let now = Utc::now();
    model::Entity::delete_many()
        .filter(model::Column::CreatedAt.lt(now - RETAIN))
        .exec(&ctx.db)
        .await?;
    let row = model::ActiveModel {
        resource: Set(R::PLURAL.to_owned()),
        action: Set(action.name().to_owned()),
        status: Set(action.status().map(str::to_owned)),
        ids: Set(serde_json::to_string(&snapshot).map_err(ApiError::internal)?),
        total: Set(count(snapshot.len())),
        done: Set(0),
        failed: Set(0),
        errors: Set("[]".to_owned()),
        state: Set(BulkJobState::Running.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    let job = BulkJob::of(&row, now)?;
    tracing::info!(
        job = row.id,
        resource = R::PLURAL,
        action = action.name(),
        rows = snapshot.len(),
        "bulk job started"
    );
    tokio::spawn(run::<R>(ctx.clone(), row.id, action, snapshot));
    Ok(job)
}

/// The job `id` of `R`; a 404 for an unknown id or another resource's job.
pub async fn retrieve<R: AdminResource>(ctx: &Ctx, id: i64) -> ApiResult<BulkJob> {
    let row = model::Entity::find_by_id(id)
        .filter(model::Column::Resource.eq(R::PLURAL))
        .one(&ctx.db)
        .await?
        .ok_or(ApiError::NotFound)?;
    BulkJob::of(&row, Utc::now())
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// What the runner has done so far.
#[derive(Default)]
struct Progress {
    done: usize,
    errors: Vec<BulkJobError>,
}

/// Works through the snapshot (`(id, version)` pairs) batch by batch, writing progress after
/// each; stops at a server error.
async fn run<R: Publishable>(ctx: Ctx, job: i64, action: BulkAction, snapshot: Vec<(i64, i64)>) {
    let mut progress = Progress::default();
    for batch in snapshot.chunks(ctx.settings.bulk_batch_size.max(1)) {
        match run_batch::<R>(&ctx, action, batch).await {
            Ok(errors) => {
                progress.done += batch.len().saturating_sub(errors.len());
                progress.errors.extend(errors);
                save(&ctx, job, &progress, BulkJobState::Running).await;
            }
            Err(error) => {
                tracing::error!(
                    job,
                    resource = R::PLURAL,
                    %error,
                    "a bulk job stopped: its remaining rows were not processed"
                );
                save(&ctx, job, &progress, BulkJobState::Interrupted).await;
                return;
            }
        }
    }
    tracing::info!(
        job,
        resource = R::PLURAL,
        done = progress.done,
        failed = progress.errors.len(),
        "bulk job done"
    );
    save(&ctx, job, &progress, BulkJobState::Done).await;
}

/// One batch: one transaction, its rows locked, one commit (one invalidation). Returns the
/// rows it could not change; an error means a server-class failure (the batch rolled back).
/// A row written since the snapshot (its version moved) is left as it is and reported: the
/// job was asked about the row as it was then.
async fn run_batch<R: Publishable>(
    ctx: &Ctx,
    action: BulkAction,
    batch: &[(i64, i64)],
) -> ApiResult<Vec<BulkJobError>> {
    let txn = ctx.begin().await?;
    let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
    let snapshot: HashMap<i64, i64> = batch.iter().copied().collect();
    let mut rows = R::lock(&txn, &ids).await?;
    let found: HashSet<i64> = rows.iter().map(|r| r.id).collect();
    let mut errors: Vec<BulkJobError> = ids
        .iter()
        .filter(|id| !found.contains(id))
        .map(|id| BulkJobError::new(*id, &ApiError::NotFound))
        .collect();
    rows.retain(|row| {
        let unchanged = snapshot.get(&row.id) == Some(&row.version);
        if !unchanged {
            errors.push(BulkJobError {
                id: row.id,
                detail: CHANGED_SINCE_SNAPSHOT.to_owned(),
            });
        }
        unchanged
    });
    let (changed, files) = match attempt::<R>(&txn, action, &rows).await? {
        Ok(files) => (rows, files),
        Err(refusal) if rows.len() == 1 => {
            errors.extend(rows.iter().map(|row| BulkJobError::new(row.id, &refusal)));
            (Vec::new(), Vec::new())
        }
        // Refused as a whole: each row alone, to find the ones refused.
        Err(_) => {
            let mut changed = Vec::with_capacity(rows.len());
            let mut files = Vec::new();
            for row in rows {
                match attempt::<R>(&txn, action, std::slice::from_ref(&row)).await? {
                    Ok(row_files) => {
                        files.extend(row_files);
                        changed.push(row);
                    }
                    Err(refusal) => errors.push(BulkJobError::new(row.id, &refusal)),
                }
            }
            (changed, files)
        }
    };
    if changed.is_empty() {
        txn.rollback().await?;
    } else {
        ctx.commit(txn, change::<R>(Op::Bulk, &changed)).await?;
        ctx.media.delete_all(&files).await;
    }
    Ok(errors)
}

/// `action` on `rows` in a savepoint of `txn`: `Ok(Ok(files))` when applied, `Ok(Err(refusal))`
/// when refused for a client-class reason (undone, the transaction still usable), `Err` for
/// anything else.
async fn attempt<R: Publishable>(
    txn: &DatabaseTransaction,
    action: BulkAction,
    rows: &[Row],
) -> ApiResult<Result<Vec<String>, ApiError>> {
    if rows.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let savepoint = txn.begin().await?;
    match action.apply::<R>(&savepoint, &ids).await {
        Ok(files) => {
            savepoint.commit().await?;
            Ok(Ok(files))
        }
        Err(refusal) if refusal.status().is_client_error() => {
            savepoint.rollback().await?;
            Ok(Err(refusal))
        }
        Err(error) => Err(error),
    }
}

/// Writes the runner's progress. A failure is logged, never retried here: the job then reads
/// as interrupted once [`STALE_AFTER`] has passed.
async fn save(ctx: &Ctx, job: i64, progress: &Progress, state: BulkJobState) {
    let errors = match serde_json::to_string(&progress.errors) {
        Ok(errors) => errors,
        Err(error) => {
            tracing::error!(job, %error, "cannot encode a bulk job's errors");
            return;
        }
    };
    let now = Utc::now();
    let finished = (state != BulkJobState::Running).then_some(now);
    let written = model::Entity::update_many()
        .col_expr(model::Column::Done, Expr::value(count(progress.done)))
        .col_expr(
            model::Column::Failed,
            Expr::value(count(progress.errors.len())),
        )
        .col_expr(model::Column::Errors, Expr::value(errors))
        .col_expr(model::Column::State, Expr::value(state.as_str()))
        .col_expr(model::Column::UpdatedAt, Expr::value(now))
        .col_expr(model::Column::FinishedAt, Expr::value(finished))
        .filter(model::Column::Id.eq(job))
        .exec(&ctx.db)
        .await;
    if let Err(error) = written {
        tracing::error!(job, %error, "cannot record a bulk job's progress");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_job_silent_past_the_limit_is_stale() {
        let now = Utc::now();
        let limit = chrono::TimeDelta::from_std(STALE_AFTER).unwrap_or_default();
        assert!(!stale(now, now));
        assert!(!stale(now - limit, now));
        assert!(stale(now - limit - chrono::TimeDelta::seconds(1), now));
        // A clock that went back a little is not silence.
        assert!(!stale(now + chrono::TimeDelta::seconds(5), now));
    }
}
