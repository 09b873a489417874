//! The Prometheus exporter and the HTTP request metrics.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{Extensions, Method};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use strata_cache::metrics::{FILL_BUCKETS, FILL_SECONDS};

/// Requests served; labels `method`, `route` (the matched pattern, `unmatched` otherwise) and
/// `status`.
pub const HTTP_REQUESTS: &str = "strata_http_requests_total";
/// Seconds from request to response headers; labels `method`, `route`.
pub const HTTP_DURATION: &str = "strata_http_request_duration_seconds";
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Histograms are drained into their buckets at this pace; without it they grow unbounded.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot install the Prometheus recorder: {0}")]
pub struct MetricsError(String);

static RECORDER: OnceLock<Result<PrometheusHandle, MetricsError>> = OnceLock::new();

/// Installs the global recorder on first call and returns its handle on every call: the
/// `metrics` facade takes one recorder per process, and tests build the app more than once.
/// Must run before the cache is opened so the engine's first gauges are recorded.
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    RECORDER.get_or_init(build).clone()
}

fn build() -> Result<PrometheusHandle, MetricsError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(FILL_SECONDS.to_owned()), FILL_BUCKETS)
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), HTTP_BUCKETS)
        })
        .and_then(|b| b.install_recorder())
        .map_err(|e| MetricsError(e.to_string()))?;
    describe_counter!(HTTP_REQUESTS, "HTTP requests served");
    describe_gauge!(super::conn::CONNECTIONS_OPEN, "Open client connections");
    describe_counter!(
        super::conn::CONNECTIONS_REFUSED,
        "Connections closed at once because max_connections were open"
    );
    describe_gauge!(
        "strata_db_available",
        "1 while the database answers, 0 while its breaker is open"
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency"
    );
    // A thread, not a task: the recorder outlives any one tokio runtime (tests make several).
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                upkeep.run_upkeep();
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("metrics upkeep thread not started: {error}");
    }
    Ok(handle)
}

/// Where the router writes the matched route, for [`track`] which runs outside the router (so it
/// also sees timeouts and 404s) and therefore cannot read `MatchedPath` itself.
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<String>>);

/// Outermost middleware: counts every request and its latency.
pub async fn track(mut request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(request.method());
    let slot = RouteSlot::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    // Raw paths would make a label per URL; anything unrouted shares one.
    let route = slot.0.get().cloned().unwrap_or_else(|| "unmatched".into());
    let status = response.status().as_u16().to_string();
    counter!(HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    histogram!(HTTP_DURATION, "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}

/// Route layer: records the matched pattern (`/api/properties/{id}/`) for [`track`].
pub async fn note_route(request: Request, next: Next) -> Response {
    note(request.extensions());
    next.run(request).await
}

/// Records the matched pattern, for handlers the route layer does not wrap (a 405 is answered
/// by the method-not-allowed fallback, outside it).
pub fn note(extensions: &Extensions) {
    if let (Some(slot), Some(matched)) = (
        extensions.get::<RouteSlot>(),
        extensions.get::<MatchedPath>(),
    ) {
        let _ = slot.0.set(matched.as_str().to_owned());
    }
}

/// Unknown methods would be unbounded label values.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
