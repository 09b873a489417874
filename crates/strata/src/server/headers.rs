//! Security headers on every response, whatever produced it (pages, the API, `/media/`, the
//! errors of the tower layers).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

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

/// Adds the headers; one a handler set itself (a page with its own policy) is kept.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let policy = policy(request.uri().path());
    let mut response = next.run(request).await;
    add(response.headers_mut(), policy);
    response
}

fn add(headers: &mut HeaderMap, policy: &'static str) {
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::CONTENT_SECURITY_POLICY, policy),
    ];
    for (name, value) in defaults {
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
    fn a_handlers_own_header_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'"),
        );
        add(&mut headers, SITE_POLICY);
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    }
}
