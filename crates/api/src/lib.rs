//! What every app's HTTP layer shares, so that each app's views read like DRF views: the error
//! type and its one mapping to HTTP, JSON body validation with DRF's messages, pagination, the
//! request context, and the change notifications that drive invalidation.

pub mod admin;
mod body;
pub mod catalog;
mod client;
mod context;
mod error;
mod input;
pub mod lang;
pub mod misses;
pub mod openapi;
mod pagination;
mod path;
mod query;
pub mod serial;
pub mod slugs;
pub mod tasks;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text;

pub use body::{JsonBody, decoded};
pub use catalog::Entity;
pub use client::{
    ClientAddr, MissLimit, SharedLimit, TrustedProxies, WindowLimit, forwarded_https,
};
pub use context::{
    ApiSettings, Change, ChangeSink, Ctx, MediaFile, MediaStorage, Op, Receipt, SecureCookies,
};
pub use error::{ApiError, Detail, FieldErrors};
pub use input::{BULK_IDS_MAX, Fields, JsonObject, Mode, RELATION_IDS_MAX};
pub use lang::Lang;
pub use pagination::{Page, PageRequest, Paginated, fetch_page};
pub use path::Id;
pub use query::{PublicOrigin, UrlQuery};
/// For services that write outside a request's [`Ctx`] (background tasks, the demo seed).
pub use strata_db::begin_write;

pub type ApiResult<T> = Result<T, ApiError>;

/// The pattern's own tables, which the generic admin services write: bulk jobs, the task
/// queue (scheduled publishing), slug history. Migrated before any app writes through them.
pub fn migrations() -> Vec<Box<dyn strata_db::sea_orm_migration::MigrationTrait>> {
    vec![
        Box::new(admin::jobs::Migration),
        Box::new(tasks::Migration),
        Box::new(slugs::Migration),
    ]
}
