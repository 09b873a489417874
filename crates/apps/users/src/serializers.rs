//! Users in DRF's representation (never the password hash), and the login body. No I/O.

use serde::Serialize;
use strata_api::serial::datetime;
use strata_api::{ApiError, ApiResult, Fields, JsonObject};
use utoipa::ToSchema;

use crate::models::user;
use crate::roles::Role;
use crate::services::accounts::USERNAME_MAX;

/// A staff user. Datetimes are ISO 8601 UTC with `Z`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub email: String,
    #[schema(value_type = Role)]
    pub role: String,
    pub is_active: bool,
    #[schema(required)]
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

/// `POST /api/auth/login`'s answer: the user and the CSRF token to send back as `X-CSRFToken`
/// (also set as the `csrftoken` cookie).
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOut {
    pub user: UserOut,
    pub csrf_token: String,
}

/// `POST /api/auth/login`'s body.
#[derive(Debug, ToSchema)]
pub struct LoginInput {
    pub username: String,
    /// Taken as sent, never trimmed.
    pub password: String,
}

/// Longest password accepted at login: argon2 hashes anything, but a megabyte of it is only a
/// way to burn CPU.
const PASSWORD_MAX: usize = 4096;

/// Both fields required, unknown fields refused, every problem reported at once.
pub fn login_input(body: JsonObject) -> ApiResult<LoginInput> {
    let mut f = Fields::new(body, false);
    let username = f.string("username", true, USERNAME_MAX, false);
    let password = f.secret("password", PASSWORD_MAX);
    // A reader returns `None` only after recording an error, which `finish` reports.
    match f.finish((username, password))? {
        (Some(username), Some(password)) => Ok(LoginInput { username, password }),
        _ => Err(ApiError::internal("login fields missing without an error")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;

    fn body(value: serde_json::Value) -> JsonObject {
        JsonObject::parse(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn users_render_like_drf() {
        let joined = Utc.with_ymd_and_hms(2026, 11, 24, 15, 36, 38).unwrap();
        let model = user::Model {
            id: 7,
            username: "mina".into(),
            email: "mina@example.com".into(),
            password: "$argon2id$secret".into(),
            role: "editor".into(),
            is_active: true,
            last_login: Some(joined + chrono::Duration::microseconds(250_000)),
            date_joined: joined,
        };
        assert_eq!(
            serde_json::to_value(user_out(&model)).unwrap(),
            json!({
                "id": 7,
                "username": "mina",
                "email": "mina@example.com",
                "role": "editor",
                "is_active": true,
                "last_login": "2026-11-24T15:36:38.250000Z",
                "date_joined": "2026-11-24T15:36:38Z",
            })
        );
    }

    #[test]
    fn login_bodies_are_validated_like_drf() {
        let ok = login_input(body(json!({"username": " mina ", "password": " pw "}))).unwrap();
        assert_eq!(
            (ok.username.as_str(), ok.password.as_str()),
            ("mina", " pw ")
        );

        let errors = |value| match login_input(body(value)) {
            Err(ApiError::Invalid(errors)) => serde_json::to_value(errors).ok(),
            _ => None,
        };
        // An unknown field is ignored, as DRF does (unless `api.strict_input`).
        assert_eq!(
            errors(json!({"username": "mina", "remember": true})),
            Some(json!({"password": ["This field is required."]}))
        );
        assert_eq!(
            errors(json!({"username": "", "password": 5})),
            Some(json!({
                "username": ["This field may not be blank."],
                "password": ["Not a valid string."],
            }))
        );
    }
}
