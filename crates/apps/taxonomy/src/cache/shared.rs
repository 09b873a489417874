//! What the public and admin cache files share: the canonical parameters of a list key.

use serde::Serialize;

/// The filters an admin taxonomy list is keyed by. Absent filters are left out of the hash, so
/// `?q=` and no `q` share one key; unknown query parameters never get here.
#[derive(Debug, Serialize)]
pub struct ListParams<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<&'a str>,
    pub ordering: &'a str,
    pub page: u64,
    pub page_size: u64,
}
