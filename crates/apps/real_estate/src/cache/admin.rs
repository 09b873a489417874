//! Admin property list keys — `admin:property:list:<hash>`, 30 s — and their manager. Admin
//! reads of one property and every admin write are never cached.

use std::future::Future;

use strata_api::{ApiError, Page, PageRequest};
use strata_cache::{Cache, Namespace, TtlClass};

use super::shared::ListKey;
use crate::selectors::AdminFilter;
use crate::serializers::PropertyListItem;

pub const LIST: Namespace = Namespace::admin("property", "list");

pub async fn list<F, Fut>(
    cache: &Cache,
    filter: &AdminFilter,
    page: PageRequest,
    load: F,
) -> Result<Page<PropertyListItem>, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Page<PropertyListItem>, ApiError>>,
{
    let key = LIST.hashed(&ListKey::new(filter, page));
    cache.get_or_load(&key, TtlClass::AdminList, load).await
}
