//! Public taxonomy keys — `public:taxonomy:{category,tag,option}:all` — and their manager.
//! Taxonomy TTL (30 min by default); every change invalidates them at once.

use std::future::Future;

use strata_api::ApiError;
use strata_cache::{Cache, Namespace, PlainData, TtlClass};

pub const CATEGORIES: Namespace = Namespace::public("taxonomy", "category");
pub const TAGS: Namespace = Namespace::public("taxonomy", "tag");
pub const OPTIONS: Namespace = Namespace::public("taxonomy", "option");

/// The whole list of one taxonomy resource, from the cache or `load`.
pub async fn all<T, F, Fut>(cache: &Cache, ns: &Namespace, load: F) -> Result<Vec<T>, ApiError>
where
    T: PlainData,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Vec<T>, ApiError>>,
{
    cache
        .get_or_load(&ns.named("all"), TtlClass::Taxonomy, load)
        .await
}
