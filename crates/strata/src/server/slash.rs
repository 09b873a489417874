//! Django's `APPEND_SLASH` for the router's fallback: a path without its trailing slash whose
//! slashed form is routed is redirected there (GET and HEAD: 301, query kept), or, for other
//! methods — whose body a redirect would lose — answered with a 404 that says to add it.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower::Service;

/// The application's routes without fallback or layers, asked whether a path is routed.
#[derive(Clone)]
pub struct Routes(Router);

impl Routes {
    pub fn new(routes: Router) -> Self {
        Routes(routes)
    }

    /// What to answer instead of a plain 404 for `method uri`, if its path lacks only the
    /// slash.
    pub async fn append_slash(&self, method: &Method, uri: &Uri) -> Option<Response> {
        let slashed = slashed(uri.path())?;
        if !self.routes(&slashed).await {
            return None;
        }
        if method == Method::GET || method == Method::HEAD {
            let location = match uri.query() {
                Some(query) => format!("{slashed}?{query}"),
                None => slashed,
            };
            let location = HeaderValue::from_str(&location).ok()?;
            return Some(
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, location)],
                )
                    .into_response(),
            );
        }
        // Only the API's clients get DRF's JSON; a form posted to the site gets its 404 page.
        uri.path().starts_with("/api/").then(|| {
            let detail = format!(
                "Not found. This URL needs a trailing slash: {method} {slashed} (a redirect \
                 cannot keep the request's body)."
            );
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({ "detail": detail })),
            )
                .into_response()
        })
    }

    /// Whether any route matches `path`, found without running a handler: an `OPTIONS`
    /// request, which no route serves, is a 405 (or a guard's 401) on a routed path and a 404
    /// anywhere else.
    async fn routes(&self, path: &str) -> bool {
        let Ok(probe) = Request::builder()
            .method(Method::OPTIONS)
            .uri(path)
            .body(Body::empty())
        else {
            return false;
        };
        let mut router = self.0.clone();
        let Ok(()) =
            std::future::poll_fn(|cx| Service::<Request>::poll_ready(&mut router, cx)).await;
        let Ok(response) = router.call(probe).await;
        response.status() != StatusCode::NOT_FOUND
    }
}

/// `path` with a trailing slash, if it may get one: not already ending with one, not a media
/// file (files have no slashed form), and not starting with `//` or `/\`, which a browser
/// would read in `Location` as another host (Django's `escape_leading_slashes`).
fn slashed(path: &str) -> Option<String> {
    let open_redirect = path.starts_with("//") || path.starts_with("/\\");
    if path.ends_with('/') || path.starts_with("/media/") || open_redirect {
        return None;
    }
    Some(format!("{path}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_get_a_slash() {
        assert_eq!(
            slashed("/api/properties").as_deref(),
            Some("/api/properties/")
        );
        assert_eq!(slashed("/api/properties/"), None);
        assert_eq!(slashed("/media/images/a.png"), None);
        assert_eq!(slashed("//evil.example"), None);
        assert_eq!(slashed("/\\evil.example"), None);
    }
}
