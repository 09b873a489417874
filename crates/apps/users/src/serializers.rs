//! Users in DRF's representation: never the password hash. No I/O.

use serde::Serialize;
use strata_api::serial::datetime;
use utoipa::ToSchema;

use crate::models::user;

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: String,
    pub is_active: bool,
    pub last_login: Option<String>,
    pub date_joined: String,
}

pub fn user_out(m: &user::Model) -> UserOut {
    UserOut {
        id: m.id,
        username: m.username.clone(),
        email: m.email.clone(),
        role: m.role.clone(),
        is_active: m.is_active,
        last_login: m.last_login.as_ref().map(datetime),
        date_joined: datetime(&m.date_joined),
    }
}

/// `POST /api/auth/login`'s answer: the user and the CSRF token to send back as `X-CSRFToken`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOut {
    pub user: UserOut,
    pub csrf_token: String,
}
