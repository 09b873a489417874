//! Public taxonomy keys — `public:taxonomy:{category,tag,option}:all` — and their manager.
//! Taxonomy TTL (30 min by default); every change invalidates them at once.

use std::future::Future;
use strata_api::misses::counted;

use strata_api::{ApiError, Lang};
use strata_cache::{Cache, CacheKey, Json, Namespace, PlainData, TtlClass};

pub const CATEGORIES: Namespace = Namespace::public("taxonomy", "category");
pub const TAGS: Namespace = Namespace::public("taxonomy", "tag");
pub const OPTIONS: Namespace = Namespace::public("taxonomy", "option");

/// The key of one language's whole list: `…:all` for the default language (the key a Django
/// process shares), `…:all_en` for English.
pub fn all_key(ns: &Namespace, lang: Lang) -> CacheKey {
    ns.named(match lang {
        Lang::Fa => "all",
        Lang::En => "all_en",
    })
}

/// The whole list of one taxonomy resource in `lang`, from the cache or `load`.
pub async fn all<T, F, Fut>(
    cache: &Cache,
    ns: &Namespace,
    lang: Lang,
    load: F,
) -> Result<Json<Vec<T>>, ApiError>
where
    T: PlainData,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Vec<T>, ApiError>>,
{
    cache
        .get_or_load_json(&all_key(ns, lang), TtlClass::Taxonomy, counted(load))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_has_its_own_whole_list() {
        assert_eq!(all_key(&TAGS, Lang::Fa).as_str(), "public:taxonomy:tag:all");
        assert_eq!(
            all_key(&TAGS, Lang::En).as_str(),
            "public:taxonomy:tag:all_en"
        );
    }
}
