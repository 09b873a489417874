//! `/media/`: the stored files. A stored name is 128 random bits chosen at upload
//! (`strata_media::services`) and never given to other bytes — a replaced image gets a new name —
//! so what a name serves never changes: browsers and CDNs may keep it for a year.

use std::path::Path;

use axum::Router;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The files under `root`; a missing one is a plain-text 404 (what a browser shows for a
/// broken image link opened in a tab), never an empty body.
pub fn files(root: &Path) -> Router {
    let files = ServeDir::new(root)
        .append_index_html_on_directories(false)
        .not_found_service(not_found.into_service());
    Router::new()
        .fallback_service(files)
        .layer(middleware::map_response(cache_forever))
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found.").into_response()
}

/// Only what was served is cacheable for a year: a 404 may become a file later.
async fn cache_forever(mut response: Response) -> Response {
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    }
    response
}
