//! Who is calling: DRF's `TokenAuthentication` and `SessionAuthentication` (with Django's CSRF
//! check on unsafe methods), and the role guard the binary puts on whole routers: admin routes
//! are authorized by the router they are mounted in, not by each handler remembering to ask.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use strata_api::{ApiError, Ctx};
use subtle::ConstantTimeEq;

use crate::models::user;
use crate::origin::check_origin;
use crate::roles::Role;
use crate::services::{sessions, tokens};

/// Django's cookie names and CSRF header, so an SPA written for Django works unchanged.
pub const SESSION_COOKIE: &str = "sessionid";
pub const CSRF_COOKIE: &str = "csrftoken";
/// `X-CSRFToken` (header names are matched case-insensitively).
pub const CSRF_HEADER: &str = "x-csrftoken";

/// How the caller authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthVia {
    /// The session's cookie key, so logout can end it.
    Session(String),
    Token,
}

/// An authenticated, active staff user, as DRF's `[TokenAuthentication,
/// SessionAuthentication]` find one: an `Authorization: Token <key>` header first (a bad one
/// is a 401 `Invalid token.`), else the `sessionid` cookie, with `X-CSRFToken` required on
/// unsafe methods (403 `CSRF Failed: …`); neither is a 401 `Authentication credentials were
/// not provided.`
#[derive(Clone, Debug)]
pub struct Staff {
    pub user: user::Model,
    pub role: Role,
    pub via: AuthVia,
}

impl Staff {
    /// 403 unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::PermissionDenied)
        }
    }

    /// Authenticates the request as DRF's authenticators would (see [`Staff`]).
    async fn authenticate(parts: &Parts, ctx: &Ctx) -> Result<Self, ApiError> {
        let (user, via) = if let Some(user) = token_user(parts, ctx).await? {
            (user, AuthVia::Token)
        } else {
            let jar = CookieJar::from_headers(&parts.headers);
            let key = jar
                .get(SESSION_COOKIE)
                .map(|c| c.value().to_owned())
                .ok_or(ApiError::NotAuthenticated)?;
            let (user, csrf) = sessions::session_user(&ctx.db, &key)
                .await?
                .ok_or(ApiError::NotAuthenticated)?;
            if !safe_method(&parts.method) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .ok_or(ApiError::CsrfFailed("CSRF token missing."))?;
                if !bool::from(sent.as_bytes().ct_eq(csrf.as_bytes())) {
                    return Err(ApiError::CsrfFailed("CSRF token incorrect."));
                }
                check_origin(parts, &ctx.settings.site_origin)?;
            }
            (user, AuthVia::Session(key))
        };
        // A role the code does not know grants nothing.
        let role = Role::parse(&user.role).ok_or(ApiError::PermissionDenied)?;
        Ok(Staff { user, role, via })
    }
}

fn safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `Authorization: Token <key>`: `None` when the header is absent or names another scheme
/// (the next authenticator is tried, as in DRF). A malformed header, an unknown key or an
/// inactive user is a 401 with DRF's `TokenAuthentication` message.
async fn token_user(parts: &Parts, ctx: &Ctx) -> Result<Option<user::Model>, ApiError> {
    let Some(header) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = header.to_str().map_err(|_| {
        ApiError::AuthenticationFailed(
            "Invalid token header. Token string should not contain invalid characters.",
        )
    })?;
    let mut words = text.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(scheme), key, rest) if scheme.eq_ignore_ascii_case("token") => match (key, rest) {
            (Some(key), None) => match tokens::user_for_token(&ctx.db, key).await? {
                Some(user) if user.is_active => Ok(Some(user)),
                Some(_) => Err(ApiError::AuthenticationFailed("User inactive or deleted.")),
                None => Err(ApiError::AuthenticationFailed("Invalid token.")),
            },
            (None, _) => Err(ApiError::AuthenticationFailed(
                "Invalid token header. No credentials provided.",
            )),
            (Some(_), Some(_)) => Err(ApiError::AuthenticationFailed(
                "Invalid token header. Token string should not contain spaces.",
            )),
        },
        _ => Ok(None),
    }
}

/// The user the route guard authenticated, or (outside guarded routes) authenticates now.
impl FromRequestParts<Ctx> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, ApiError> {
        if let Some(staff) = parts.extensions.get::<Staff>() {
            return Ok(staff.clone());
        }
        Staff::authenticate(parts, ctx).await
    }
}

/// Route guard: only staff with one of `roles` get through (anonymous 401, other roles 403,
/// session requests without the CSRF token 403). The binary layers it on each group of admin
/// routes with `axum::middleware::from_fn_with_state((ctx, roles), require_role)`; the
/// authenticated [`Staff`] travels on in the request's extensions.
pub async fn require_role(
    State((ctx, roles)): State<(Ctx, &'static [Role])>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let staff = Staff::authenticate(&parts, &ctx).await?;
    staff.require(roles)?;
    // The admin resources' generic handlers learn who writes from this (see `AdminResource::refuse`).
    parts.extensions.insert(strata_api::admin::Actor {
        user_id: staff.user.id,
    });
    parts.extensions.insert(staff);
    Ok(next.run(Request::from_parts(parts, body)).await)
}
