//! Cached pages as HTTP responses: validators and the headers a CDN needs to cache and purge
//! by the same tags.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::isr::{Entry, Outcome};

const SURROGATE_KEY: HeaderName = HeaderName::from_static("surrogate-key");
const CACHE_TAG: HeaderName = HeaderName::from_static("cache-tag");
const SURROGATE_CONTROL: HeaderName = HeaderName::from_static("surrogate-control");
const CDN_CACHE_CONTROL: HeaderName = HeaderName::from_static("cdn-cache-control");
const X_CACHE: HeaderName = HeaderName::from_static("x-strata-cache");
/// The smallest header limit of the CDNs purged (Cloudflare's `Cache-Tag`: 16 KB in all).
pub const TAG_HEADER_BYTES: usize = 16 * 1024;

/// What a CDN in front is told beyond the browser's `Cache-Control`.
#[derive(Clone, Debug)]
pub struct Surrogates {
    /// Every cacheable answer's key for the whole site: purging it purges everything.
    pub site_key: String,
    /// The CDN's own TTL while purges reach it; `None`: the answer's `s-maxage`.
    pub max_age: Option<Duration>,
}

impl Default for Surrogates {
    fn default() -> Self {
        Surrogates {
            site_key: "strata".to_owned(),
            max_age: None,
        }
    }
}

/// Which shared caches may keep an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shared {
    /// Any, for the `s-maxage` given (pages: any proxy may hold them that long).
    Any,
    /// Only the CDNs that are purged (`Surrogate-Control`, `CDN-Cache-Control`); any other
    /// shared cache must revalidate every use (`Cache-Control: no-cache`), since nothing
    /// purges it.
    PurgedOnly,
}

impl Surrogates {
    /// Adds the cache headers of an answer a shared cache may keep for `ttl` (then serve stale
    /// for `swr` while it refetches), purged by `tags` (already [`header_tag`]-spelled) and the
    /// site key: `Cache-Control` for browsers and other shared caches, `Surrogate-Control`
    /// (Fastly, Varnish) and `CDN-Cache-Control` (Cloudflare, RFC 9213) for the CDN's TTL, and
    /// `Surrogate-Key` / `Cache-Tag`. Tags that would not fit a CDN's header cannot all be
    /// purged: then no shared cache may keep the answer, and `false` says so.
    pub fn apply(
        &self,
        headers: &mut HeaderMap,
        tags: impl IntoIterator<Item = String>,
        shared: Shared,
        ttl: Duration,
        swr: Duration,
    ) -> bool {
        let tags: Vec<String> = tags.into_iter().chain([self.site_key.clone()]).collect();
        let listed = tags.join(" ");
        if listed.len() > TAG_HEADER_BYTES {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            return false;
        }
        let browser = match shared {
            Shared::Any => value(&format!(
                "public, max-age=0, s-maxage={}, stale-while-revalidate={}",
                ttl.as_secs(),
                swr.as_secs()
            )),
            Shared::PurgedOnly => HeaderValue::from_static("no-cache"),
        };
        headers.insert(header::CACHE_CONTROL, browser);
        let cdn = value(&format!(
            "max-age={}, stale-while-revalidate={}",
            self.max_age.unwrap_or(ttl).as_secs(),
            swr.as_secs()
        ));
        headers.insert(SURROGATE_CONTROL, cdn.clone());
        headers.insert(CDN_CACHE_CONTROL, cdn);
        headers.insert(SURROGATE_KEY, value(&listed));
        headers.insert(CACHE_TAG, value(&tags.join(",")));
        true
    }
}

pub(crate) fn cached(
    entry: &Entry,
    outcome: Outcome,
    request: &HeaderMap,
    swr: Duration,
    surrogates: &Surrogates,
) -> Response {
    let mut headers = HeaderMap::new();
    let tags = entry.rendered.tags.iter().map(|tag| header_tag(tag));
    if !surrogates.apply(&mut headers, tags, Shared::Any, entry.revalidate, swr) {
        tracing::warn!(
            tags = entry.rendered.tags.len(),
            "a page's tags do not fit a CDN's header: no shared cache may keep it"
        );
    }
    headers.insert(header::ETAG, value(&entry.etag));
    headers.insert(X_CACHE, HeaderValue::from_static(outcome.as_str()));
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
pub(crate) fn uncached(status: StatusCode, html: String) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cdn_gets_its_own_ttl_and_every_tag_with_the_site_key() {
        let surrogates = Surrogates {
            site_key: "site".into(),
            max_age: Some(Duration::from_secs(3600)),
        };
        let mut headers = HeaderMap::new();
        let stored = surrogates.apply(
            &mut headers,
            ["property:1".to_owned(), "properties".to_owned()],
            Shared::Any,
            Duration::from_secs(60),
            Duration::from_secs(30),
        );
        assert!(stored);
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=0, s-maxage=60, stale-while-revalidate=30"
        );
        assert_eq!(
            headers[SURROGATE_CONTROL],
            "max-age=3600, stale-while-revalidate=30"
        );
        assert_eq!(headers[CDN_CACHE_CONTROL], headers[SURROGATE_CONTROL]);
        assert_eq!(headers[SURROGATE_KEY], "property:1 properties site");
        assert_eq!(headers[CACHE_TAG], "property:1,properties,site");
    }

    #[test]
    fn tags_past_a_cdns_header_limit_make_the_answer_unstorable() {
        let many = (0..2000).map(|n| format!("property:{n:05}"));
        let mut headers = HeaderMap::new();
        let stored = Surrogates::default().apply(
            &mut headers,
            many,
            Shared::Any,
            Duration::from_secs(60),
            Duration::ZERO,
        );
        assert!(!stored);
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert!(!headers.contains_key(SURROGATE_KEY));
        assert!(!headers.contains_key(SURROGATE_CONTROL));
    }

    #[test]
    fn an_answer_only_purged_cdns_may_keep_is_no_cache_for_the_rest() {
        let mut headers = HeaderMap::new();
        Surrogates::default().apply(
            &mut headers,
            ["ns:x".to_owned()],
            Shared::PurgedOnly,
            Duration::from_secs(600),
            Duration::ZERO,
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert_eq!(
            headers[SURROGATE_CONTROL],
            "max-age=600, stale-while-revalidate=0"
        );
    }
}
