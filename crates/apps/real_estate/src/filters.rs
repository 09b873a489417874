//! Query parameters → validated filters, as django-filter's FilterSets do: unknown parameters
//! are ignored; a bad value of a known one is a 400 naming it.

use sea_orm::{ColumnTrait, QueryFilter, Select};
use serde::Serialize;
use strata_api::admin::{Filters, QueryReader};
use strata_api::{ApiResult, Lang, UrlQuery};
use utoipa::IntoParams;

use crate::models::property;
pub use crate::selectors::PublicFilter;
use crate::serializers::{DEALS, Deal, PropertyStatus, STATUSES};

pub const PUBLIC_ORDERING: &[&str] = &["-published_at", "price", "-price"];
/// The public list's order when none is asked for: newest first.
pub const DEFAULT_ORDERING: &str = "-published_at";

pub fn public(query: &UrlQuery, lang: Lang) -> ApiResult<PublicFilter> {
    let mut r = QueryReader::new(query);
    let filter = PublicFilter {
        category: r.text("category"),
        city: r.text("city"),
        deal: r.choice("deal", DEALS),
        min_price: r.amount("min_price"),
        max_price: r.amount("max_price"),
        rooms: r.whole("rooms", 100).map(|n| n as i32),
        q: r.text("q"),
        tag: r.text("tag"),
        featured: r.boolean("featured"),
        ordering: r
            .choice("ordering", PUBLIC_ORDERING)
            .unwrap_or(DEFAULT_ORDERING),
        lang,
    };
    r.finish(filter)
}

/// The admin list's own filters (`q` and `ordering` are the admin resource's).
#[derive(Clone, Debug, Default, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminFilters {
    /// `draft`, `published` or `archived`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(value_type = Option<PropertyStatus>, inline)]
    pub status: Option<&'static str>,
    /// `sale` or `rent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(value_type = Option<Deal>, inline)]
    pub deal: Option<&'static str>,
    /// A category's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featured: Option<bool>,
}

impl Filters<property::Entity> for AdminFilters {
    fn from_query(query: &mut QueryReader<'_>) -> Self {
        AdminFilters {
            status: query.choice("status", STATUSES),
            deal: query.choice("deal", DEALS),
            category: query.whole("category", i64::MAX),
            featured: query.boolean("featured"),
        }
    }

    fn apply(&self, mut select: Select<property::Entity>) -> Select<property::Entity> {
        if let Some(status) = self.status {
            select = select.filter(property::Column::Status.eq(status));
        }
        if let Some(deal) = self.deal {
            select = select.filter(property::Column::Deal.eq(deal));
        }
        if let Some(category) = self.category {
            select = select.filter(property::Column::CategoryId.eq(category));
        }
        if let Some(featured) = self.featured {
            select = select.filter(property::Column::Featured.eq(featured));
        }
        select
    }
}
