//! A `NEXTJS_URL` entry and the URL the outbox posts to.
//!
//! The original stack's `notify_nextjs_revalidate` reads `NEXTJS_URL` as the front end's base URL
//! and appends `/api/revalidate`; earlier Strata releases documented the full endpoint instead.
//! Both forms are accepted, so a deployment shared with the Django stack works unchanged and one
//! configured for an earlier Strata keeps working.

use reqwest::Url;

/// The Next.js route of the cache policy, under the front end's base URL.
const REVALIDATE_PATH: &str = "/api/revalidate";

/// How an entry was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `https://front.example` (the original stack's meaning): the route is appended.
    Base,
    /// `https://front.example/api/revalidate`: used as is.
    Endpoint,
}

/// One external front end: the entry as configured and where its revalidations go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The entry as read from the configuration.
    pub configured: String,
    pub form: Form,
    /// The URL posted to.
    pub endpoint: String,
}

/// Why an entry is not a front end's URL.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("`{0}` is not an http(s) URL")]
    NotHttp(String),
    #[error("`{0}` has a query or fragment; give the front end's base URL")]
    QueryOrFragment(String),
}

impl Target {
    pub fn parse(entry: &str) -> Result<Target, TargetError> {
        let url = Url::parse(entry).map_err(|_| TargetError::NotHttp(entry.to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(TargetError::NotHttp(entry.to_owned()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(TargetError::QueryOrFragment(entry.to_owned()));
        }
        let path = url.path().trim_end_matches('/');
        let (form, endpoint) = if path.ends_with(REVALIDATE_PATH) {
            (Form::Endpoint, entry.to_owned())
        } else {
            // Django concatenates `f"{NEXTJS_URL}/api/revalidate"`; a trailing slash on the base
            // would make that `//api/…`, which Next.js does not route, so it is dropped.
            let base = entry.trim_end_matches('/');
            (Form::Base, format!("{base}{REVALIDATE_PATH}"))
        };
        Ok(Target {
            configured: entry.to_owned(),
            form,
            endpoint,
        })
    }

    /// The start-up line saying which form was read.
    pub fn log(&self) {
        match self.form {
            Form::Base => tracing::info!(
                configured = self.configured,
                url = self.endpoint,
                "NEXTJS_URL entry read as a front end's base URL; revalidations are posted to \
                 <base>{REVALIDATE_PATH}"
            ),
            Form::Endpoint => tracing::info!(
                configured = self.configured,
                url = self.endpoint,
                "NEXTJS_URL entry read as the revalidate endpoint itself; used as is"
            ),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn endpoint(entry: &str) -> (Form, String) {
        let target = Target::parse(entry).unwrap();
        assert_eq!(target.configured, entry);
        (target.form, target.endpoint)
    }

    #[test]
    fn a_base_url_gets_the_route_appended() {
        for (entry, want) in [
            (
                "http://127.0.0.1:8802",
                "http://127.0.0.1:8802/api/revalidate",
            ),
            (
                "http://127.0.0.1:8802/",
                "http://127.0.0.1:8802/api/revalidate",
            ),
            (
                "https://front.example",
                "https://front.example/api/revalidate",
            ),
            // A front end mounted under a prefix (Next's `basePath`).
            (
                "https://example.com/shop/",
                "https://example.com/shop/api/revalidate",
            ),
            // Only the exact route counts as the endpoint form.
            (
                "https://example.com/api",
                "https://example.com/api/api/revalidate",
            ),
        ] {
            assert_eq!(endpoint(entry), (Form::Base, want.to_owned()), "{entry}");
        }
    }

    #[test]
    fn the_full_endpoint_is_used_as_is() {
        for entry in [
            "http://127.0.0.1:8802/api/revalidate",
            "http://127.0.0.1:8802/api/revalidate/",
            "https://example.com/shop/api/revalidate",
        ] {
            assert_eq!(
                endpoint(entry),
                (Form::Endpoint, entry.to_owned()),
                "{entry}"
            );
        }
    }

    #[test]
    fn anything_but_an_http_url_is_refused() {
        for entry in [
            "front.example",
            "127.0.0.1:3000",
            "ftp://front.example",
            "http://",
            "file:///api/revalidate",
        ] {
            assert_eq!(
                Target::parse(entry),
                Err(TargetError::NotHttp(entry.to_owned())),
                "{entry}"
            );
        }
        for entry in ["http://a/?x=1", "http://a/api/revalidate#top"] {
            assert_eq!(
                Target::parse(entry),
                Err(TargetError::QueryOrFragment(entry.to_owned())),
                "{entry}"
            );
        }
    }
}
