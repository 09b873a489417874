//! The three kinds of cache Strata purges and how each is asked: Varnish (`xkey` vmod, one
//! `PURGE` per node), Fastly (surrogate keys, 256 per call) and Cloudflare (cache tags, 100 per
//! call, rate-limited per account).

use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use serde_json::json;

use super::rate::Rate;

/// One purge request's timeout.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// A 429 without a readable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Varnish reads request headers up to `http_req_hdr_len` (8 KiB by default); the keys of one
/// `PURGE` stay well inside it.
const VARNISH_HEADER_BYTES: usize = 6 * 1024;

#[derive(Clone, Debug)]
pub enum Vendor {
    Varnish {
        /// Every node's base URL: a purge goes to each.
        nodes: Vec<String>,
        soft: bool,
    },
    Fastly {
        api: String,
        service_id: String,
        token: Secret,
        soft: bool,
    },
    Cloudflare {
        api: String,
        zone_id: String,
        token: Secret,
    },
}

/// An API token: never in a log line or a `Debug` dump.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// A configured provider.
#[derive(Clone, Debug)]
pub struct Provider {
    pub vendor: Vendor,
    /// Requests allowed per period, across every instance; `None`: as fast as it answers.
    pub rate: Option<Rate>,
}

/// Why a purge request did not purge.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("answered 429; retry after {0:?}")]
    RateLimited(Duration),
    #[error("{0}")]
    Unreachable(#[from] reqwest::Error),
    #[error("answered {status}: {body}")]
    Refused { status: StatusCode, body: String },
    /// The token was refused: retrying cannot help until an operator fixes it.
    #[error("refused the credentials ({status}): {body}")]
    Unauthorized { status: StatusCode, body: String },
}

impl Provider {
    /// The name in metrics, rows and logs.
    pub fn name(&self) -> &'static str {
        match self.vendor {
            Vendor::Varnish { .. } => "varnish",
            Vendor::Fastly { .. } => "fastly",
            Vendor::Cloudflare { .. } => "cloudflare",
        }
    }

    /// The most keys one request may carry (the provider's documented limit).
    pub fn max_keys(&self) -> usize {
        match self.vendor {
            Vendor::Varnish { .. } => 256,
            Vendor::Fastly { .. } => 256,
            Vendor::Cloudflare { .. } => 100,
        }
    }

    /// Purges `keys` (at most [`max_keys`](Self::max_keys)).
    pub async fn purge(&self, client: &reqwest::Client, keys: &[String]) -> Result<(), PurgeError> {
        match &self.vendor {
            Vendor::Varnish { nodes, soft } => {
                let header = if *soft {
                    "xkey-softpurge"
                } else {
                    "xkey-purge"
                };
                // Every node must have purged: a node that failed is purged again with the rest
                // (purging twice is harmless), and one node down does not spare the others.
                let mut failed = None;
                for keys in header_sized(keys) {
                    for node in nodes {
                        let request = client
                            .request(purge_method(), format!("{}/", node.trim_end_matches('/')))
                            .header(header, &keys);
                        if let Err(error) = send(request).await {
                            failed.get_or_insert(error);
                        }
                    }
                }
                if let Some(error) = failed {
                    return Err(error);
                }
                Ok(())
            }
            Vendor::Fastly {
                api,
                service_id,
                token,
                soft,
            } => {
                let mut request = client
                    .post(format!(
                        "{}/service/{service_id}/purge",
                        api.trim_end_matches('/')
                    ))
                    .header("fastly-key", &token.0)
                    .header(header::ACCEPT, "application/json")
                    .json(&json!({ "surrogate_keys": keys }));
                if *soft {
                    request = request.header("fastly-soft-purge", "1");
                }
                send(request).await
            }
            Vendor::Cloudflare {
                api,
                zone_id,
                token,
            } => {
                let request = client
                    .post(format!(
                        "{}/zones/{zone_id}/purge_cache",
                        api.trim_end_matches('/')
                    ))
                    .bearer_auth(&token.0)
                    .json(&json!({ "tags": keys }));
                send(request).await
            }
        }
    }
}

/// `keys` space-joined into header values Varnish reads whole.
fn header_sized(keys: &[String]) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for key in keys {
        match values.last_mut() {
            Some(value) if value.len() + 1 + key.len() <= VARNISH_HEADER_BYTES => {
                value.push(' ');
                value.push_str(key);
            }
            _ => values.push(key.clone()),
        }
    }
    values
}

fn purge_method() -> Method {
    Method::from_bytes(b"PURGE").unwrap_or(Method::POST)
}

async fn send(request: reqwest::RequestBuilder) -> Result<(), PurgeError> {
    let response = request.timeout(TIMEOUT).send().await?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(PurgeError::RateLimited(retry_after(response.headers())));
    }
    let body: String = response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        Err(PurgeError::Unauthorized { status, body })
    } else {
        Err(PurgeError::Refused { status, body })
    }
}

/// `Retry-After` in seconds (what Cloudflare and Fastly send); a date or nothing: a minute.
fn retry_after(headers: &header::HeaderMap) -> Duration {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varnish_keys_are_split_to_fit_its_header() {
        let keys: Vec<String> = (0..256).map(|n| format!("{n:040}")).collect();
        let values = header_sized(&keys);
        assert_eq!(values.len(), 2);
        assert!(
            values
                .iter()
                .all(|value| value.len() <= VARNISH_HEADER_BYTES)
        );
        let back: Vec<&str> = values.iter().flat_map(|value| value.split(' ')).collect();
        assert_eq!(back, keys.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(header_sized(&["p:1".into(), "p:2".into()]), ["p:1 p:2"]);
        // A key longer than the header still goes, alone (Varnish refuses it; it is retried).
        assert_eq!(header_sized(&["x".repeat(9000)]).len(), 1);
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut headers = header::HeaderMap::new();
        assert_eq!(retry_after(&headers), DEFAULT_RETRY_AFTER);
        headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Duration::from_secs(7));
    }
}
