//! DRF's `PageNumberPagination`: `?page=&page_size=`, `{"count", "next", "previous", "results"}`.
//!
//! Services cache a [`Page`] (count + results); the links are added per request by
//! [`Page::respond`], because they carry the caller's host and unrelated parameters and must not
//! leak into a shared cached value.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use strata_cache::PlainData;

use crate::error::ApiError;
use crate::query::UrlQuery;

/// The page a list request asks for. Build it with [`PageRequest::new`] or
/// [`PageRequest::from_query`], which refuse a page whose rows lie past what the databases can
/// address (an `OFFSET` beyond `i64::MAX` makes sea-query's PostgreSQL binding panic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PageRequest {
    pub page: u64,
    pub page_size: u64,
}

/// The last row a query may address: both databases take `OFFSET` and `LIMIT` as signed 64-bit.
const MAX_ROW: u64 = i64::MAX as u64;

impl PageRequest {
    /// `page` 0, or one whose last row would lie past `i64::MAX`, is DRF's 404 "Invalid page."
    /// (no table has that many rows, so no such page exists); `page_size` must be positive.
    pub fn new(page: u64, page_size: u64) -> Result<Self, ApiError> {
        let request = PageRequest { page, page_size };
        if request.addressable() {
            Ok(request)
        } else {
            Err(ApiError::InvalidPage)
        }
    }

    /// `page` that is not a positive integer is DRF's 404 "Invalid page."; `page_size` is read
    /// as DRF's `PageNumberPagination.get_page_size` reads it: above the maximum it is clamped,
    /// and anything but a positive integer (0, negative, not a number) means the default.
    pub fn from_query(
        query: &UrlQuery,
        default_size: u64,
        max_size: u64,
    ) -> Result<Self, ApiError> {
        let page_size = page_size(query.get("page_size"), default_size, max_size);
        let page = match query.get("page") {
            None | Some("") => 1,
            Some(text) => text.parse::<u64>().map_err(|_| ApiError::InvalidPage)?,
        };
        PageRequest::new(page, page_size)
    }

    /// Rows before this page; saturating, so even a request not built by [`PageRequest::new`]
    /// cannot overflow here ([`fetch_page`] then refuses to query it).
    pub fn offset(&self) -> u64 {
        self.page.saturating_sub(1).saturating_mul(self.page_size)
    }

    /// Whether the page's rows can be addressed by a query (see [`PageRequest::new`]).
    fn addressable(&self) -> bool {
        self.page
            .checked_mul(self.page_size)
            .is_some_and(|end| (1..=MAX_ROW).contains(&end))
    }
}

/// DRF's `_positive_int(value, strict=True, cutoff=max)`, falling back to the default on the
/// `ValueError` it raises. A number too large for `u64` is still a number: clamped.
fn page_size(text: Option<&str>, default_size: u64, max_size: u64) -> u64 {
    use std::num::IntErrorKind;
    match text.map(|t| t.trim().parse::<u64>()) {
        Some(Ok(n)) if n >= 1 => n.min(max_size),
        Some(Err(e)) if *e.kind() == IntErrorKind::PosOverflow => max_size,
        _ => default_size,
    }
}

/// One page of a list, as services load and cache it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub count: u64,
    pub results: Vec<T>,
}

impl<T: PlainData> PlainData for Page<T> {}

/// The response body of a paginated list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Paginated<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T> Page<T> {
    /// Adds the links, or refuses a page past the end (page 1 always exists, even empty).
    pub fn respond(self, request: PageRequest, url: &UrlQuery) -> Result<Paginated<T>, ApiError> {
        if request.page > 1 && request.offset() >= self.count {
            return Err(ApiError::InvalidPage);
        }
        let has_next = request.offset().saturating_add(self.results.len() as u64) < self.count;
        Ok(Paginated {
            count: self.count,
            next: has_next.then(|| url.link_to_page(request.page + 1)),
            previous: (request.page > 1).then(|| url.link_to_page(request.page - 1)),
            results: self.results,
        })
    }
}

/// Counts a query and loads one page of it. A page past what the database can address holds
/// no rows, so it is answered without asking (and [`Page::respond`] makes it a 404).
pub async fn fetch_page<E, C>(
    select: Select<E>,
    db: &C,
    page: PageRequest,
) -> Result<(u64, Vec<E::Model>), DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let count = select.clone().count(db).await?;
    if !page.addressable() {
        return Ok((count, Vec::new()));
    }
    let rows = select
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok((count, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(request: Result<PageRequest, ApiError>) -> bool {
        matches!(request, Err(ApiError::InvalidPage))
    }

    #[test]
    fn pages_whose_rows_lie_past_i64_max_do_not_exist() {
        let last = MAX_ROW / 20;
        assert_eq!(
            PageRequest::new(last, 20).unwrap().offset(),
            (last - 1) * 20
        );
        assert!(invalid(PageRequest::new(last + 1, 20)));
        // The page of the report: 461168601842738792 × 20 just passes i64::MAX.
        assert!(invalid(PageRequest::new(461_168_601_842_738_792, 20)));
        assert!(invalid(PageRequest::new(u64::MAX, u64::MAX)));
        assert!(invalid(PageRequest::new(0, 20)));
        assert!(invalid(PageRequest::new(1, 0)));
    }

    #[test]
    fn page_size_behaves_as_drfs_get_page_size() {
        for (text, expected) in [
            (None, 20),
            (Some(""), 20),
            (Some("0"), 20),
            (Some("-5"), 20),
            (Some("abc"), 20),
            (Some("2.5"), 20),
            (Some("7"), 7),
            (Some(" 7 "), 7),
            (Some("100"), 100),
            (Some("101"), 100),
            (Some("99999999999999999999999"), 100),
        ] {
            assert_eq!(page_size(text, 20, 100), expected, "{text:?}");
        }
    }

    #[test]
    fn offset_cannot_overflow_even_when_built_by_hand() {
        let huge = PageRequest {
            page: u64::MAX,
            page_size: u64::MAX,
        };
        assert_eq!(huge.offset(), u64::MAX);
        assert!(!huge.addressable());
        let zero = PageRequest {
            page: 0,
            page_size: 5,
        };
        assert_eq!(zero.offset(), 0);
        assert!(!zero.addressable());
    }

    #[test]
    fn a_page_past_the_end_is_invalid_and_links_do_not_overflow() {
        let url = UrlQuery::new("http://x/api/properties/", Vec::new());
        let page = Page::<u8> {
            count: 3,
            results: Vec::new(),
        };
        let request = PageRequest::new(MAX_ROW / 10, 10).unwrap();
        assert!(matches!(
            page.respond(request, &url),
            Err(ApiError::InvalidPage)
        ));
    }
}
