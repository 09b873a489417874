//! The API docs UI at `/api/docs/`: Scalar, compiled into the binary (vendored by
//! `scripts/vendor-scalar`, see `crates/strata/assets/scalar/`), so the page works without
//! internet and under a `'self'`-only content security policy. The page is a static shell: the
//! bundle comes from this server at a versioned URL, the document from `/api/schema/`.

use std::future::ready;
use std::io::Read;
use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// The vendored Scalar version: part of the bundle's URL, so the bundle can be cached for a year
/// and an upgrade is a new URL.
const VERSION: &str = include_str!("../../../assets/scalar/VERSION").trim_ascii();

/// `dist/browser/standalone.js` of `@scalar/api-reference`, gzip-compressed: 1.4 MB in the binary
/// instead of 4.9 MB, and sent as it is to every client that accepts gzip.
const BUNDLE_GZ: &[u8] = include_bytes!("../../../assets/scalar/standalone.js.gz");

/// The page. The `api-reference` element is a data block (`type="application/json"`, never
/// run): Scalar reads its `data-url` and `data-configuration`, so the page has no inline script.
/// Fonts are the system's (`withDefaultFonts: false`: no font CDN); telemetry and Scalar's hosted
/// extras (developer toolbar, AI agent, MCP), which need scalar.com, are off.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strata API</title>
</head>
<body>
<script id="api-reference" type="application/json" data-url="/api/schema/"
  data-configuration='{"withDefaultFonts": false, "telemetry": false, "showDeveloperTools": "never",
    "agent": {"disabled": true}, "mcp": {"disabled": true}}'></script>
<script src="{bundle}"></script>
</body>
</html>
"#;

/// Where the bundle is served: `/api/docs/scalar-<version>.js`.
pub fn bundle_path() -> String {
    format!("/api/docs/scalar-{VERSION}.js")
}

pub fn routes() -> Router {
    let bundle = bundle_path();
    let page = Html(PAGE.replace("{bundle}", &bundle));
    Router::new()
        .route("/api/docs/", get(move || ready(page.clone())))
        .route(&bundle, get(serve_bundle))
}

async fn serve_bundle(request: HeaderMap) -> Response {
    let common = [
        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        (header::VARY, "accept-encoding"),
    ];
    if accepts_gzip(&request) {
        return (common, [(header::CONTENT_ENCODING, "gzip")], BUNDLE_GZ).into_response();
    }
    // A client that refuses gzip (rare: every browser accepts it) gets it decompressed, once
    // per process.
    static PLAIN: LazyLock<std::io::Result<Vec<u8>>> = LazyLock::new(|| {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(BUNDLE_GZ).read_to_end(&mut plain)?;
        Ok(plain)
    });
    match &*PLAIN {
        Ok(plain) => (common, plain.as_slice()).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "the vendored Scalar bundle does not decompress");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Whether `Accept-Encoding` allows gzip. Without the header any coding is acceptable
/// (RFC 9110 §12.5.3); with it, `gzip`, `x-gzip` or `*` must be listed with a weight above 0.
fn accepts_gzip(request: &HeaderMap) -> bool {
    let mut values = request.get_all(header::ACCEPT_ENCODING).iter().peekable();
    if values.peek().is_none() {
        return true;
    }
    values
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
            matches!(coding.as_str(), "gzip" | "x-gzip" | "*") && weight.is_some_and(|q| q > 0.0)
        })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn accept(values: &[&str]) -> bool {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
        }
        accepts_gzip(&headers)
    }

    #[test]
    fn gzip_is_sent_only_where_accepted() {
        assert!(accept(&[]));
        assert!(accept(&["gzip, deflate, br, zstd"]));
        assert!(accept(&["br;q=1.0, GZIP;q=0.5"]));
        assert!(accept(&["identity", "*"]));
        assert!(!accept(&["identity"]));
        assert!(!accept(&["br, gzip;q=0"]));
        assert!(!accept(&["gzip;q=zero"]));
        assert!(!accept(&[""]));
    }

    #[test]
    fn the_vendored_bundle_decompresses_to_scalar() {
        let mut plain = String::new();
        flate2::read::GzDecoder::new(BUNDLE_GZ)
            .read_to_string(&mut plain)
            .unwrap();
        assert!(plain.contains("api-reference"), "not Scalar's bundle");
        assert!(!VERSION.is_empty() && VERSION.bytes().all(|b| b.is_ascii_graphic()));
    }
}
