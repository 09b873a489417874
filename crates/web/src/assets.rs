//! The site's stylesheet, compiled in and served with a content hash in its URL, so it can be
//! cached for a year and never goes stale; and its icon.

use axum::http::header;
use axum::response::IntoResponse;

pub const STYLESHEET_PATH: &str = "/static/site.css";
const STYLESHEET: &str = include_str!("../static/site.css");

/// The stylesheet's link, changing whenever its content does.
pub fn stylesheet_url() -> &'static str {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(STYLESHEET.as_bytes());
        let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("{STYLESHEET_PATH}?v={hex}")
    })
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
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
