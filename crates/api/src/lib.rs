//! What every app's HTTP layer shares, so that each app's views read like DRF views: the error
//! type and its one mapping to HTTP, JSON body validation with DRF's messages, pagination, the
//! request context, and the change notifications that drive invalidation.

mod context;
mod error;
mod input;
mod pagination;
mod query;

pub use context::{ApiSettings, Change, ChangeSink, Committed, Ctx, Entity, MediaStorage, Op};
pub use error::{ApiError, FieldErrors};
pub use input::{Fields, JsonObject};
pub use pagination::{Page, PageRequest, Paginated};
pub use query::UrlQuery;

pub type ApiResult<T> = Result<T, ApiError>;
