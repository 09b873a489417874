//! The request's URL as list endpoints need it: query parameters (last value wins, as Django's
//! `QueryDict.get`) and absolute links to other pages.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use crate::error::ApiError;

#[derive(Clone, Debug)]
pub struct UrlQuery {
    /// `scheme://host/path`, as DRF's `build_absolute_uri` makes it.
    base: String,
    params: Vec<(String, String)>,
}

impl UrlQuery {
    pub fn new(base: impl Into<String>, params: Vec<(String, String)>) -> Self {
        UrlQuery {
            base: base.into(),
            params,
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated parameter (`?id=1&id=2`).
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter restricted to `choices` (an `ordering`, a `status` filter): absent or empty
    /// is `None`; anything else not listed is a 400 with django-filter's message.
    pub fn choice(
        &self,
        name: &str,
        choices: &[&'static str],
    ) -> Result<Option<&'static str>, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(value) => choices
                .iter()
                .find(|c| **c == value)
                .map(|c| Some(*c))
                .ok_or_else(|| {
                    ApiError::field(
                        name,
                        format!(
                            "Select a valid choice. {value} is not one of the available choices."
                        ),
                    )
                }),
        }
    }

    /// A trimmed free-text parameter (`q`, `search`); empty is `None`.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// This URL with `page` replaced, or removed for page 1 (DRF's links do the same).
    pub fn link_to_page(&self, page: u64) -> String {
        let mut params: Vec<(&str, String)> = self
            .params
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        if page > 1 {
            params.push(("page", page.to_string()));
        }
        if params.is_empty() {
            return self.base.clone();
        }
        let query = serde_urlencoded::to_string(&params).unwrap_or_default();
        format!("{}?{query}", self.base)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UrlQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(params) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::Parse(format!("Malformed query string: {e}")))?;
        crate::text::check_params(&params)?;
        let origin = parts
            .extensions
            .get::<PublicOrigin>()
            .map_or(PublicOrigin::UNSET, |origin| origin.0.as_ref());
        Ok(UrlQuery {
            base: format!("{origin}{}", parts.uri.path()),
            params,
        })
    }
}

/// The origin absolute links are built on (`web.site_url`, without a trailing slash), put in
/// every request's extensions by the server. Never the request's `Host` or `X-Forwarded-*`:
/// anyone can send those, and a link built from them (`https://evil.example/api/…?page=2`)
/// could be stored by a cache keyed on the path and served to everyone.
#[derive(Clone, Debug)]
pub struct PublicOrigin(pub std::sync::Arc<str>);

impl PublicOrigin {
    /// Without the server's extension (a router built by hand in a test).
    const UNSET: &'static str = "http://localhost";

    pub fn new(site_url: &str) -> Self {
        PublicOrigin(site_url.trim_end_matches('/').into())
    }
}
