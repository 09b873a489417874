//! The opt-in limit on uncached requests per client address (`web.uncached_per_minute`, off by
//! default). Every distinct `q`, slug or page is a data-cache and an HTML-cache entry made by a
//! database query; both caches are bounded, so a flood of distinct URLs costs the database, not
//! memory — this caps what one address can make it cost. Behind a CDN, or under a benchmark,
//! every request seems to come from one client, so it is for a site that faces its clients
//! directly (or through `trusted_proxies`, which name them).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use strata_api::{ApiError, ClientAddr, Ctx, MissLimit};

use crate::state::AppState;

/// How the HTML cache says it served a page (`MISS`: rendered for this request).
const PAGE_CACHE: HeaderName = HeaderName::from_static("x-strata-cache");

#[derive(Clone)]
struct Limit {
    ctx: Ctx,
    limit: Arc<MissLimit>,
}

/// `router` with the limit when `web.uncached_per_minute` is set; as it is otherwise.
pub fn wrap(router: Router, state: &AppState) -> Router {
    match state.config.web.uncached_per_minute {
        0 => router,
        per_minute => router.layer(middleware::from_fn_with_state(
            Limit {
                ctx: state.api.clone(),
                limit: Arc::new(MissLimit::new(per_minute)),
            },
            limit_uncached,
        )),
    }
}

/// Public reads only: what a cache could have answered.
fn is_public_read(request: &Request) -> bool {
    let path = request.uri().path();
    matches!(*request.method(), Method::GET | Method::HEAD)
        && ![
            "/api/admin/",
            "/api/auth/",
            "/admin",
            "/media/",
            "/healthz",
            "/readyz",
        ]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

async fn limit_uncached(State(limit): State<Limit>, request: Request, next: Next) -> Response {
    if !is_public_read(&request) {
        return next.run(request).await;
    }
    let Ok(ClientAddr(client)) = ClientAddr::of(
        request.extensions(),
        request.headers(),
        &limit.ctx.settings.trusted_proxies,
    ) else {
        return next.run(request).await;
    };
    if let Some(wait) = limit.limit.refused(client) {
        return ApiError::Throttled(wait).into_response();
    }
    let (response, loaded) = strata_api::misses::track(next.run(request)).await;
    let rendered = response
        .headers()
        .get(PAGE_CACHE)
        .is_some_and(|value| value == "MISS");
    if loaded || rendered {
        limit.limit.missed(&limit.ctx, client).await;
    }
    response
}
