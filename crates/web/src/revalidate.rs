//! `POST /api/revalidate` `{"tag", "secret"}`: the Next.js on-demand revalidation route, so a
//! backend written for Next.js can call Strata (and Strata's outbox can call Next.js).
//! The tag is expired on every instance; nothing is forwarded to external targets.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use strata_api::{ClientAddr, WindowLimit};
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
    if let Err(retry_after) = site.limiter.hit(client) {
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

/// `/api/revalidate`'s per-client limit: `per_minute` calls a minute per client address.
pub fn limiter(per_minute: u32) -> WindowLimit<IpAddr> {
    WindowLimit::new(per_minute, WINDOW, MAX_CLIENTS)
}
