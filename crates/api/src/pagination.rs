//! DRF's `PageNumberPagination`: `?page=&page_size=`, `{"count", "next", "previous", "results"}`.
//!
//! Services cache a [`Page`] (count + results); the links are added per request by
//! [`Page::respond`], because they carry the caller's host and unrelated parameters and must not
//! leak into a shared cached value.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use strata_cache::PlainData;

use crate::error::{ApiError, FieldErrors};
use crate::query::UrlQuery;

/// The page a list request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PageRequest {
    pub page: u64,
    pub page_size: u64,
}

impl PageRequest {
    /// `page` that is not a positive integer is DRF's 404 "Invalid page."; `page_size` above the
    /// maximum is clamped (as DRF does); a `page_size` that is not a positive integer is a 400.
    pub fn from_query(
        query: &UrlQuery,
        default_size: u64,
        max_size: u64,
    ) -> Result<Self, ApiError> {
        let page = match query.get("page") {
            None | Some("") => 1,
            Some(text) => match text.parse::<u64>() {
                Ok(n) if n >= 1 => n,
                _ => return Err(ApiError::InvalidPage),
            },
        };
        let page_size = match query.get("page_size") {
            None | Some("") => default_size,
            Some(text) => match text.parse::<u64>() {
                Ok(n) if n >= 1 => n.min(max_size),
                _ => {
                    return Err(ApiError::Invalid(FieldErrors::single(
                        "page_size",
                        "Enter a positive whole number.",
                    )));
                }
            },
        };
        Ok(PageRequest { page, page_size })
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.page_size)
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
        let has_next = request.offset() + (self.results.len() as u64) < self.count;
        Ok(Paginated {
            count: self.count,
            next: has_next.then(|| url.link_to_page(request.page + 1)),
            previous: (request.page > 1).then(|| url.link_to_page(request.page - 1)),
            results: self.results,
        })
    }
}

/// Counts a query and loads one page of it.
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
    let rows = select
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok((count, rows))
}
