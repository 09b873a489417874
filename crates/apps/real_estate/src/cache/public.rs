//! Public property keys — `public:property:list:<hash>` (120 s) and
//! `public:property:detail:<id>` (300 s) — and their manager. A language other than the
//! default is part of the list's hashed parameters (`lang`) and suffixes the detail key
//! (`public:property:detail:<id>_en`); the default language's keys are the single-language ones.

use std::future::Future;
use strata_api::misses::counted;

use strata_api::{ApiError, Lang, Page, PageRequest};
use strata_cache::{Cache, CacheKey, Json, Namespace, TtlClass};

use super::shared::ListKey;
use crate::selectors::PublicFilter;
use crate::serializers::{PropertyDetail, PropertyListItem};

pub const LIST: Namespace = Namespace::public("property", "list");
pub const DETAIL: Namespace = Namespace::public("property", "detail");

/// The detail key of property `id` in `lang`.
pub fn detail_key(id: i64, lang: Lang) -> CacheKey {
    match lang {
        Lang::Fa => DETAIL.id(id),
        other => DETAIL.slug(&format!("{id}_{}", other.code())),
    }
}

/// Every language's detail key of property `id`: what a change to it invalidates.
pub fn detail_keys(id: i64) -> impl Iterator<Item = CacheKey> {
    Lang::ALL.into_iter().map(move |lang| detail_key(id, lang))
}

pub async fn list<F, Fut>(
    cache: &Cache,
    filter: &PublicFilter,
    page: PageRequest,
    load: F,
) -> Result<Json<Page<PropertyListItem>>, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Page<PropertyListItem>, ApiError>>,
{
    let key = LIST.hashed(&ListKey::new(filter, page));
    cache
        .get_or_load_json(&key, TtlClass::PublicList, counted(load))
        .await
}

/// A property that is missing or not published is cached as `null` too (the policy's "none"),
/// so probing unknown ids does not reach the database each time; every change to that id
/// invalidates its key, a publish included.
pub async fn detail<F, Fut>(
    cache: &Cache,
    id: i64,
    lang: Lang,
    load: F,
) -> Result<Json<Option<PropertyDetail>>, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<PropertyDetail>, ApiError>>,
{
    cache
        .get_or_load_json(&detail_key(id, lang), TtlClass::PublicDetail, counted(load))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_language_keeps_the_single_language_key() {
        assert_eq!(
            detail_key(42, Lang::Fa).as_str(),
            "public:property:detail:42"
        );
        assert_eq!(
            detail_key(42, Lang::En).as_str(),
            "public:property:detail:42_en"
        );
        assert_eq!(detail_keys(7).count(), Lang::ALL.len());
    }
}
