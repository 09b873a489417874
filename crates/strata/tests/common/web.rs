//! Fetching pages as a browser or a CDN would.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use reqwest::header::HeaderMap;

use super::Server;

pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }

    /// `HIT`, `STALE` or `MISS`.
    pub fn cache(&self) -> &str {
        self.header("x-strata-cache")
    }
}

pub async fn get(server: &Server, path: &str) -> Page {
    get_with(server, path, &[]).await
}

pub async fn get_with(server: &Server, path: &str, headers: &[(&str, &str)]) -> Page {
    let mut request = reqwest::Client::new().get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

/// A page that must render (200).
pub async fn ok(server: &Server, path: &str) -> Page {
    let page = get(server, path).await;
    assert_eq!(page.status, 200, "GET {path}: {}", page.body);
    page
}
