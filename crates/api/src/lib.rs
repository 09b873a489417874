//! What every app's HTTP layer shares, so that each app's views read like DRF views: the error
//! type and its one mapping to HTTP, JSON body validation with DRF's messages, pagination, the
//! request context, and the change notifications that drive invalidation.

mod context;
mod error;
mod input;
mod pagination;
mod path;
mod query;
pub mod serial;

pub use context::{ApiSettings, Change, ChangeSink, Committed, Ctx, Entity, MediaStorage, Op};
pub use error::{ApiError, Detail, FieldErrors};
pub use input::{Fields, JsonObject, Mode};
pub use pagination::{Page, PageRequest, Paginated, fetch_page};
pub use path::Id;
pub use query::UrlQuery;

pub type ApiResult<T> = Result<T, ApiError>;
