//! Public property keys — `public:property:list:<hash>` (120 s) and
//! `public:property:detail:<id>` (300 s) — and their manager.

use std::future::Future;

use strata_api::{ApiError, Page, PageRequest};
use strata_cache::{Cache, Namespace, TtlClass};

use super::shared::ListKey;
use crate::selectors::PublicFilter;
use crate::serializers::{PropertyDetail, PropertyListItem};

pub const LIST: Namespace = Namespace::public("property", "list");
pub const DETAIL: Namespace = Namespace::public("property", "detail");

pub async fn list<F, Fut>(
    cache: &Cache,
    filter: &PublicFilter,
    page: PageRequest,
    load: F,
) -> Result<Page<PropertyListItem>, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Page<PropertyListItem>, ApiError>>,
{
    let key = LIST.hashed(&ListKey::new(filter, page));
    cache.get_or_load(&key, TtlClass::PublicList, load).await
}

/// A property that is missing or not published is cached as `null` too (the policy's "none"),
/// so probing unknown ids does not reach the database each time; every change to that id
/// invalidates its key, a publish included.
pub async fn detail<F, Fut>(
    cache: &Cache,
    id: i64,
    load: F,
) -> Result<Option<PropertyDetail>, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<PropertyDetail>, ApiError>>,
{
    cache
        .get_or_load(&DETAIL.id(id), TtlClass::PublicDetail, load)
        .await
}
