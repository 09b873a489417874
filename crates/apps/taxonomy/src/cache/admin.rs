//! Admin taxonomy list keys — `admin:{category,tag,option}:list:<hash>` — and their manager.
//! Admin TTL (30 s); single-object admin reads are never cached.

use std::future::Future;

use strata_api::{ApiError, Page};
use strata_cache::{Cache, Namespace, PlainData, TtlClass};

use super::shared::ListParams;

pub const CATEGORY_LIST: Namespace = Namespace::admin("category", "list");
pub const TAG_LIST: Namespace = Namespace::admin("tag", "list");
pub const OPTION_LIST: Namespace = Namespace::admin("option", "list");

pub async fn list<T, F, Fut>(
    cache: &Cache,
    ns: &Namespace,
    params: &ListParams<'_>,
    load: F,
) -> Result<Page<T>, ApiError>
where
    T: PlainData,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    cache
        .get_or_load(&ns.hashed(params), TtlClass::AdminList, load)
        .await
}
