//! Operations endpoints: liveness, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use serde_json::{Value, json};
use strata_cache::CacheHealth;
use strata_db::DbStatus;

use crate::cdn::Backlog;
use crate::state::AppState;

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Each dependency's state. `status` is `ready` (200) unless the database is down
/// (`unavailable`, 503): requests that need it fail, so a load balancer should prefer another
/// instance — though this one still serves what its caches hold.
#[derive(Serialize)]
pub struct Readiness {
    pub status: &'static str,
    /// The data cache is bypassed (breaker open, or invalidations waiting to be replayed) or
    /// partly failing (a store connection failed and has not answered a probe since). The
    /// site still serves from the database, so this is not a failure: readiness stays 200 and a
    /// load balancer keeps routing here (policy: Redis down never takes the site down).
    pub degraded: bool,
    pub database: DatabaseHealth,
    pub cache: CacheHealth,
    /// Each purged CDN's backlog; one whose oldest purge is older than `cdn.stale_after_secs`
    /// is `stale` and makes the instance `degraded` (pages there may be old; serving goes on).
    pub cdn: Vec<Backlog>,
}

#[derive(Serialize)]
pub struct DatabaseHealth {
    pub backend: &'static str,
    /// `up`, or `down` while the breaker is open (probed every second).
    pub state: &'static str,
    pub consecutive_failures: u32,
}

impl From<DbStatus> for DatabaseHealth {
    fn from(status: DbStatus) -> Self {
        DatabaseHealth {
            backend: status.backend,
            state: if status.available { "up" } else { "down" },
            consecutive_failures: status.consecutive_failures,
        }
    }
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let cache = state.cache.health();
    let db = state.db_health.status();
    let (status, code) = if db.available {
        ("ready", StatusCode::OK)
    } else {
        ("unavailable", StatusCode::SERVICE_UNAVAILABLE)
    };
    let cdn = if state.purges.is_configured() && db.available {
        state.purges.backlog().await.unwrap_or_else(|error| {
            tracing::warn!(%error, "readyz: cannot read the CDN purge backlog");
            Vec::new()
        })
    } else {
        Vec::new()
    };
    let readiness = Readiness {
        status,
        degraded: cache.breaker_open
            || cache.pending_invalidations > 0
            || cache.connections_unverified
            || cdn.iter().any(|backlog| backlog.stale),
        database: db.into(),
        cache,
        cdn,
    };
    (code, Json(readiness))
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
