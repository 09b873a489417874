//! Users in DRF's representation (never the password hash), and the login body. No I/O.

use serde::Serialize;
use strata_api::serial::datetime;
use strata_api::{ApiError, ApiResult, Fields, JsonObject, Mode};
use utoipa::ToSchema;

use crate::models::{token, user};
use crate::passwords::{self, Attributes};
use crate::roles::Role;
use crate::services::accounts::{EMAIL_MAX, USERNAME_MAX, valid_email, valid_username};

/// A staff user. Datetimes are ISO 8601 UTC with `Z`.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
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

/// An API token as listed (its key is shown once, at creation, and never stored).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    /// The owner's id.
    pub user: i64,
    pub username: String,
    pub created: String,
    /// `null`: until revoked.
    #[schema(required)]
    pub expires_at: Option<String>,
    /// Past `expires_at`: refused, kept until revoked.
    pub expired: bool,
}

pub fn token_out(
    token: &token::Model,
    owner: &user::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> TokenOut {
    TokenOut {
        id: token.id,
        user: owner.id,
        username: owner.username.clone(),
        created: datetime(&token.created),
        expires_at: token.expires_at.as_ref().map(datetime),
        expired: token.expires_at.is_some_and(|at| at <= now),
    }
}

// Plain data: the users app has no cache and its admin list is declared uncached
// (`services::admin::Users`); the marker only satisfies the shared admin pattern's bound.
impl strata_plain::PlainData for UserOut {}

/// `/api/admin/users/`'s body. The password is set on create only; afterwards it changes
/// through `POST /api/admin/users/{id}/password/`, which also ends the user's sessions.
#[derive(Debug, Default, ToSchema)]
pub struct UserInput {
    /// 1 to 150 letters, digits and `@ . + - _` (Django's rule).
    #[schema(required, nullable = false, min_length = 1, max_length = 150)]
    pub username: Option<String>,
    /// May be blank.
    #[schema(nullable = false, max_length = 254)]
    pub email: Option<String>,
    #[schema(required, nullable = false, value_type = Option<Role>)]
    pub role: Option<Role>,
    /// `false` deactivates the user and ends their sessions; an admin cannot deactivate
    /// themselves. New users are active.
    #[schema(nullable = false)]
    pub is_active: Option<bool>,
    /// Create only: Django's default validators — at least 8 characters, not a common
    /// password, not entirely numeric, not too similar to the username or email.
    #[schema(
        required,
        nullable = false,
        write_only,
        min_length = 8,
        max_length = 4096
    )]
    pub password: Option<String>,
}

/// `POST /api/admin/users/{id}/password/`'s body.
#[derive(Debug, ToSchema)]
pub struct PasswordInput {
    /// `true` keeps the user's API tokens; by default a reset revokes them (a reset usually
    /// means the account may be compromised, and a token does not depend on the password).
    #[schema(default = false)]
    pub keep_tokens: Option<bool>,
    /// Django's default validators: at least 8 characters, not a common password, not
    /// entirely numeric, not too similar to the user's username or email.
    #[schema(write_only, min_length = 8, max_length = 4096)]
    pub password: String,
}

/// Every role, as the API spells them.
pub const ROLES: &[&str] = &["admin", "editor", "support"];
const READ_ONLY: &[&str] = &["id", "last_login", "date_joined"];

/// The password, checked by Django's default validators against the user's `attributes`.
fn password_field(f: &mut Fields, attributes: &Attributes<'_>) -> Option<String> {
    let password = f.secret("password", PASSWORD_MAX)?;
    let problems = passwords::problems(&password, attributes);
    let accepted = problems.is_empty();
    for problem in problems {
        f.error("password", problem);
    }
    accepted.then_some(password)
}

/// Validates like Django's `createsuperuser` (username characters, email shape, password
/// length); every field's errors at once.
pub fn user_input(body: JsonObject, mode: Mode) -> ApiResult<UserInput> {
    let mut f = Fields::new(body, mode.partial());
    f.read_only(READ_ONLY);
    let username = f.string("username", true, USERNAME_MAX, false);
    if username.as_deref().is_some_and(|u| !valid_username(u)) {
        f.error(
            "username",
            "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
        );
    }
    let email = f.string("email", false, EMAIL_MAX, true);
    if email.as_deref().is_some_and(|e| !valid_email(e)) {
        f.error("email", "Enter a valid email address.");
    }
    let role = f.choice("role", true, ROLES).and_then(Role::parse);
    let is_active = f.boolean("is_active", false);
    let password = if mode.creating() {
        let attributes = Attributes {
            username: username.as_deref().unwrap_or_default(),
            email: email.as_deref().unwrap_or_default(),
        };
        password_field(&mut f, &attributes)
    } else {
        if f.has_field("password") {
            f.error(
                "password",
                "Set a password with POST /api/admin/users/{id}/password/.",
            );
        }
        None
    };
    f.finish(UserInput {
        username,
        email,
        role,
        is_active,
        password,
    })
}

/// The new password, checked like `user_input`'s.
/// The new password, present and within bounds; the validators need the user's attributes, so
/// the service checks it against them (`services::admin::reset_password`).
pub fn password_input(body: JsonObject) -> ApiResult<PasswordReset> {
    let mut f = Fields::new(body, false);
    let password = f.secret("password", PASSWORD_MAX);
    let keep_tokens = f.boolean("keep_tokens", false).unwrap_or(false);
    match f.finish(password)? {
        Some(password) => Ok(PasswordReset {
            password,
            keep_tokens,
        }),
        None => Err(ApiError::internal("password missing without an error")),
    }
}

/// A validated [`PasswordInput`].
#[derive(Debug)]
pub struct PasswordReset {
    pub password: String,
    pub keep_tokens: bool,
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
            version: 1,
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
