//! The admin users list's own filters, as typed query parameters that extract and document.

use sea_orm::{ColumnTrait, QueryFilter, Select};
use serde::Serialize;
use strata_api::admin::{Filters, QueryReader};
use utoipa::IntoParams;

use crate::models::user;
use crate::roles::Role;
use crate::serializers::ROLES;

/// `GET /api/admin/users/?role=&is_active=`.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilters {
    /// Only the users with this role.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(value_type = Option<Role>, inline)]
    pub role: Option<&'static str>,
    /// Only active (`true`) or deactivated (`false`) users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

impl Filters<user::Entity> for UserFilters {
    fn from_query(query: &mut QueryReader<'_>) -> Self {
        UserFilters {
            role: query.choice("role", ROLES),
            is_active: query.boolean("is_active"),
        }
    }

    fn apply(&self, mut select: Select<user::Entity>) -> Select<user::Entity> {
        if let Some(role) = self.role {
            select = select.filter(user::Column::Role.eq(role));
        }
        if let Some(active) = self.is_active {
            select = select.filter(user::Column::IsActive.eq(active));
        }
        select
    }
}
