//! `/media/`: the stored files, read through [`MediaStorage`] whichever backend keeps them (a
//! local directory or an S3 bucket), so pages link to one origin and the CSP's `img-src 'self'`
//! holds. A stored name is 128 random bits chosen at upload (`strata_media::services`) and never
//! given to other bytes — a replaced image gets a new name — so what a name serves never
//! changes: browsers and CDNs may keep it for a year, and the name itself is its ETag.
//!
//! [`files`] serves a directory of build outputs the same way (the admin's hashed assets).

use std::io::ErrorKind;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{self, State};
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use strata_api::MediaStorage;
use strata_media::ImageFormat;
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

/// The stored files of `storage`, streamed (no Range: images are small and served whole).
pub fn stored(storage: Arc<dyn MediaStorage>) -> Router {
    Router::new()
        .route("/{*name}", get(serve))
        .fallback(not_found)
        .with_state(storage)
        .layer(middleware::map_response(cache_forever))
}

async fn serve(
    State(storage): State<Arc<dyn MediaStorage>>,
    extract::Path(name): extract::Path<String>,
    request: HeaderMap,
) -> Response {
    // Stored names are made of these only; anything else (quotes, spaces, `%2F`) is no file,
    // and the name can then be its own ETag as is.
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
    let Some(etag) = plain
        .then(|| HeaderValue::from_str(&format!("\"{name}\"")).ok())
        .flatten()
    else {
        return not_found().await;
    };
    let file = match storage.open(&name).await {
        Ok(Some(file)) => file,
        // `InvalidInput`: a name that could leave the storage (`..`), which holds no such file.
        Ok(None) => return not_found().await,
        Err(err) if err.kind() == ErrorKind::InvalidInput => return not_found().await,
        Err(err) => {
            tracing::warn!(%name, %err, "cannot read a media file");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Media storage unavailable.",
            )
                .into_response();
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag.clone());
    if none_match(&request, &etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let content_type = name
        .rsplit_once('.')
        .and_then(|(_, ext)| ImageFormat::from_ext(ext))
        .map_or("application/octet-stream", ImageFormat::content_type);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.len));
    (headers, file.body).into_response()
}

/// `If-None-Match` lists `etag` (or is `*`): the client's copy is current.
fn none_match(request: &HeaderMap, etag: &HeaderValue) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag.as_bytes() == etag.as_bytes())
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
