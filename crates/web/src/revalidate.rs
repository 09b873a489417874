//! `POST /api/revalidate` `{"tag", "secret"}`: the Next.js on-demand revalidation route, so a
//! backend written for Next.js can call Strata (and Strata's outbox can call Next.js).
//! The tag is expired on every instance; nothing is forwarded to external targets.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use strata_api::ClientAddr;
use subtle::ConstantTimeEq;

use crate::Site;

const MAX_BODY: usize = 16 * 1024;
const MAX_TAG_LEN: usize = 256;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
struct Body {
    tag: Option<serde_json::Value>,
    secret: Option<String>,
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

pub async fn revalidate(State(site): State<Site>, request: Request) -> Response {
    // The client as every rate limit sees it: behind a trusted proxy, the forwarded address.
    let client = match ClientAddr::of(
        request.extensions(),
        request.headers(),
        &site.ctx.settings.trusted_proxies,
    ) {
        Ok(ClientAddr(ip)) => ip,
        Err(error) => return error.into_response(),
    };
    if let Some(retry_after) = site.limiter.check(client) {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "rate limited");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after.as_secs().max(1).into());
        return response;
    }
    let Ok(bytes) = to_bytes(request.into_body(), MAX_BODY).await else {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "body too large");
    };
    let Ok(body) = serde_json::from_slice::<Body>(&bytes) else {
        return error(StatusCode::BAD_REQUEST, "invalid JSON body");
    };
    let authorized = match (&site.settings.revalidate_secret, &body.secret) {
        (Some(expected), Some(given)) => same_secret(expected, given),
        _ => false,
    };
    if !authorized {
        metrics::counter!("strata_web_revalidate_requests_total", "outcome" => "unauthorized")
            .increment(1);
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let tag = match body.tag {
        Some(serde_json::Value::String(tag)) if !tag.is_empty() && tag.len() <= MAX_TAG_LEN => tag,
        _ => return error(StatusCode::BAD_REQUEST, "tag must be a non-empty string"),
    };
    site.revalidate(&BTreeSet::from([tag])).await;
    metrics::counter!("strata_web_revalidate_requests_total", "outcome" => "revalidated")
        .increment(1);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Json(json!({ "revalidated": true, "now": now })).into_response()
}

/// Compares digests, in constant time, so neither the secret's bytes nor its length leak.
fn same_secret(expected: &str, given: &str) -> bool {
    Sha256::digest(expected.as_bytes())
        .ct_eq(&Sha256::digest(given.as_bytes()))
        .into()
}

/// Most client addresses the limiter tracks at once (a few MB): past it, the least recently
/// seen lose their count, which only lets them start a new window early.
const MAX_CLIENTS: u64 = 65_536;

/// A fixed window per client address. Each address's window is a cache entry that lives one
/// window from its first request, so nothing is ever scanned to forget old ones; the cache
/// (LRU, so a new address is always admitted and counted) bounds how many are held.
pub struct Limiter {
    per_window: u32,
    clients: moka::sync::Cache<IpAddr, Arc<Window>>,
}

struct Window {
    start: Instant,
    used: AtomicU32,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Self {
        Limiter {
            per_window: per_minute,
            clients: moka::sync::Cache::builder()
                .max_capacity(MAX_CLIENTS)
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .time_to_live(WINDOW)
                .build(),
        }
    }

    /// `Some(wait)` when `ip` has used up its window.
    fn check(&self, ip: IpAddr) -> Option<Duration> {
        let window = self.clients.get_with(ip, || {
            Arc::new(Window {
                start: Instant::now(),
                used: AtomicU32::new(0),
            })
        });
        if window.used.fetch_add(1, Ordering::Relaxed) >= self.per_window {
            return Some(WINDOW.saturating_sub(window.start.elapsed()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;

    #[test]
    fn a_client_is_limited_to_its_window() {
        let limiter = Limiter::new(2);
        let ip = IpAddr::from([192, 0, 2, 1]);
        assert_eq!(limiter.check(ip), None);
        assert_eq!(limiter.check(ip), None);
        let wait = limiter.check(ip).unwrap();
        assert!(wait > Duration::ZERO && wait <= WINDOW);
        assert_eq!(limiter.check(IpAddr::from([192, 0, 2, 2])), None);
    }

    #[test]
    fn the_clients_held_stay_bounded() {
        let limiter = Limiter::new(1);
        for n in 0..(MAX_CLIENTS as u128 * 2) {
            limiter.check(IpAddr::V6(Ipv6Addr::from(n)));
        }
        limiter.clients.run_pending_tasks();
        assert!(limiter.clients.entry_count() <= MAX_CLIENTS);
        // The newest address is counted, not refused admission.
        let newest = IpAddr::V6(Ipv6Addr::from(MAX_CLIENTS as u128 * 2 - 1));
        assert!(limiter.check(newest).is_some());
    }
}
