//! A small JSON client for the API, as a DRF client would use it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Client, Method, RequestBuilder};
use serde_json::Value;

use super::Server;

pub struct Api {
    base: String,
    client: Client,
    token: Option<String>,
}

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

impl Api {
    pub fn new(server: &Server, token: Option<&str>) -> Api {
        Api::at(server.url(""), token)
    }

    /// A client of the server at `base` (`http://127.0.0.1:port`).
    pub fn at(base: String, token: Option<&str>) -> Api {
        Api {
            base,
            client: Client::new(),
            token: token.map(str::to_owned),
        }
    }

    /// The same server and credentials, through a client that gives up after `timeout` (and
    /// closes its connection, as a browser tab that is closed would).
    pub fn impatient(&self, timeout: std::time::Duration) -> Api {
        Api {
            base: self.base.clone(),
            client: Client::builder().timeout(timeout).build().unwrap(),
            token: self.token.clone(),
        }
    }

    /// The page at `path` as HTML.
    pub async fn html(&self, path: &str) -> String {
        let response = self.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.header("Authorization", format!("Token {token}")),
            None => builder,
        }
    }

    pub async fn send(builder: RequestBuilder) -> (u16, Value) {
        let response = builder.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        Self::send(self.request(Method::GET, path)).await
    }

    /// GET that must succeed.
    pub async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn json(&self, method: Method, path: &str, body: Value) -> (u16, Value) {
        Self::send(self.request(method, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> u16 {
        Self::send(self.request(Method::DELETE, path)).await.0
    }

    pub async fn upload(&self, path: &str, bytes: &[u8], name: &str) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("alt", "front");
        Self::send(self.request(Method::POST, path).multipart(form)).await
    }
}
