//! Security headers on every response, whatever produced it (pages, the API, `/media/`, the
//! errors of the tower layers).

use axum::extract::{Request, State};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use strata_web::http::{Shared, Surrogates};

use crate::cdn::{api_key_tag, api_namespace_tag};

/// The public site: its own scripts, styles and images only. No inline script runs; the
/// JSON-LD blocks (`<script type="application/ld+json">`) are data, which CSP does not execute.
const SITE_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The admin SPA (served under `/admin/`): its bundle and its calls to this origin's API only.
const ADMIN_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; \
base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The API docs page (`/api/docs/`): Scalar's bundle is served from the binary and it fetches
/// the document and tries requests on this origin only; it styles itself inline.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data: blob:; \
connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
frame-ancestors 'none'";

/// Uploaded files: shown, never run — even a file a browser would sniff as HTML gets no
/// script, no plugin and an opaque origin.
const MEDIA_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; \
sandbox; frame-ancestors 'none'";

/// The policy for a path.
fn policy(path: &str) -> &'static str {
    if path == "/admin" || path.starts_with("/admin/") {
        ADMIN_POLICY
    } else if path.starts_with("/api/docs") {
        DOCS_POLICY
    } else if path.starts_with("/media/") {
        MEDIA_POLICY
    } else {
        SITE_POLICY
    }
}

/// HSTS on an HTTPS site: a year, this host only (`includeSubDomains` would bind every other
/// service of the domain, which this server cannot vouch for).
const HSTS: &str = "max-age=31536000";

/// Whether the site is HTTPS (`web.site_url`): then browsers are told to use nothing else.
#[derive(Clone, Copy, Debug)]
pub struct Https(pub bool);

/// What may store the API's answers, unless a handler said otherwise (`/api/docs/` assets).
///
/// - Anything that needs a session, a token or a secret (the admin API, `/api/auth/…`,
///   `/api/revalidate`): `private, no-store` — no shared cache, nor the browser's disk, keeps it.
/// - Public data: `no-cache` — a shared cache may keep a copy but must ask this server before
///   every use, so no cache in front serves a list or detail an invalidation has since
///   replaced. [`purgeable`] lets the CDNs that are purged keep it (`Surrogate-Control`).
fn api_cache_control(path: &str) -> Option<&'static str> {
    let private = ["/api/admin/", "/api/auth/", "/api/revalidate"];
    if private.iter().any(|prefix| path.starts_with(prefix)) {
        Some("private, no-store")
    } else if path.starts_with("/api/") {
        Some("no-cache")
    } else {
        None
    }
}

/// What [`purgeable`] needs: `None` when no CDN is purged (answers stay `no-cache` for all).
#[derive(Clone)]
pub struct PurgedCdn(pub Option<Surrogates>);

/// Public API answers a purged CDN may keep: a `GET` with no credentials whose data all came
/// through the data cache (`strata_cache::reads`) is tagged with the entries it read, which are
/// what an invalidation names and so what a commit's purge names (`crate::cdn::purge_tags`).
/// An answer that read nothing cached cannot be purged, and stays `no-cache`.
pub async fn purgeable(State(cdn): State<PurgedCdn>, request: Request, next: Next) -> Response {
    let Some(surrogates) = cdn.0 else {
        return next.run(request).await;
    };
    let anonymous_read = matches!(request.method(), &Method::GET | &Method::HEAD)
        && !request.headers().contains_key(header::AUTHORIZATION)
        && api_cache_control(request.uri().path()) == Some("no-cache");
    if !anonymous_read {
        return next.run(request).await;
    }
    let (mut response, reads) = strata_cache::reads::recording(next.run(request)).await;
    let storable = matches!(response.status(), StatusCode::OK | StatusCode::NOT_FOUND)
        && !reads.is_empty()
        && !response.headers().contains_key(header::CACHE_CONTROL);
    if storable {
        let tags = reads
            .namespaces
            .iter()
            .map(|ns| api_namespace_tag(ns))
            .chain(reads.keys.iter().map(|key| api_key_tag(key)));
        let ttl = surrogates.max_age.unwrap_or_default();
        surrogates.apply(
            response.headers_mut(),
            tags,
            Shared::PurgedOnly,
            ttl,
            Duration::ZERO,
        );
    }
    response
}

/// Adds the headers; one a handler set itself (a page with its own policy) is kept.
pub async fn security_headers(
    State(https): State<Https>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let policy = policy(path);
    let cache_control = api_cache_control(path);
    let mut response = next.run(request).await;
    add(response.headers_mut(), policy, https);
    if let Some(value) = cache_control {
        response
            .headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

fn add(headers: &mut HeaderMap, policy: &'static str, Https(https): Https) {
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::CONTENT_SECURITY_POLICY, policy),
    ];
    let hsts = https.then_some((header::STRICT_TRANSPORT_SECURITY, HSTS));
    for (name, value) in defaults.into_iter().chain(hsts) {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_of_the_site_gets_its_policy() {
        assert_eq!(policy("/"), SITE_POLICY);
        assert_eq!(policy("/en/properties/"), SITE_POLICY);
        assert_eq!(policy("/api/properties/"), SITE_POLICY);
        assert_eq!(policy("/admin/"), ADMIN_POLICY);
        assert_eq!(policy("/admin/properties/1"), ADMIN_POLICY);
        assert_eq!(policy("/administrator"), SITE_POLICY);
        assert_eq!(policy("/api/docs/"), DOCS_POLICY);
        assert_eq!(policy("/media/a.png"), MEDIA_POLICY);
        for policy in [SITE_POLICY, ADMIN_POLICY, DOCS_POLICY, MEDIA_POLICY] {
            assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
            assert!(!policy.contains("script-src 'unsafe-inline'"), "{policy}");
            // Nothing from another origin: the site, the admin and the docs work offline.
            assert!(!policy.contains("http"), "{policy}");
        }
    }

    #[test]
    fn api_answers_say_who_may_store_them() {
        assert_eq!(api_cache_control("/api/properties/"), Some("no-cache"));
        assert_eq!(api_cache_control("/api/no/such/"), Some("no-cache"));
        for private in [
            "/api/admin/tags/",
            "/api/auth/me",
            "/api/auth/login",
            "/api/revalidate",
        ] {
            assert_eq!(
                api_cache_control(private),
                Some("private, no-store"),
                "{private}"
            );
        }
        assert_eq!(
            api_cache_control("/properties/"),
            None,
            "pages set their own"
        );
        assert_eq!(api_cache_control("/admin/"), None);
    }

    #[test]
    fn a_handlers_own_header_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'"),
        );
        add(&mut headers, SITE_POLICY, Https(false));
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
        add(&mut headers, SITE_POLICY, Https(true));
        assert_eq!(headers[header::STRICT_TRANSPORT_SECURITY], HSTS);
    }
}
