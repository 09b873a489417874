//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`, and the admin API for
//! users (`/api/admin/users/`, admins only).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::{Extension, Json};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use strata_api::{ApiError, ApiResult, ClientAddr, Ctx, Detail, FieldErrors, Id, JsonObject};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{AuthVia, CSRF_COOKIE, SESSION_COOKIE, Staff};
use crate::device;
use crate::origin::check_origin;
use crate::serializers::{
    LoginInput, LoginOut, PasswordInput, TokenOut, UserOut, login_input, password_input, user_out,
};
use crate::services::admin::{self, Users};
use crate::services::{accounts, sessions};
use crate::throttle::{Claimant, LoginThrottle};

/// `POST /api/auth/login`: open to anyone (throttled).
pub fn public_router() -> OpenApiRouter<Ctx> {
    // The throttle's counters belong to this router: each application counts on its own.
    OpenApiRouter::new()
        .routes(routes!(login))
        .layer(Extension(Arc::new(LoginThrottle::default())))
}

/// `logout` and `me`: for any signed-in staff user (the binary guards this router).
pub fn staff_router() -> OpenApiRouter<Ctx> {
    OpenApiRouter::new()
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// `/api/admin/users/` (list, create, retrieve, update, delete) and the password reset: for
/// admins only (the binary guards this router with [`crate::roles::ADMINS`]).
pub fn admin_router() -> OpenApiRouter<Ctx> {
    strata_api::admin::routes::<Users>()
        .routes(routes!(reset_password))
        .routes(routes!(user_tokens))
        .routes(routes!(revoke_user_token))
}

/// Body: `{"password": "…"}`. Sets the password, ends every session of the user (they sign in
/// again) and revokes their API tokens, unless `"keep_tokens": true`.
#[utoipa::path(
    post, path = "/api/admin/users/{id}/password/", tag = "admin: users", operation_id = "admin_users_password",
    summary = "Reset a user's password",
    extensions(("x-strata-invalidates" = json!("user"))),
    params(("id" = i64, Path)), security(("token" = []), ("session" = [])), request_body = PasswordInput,
    responses(
        (status = 200, body = UserOut, description = "The password is set; the user's sessions are ended and their tokens revoked (unless `keep_tokens`)"),
        (status = 400, body = FieldErrors, description = "No password, or one Django's validators refuse (too short, too common, entirely numeric, too similar to the username or email)"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not an admin, or CSRF failed"),
        (status = 404, body = Detail, description = "No user has this id"),
        (status = 415, body = Detail, description = "Not JSON"),
    )
)]
async fn reset_password(
    State(ctx): State<Ctx>,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<UserOut>> {
    let reset = password_input(body)?;
    Ok(Json(admin::reset_password(&ctx, id, reset).await?))
}

/// The user's API tokens (keys are never shown again after `strata token create`).
#[utoipa::path(
    get, path = "/api/admin/users/{id}/tokens/", tag = "admin: users", operation_id = "admin_users_tokens_list",
    summary = "List a user's API tokens",
    params(("id" = i64, Path)), security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<TokenOut>, description = "The user's tokens, oldest first, expired ones included"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not an admin"),
        (status = 404, body = Detail, description = "No user has this id"),
    )
)]
async fn user_tokens(State(ctx): State<Ctx>, Id(id): Id) -> ApiResult<Json<Vec<TokenOut>>> {
    Ok(Json(admin::list_tokens(&ctx, id).await?))
}

/// Revokes one of the user's API tokens: it is refused from now on.
#[utoipa::path(
    delete, path = "/api/admin/users/{id}/tokens/{token_id}/", tag = "admin: users", operation_id = "admin_users_tokens_destroy",
    summary = "Revoke an API token",
    extensions(("x-strata-invalidates" = json!("user"))),
    params(("id" = i64, Path), ("token_id" = i64, Path)), security(("token" = []), ("session" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not an admin, or CSRF failed"),
        (status = 404, body = Detail, description = "No such token of this user"),
    )
)]
async fn revoke_user_token(
    State(ctx): State<Ctx>,
    Path((id, token_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (Ok(id), Ok(token_id)) = (id.parse::<i64>(), token_id.parse::<i64>()) else {
        return Err(ApiError::NotFound);
    };
    admin::revoke_token(&ctx, id, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn cookie(
    ctx: &Ctx,
    name: &'static str,
    value: String,
    http_only: bool,
    secure: bool,
) -> Cookie<'static> {
    let max_age = time_duration(ctx.settings.session_ttl);
    Cookie::build((name, value))
        .path("/")
        .http_only(http_only)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(max_age)
        .build()
}

/// A cookie that makes the browser drop `name` (what Django's `delete_cookie` sends).
fn expired(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, ""))
        .path("/")
        .max_age(time::Duration::ZERO)
        .expires(time::OffsetDateTime::UNIX_EPOCH)
        .build()
}

fn time_duration(d: std::time::Duration) -> time::Duration {
    time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Logs in with a username and password. Sets the `sessionid` (HttpOnly) and `csrftoken`
/// cookies; send the CSRF token back as `X-CSRFToken` on every unsafe request.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth", operation_id = "auth_login",
    summary = "Log in",
    request_body = LoginInput,
    responses(
        (status = 200, body = LoginOut, description = "Logged in; `sessionid` and `csrftoken` cookies set"),
        (status = 400, body = FieldErrors, description = "Wrong credentials, an inactive user, or bad input"),
        (status = 403, body = Detail, description = "A browser's `Origin` that is not the site's"),
        (status = 415, body = Detail, description = "Not JSON"),
        (status = 429, body = Detail, description = "Too many attempts from this address or for this username; see `Retry-After`"),
    )
)]
async fn login(
    State(ctx): State<Ctx>,
    Extension(throttle): Extension<Arc<LoginThrottle>>,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    jar: CookieJar,
    body: JsonObject,
) -> ApiResult<(CookieJar, Json<LoginOut>)> {
    // Login CSRF (signing a victim's browser into the attacker's account): browsers always send
    // `Origin` on a POST, so a request with one must come from the site. Scripts send none.
    if parts.headers.contains_key(header::ORIGIN) {
        check_origin(&parts, &ctx.settings.site_origin)?;
    }
    let LoginInput { username, password } = login_input(body)?;
    throttle.check_address(&ctx, client).await?;
    let found = accounts::by_username(&ctx.db, &username).await?;
    // A browser that has logged in as this user before is counted on its own: attempts from
    // anywhere else cannot lock the user out of it.
    let claimant = jar
        .get(device::DEVICE_COOKIE)
        .zip(found.as_ref())
        .and_then(|(cookie, user)| device::recognise(cookie.value(), user))
        .map_or(Claimant::Unknown, Claimant::KnownDevice);
    throttle.check_account(&ctx, &username, claimant).await?;
    let user = accounts::check_password(found, &password)
        .await
        .ok_or_else(|| {
            ApiError::field(
                FieldErrors::NON_FIELD,
                "Unable to log in with provided credentials.",
            )
        })?;
    let user = accounts::touch_last_login(&ctx.db, user).await?;
    // A new login replaces the browser's previous session rather than leaving it alive.
    if let Some(previous) = jar.get(SESSION_COOKIE) {
        sessions::end_session(&ctx.db, previous.value()).await?;
    }
    let session = sessions::start_session(&ctx.db, user.id, ctx.settings.session_ttl).await?;
    // Derived per request: an HTTPS site, or HTTPS as a trusted proxy reports it.
    let secure = ctx.settings.secure_cookies_for(&parts);
    let device = Cookie::build((device::DEVICE_COOKIE, device::issue(&user)))
        .path(device::DEVICE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time_duration(device::DEVICE_TTL))
        .build();
    let jar = jar
        .add(cookie(&ctx, SESSION_COOKIE, session.key, true, secure))
        .add(cookie(
            &ctx,
            CSRF_COOKIE,
            session.csrf_token.clone(),
            false,
            secure,
        ))
        .add(device);
    Ok((
        jar,
        Json(LoginOut {
            user: user_out(&user),
            csrf_token: session.csrf_token,
        }),
    ))
}

/// Ends the session (the `X-CSRFToken` header is required) and expires both cookies. With a
/// token there is no session to end: the answer is the same and the token stays valid.
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "auth", operation_id = "auth_logout",
    summary = "Log out",
    responses(
        (status = 204, description = "Logged out; cookies expired"),
        (status = 401, body = Detail, description = "Not logged in"),
        (status = 403, body = Detail, description = "CSRF token missing or incorrect"),
    )
)]
async fn logout(
    State(ctx): State<Ctx>,
    staff: Staff,
    jar: CookieJar,
) -> ApiResult<(CookieJar, StatusCode)> {
    if let AuthVia::Session(key) = &staff.via {
        sessions::end_session(&ctx.db, key).await?;
    }
    // Expiring cookies are sent whether or not the request carried them (the jar's `remove`
    // only answers cookies it received).
    let jar = jar.add(expired(SESSION_COOKIE)).add(expired(CSRF_COOKIE));
    Ok((jar, StatusCode::NO_CONTENT))
}

/// The user behind the session or token.
#[utoipa::path(
    get, path = "/api/auth/me", tag = "auth", operation_id = "auth_me",
    summary = "The signed-in user",
    responses(
        (status = 200, body = UserOut, description = "The signed-in user"),
        (status = 401, body = Detail, description = "Not logged in, or an invalid token"),
    )
)]
async fn me(staff: Staff) -> Json<UserOut> {
    Json(user_out(&staff.user))
}
