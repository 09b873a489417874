//! Django's CSRF origin check (`CsrfViewMiddleware`, with `CSRF_TRUSTED_ORIGINS` being the
//! site's own origin): a cookie-authenticated unsafe request must come from a page of this
//! site. The CSRF token says the page could read the cookie; the origin says the browser was
//! on this site when it sent the request.

use axum::http::header;
use axum::http::request::Parts;
use strata_api::ApiError;

/// Checks `Origin` — or, on an HTTPS site, `Referer` when `Origin` is absent — against
/// `site_origin` (`https://example.com`, as `web.site_url` gives it) and against the origin the
/// request itself names (the site's scheme with the `Host` header, Django's "good origin").
/// Call it for unsafe methods on cookie-authenticated requests (and on login); token clients
/// need no origin.
///
/// As in Django, a plain-HTTP site accepts a request with neither header (old clients and
/// privacy proxies strip `Referer`); an HTTPS site requires one of them.
pub fn check_origin(parts: &Parts, site_origin: &str) -> Result<(), ApiError> {
    let Some(site) = Origin::parse(site_origin) else {
        return Err(ApiError::internal(format!(
            "the site origin {site_origin:?} is not an http(s) origin"
        )));
    };
    let host_origin = parts
        .headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| Origin::parse(&format!("{}://{host}", site.scheme)));
    let trusted = |origin: &Origin| *origin == site || host_origin.as_ref() == Some(origin);

    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        return match origin.to_str().ok().and_then(Origin::parse) {
            Some(origin) if trusted(&origin) => Ok(()),
            _ => Err(ApiError::CsrfFailed(
                "Origin checking failed - the origin does not match any trusted origins.",
            )),
        };
    }
    if site.scheme != "https" {
        return Ok(());
    }
    let referer = parts
        .headers
        .get(header::REFERER)
        .ok_or(ApiError::CsrfFailed(
            "Referer checking failed - no Referer.",
        ))?;
    let referer = referer
        .to_str()
        .ok()
        .and_then(Origin::parse)
        .ok_or(ApiError::CsrfFailed(
            "Referer checking failed - Referer is malformed.",
        ))?;
    if referer.scheme != "https" {
        return Err(ApiError::CsrfFailed(
            "Referer checking failed - Referer is insecure while host is secure.",
        ));
    }
    if trusted(&referer) {
        Ok(())
    } else {
        Err(ApiError::CsrfFailed(
            "Referer checking failed - Referer does not match any trusted origins.",
        ))
    }
}

/// The `scheme://host[:port]` of a URL, lowercased, without a default port.
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: &'static str,
    authority: String,
}

impl Origin {
    fn parse(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.split_once("://")?;
        let (scheme, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "http" => ("http", ":80"),
            "https" => ("https", ":443"),
            _ => return None,
        };
        let authority = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut authority = authority;
        if let Some(len) = authority.strip_suffix(default_port).map(str::len) {
            authority.truncate(len);
        }
        let valid = !authority.is_empty()
            && !authority.starts_with(':')
            && authority
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        valid.then_some(Origin { scheme, authority })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::http::{Method, Request, StatusCode};

    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut builder = Request::builder().method(Method::POST).uri("/api/x/");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn refused(result: Result<(), ApiError>) -> String {
        let err = result.unwrap_err();
        assert_eq!(err.status(), StatusCode::FORBIDDEN);
        err.to_string()
    }

    const SITE: &str = "https://example.com";

    #[test]
    fn the_sites_own_origin_is_accepted() {
        check_origin(&parts(&[("origin", "https://example.com")]), SITE).unwrap();
        check_origin(&parts(&[("origin", "HTTPS://Example.com:443")]), SITE).unwrap();
        check_origin(
            &parts(&[("origin", "https://example.com")]),
            "https://example.com/",
        )
        .unwrap();
    }

    #[test]
    fn another_origin_is_refused_even_with_a_good_referer() {
        for origin in [
            "https://evil.example",
            "http://example.com",
            "https://example.com:8443",
            "https://example.com.evil.example",
            "null",
            "",
        ] {
            let text = refused(check_origin(
                &parts(&[
                    ("origin", origin),
                    ("referer", "https://example.com/admin/"),
                ]),
                SITE,
            ));
            assert!(
                text.starts_with("CSRF Failed: Origin checking failed"),
                "{origin}: {text}"
            );
        }
    }

    #[test]
    fn the_requests_own_host_is_a_trusted_origin() {
        let request = parts(&[
            ("host", "localhost:8000"),
            ("origin", "http://localhost:8000"),
        ]);
        check_origin(&request, "http://127.0.0.1:8000").unwrap();
        // The scheme is the site's: an http page cannot post to an https site's host.
        let request = parts(&[("host", "example.org"), ("origin", "http://example.org")]);
        refused(check_origin(&request, SITE));
    }

    #[test]
    fn an_https_site_needs_a_same_origin_referer_when_origin_is_absent() {
        check_origin(
            &parts(&[("referer", "https://example.com/admin/x?y#z")]),
            SITE,
        )
        .unwrap();
        let cases = [
            (vec![], "no Referer"),
            (vec![("referer", "not a url")], "Referer is malformed"),
            (
                vec![("referer", "http://example.com/")],
                "Referer is insecure",
            ),
            (vec![("referer", "https://evil.example/")], "does not match"),
        ];
        for (headers, needle) in cases {
            let text = refused(check_origin(&parts(&headers), SITE));
            assert!(text.contains(needle), "{text}");
        }
    }

    #[test]
    fn a_plain_http_site_accepts_a_request_without_either_header() {
        check_origin(&parts(&[]), "http://127.0.0.1:8000").unwrap();
        refused(check_origin(
            &parts(&[("origin", "http://evil.example")]),
            "http://127.0.0.1:8000",
        ));
    }
}
