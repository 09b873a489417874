//! Cached pages as HTTP responses: validators and the headers a CDN needs to cache and purge
//! by the same tags.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::isr::{Entry, Outcome};

const SURROGATE_KEY: HeaderName = HeaderName::from_static("surrogate-key");
const CACHE_TAG: HeaderName = HeaderName::from_static("cache-tag");
const X_CACHE: HeaderName = HeaderName::from_static("x-strata-cache");

pub fn cached(entry: &Entry, outcome: Outcome, request: &HeaderMap, swr: Duration) -> Response {
    let mut headers = HeaderMap::new();
    let tags = &entry.rendered.tags;
    headers.insert(
        header::CACHE_CONTROL,
        value(&format!(
            "public, max-age=0, s-maxage={}, stale-while-revalidate={}",
            entry.revalidate.as_secs(),
            swr.as_secs()
        )),
    );
    headers.insert(header::ETAG, value(&entry.etag));
    headers.insert(X_CACHE, HeaderValue::from_static(outcome.as_str()));
    if !tags.is_empty() {
        // Fastly's and Cloudflare's spellings of the same list.
        let tags: Vec<String> = tags.iter().map(|t| header_tag(t)).collect();
        headers.insert(SURROGATE_KEY, value(&tags.join(" ")));
        headers.insert(CACHE_TAG, value(&tags.join(",")));
    }
    if not_modified(request, &entry.etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(entry.rendered.content_type),
    );
    if let Some(location) = &entry.rendered.location {
        headers.insert(header::LOCATION, value(location));
    }
    (entry.rendered.status, headers, entry.rendered.body.clone()).into_response()
}

/// `If-None-Match` compared weakly (RFC 9110 §13.1.2), `*` included.
fn not_modified(request: &HeaderMap, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == opaque(etag))
}

/// A tag as CDNs accept it: visible ASCII, no separators; anything else percent-encoded
/// (Persian slugs), as a purge request would have to spell it too.
pub fn header_tag(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    for byte in tag.bytes() {
        if byte.is_ascii_graphic() && byte != b',' && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Tags and validators are ASCII by construction; anything else is dropped, not a panic.
fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// An uncached page (a bad request, an error): never stored by a CDN either.
pub fn uncached(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        html,
    )
        .into_response()
}
