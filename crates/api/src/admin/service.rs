//! The services every admin resource shares: the list cached for the admin TTL unless the
//! resource opts out (the only cache access here), everything else uncached, each write one transaction ended by [`Ctx::commit`].

use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait};
use serde::Serialize;
use strata_cache::TtlClass;
use utoipa::ToSchema;

use super::query::{ListQuery, select_page};
use super::schedule;
use super::version::{self, IfMatch, Versioned};
use super::{AdminResource, Column, OnDelete, Publishable, Row};
use crate::context::{Change, Ctx, Op};
use crate::error::{ApiError, FieldErrors};
use crate::pagination::{Page, PageRequest};
use crate::{ApiResult, slugs};

/// A list key's parameters: the validated query (absent filters left out) and the page —
/// exactly what the result depends on, so unknown query parameters (`utm_*`) never split it.
#[derive(Debug, Serialize)]
pub struct ListKey<'a, Q: Serialize> {
    #[serde(flatten)]
    pub query: &'a Q,
    pub page: u64,
    pub page_size: u64,
}

impl<'a, Q: Serialize> ListKey<'a, Q> {
    pub fn new(query: &'a Q, page: PageRequest) -> Self {
        ListKey {
            query,
            page: page.page,
            page_size: page.page_size,
        }
    }
}

pub async fn list<R: AdminResource>(
    ctx: &Ctx,
    query: &ListQuery<R::Filters>,
    page: PageRequest,
) -> ApiResult<Page<R::Item>>
where
    Column<R>: ColumnTrait,
    <R::Table as EntityTrait>::Model: Sync,
{
    let Some(namespace) = R::LIST else {
        return Ok(select_page::<R, _>(&ctx.db, query, page).await?);
    };
    let key = namespace.hashed(&ListKey::new(query, page));
    ctx.cache
        .get_or_load(&key, TtlClass::AdminList, || async {
            Ok(select_page::<R, _>(&ctx.db, query, page).await?)
        })
        .await
}

/// The object and its version (read first: see [`version::current`]).
pub async fn retrieve<R: AdminResource>(ctx: &Ctx, id: i64) -> ApiResult<Versioned<R::Out>> {
    let version = version::current::<R, _>(&ctx.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let body = R::read(&ctx.db, id).await?.ok_or(ApiError::NotFound)?;
    Ok(Versioned { body, version })
}

/// The change a write publishes: its rows' ids and slugs (old and new), each once.
pub(super) fn change<R: AdminResource>(op: Op, rows: &[Row]) -> Change {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut slugs: Vec<String> = rows
        .iter()
        .filter(|r| !r.slug.is_empty())
        .map(|r| r.slug.clone())
        .collect();
    slugs.sort_unstable();
    slugs.dedup();
    Change::new(R::ENTITY, op, ids, slugs)
}

/// Keeps `R`'s slug history, when it has one: the row `id` has the slug `new` now.
async fn slug_history<R: AdminResource>(
    txn: &DatabaseTransaction,
    id: i64,
    old: Option<&str>,
    new: &str,
) -> Result<(), DbErr> {
    if R::SLUG_HISTORY {
        slugs::renamed(txn, R::ENTITY, id, old, new).await?;
    }
    Ok(())
}

/// Deletes locked rows and their slug history; returns the files to remove once the deletion
/// has committed.
async fn delete_locked<R: AdminResource>(
    txn: &DatabaseTransaction,
    ids: &[i64],
) -> ApiResult<Vec<String>> {
    if R::SLUG_HISTORY {
        slugs::deleted(txn, R::ENTITY, ids).await?;
    }
    R::delete(txn, ids).await
}

/// The output, read inside the write's transaction: once it commits nothing is left to fail.
async fn read_in<R: AdminResource>(
    txn: &DatabaseTransaction,
    id: i64,
    version: i64,
) -> ApiResult<Versioned<R::Out>> {
    let body = R::read(txn, id)
        .await?
        .ok_or_else(|| ApiError::internal("a row written in this transaction cannot be read"))?;
    Ok(Versioned { body, version })
}

/// The one row `id`, locked; a 404 if it does not exist, a 412 if it is not at the version
/// `precondition` names.
async fn lock_one<R: AdminResource>(
    txn: &DatabaseTransaction,
    id: i64,
    precondition: &IfMatch,
) -> ApiResult<Row> {
    let row = R::lock(txn, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)?;
    version::check::<R>(txn, id, row.version, precondition).await?;
    Ok(row)
}

pub async fn create<R: AdminResource>(ctx: &Ctx, input: R::Input) -> ApiResult<Versioned<R::Out>> {
    let txn = ctx.begin().await?;
    let id = R::create(&txn, input).await?;
    schedule::sync::<R>(&txn, &[id]).await?;
    let rows = R::lock(&txn, &[id]).await?;
    if let Some(row) = rows.first() {
        slug_history::<R>(&txn, id, None, &row.slug).await?;
    }
    let version = rows.first().map_or(1, |row| row.version);
    let out = read_in::<R>(&txn, id, version).await?;
    ctx.commit(txn, change::<R>(Op::Create, &rows)).await?;
    Ok(out)
}

pub async fn update<R: AdminResource>(
    ctx: &Ctx,
    id: i64,
    input: R::Input,
    precondition: &IfMatch,
) -> ApiResult<Versioned<R::Out>> {
    let txn = ctx.begin().await?;
    let old = lock_one::<R>(&txn, id, precondition).await?;
    R::update(&txn, id, input).await?;
    schedule::sync::<R>(&txn, &[id]).await?;
    version::bump::<R>(&txn, &[id]).await?;
    // Both slugs: pages under the old one must go, pages under the new one may exist (404s).
    let mut rows = R::lock(&txn, &[id]).await?;
    if let Some(row) = rows.first() {
        slug_history::<R>(&txn, id, Some(&old.slug), &row.slug).await?;
    }
    let version = rows.first().map_or(old.version + 1, |row| row.version);
    rows.push(old);
    let out = read_in::<R>(&txn, id, version).await?;
    ctx.commit(txn, change::<R>(Op::Update, &rows)).await?;
    Ok(out)
}

/// Deletes `id`; what still uses it is refused, moved or detached by
/// [`AdminResource::release`] as `on_delete` says, in the same transaction (the rows of this
/// resource it moves are written, so their versions move too).
pub async fn delete<R: AdminResource>(
    ctx: &Ctx,
    id: i64,
    on_delete: OnDelete,
    precondition: &IfMatch,
) -> ApiResult<()> {
    let txn = ctx.begin().await?;
    let row = lock_one::<R>(&txn, id, precondition).await?;
    let released = R::release(&txn, ctx.catalog, id, on_delete).await?;
    let moved: Vec<i64> = released.iter().map(|r| r.id).filter(|&r| r != id).collect();
    version::bump::<R>(&txn, &moved).await?;
    let files = delete_locked::<R>(&txn, &[id]).await?;
    let mut rows = released;
    rows.push(row);
    ctx.commit(txn, change::<R>(Op::Delete, &rows)).await?;
    ctx.media.delete_all(&files).await;
    Ok(())
}

pub async fn set_status<R: Publishable>(
    ctx: &Ctx,
    id: i64,
    status: &'static str,
    precondition: &IfMatch,
) -> ApiResult<Versioned<R::Out>> {
    let txn = ctx.begin().await?;
    let row = lock_one::<R>(&txn, id, precondition).await?;
    BulkAction::Status(status).apply::<R>(&txn, &[id]).await?;
    let out = read_in::<R>(&txn, id, row.version + 1).await?;
    ctx.commit(txn, change::<R>(Op::Status, &[row])).await?;
    Ok(out)
}

/// What `POST …/bulk/` (and a bulk job) does to the listed objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Status(&'static str),
    Delete,
}

impl BulkAction {
    /// The `action` as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            BulkAction::Status(_) => "status",
            BulkAction::Delete => "delete",
        }
    }

    /// The status it sets, if it sets one.
    pub fn status(self) -> Option<&'static str> {
        match self {
            BulkAction::Status(status) => Some(status),
            BulkAction::Delete => None,
        }
    }

    /// Applies the action to locked rows; returns the files to remove once it has committed.
    pub(super) async fn apply<R: Publishable>(
        self,
        txn: &DatabaseTransaction,
        ids: &[i64],
    ) -> ApiResult<Vec<String>> {
        match self {
            BulkAction::Status(status) => {
                R::set_status(txn, ids, status).await.map_err(refused)?;
                schedule::sync::<R>(txn, ids).await?;
                version::bump::<R>(txn, ids).await?;
                Ok(Vec::new())
            }
            BulkAction::Delete => delete_locked::<R>(txn, ids).await,
        }
    }
}

/// A statement the database refused because of the rows it touched (a constraint, a trigger)
/// is those rows' problem: a 409, its cause logged rather than shown. Anything else stays a
/// server error.
fn refused(err: DbErr) -> ApiError {
    if strata_db::is_constraint_violation(&err) {
        tracing::warn!(%err, "the database refused a bulk change");
        ApiError::Conflict("The database refused this change.".to_owned())
    } else {
        ApiError::from(err)
    }
}

/// What a bulk action did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub action: &'static str,
    pub count: usize,
}

/// All listed objects change, or none: an id that does not exist is a 400 and nothing is
/// written. `ids` are already deduplicated and capped.
pub async fn bulk<R: Publishable>(
    ctx: &Ctx,
    action: BulkAction,
    ids: &[i64],
) -> ApiResult<BulkResult> {
    let txn = ctx.begin().await?;
    let rows = R::lock(&txn, ids).await?;
    if let Some(missing) = ids.iter().find(|id| !rows.iter().any(|r| r.id == **id)) {
        return Err(ApiError::Invalid(FieldErrors::single(
            "ids",
            format!("Invalid pk \"{missing}\" - object does not exist."),
        )));
    }
    let files = action.apply::<R>(&txn, ids).await?;
    ctx.commit(txn, change::<R>(Op::Bulk, &rows)).await?;
    ctx.media.delete_all(&files).await;
    Ok(BulkResult {
        action: action.name(),
        count: rows.len(),
    })
}
