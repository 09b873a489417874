//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use strata_api::{ApiError, ApiResult, Ctx, Detail, FieldErrors, Fields, JsonObject};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{AuthVia, CSRF_COOKIE, SESSION_COOKIE, Staff};
use crate::serializers::{LoginOut, UserOut, user_out};
use crate::services::{accounts, sessions};

pub fn router() -> OpenApiRouter<Ctx> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

fn cookie(ctx: &Ctx, name: &'static str, value: String, http_only: bool) -> Cookie<'static> {
    let max_age = time_duration(ctx.settings.session_ttl);
    Cookie::build((name, value))
        .path("/")
        .http_only(http_only)
        .same_site(SameSite::Lax)
        .secure(ctx.settings.secure_cookies)
        .max_age(max_age)
        .build()
}

fn time_duration(d: std::time::Duration) -> time::Duration {
    time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Body `{"username", "password"}`. Sets the `sessionid` (HttpOnly) and `csrftoken` cookies;
/// send the CSRF token back as `X-CSRFToken` on every unsafe request.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth", operation_id = "auth_login",
    request_body = Object,
    responses((status = 200, body = LoginOut), (status = 400, body = FieldErrors, description = "Wrong credentials or bad input"))
)]
async fn login(
    State(ctx): State<Ctx>,
    jar: CookieJar,
    body: JsonObject,
) -> ApiResult<(CookieJar, Json<LoginOut>)> {
    let mut f = Fields::new(body, false);
    let username = f.string("username", true, 150, false);
    let password = f.secret("password", 4096);
    let (username, password) = match f.finish((username, password))? {
        (Some(u), Some(p)) => (u, p),
        _ => return Err(ApiError::Invalid(FieldErrors::new())),
    };
    let user = accounts::authenticate(&ctx.db, &username, &password)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                FieldErrors::NON_FIELD,
                "Unable to log in with provided credentials.",
            )
        })?;
    let user = accounts::touch_last_login(&ctx.db, user).await?;
    let session = sessions::start_session(&ctx.db, user.id, ctx.settings.session_ttl).await?;
    let jar = jar
        .add(cookie(&ctx, SESSION_COOKIE, session.key, true))
        .add(cookie(&ctx, CSRF_COOKIE, session.csrf_token.clone(), false));
    Ok((
        jar,
        Json(LoginOut {
            user: user_out(&user),
            csrf_token: session.csrf_token,
        }),
    ))
}

/// Ends the session (CSRF required) and expires both cookies.
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "auth", operation_id = "auth_logout",
    responses((status = 204), (status = 401, body = Detail), (status = 403, body = Detail, description = "CSRF failed"))
)]
async fn logout(
    State(ctx): State<Ctx>,
    staff: Staff,
    jar: CookieJar,
) -> ApiResult<(CookieJar, StatusCode)> {
    if let AuthVia::Session(key) = &staff.via {
        sessions::end_session(&ctx.db, key).await?;
    }
    let jar = jar
        .remove(Cookie::build(SESSION_COOKIE).path("/"))
        .remove(Cookie::build(CSRF_COOKIE).path("/"));
    Ok((jar, StatusCode::NO_CONTENT))
}

#[utoipa::path(
    get, path = "/api/auth/me", tag = "auth", operation_id = "auth_me",
    responses((status = 200, body = UserOut), (status = 401, body = Detail))
)]
async fn me(staff: Staff) -> Json<UserOut> {
    Json(user_out(&staff.user))
}
