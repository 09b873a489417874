//! What the public and admin cache files share: how a list request becomes key parameters.

use serde::Serialize;
use strata_api::PageRequest;

/// A list key's parameters: the validated filters (absent ones left out) and the page —
/// exactly what the result depends on, so unknown query parameters (`utm_*`) never split it.
#[derive(Debug, Serialize)]
pub struct ListKey<'a, F: Serialize> {
    #[serde(flatten)]
    pub filter: &'a F,
    pub page: u64,
    pub page_size: u64,
}

impl<'a, F: Serialize> ListKey<'a, F> {
    pub fn new(filter: &'a F, page: PageRequest) -> Self {
        ListKey {
            filter,
            page: page.page,
            page_size: page.page_size,
        }
    }
}
