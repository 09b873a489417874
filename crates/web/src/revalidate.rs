//! `POST /api/revalidate` `{"tag", "secret"}`: the Next.js on-demand revalidation route, so a
//! backend written for Next.js can call Strata (and Strata's outbox can call Next.js).
//! The tag is expired on every instance; nothing is forwarded to external targets.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
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
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(retry_after) = client.and_then(|ip| site.limiter.check(ip)) {
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

/// A fixed window per client address.
pub struct Limiter {
    per_window: u32,
    clients: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Self {
        Limiter {
            per_window: per_minute,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(wait)` when `ip` has used up its window.
    fn check(&self, ip: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() > 10_000 {
            clients.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, used) = clients.entry(ip).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *used = 0;
        }
        if *used >= self.per_window {
            return Some(WINDOW.saturating_sub(now.duration_since(*start)));
        }
        *used += 1;
        None
    }
}
