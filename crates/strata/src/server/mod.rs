//! `strata serve`: the HTTP application and its lifecycle.

mod admin;
mod api;
mod conn;
mod headers;
mod media;
pub mod metrics;
mod ops;
mod slash;
mod uncached;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::json;
use strata_api::ChangeSink;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::seed::{self, SeedError};
use crate::state::{AppState, StateError};

pub use self::api::document as openapi_document;
pub use self::metrics::MetricsError;

/// How many demo properties `serve --demo` makes sure exist.
const DEMO_PROPERTIES: u32 = 1000;

/// Extra time given to in-flight requests after a shutdown signal, beyond the request timeout.
const SHUTDOWN_SLACK: Duration = Duration::from_secs(5);

/// What to do about a port that cannot be had.
fn bind_hint(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::AddrInUse => {
            " (another program uses this port: pick another with `--bind PORT`, e.g. `--bind 8001`, \
             or `--bind 0` for any free one)"
        }
        std::io::ErrorKind::PermissionDenied => {
            " (ports below 1024 need privileges: pick another with `--bind PORT`, e.g. `--bind 8001`)"
        }
        _ => "",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot listen on {addr}: {source}{}", bind_hint(source))]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "cannot listen on {addr} for /metrics: {source} (set metrics_bind, e.g. \
         STRATA_METRICS_BIND=127.0.0.1:0, to run another instance on this host)"
    )]
    MetricsBind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A ready-to-serve application: tests build it in-process with this, `serve` runs it.
pub struct App {
    pub state: AppState,
    pub router: Router,
    /// `/metrics` alone, for its own listener (`metrics_bind`).
    pub metrics: Router,
}

impl App {
    /// Installs the metrics recorder (once per process), opens the stores, builds the router.
    pub async fn build(config: Config) -> Result<Self, ServeError> {
        Self::build_with(config, |sink| sink).await
    }

    /// [`App::build`] with the handlers' change sink wrapped (see [`AppState::open_with`]).
    pub async fn build_with(
        config: Config,
        decorate: impl FnOnce(Arc<dyn ChangeSink>) -> Arc<dyn ChangeSink>,
    ) -> Result<Self, ServeError> {
        // Before the cache: the engine sets its gauges when it starts.
        let metrics = metrics::install()?;
        let state = AppState::open_with(config, decorate).await?;
        let router = router(state.clone());
        Ok(App {
            state,
            router,
            metrics: metrics_router(metrics),
        })
    }
}

/// Every route of the application with its middleware. Routes must be added before the
/// `route_layer` call so that metrics see their matched pattern.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let site = state.site.clone();
    let routes = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .with_state(state.clone())
        .merge(api::routes(
            state.api.clone(),
            &state.site,
            state.purges.clone(),
        ))
        .merge(strata_web::router(state.site.clone()))
        .nest_service("/media", media::stored(state.api.media.clone()))
        .merge(admin::routes(&config.admin_dir));
    let slashes = slash::Routes::new(routes.clone());
    let routes = routes
        .route_layer(middleware::from_fn(metrics::note_route))
        .fallback(move |method: Method, uri: Uri| async move {
            if let Some(response) = slashes.append_slash(&method, &uri).await {
                return response;
            }
            // API clients get DRF's JSON; people and crawlers get the site's page.
            let path = uri.path();
            if path.starts_with("/api/") {
                not_found().await
            } else {
                site.missing_page(path)
            }
        })
        .method_not_allowed_fallback(method_not_allowed);
    // The opt-in limit on uncached requests (off by default) wraps the handlers only.
    uncached::wrap(routes, &state)
        // Layers run outermost last-added: metrics, trace, DRF-shaped errors, timeout, body limit.
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        // axum's extractors have their own 2 MB cap; the configured limit above replaces it.
        .layer(DefaultBodyLimit::disable())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(middleware::map_response(drf_error_body))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        // Absolute links (pagination) are built on the configured origin, never on `Host`.
        .layer(axum::Extension(strata_api::PublicOrigin::new(
            &config.site_url(),
        )))
        .layer(middleware::from_fn(metrics::track))
        .layer(middleware::from_fn_with_state(
            headers::Https(config.site_is_https()),
            headers::security_headers,
        ))
}

/// Longest part of a request's URI written to the log: every line of a request repeats its
/// span, and a URI may be 64 KB long.
const LOGGED_URI_MAX: usize = 256;

/// The request's span (as tower-http's default, at INFO), its URI truncated.
fn request_span(request: &Request) -> tracing::Span {
    let uri = request.uri().to_string();
    let uri = match uri.char_indices().nth(LOGGED_URI_MAX) {
        Some((end, _)) => format!("{}…({} bytes)", &uri[..end], uri.len()),
        None => uri,
    };
    tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %uri,
        version = ?request.version(),
    )
}

/// The Prometheus endpoint, served on `metrics_bind` (loopback by default) and never on the
/// application's port: its per-route counts (failed against successful logins, admin writes)
/// and cache numbers are for the operator, as the dashboard's are for admins.
pub fn metrics_router(metrics: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || std::future::ready(ops::render_metrics(&metrics))),
    )
}

/// DRF's 404 body, which the Next.js and React clients expect.
pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"detail": "Not found."})),
    )
        .into_response()
}

/// DRF's 405 body.
async fn method_not_allowed(request: Request) -> Response {
    metrics::note(request.extensions());
    let method = request.method();
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(json!({"detail": format!("Method \"{method}\" not allowed.")})),
    )
        .into_response()
}

/// Gives the bodiless errors of the tower layers (timeout, body too large) DRF's `{"detail"}`
/// shape, so clients parse every error the same way.
async fn drf_error_body(response: Response) -> Response {
    let detail = match response.status() {
        StatusCode::REQUEST_TIMEOUT => "Request timed out.",
        StatusCode::PAYLOAD_TOO_LARGE => "Request body is too large.",
        _ => return response,
    };
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = json!({ "detail": detail }).to_string();
    Response::from_parts(parts, body.into())
}

/// Binds, announces the address on stdout (scripts and tests read it), serves until SIGTERM or
/// Ctrl-C, then lets in-flight requests finish within the request timeout.
pub async fn serve(mut config: Config, demo: bool) -> Result<(), ServeError> {
    let addr = config.bind;
    // Bound first, so that without `web.site_url` links name the port really bound (`:0`
    // picks one); connections wait in the backlog until the accept loop starts.
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr()?;
    config
        .web
        .site_url
        .get_or_insert_with(|| format!("http://{local}"));
    let grace = config.request_timeout + SHUTDOWN_SLACK;
    let file_limit = conn::raise_file_limit();
    let limits = conn::Limits {
        header_read_timeout: config.header_read_timeout,
        keep_alive_timeout: config.keep_alive_timeout,
        max_connections: conn::connection_cap(config.max_connections, file_limit),
    };
    let metrics_addr = config.metrics_bind;
    let metrics_listener =
        TcpListener::bind(metrics_addr)
            .await
            .map_err(|source| ServeError::MetricsBind {
                addr: metrics_addr,
                source,
            })?;
    let metrics_local = metrics_listener.local_addr()?;
    let app = App::build(config).await?;
    let metrics = app.metrics.clone();
    tokio::spawn(async move {
        if let Err(error) = axum::serve(metrics_listener, metrics).await {
            tracing::error!(%error, "the metrics listener failed");
        }
    });
    if demo {
        admin::build_for_demo(&app.state.config.admin_dir).await;
        let report = seed::demo(
            &app.state.api.db,
            app.state.changes.as_ref(),
            app.state.api.media.as_ref(),
            DEMO_PROPERTIES,
        )
        .await?;
        tracing::info!("{report}");
    }
    // A failed check only loses the hint; the server itself does not need an admin.
    let needs_admin = !strata_users::services::accounts::has_active_admin(&app.state.api.db)
        .await
        .unwrap_or(true);
    announce(
        local,
        metrics_local,
        &app.state.config.admin_dir,
        needs_admin,
    )?;
    tracing::info!(
        addr = %local,
        cache = app.state.cache.health().backend,
        file_limit,
        max_connections = limits.max_connections,
        "serving"
    );
    let shutdown = async {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
    };
    // Keep-alive clients could hold a graceful shutdown open forever: `grace` caps it.
    conn::serve(listener, app.router, limits, shutdown, grace).await;
    Ok(())
}

fn announce(
    addr: SocketAddr,
    metrics: SocketAddr,
    admin_dir: &std::path::Path,
    needs_admin: bool,
) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "Strata listening on http://{addr}")?;
    writeln!(
        stdout,
        "  Site:     http://{addr}/  (English: http://{addr}/en/)"
    )?;
    writeln!(stdout, "  API:      http://{addr}/api/properties/")?;
    writeln!(stdout, "  API docs: http://{addr}/api/docs/")?;
    writeln!(stdout, "  Admin:    http://{addr}/admin/")?;
    if !admin::is_built(admin_dir) {
        writeln!(
            stdout,
            "            (not built: run `{}`)",
            admin::BUILD_COMMAND
        )?;
    }
    writeln!(
        stdout,
        "  Metrics:  http://{metrics}/metrics  (Prometheus; metrics_bind)"
    )?;
    if needs_admin {
        let bin = std::env::current_exe()
            .ok()
            .and_then(|exe| {
                let cwd = std::env::current_dir().ok()?;
                Some(exe.strip_prefix(&cwd).unwrap_or(&exe).display().to_string())
            })
            .unwrap_or_else(|| "strata".to_owned());
        writeln!(
            stdout,
            "            (no admin yet: create one with `{bin} createsuperuser --username NAME --email EMAIL`)"
        )?;
    }
    stdout.flush()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                tracing::warn!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
