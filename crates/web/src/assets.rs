//! The site's stylesheet and script, compiled in and served with a content hash in their URLs,
//! so they can be cached for a year and never go stale; and its icon.

use axum::http::header;
use axum::response::IntoResponse;

pub const STYLESHEET_PATH: &str = "/static/site.css";
const STYLESHEET: &str = include_str!("../static/site.css");

pub const GALLERY_SCRIPT_PATH: &str = "/static/gallery.js";
/// The detail page's gallery: thumbnails show the photo in the large frame, arrow keys (in
/// the reading direction), Home and End move between them. The page works without it.
const GALLERY_SCRIPT: &str = include_str!("../static/gallery.js");

/// `path?v=` the first 12 hex digits of the content's SHA-256.
fn versioned(path: &str, content: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(content.as_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{path}?v={hex}")
}

/// The stylesheet's link, changing whenever its content does.
pub fn stylesheet_url() -> &'static str {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| versioned(STYLESHEET_PATH, STYLESHEET))
}

/// The gallery script's link, changing whenever its content does.
pub fn gallery_script_url() -> &'static str {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| versioned(GALLERY_SCRIPT_PATH, GALLERY_SCRIPT))
}

/// A hashed asset: its URL changes with its content, so it is immutable.
fn immutable(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
}

pub async fn stylesheet() -> impl IntoResponse {
    immutable("text/css; charset=utf-8", STYLESHEET)
}

pub async fn gallery_script() -> impl IntoResponse {
    immutable("text/javascript; charset=utf-8", GALLERY_SCRIPT)
}

pub const FAVICON_PATH: &str = "/favicon.ico";
/// A 32×32 PNG in an ICO container (every browser asks for `/favicon.ico` on every site).
const FAVICON: &[u8] = include_bytes!("../static/favicon.ico");

/// Its URL is fixed, so it is cached for a day rather than forever.
pub async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
}
