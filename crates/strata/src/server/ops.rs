//! Operations endpoints: liveness, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use serde_json::{Value, json};
use strata_cache::CacheHealth;

use crate::state::AppState;

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

#[derive(Serialize)]
pub struct Readiness {
    pub status: &'static str,
    /// The data cache is bypassed (breaker open, or invalidations waiting to be replayed). The
    /// site still serves from the database, so this is not a failure: readiness stays 200 and a
    /// load balancer keeps routing here (policy: Redis down never takes the site down).
    pub degraded: bool,
    pub cache: CacheHealth,
}

pub async fn readyz(State(state): State<AppState>) -> Json<Readiness> {
    let cache = state.cache.health();
    Json(Readiness {
        status: "ready",
        degraded: cache.breaker_open || cache.pending_invalidations > 0,
        cache,
    })
}

pub fn render_metrics(handle: &PrometheusHandle) -> impl IntoResponse + use<> {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}
