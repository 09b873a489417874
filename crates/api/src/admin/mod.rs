//! One declaration per admin resource.
//!
//! An app describes a resource once — its table, URL name, model of record for the invalidation
//! map, admin-list cache namespace, orderings, search columns, filters, input and output — by
//! implementing [`AdminResource`] (and [`Publishable`] when it has a draft/published status).
//! [`routes`] (and [`publishable_routes`]) then give every endpoint DRF's `ModelViewSet` would:
//! list (filters, `q` search, `ordering` from one `(name, column)` table, pagination; cached
//! for the admin TTL), retrieve, create, update (PUT and PATCH), delete, and for publishable
//! resources `POST {id}/status/`, `POST bulk/` and bulk jobs over every row a filter matches
//! ([`jobs`]) — with their OpenAPI operations, each tagged with the model whose change it
//! publishes (`x-strata-invalidates`).
//!
//! Every write runs in one transaction: the rows it depends on are read and locked inside it
//! ([`AdminResource::lock`]), the output is read inside it (nothing can fail between the commit
//! and the response), and it ends with [`Ctx::commit`], whose invalidation no request
//! cancellation can skip. Authorization is not here: the binary guards the whole admin router
//! by role, so a resource cannot be mounted unguarded.

pub mod jobs;
mod protect;
mod query;
mod routes;
pub mod schedule;
pub mod service;
pub mod version;

use std::future::Future;

use sea_orm::{DatabaseTransaction, DbErr, EntityTrait};
use serde::Serialize;
use serde::de::DeserializeOwned;
use strata_cache::{Namespace, PlainData};
use utoipa::ToSchema;

use crate::ApiResult;
use crate::catalog::{Catalog, Entity};
use crate::input::{JsonObject, Mode};

pub use protect::{InUse, OnDelete, count_of};
pub use query::{Filters, ListQuery, NoFilters, QueryReader, icontains};
pub use routes::{INVALIDATES_EXTENSION, SHOWS_EXTENSION, publishable_routes, routes};
pub use service::{BulkResult, ListKey};
pub use version::{IfMatch, VersionColumns, Versioned};

/// The columns of a resource's table.
pub type Column<R> = <<R as AdminResource>::Table as EntityTrait>::Column;
/// One row of a resource's table.
pub type Model<R> = <<R as AdminResource>::Table as EntityTrait>::Model;

/// What the web tier and the invalidation map need of a row: its id and its slug (pages and
/// tags are keyed by slug; a resource without slugs gives an empty one); and what a
/// precondition is checked against: its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: i64,
    pub slug: String,
    pub version: i64,
}

/// An admin resource, declared once. See the module documentation.
pub trait AdminResource: Send + Sync + 'static {
    /// The URL segment and operation-id stem: `categories` → `/api/admin/categories/`,
    /// `admin_categories_list`.
    const PLURAL: &'static str;
    /// One row, in the operations' summaries: `category` → "Create a category".
    const NOUN: &'static str;
    /// The OpenAPI tag the operations are grouped under.
    const TAG: &'static str;
    /// The model whose changes the invalidation map receives.
    const ENTITY: Entity;
    /// Other models whose fields this resource's rows and forms show (a property's category,
    /// tags and options): their changes make the resource stale in the admin SPA, which reads
    /// this from the list operation's [`SHOWS_EXTENSION`].
    const SHOWS: &'static [Entity] = &[];
    /// The admin list's cache namespace (admin-list TTL), or `None` for a resource whose list
    /// must never be cached (private data: users). `None` is the default so that an app
    /// without a cache can declare a resource without naming the cache at all.
    const LIST: Option<Namespace> = None;
    /// Where a publishable resource keeps its publication, for scheduled publishing
    /// ([`schedule`]): each write then enqueues the row's next transition. `None`: the resource
    /// has no publication in time.
    const PUBLICATION: Option<schedule::Publication<Column<Self>>> = None;
    /// The primary key column (`id`).
    const ID: Column<Self>;
    /// The column pages and web tags are keyed by.
    const SLUG: Column<Self>;
    /// Whether a row's old slugs keep naming it after a rename, so that its public pages
    /// redirect ([`crate::slugs`]): for resources whose slugs are public URLs.
    const SLUG_HISTORY: bool = false;
    /// The row's version counter (`version`, added by [`VersionColumns`]), bumped by every
    /// write of the row and checked against `If-Match` ([`version`]).
    const VERSION: Column<Self>;
    /// `?ordering=` values and the columns they sort by; each is also accepted with a leading
    /// `-` (descending). Anything else is a 400. Ties are broken by id, so pages never overlap.
    const ORDERING: &'static [(&'static str, Column<Self>)];
    /// The ordering when none is asked for, e.g. `"-updated_at"`.
    const DEFAULT_ORDERING: &'static str;
    /// The [`AdminResource::ORDERING`] names that sort a translated text (`title`: `title_fa`,
    /// else `title_en`) by its stored key ([`crate::lang::stored_sort_key`], a column the
    /// resource writes with the text): documented with the parameter.
    const SORTED_TEXTS: &'static [&'static str] = &[];
    /// Columns `?q=` (or DRF's `?search=`) matches, case-insensitively, any of them.
    const SEARCH: &'static [Column<Self>];
    /// True when the searched columns hold normalised text (`crate::lang::normalize`): `?q=`
    /// is then normalised the same way (Arabic ي/ك, Persian and Arabic digits, ZWNJ) before it
    /// is compared.
    const SEARCH_NORMALIZED: bool = false;

    type Table: EntityTrait;
    /// The resource's own list filters (`?status=`, `?app=`…): they extract, narrow the
    /// query and document.
    type Filters: Filters<Self::Table>;
    /// One object as the API shows it (retrieve and writes answer this).
    type Out: Serialize + ToSchema + Send + Sync + 'static;
    /// One entry of the list (DRF's list serializer; often the same as `Out`): plain data,
    /// cached with the list.
    type Item: PlainData + Serialize + DeserializeOwned + ToSchema + Send + Sync + 'static;
    /// A validated request body.
    type Input: ToSchema + Send + 'static;

    /// Validates a body, DRF-style (every field's errors at once).
    fn parse(body: JsonObject, mode: Mode) -> ApiResult<Self::Input>;

    /// Serializes one page of rows, loading what they embed.
    fn outs<C: sea_orm::ConnectionTrait + Sync>(
        db: &C,
        rows: Vec<Model<Self>>,
    ) -> impl Future<Output = Result<Vec<Self::Item>, DbErr>> + Send;

    /// One object as the admin API shows it (uncached).
    fn read<C: sea_orm::ConnectionTrait + Sync>(
        db: &C,
        id: i64,
    ) -> impl Future<Output = Result<Option<Self::Out>, DbErr>> + Send;

    /// Reads and locks (`FOR UPDATE` on PostgreSQL) the rows with these ids that exist, so a
    /// concurrent write cannot change what this write checked until it commits.
    fn lock(
        txn: &DatabaseTransaction,
        ids: &[i64],
    ) -> impl Future<Output = Result<Vec<Row>, DbErr>> + Send {
        lock_rows::<Self::Table>(txn, [Self::ID, Self::SLUG, Self::VERSION], ids)
    }

    /// Inserts a row; returns its id.
    fn create(
        txn: &DatabaseTransaction,
        input: Self::Input,
    ) -> impl Future<Output = ApiResult<i64>> + Send;

    /// Updates a row already locked by [`AdminResource::lock`].
    fn update(
        txn: &DatabaseTransaction,
        id: i64,
        input: Self::Input,
    ) -> impl Future<Output = ApiResult<()>> + Send;

    /// Deletes locked rows and what they own; returns the stored files to remove once the
    /// deletion has committed.
    fn delete(
        txn: &DatabaseTransaction,
        ids: &[i64],
    ) -> impl Future<Output = ApiResult<Vec<String>>> + Send;

    /// Refuses a write the signed-in user may not make to this row although their role may
    /// write the resource (an admin demoting or deactivating themselves), before any
    /// transaction begins. `actor` is `None` only where no route guard ran (tests that mount
    /// the router bare).
    fn refuse(_actor: Option<Actor>, _id: i64, _write: Write<'_, Self::Input>) -> ApiResult<()> {
        Ok(())
    }

    /// Which instruction `DELETE {id}/` accepts for a row other rows still use (see
    /// [`AdminResource::release`]); documented as the operation's query parameter.
    const IN_USE: InUse = InUse::Unused;

    /// Runs in `DELETE {id}/`'s transaction, the row `id` locked, before
    /// [`AdminResource::delete`]: while other rows use it, refuses with
    /// [`crate::ApiError::Conflict`] (how many, and what to pass) unless `on_delete` says what
    /// to do with them, which it then does. Returns the other rows of this resource it changed
    /// (a reassignment's target, moved children), published with the deletion. `catalog`
    /// names what other apps' rows refer to this resource's (`Catalog::references`).
    fn release(
        _txn: &DatabaseTransaction,
        _catalog: &Catalog,
        _id: i64,
        _on_delete: OnDelete,
    ) -> impl Future<Output = ApiResult<Vec<Row>>> + Send {
        async { Ok(Vec::new()) }
    }
}

/// Who is writing: the signed-in user's id, left in the request's extensions by the binary's
/// role guard (this crate cannot know the users app).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
}

/// The write [`AdminResource::refuse`] is asked about.
#[derive(Debug)]
pub enum Write<'a, I> {
    Update(&'a I),
    Delete,
}

/// A resource with a publication status: adds `POST {id}/status/`, `POST bulk/` and bulk jobs.
pub trait Publishable: AdminResource {
    /// Every status, as the API spells them.
    const STATUSES: &'static [&'static str];

    /// Sets the status of locked rows (and whatever goes with it, like `published_at`).
    fn set_status(
        txn: &DatabaseTransaction,
        ids: &[i64],
        status: &'static str,
    ) -> impl Future<Output = Result<(), DbErr>> + Send;
}

/// `id`, `slug` and `version` of the existing rows among `ids`, locked for update.
async fn lock_rows<E>(
    txn: &DatabaseTransaction,
    [id, slug, version]: [E::Column; 3],
    ids: &[i64],
) -> Result<Vec<Row>, DbErr>
where
    E: EntityTrait,
{
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, i64)> = E::find()
        .select_only()
        .column(id)
        .column(slug)
        .column(version)
        .filter(id.is_in(ids.iter().copied()))
        .lock_exclusive()
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, version)| Row { id, slug, version })
        .collect())
}

/// The row `id` of `R`'s table, inside a write's transaction (the generic service has locked
/// it already); a 404 if it is not there.
pub async fn find_one<R: AdminResource>(txn: &DatabaseTransaction, id: i64) -> ApiResult<Model<R>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    R::Table::find()
        .filter(R::ID.eq(id))
        .one(txn)
        .await?
        .ok_or(crate::ApiError::NotFound)
}

/// One row of `R`'s table as `out` shows it: the usual `AdminResource::read`.
pub async fn read_one<R, C>(
    db: &C,
    id: i64,
    out: fn(&Model<R>) -> R::Out,
) -> Result<Option<R::Out>, DbErr>
where
    R: AdminResource,
    C: sea_orm::ConnectionTrait,
{
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(R::Table::find()
        .filter(R::ID.eq(id))
        .one(db)
        .await?
        .as_ref()
        .map(out))
}

/// Deletes the rows `ids` of `R`'s table: the usual `AdminResource::delete` of rows that own
/// no files.
pub async fn delete_rows<R: AdminResource>(
    txn: &DatabaseTransaction,
    ids: &[i64],
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    R::Table::delete_many()
        .filter(R::ID.is_in(ids.iter().copied()))
        .exec(txn)
        .await?;
    Ok(())
}
