//! The cache dashboard's API, for admins: `/api/admin/cache/` stats (hits, misses and hit
//! ratio per namespace over the last 15 minutes, breaker, queued invalidations, and the HTML
//! page cache's counts), flags (list, switch), audit (bounded) and warm (a server-side job
//! with progress). The binary mounts it in the admins' group, so it is guarded like every
//! admin route; `routes` gives it the site's HTML cache as an extension.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Serialize;
use strata_api::{ApiError, ApiResult, Ctx, Detail, FieldErrors, Fields, JsonObject};
use strata_cache::stats::{SAMPLE_EVERY, SAMPLES, Tally};
use strata_cache::{AuditReport, Finding, Namespace};
use strata_web::isr::{HtmlCache, HtmlStats};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::cdn::{Backlog, Purges};
use crate::invalidation::cached_namespaces;
use crate::warm::{self, Progress};

const TAG: &str = "admin: cache";
/// The dashboard's audit stops after this many keys…
const AUDIT_MAX_KEYS: u64 = 10_000;
/// …or this long, whichever comes first.
const AUDIT_TIMEOUT: Duration = Duration::from_secs(5);
/// Values larger than this are reported as oversized (as `strata cache audit`'s default).
const AUDIT_OVERSIZED_BYTES: u64 = 1024 * 1024;

pub fn router() -> OpenApiRouter<Ctx> {
    OpenApiRouter::new()
        .routes(routes!(stats))
        .routes(routes!(flags, set_flag))
        .routes(routes!(audit))
        .routes(routes!(warm_state, warm_start))
        .layer(Extension(Arc::new(WarmJob::default())))
}

/// One interval of a namespace's series.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPoint {
    /// When the interval ended (ISO 8601 UTC).
    pub at: String,
    pub hits: u64,
    pub misses: u64,
    /// Reads that went around the cache (flag off, store unavailable, error).
    pub bypasses: u64,
    /// `hits / (hits + misses)`; null when nothing was read.
    pub hit_ratio: Option<f64>,
}

/// One namespace: totals since this instance started and its recent series.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamespaceStats {
    /// `public:property:list`.
    pub namespace: String,
    /// Its flag: off means reads and writes bypass the cache.
    pub enabled: bool,
    pub hits: u64,
    pub misses: u64,
    pub bypasses: u64,
    pub hit_ratio: Option<f64>,
    /// Oldest first, one point per `interval_seconds`, the last one ending now.
    pub series: Vec<SeriesPoint>,
}

/// The HTML page cache that serves the public site's visitors (the web tier's, apart from the
/// data cache): this instance's requests since it started, by outcome, and what it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct HtmlCacheStats {
    /// When this instance began counting (ISO 8601 UTC): two answers' totals compare (a rate
    /// from their difference) only when it is the same.
    pub since: String,
    /// Pages served from the cache, fresh.
    pub hits: u64,
    /// Pages served from the cache past their `revalidate` time while a background render
    /// refreshes them (or kept after a failed render).
    pub stale: u64,
    /// Pages rendered for the request (not cached, or expired by a change).
    pub misses: u64,
    /// Pages held now.
    pub entries: u64,
    /// Their size in bytes (bodies and keys).
    pub bytes: u64,
    /// The most it holds, in bytes (`web.html_cache_mb`).
    pub capacity_bytes: u64,
}

impl From<HtmlStats> for HtmlCacheStats {
    fn from(stats: HtmlStats) -> Self {
        HtmlCacheStats {
            since: iso(stats.since),
            hits: stats.hits,
            stale: stats.stale,
            misses: stats.misses,
            entries: stats.entries,
            bytes: stats.bytes,
            capacity_bytes: stats.capacity_bytes,
        }
    }
}

/// `GET /api/admin/cache/stats/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheStats {
    /// When this answer was made (ISO 8601 UTC, the instance's clock), for rates between two.
    pub at: String,
    /// `memory` (embedded) or `redis`.
    pub backend: &'static str,
    /// While open, reads go to the database and writes skip the cache.
    pub breaker_open: bool,
    /// Invalidations waiting for the store; this instance reads nothing cached until zero.
    pub pending_invalidations: usize,
    /// Seconds between two points of a series.
    pub interval_seconds: u64,
    /// Points kept per series (the last 15 minutes).
    pub window: usize,
    pub namespaces: Vec<NamespaceStats>,
    pub html: HtmlCacheStats,
    /// Each purged CDN's backlog and totals (across instances); empty when none is configured.
    pub cdn: Vec<Backlog>,
}

fn iso(at: SystemTime) -> String {
    strata_api::serial::datetime(&chrono::DateTime::<chrono::Utc>::from(at))
}

fn point(at: SystemTime, tally: Tally, hit_ratio: Option<f64>) -> SeriesPoint {
    SeriesPoint {
        at: iso(at),
        hits: tally.hits,
        misses: tally.misses,
        bypasses: tally.bypasses,
        hit_ratio,
    }
}

/// Every namespace the apps cache (those without reads yet too), with this instance's counts.
#[utoipa::path(
    get, path = "/api/admin/cache/stats/", tag = TAG, operation_id = "admin_cache_stats",
    summary = "Cache statistics",
    security(("token" = []), ("session" = [])),
    description = "This instance's reads per namespace: totals since it started and a series of \
        10 s intervals over the last 15 minutes (sampled in memory), plus the breaker, the \
        queued invalidations, and the HTML page cache's totals (requests by outcome since it \
        started, pages and bytes held); rates come from two answers' difference.",
    responses(
        (status = 200, body = CacheStats, description = "The cache's state"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not an admin, or CSRF failed"),
    )
)]
async fn stats(
    State(ctx): State<Ctx>,
    Extension(html): Extension<HtmlCache>,
    Extension(purges): Extension<Arc<Purges>>,
) -> Json<CacheStats> {
    let health = ctx.cache.health();
    let mut history = ctx.cache.history();
    let namespaces = cached_namespaces()
        .into_iter()
        .map(|ns| {
            let name = ns.to_string();
            let found = history
                .iter()
                .position(|h| h.namespace == name)
                .map(|i| history.swap_remove(i));
            let (total, hit_ratio, series) = match found {
                Some(h) => (
                    h.total,
                    h.hit_ratio,
                    h.series
                        .into_iter()
                        .map(|p| point(p.at, p.tally, p.hit_ratio))
                        .collect(),
                ),
                None => (Tally::default(), None, Vec::new()),
            };
            NamespaceStats {
                enabled: ctx.cache.is_enabled(&ns),
                namespace: name,
                hits: total.hits,
                misses: total.misses,
                bypasses: total.bypasses,
                hit_ratio,
                series,
            }
        })
        .collect();
    Json(CacheStats {
        at: iso(SystemTime::now()),
        backend: health.backend,
        breaker_open: health.breaker_open,
        pending_invalidations: health.pending_invalidations,
        interval_seconds: SAMPLE_EVERY.as_secs(),
        window: SAMPLES,
        namespaces,
        html: html.stats().into(),
        cdn: if purges.is_configured() {
            purges.backlog().await.unwrap_or_else(|error| {
                tracing::warn!(%error, "cache stats: cannot read the CDN purge backlog");
                Vec::new()
            })
        } else {
            Vec::new()
        },
    })
}

/// One namespace's flag.
#[derive(Debug, Serialize, ToSchema)]
pub struct Flag {
    pub namespace: String,
    pub enabled: bool,
}

/// `PUT /api/admin/cache/flags/`'s body.
#[derive(Debug, ToSchema)]
pub struct FlagInput {
    /// One of the namespaces `GET` lists.
    pub namespace: String,
    /// `false` turns caching of the namespace off on every instance (within a second).
    pub enabled: bool,
}

/// The flags as the store has them (every instance reads the same within a second); this
/// instance's view if the store cannot be asked.
async fn current_flags(ctx: &Ctx) -> Vec<Flag> {
    let disabled = ctx.cache.disabled_namespaces().await.ok();
    cached_namespaces()
        .into_iter()
        .map(|ns| {
            let name = ns.to_string();
            let enabled = match &disabled {
                Some(disabled) => !disabled.contains(&name),
                None => ctx.cache.is_enabled(&ns),
            };
            Flag {
                namespace: name,
                enabled,
            }
        })
        .collect()
}

#[utoipa::path(
    get, path = "/api/admin/cache/flags/", tag = TAG, operation_id = "admin_cache_flags",
    summary = "List the cache flags",
    security(("token" = []), ("session" = [])),
    description = "Every cached namespace and whether caching is on for it.",
    responses(
        (status = 200, body = Vec<Flag>, description = "The flags"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not an admin, or CSRF failed"),
    )
)]
async fn flags(State(ctx): State<Ctx>) -> Json<Vec<Flag>> {
    Json(current_flags(&ctx).await)
}

// Body: `{"namespace": "public:property:list", "enabled": false}`.
#[utoipa::path(
    put, path = "/api/admin/cache/flags/", tag = TAG, operation_id = "admin_cache_flags_update",
    summary = "Switch caching of a namespace",
    security(("token" = []), ("session" = [])), request_body = FlagInput,
    description = "Turns caching of one namespace on or off on every instance sharing the store \
        (within a second). Off: reads and writes bypass the cache; invalidations still run, so \
        turning it back on cannot serve old values.",
    responses(
        (status = 200, body = Vec<Flag>, description = "The flags after the change"),
        (status = 400, body = FieldErrors, description = "An unknown namespace, or no `enabled`"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not an admin, or CSRF failed"),
        (status = 415, body = Detail, description = "Not JSON"),
        (status = 503, body = Detail, description = "The cache store cannot be reached"),
    )
)]
async fn set_flag(State(ctx): State<Ctx>, body: JsonObject) -> ApiResult<Json<Vec<Flag>>> {
    let input = flag_input(body)?;
    let ns = Namespace::parse(&input.namespace).map_err(ApiError::internal)?;
    ctx.cache
        .set_enabled(&ns, input.enabled)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "cannot switch a cache flag");
            ApiError::Unavailable {
                retry_after: Duration::from_secs(5),
            }
        })?;
    Ok(Json(current_flags(&ctx).await))
}

/// Both fields required; the namespace must be one the apps cache.
fn flag_input(body: JsonObject) -> ApiResult<FlagInput> {
    let known: Vec<String> = cached_namespaces()
        .iter()
        .map(Namespace::to_string)
        .collect();
    let mut f = Fields::new(body, false);
    let namespace = f.string("namespace", true, 200, false);
    if let Some(name) = &namespace
        && !known.contains(name)
    {
        f.error("namespace", format!("\"{name}\" is not a valid choice."));
    }
    let enabled = f.boolean("enabled", true);
    match f.finish((namespace, enabled))? {
        (Some(namespace), Some(enabled)) => Ok(FlagInput { namespace, enabled }),
        _ => Err(ApiError::internal("flag fields missing without an error")),
    }
}

/// Keys of one kind the audit found.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditFinding {
    pub count: u64,
    /// The first few keys.
    pub samples: Vec<String>,
}

impl From<Finding> for AuditFinding {
    fn from(finding: Finding) -> Self {
        AuditFinding {
            count: finding.count,
            samples: finding.samples,
        }
    }
}

/// `GET /api/admin/cache/audit/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Audit {
    pub backend: &'static str,
    pub scanned: u64,
    /// The scan stopped at its key limit; counts cover `scanned` keys.
    pub truncated: bool,
    /// Not `{scope}:{app}:{resource}:{id|hash}`.
    pub off_convention: AuditFinding,
    /// Stored without a TTL.
    pub without_ttl: AuditFinding,
    /// Larger than 1 MiB, or not a string value.
    pub oversized: AuditFinding,
}

impl From<AuditReport> for Audit {
    fn from(report: AuditReport) -> Self {
        Audit {
            backend: report.backend,
            scanned: report.scanned,
            truncated: report.truncated,
            off_convention: report.off_convention.into(),
            without_ttl: report.without_ttl.into(),
            oversized: report.oversized.into(),
        }
    }
}

#[utoipa::path(
    get, path = "/api/admin/cache/audit/", tag = TAG, operation_id = "admin_cache_audit",
    summary = "Audit the cache's keys",
    security(("token" = []), ("session" = [])),
    description = "Scans this deployment's keys (`SCAN` on Redis, never `KEYS`) for keys off the \
        convention, without a TTL, or over 1 MiB. Bounded: it stops after 10,000 keys \
        (`truncated`) and answers 503 past 5 seconds.",
    responses(
        (status = 200, body = Audit, description = "What the scan found"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not an admin, or CSRF failed"),
        (status = 503, body = Detail, description = "The store cannot be reached, or the scan took too long"),
    )
)]
async fn audit(State(ctx): State<Ctx>) -> ApiResult<Json<Audit>> {
    let scan = ctx.cache.audit(AUDIT_OVERSIZED_BYTES, AUDIT_MAX_KEYS);
    let unavailable = ApiError::Unavailable {
        retry_after: Duration::from_secs(5),
    };
    match tokio::time::timeout(AUDIT_TIMEOUT, scan).await {
        Ok(Ok(report)) => Ok(Json(report.into())),
        Ok(Err(error)) => {
            tracing::warn!(%error, "the cache audit failed");
            Err(unavailable)
        }
        Err(_) => Err(unavailable),
    }
}

/// The server's one warm job: at most one runs at a time per instance.
#[derive(Default)]
struct WarmJob {
    current: Mutex<Option<(Arc<Progress>, bool)>>,
}

/// Where the warm is.
#[derive(Debug, Serialize, ToSchema)]
pub struct WarmState {
    /// `idle` (never run here), `running` or `done`.
    #[schema(value_type = String, pattern = "^(idle|running|done)$")]
    pub state: &'static str,
    /// Loads finished.
    pub done: usize,
    /// Loads in this warm: the property list, categories, tags and options, and the published
    /// properties' details, each in both languages.
    pub total: usize,
    /// Loads that failed (the key stays cold).
    pub failed: usize,
}

impl WarmJob {
    fn state(&self) -> WarmState {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        match &*current {
            None => WarmState {
                state: "idle",
                done: 0,
                total: 0,
                failed: 0,
            },
            Some((progress, finished)) => WarmState {
                state: if *finished { "done" } else { "running" },
                done: progress.done(),
                total: progress.total(),
                failed: progress.failed(),
            },
        }
    }

    /// Starts a warm unless one runs.
    fn start(self: &Arc<Self>, ctx: Ctx) {
        let progress = Arc::new(Progress::default());
        {
            let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
            if matches!(&*current, Some((_, false))) {
                return;
            }
            *current = Some((progress.clone(), false));
        }
        let job = self.clone();
        tokio::spawn(async move {
            if let Err(error) = warm::warm(&ctx, &progress, |_| {}).await {
                tracing::warn!(%error, "the cache warm stopped");
            }
            let mut current = job.current.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, finished)) = current.as_mut() {
                *finished = true;
            }
        });
    }
}

#[utoipa::path(
    get, path = "/api/admin/cache/warm/", tag = TAG, operation_id = "admin_cache_warm_state",
    summary = "The cache warm's progress",
    security(("token" = []), ("session" = [])),
    description = "The progress of this instance's last warm.",
    responses(
        (status = 200, body = WarmState, description = "Its state"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not an admin, or CSRF failed"),
    )
)]
async fn warm_state(Extension(job): Extension<Arc<WarmJob>>) -> Json<WarmState> {
    Json(job.state())
}

#[utoipa::path(
    post, path = "/api/admin/cache/warm/", tag = TAG, operation_id = "admin_cache_warm",
    summary = "Warm the cache",
    security(("token" = []), ("session" = [])),
    description = "Starts prefilling the public lists' first pages and the published details \
        (as `strata cache warm`) in the background, unless a warm is running; poll `GET` for \
        progress. Idempotent: what is cached already is left as it is.",
    responses(
        (status = 202, body = WarmState, description = "Started, or already running"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not an admin, or CSRF failed"),
    )
)]
async fn warm_start(
    State(ctx): State<Ctx>,
    Extension(job): Extension<Arc<WarmJob>>,
) -> (StatusCode, Json<WarmState>) {
    job.start(ctx);
    (StatusCode::ACCEPTED, Json(job.state()))
}
