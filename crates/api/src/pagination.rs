//! DRF's `PageNumberPagination`: `?page=&page_size=`, `{"count", "next", "previous", "results"}`.
//!
//! Services cache a [`Page`] (count + results); the links are added per request by
//! [`Page::respond`], because they carry the caller's host and unrelated parameters and must not
//! leak into a shared cached value.

use axum::body::Bytes;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use strata_cache::{Json, PlainData};

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

/// A page's links, or a refusal of a page past the end (page 1 always exists, even empty).
/// As DRF's paginator, from the count alone.
fn links(
    count: u64,
    request: PageRequest,
    url: &UrlQuery,
) -> Result<(Option<String>, Option<String>), ApiError> {
    if request.page > 1 && request.offset() >= count {
        return Err(ApiError::InvalidPage);
    }
    let has_next = request.offset().saturating_add(request.page_size) < count;
    Ok((
        has_next.then(|| url.link_to_page(request.page + 1)),
        (request.page > 1).then(|| url.link_to_page(request.page - 1)),
    ))
}

impl<T> Page<T> {
    /// Adds the links, or refuses a page past the end.
    pub fn respond(self, request: PageRequest, url: &UrlQuery) -> Result<Paginated<T>, ApiError> {
        let (next, previous) = links(self.count, request, url)?;
        Ok(Paginated {
            count: self.count,
            next,
            previous,
            results: self.results,
        })
    }
}

impl<T: PlainData> Page<T> {
    /// [`respond`](Self::respond) on a cached page's JSON, as the response body's bytes: the
    /// links are spliced in after the count and the results are copied as they are, never
    /// decoded. A page cached in another layout (another writer's) is decoded instead.
    pub fn respond_json(
        cached: &Json<Page<T>>,
        request: PageRequest,
        url: &UrlQuery,
    ) -> Result<Bytes, ApiError> {
        let Some((count, results)) = split_page(cached.bytes()) else {
            let page = cached.decode().map_err(ApiError::internal)?;
            let body = page.respond(request, url)?;
            return Ok(Bytes::from(
                serde_json::to_vec(&body).map_err(ApiError::internal)?,
            ));
        };
        let (next, previous) = links(count, request, url)?;
        let link = |link: Option<String>| serde_json::to_string(&link).unwrap_or_default();
        let mut body = Vec::with_capacity(cached.bytes().len() + 256);
        body.extend_from_slice(br#"{"count":"#);
        body.extend_from_slice(count.to_string().as_bytes());
        body.extend_from_slice(br#","next":"#);
        body.extend_from_slice(link(next).as_bytes());
        body.extend_from_slice(br#","previous":"#);
        body.extend_from_slice(link(previous).as_bytes());
        body.extend_from_slice(br#","results":"#);
        body.extend_from_slice(results);
        Ok(Bytes::from(body))
    }
}

/// `{"count":<n>,"results":<rest>` as serde writes a [`Page`]: the count and everything from
/// the results' `[` to the closing `}`.
fn split_page(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let rest = bytes.strip_prefix(br#"{"count":"#)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let count = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let results = rest[digits..].strip_prefix(br#","results":"#)?;
    (results.first() == Some(&b'[') && results.last() == Some(&b'}')).then_some((count, results))
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

    #[derive(Serialize, Deserialize)]
    struct Item {
        id: u64,
        title: String,
    }

    impl PlainData for Item {}

    /// The spliced body is byte for byte what serializing DRF's shape gives, on every page
    /// (first, middle, last, an empty first page) and with awkward text in the results.
    #[test]
    fn a_cached_page_is_answered_with_the_same_bytes_without_decoding() {
        let url = UrlQuery::new(
            "http://testserver/api/items/",
            vec![
                ("q".into(), "a&b é\"".into()),
                ("page_size".into(), "2".into()),
            ],
        );
        for (count, page, len) in [(5u64, 1u64, 2usize), (5, 2, 2), (5, 3, 1), (0, 1, 0)] {
            let items = || {
                (0..len)
                    .map(|i| Item {
                        id: i as u64,
                        title: format!("\"{i}\" </script> {{\"count\":9}}"),
                    })
                    .collect::<Vec<_>>()
            };
            let request = PageRequest::new(page, 2).unwrap();
            let cached = Json::encode(&Page {
                count,
                results: items(),
            })
            .unwrap();
            let spliced = Page::respond_json(&cached, request, &url).unwrap();
            let expected = Page {
                count,
                results: items(),
            }
            .respond(request, &url)
            .unwrap();
            assert_eq!(
                spliced,
                serde_json::to_vec(&expected).unwrap(),
                "page {page}"
            );
        }
        let past_end = PageRequest::new(4, 2).unwrap();
        let cached = Json::<Page<Item>>::encode(&Page {
            count: 5,
            results: Vec::new(),
        })
        .unwrap();
        assert!(matches!(
            Page::respond_json(&cached, past_end, &url),
            Err(ApiError::InvalidPage)
        ));
    }

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
