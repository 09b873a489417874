//! Admin list filters of this app's own, as typed query parameters that extract and document.

use sea_orm::{ColumnTrait, QueryFilter, Select};
use serde::Serialize;
use strata_api::admin::{Filters, QueryReader};
use utoipa::IntoParams;

use crate::models::category;
use crate::serializers::{CATEGORY_APPS, CategoryApp};

/// `GET /api/admin/categories/?app=`.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryFilters {
    /// Only the categories of one app: `real_estate`, `blog` or `portfolio`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(value_type = Option<CategoryApp>, inline)]
    pub app: Option<&'static str>,
}

impl Filters<category::Entity> for CategoryFilters {
    fn from_query(query: &mut QueryReader<'_>) -> Self {
        CategoryFilters {
            app: query.choice("app", CATEGORY_APPS),
        }
    }

    fn apply(&self, select: Select<category::Entity>) -> Select<category::Entity> {
        match self.app {
            Some(app) => select.filter(category::Column::App.eq(app)),
            None => select,
        }
    }
}
