//! `/admin/`: the admin SPA's build (`admin/`, built by Vite), served from a directory
//! (`admin_dir`, default `./admin/dist`). Hashed bundles under `/admin/assets/` are cached for a
//! year; every other path under `/admin/` is a route of the SPA and gets `index.html`, never
//! cached, so a new build is picked up on the next navigation. Without a build, a page says how
//! to make one: a Rust-only build still serves something useful, never a 404.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::media;

/// The command that makes the build, shown on the page served while it is missing.
pub const BUILD_COMMAND: &str = "npm --prefix admin ci && npm --prefix admin run build";

/// `/admin/`, its SPA routes and `/admin/assets/`.
pub fn routes(dir: &Path) -> Router {
    let index = Arc::new(dir.join("index.html"));
    Router::new()
        .route("/admin/", get(index_page))
        .route("/admin/{*route}", get(index_page))
        .with_state(index)
        // Vite names every bundle by its content hash: what a name serves never changes.
        .nest_service("/admin/assets", media::files(&dir.join("assets")))
}

/// Whether `dir` holds a build (`serve` says how to make one when it does not).
pub fn is_built(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}

/// `serve --demo` on a fresh checkout: builds the admin once when its build is missing, the
/// project is beside it (`<admin_dir>/../package.json`) and npm is on the PATH, so the README's
/// run command gives a working admin. Anything else — no npm, a failed build — only logs and
/// leaves the page that says how to build it; the server starts either way.
pub async fn build_for_demo(dir: &Path) {
    let Some(project) = dir.parent().filter(|p| p.join("package.json").is_file()) else {
        return;
    };
    if is_built(dir) {
        return;
    }
    tracing::info!(project = %project.display(), "building the admin once (npm ci, npm run build)");
    let project = project.to_path_buf();
    // std's process API on a blocking thread: tokio's needs a feature nothing else uses.
    let built = tokio::task::spawn_blocking(move || {
        for args in [
            &["ci", "--no-audit", "--no-fund"][..],
            &["run", "build"][..],
        ] {
            let status = std::process::Command::new("npm")
                .args(args)
                .current_dir(&project)
                .stdin(std::process::Stdio::null())
                // stdout is the server's announcement, which scripts read.
                .stdout(std::io::stderr())
                .status()
                .map_err(|error| format!("cannot run npm: {error}"))?;
            if !status.success() {
                return Err(format!("npm {} failed ({status})", args.join(" ")));
            }
        }
        Ok(())
    })
    .await;
    match built {
        Ok(Ok(())) => tracing::info!("the admin is built"),
        Ok(Err(why)) => tracing::warn!("{why}; /admin/ says how to build it"),
        Err(error) => tracing::warn!("the admin build did not finish: {error}"),
    }
}

/// `index.html`, read per request (a rebuild needs no restart; the file is a few hundred bytes).
async fn index_page(State(index): State<Arc<PathBuf>>) -> Response {
    let (status, body) = match tokio::fs::read(index.as_path()).await {
        Ok(html) => (StatusCode::OK, html),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            (StatusCode::OK, missing_build(&index).into_bytes())
        }
        Err(error) => {
            tracing::error!(path = %index.display(), "cannot read the admin build: {error}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                b"The admin build could not be read; see the server log.".to_vec(),
            )
        }
    };
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

fn missing_build(index: &Path) -> String {
    let dir = index.parent().unwrap_or(index).display().to_string();
    let dir = html_escape(&dir);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Strata admin: not built</title></head><body>\
         <h1>The admin is not built yet</h1>\
         <p>Strata serves the admin SPA from <code>{dir}</code>, which has no \
         <code>index.html</code>. From the repository, run:</p>\
         <pre>{BUILD_COMMAND}</pre>\
         <p>then reload this page (no restart needed). Another directory can be set with \
         <code>STRATA_ADMIN_DIR</code> or <code>admin_dir</code> in <code>strata.toml</code>.</p>\
         </body></html>\n"
    )
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn get(router: &Router, path: &str) -> (StatusCode, Option<String>, String) {
        let response = router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let cache = response
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, cache, String::from_utf8_lossy(&body).into_owned())
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("strata-admin-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn serves_the_build_with_spa_fallback_and_immutable_assets() {
        let dir = tempdir("built");
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><div id=root>").unwrap();
        std::fs::write(dir.join("assets/index-abc123.js"), "console.log(1)").unwrap();
        let router = routes(&dir);

        for path in ["/admin/", "/admin/properties/12/edit"] {
            let (status, cache, body) = get(&router, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(cache.as_deref(), Some("no-cache"), "{path}");
            assert!(body.contains("id=root"), "{path}: {body}");
        }
        let (status, cache, body) = get(&router, "/admin/assets/index-abc123.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            cache.as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(body, "console.log(1)");
        // A missing bundle is a 404, not index.html (a stale tab must not run HTML as script).
        let (status, cache, _) = get(&router, "/admin/assets/index-gone.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(cache, None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_missing_build_is_a_page_that_says_how_to_build_it() {
        let dir = tempdir("missing").join("dist");
        assert!(!is_built(&dir));
        let router = routes(&dir);
        for path in ["/admin/", "/admin/properties/"] {
            let (status, cache, body) = get(&router, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(cache.as_deref(), Some("no-cache"));
            assert!(body.contains(BUILD_COMMAND), "{body}");
        }
    }

    /// `admin/openapi.json` is what `npm --prefix admin run gen:api` generates the admin's types
    /// from: it must be the served document, so a server change that breaks the admin fails the
    /// admin's typecheck. `STRATA_WRITE_ADMIN_SCHEMA=1` rewrites it (scripts/test does, before
    /// the typecheck).
    #[test]
    fn the_admin_schema_is_the_served_document() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../admin/openapi.json");
        let document = serde_json::to_value(crate::server::openapi_document()).unwrap();
        let mut served = serde_json::to_string_pretty(&document).unwrap();
        served.push('\n');
        if std::env::var("STRATA_WRITE_ADMIN_SCHEMA").as_deref() == Ok("1") {
            std::fs::write(&path, &served).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == served,
            "admin/openapi.json is not the served document: run `npm --prefix admin run schema` \
             (rewrites it and regenerates the admin's types), then fix what \
             `npm --prefix admin run typecheck` reports"
        );
    }
}
