//! What every command and request handler shares.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use strata_api::admin::schedule::{self, Transitions};
use strata_api::tasks::{self, Runner};
use strata_api::{ApiSettings, ChangeSink, Ctx, MediaStorage, SecureCookies};
use strata_cache::{Cache, CacheError, CacheSettings};
use strata_db::{Backend, DbError, DbHealth};
use strata_media::LocalDirStorage;

use strata_web::coherence::Coherence;
use strata_web::{Site, WebSettings};

use crate::cdn::Purges;
use crate::config::{Config, MediaBackend};
use crate::invalidation::journal::Journal;
use crate::invalidation::{Deliveries, Invalidator};
use crate::migrate;
use crate::outbox::Outbox;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the database schema is {0} migration(s) behind: run `strata migrate` first")]
    Unmigrated(usize),
    #[error("media storage: {0}")]
    Media(String),
    #[error("the apps' declarations are inconsistent: {}", .0.join("; "))]
    Apps(Vec<String>),
    #[error("the outbox's or the CDN purges' HTTP client cannot start: {0}")]
    Outbox(#[from] reqwest::Error),
}

/// The application's state: cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub cache: Cache,
    /// What API handlers receive: database, cache, media storage, invalidation.
    pub api: Ctx,
    /// The public site and its HTML cache.
    pub site: Site,
    /// The invalidation map, for changes made outside a request (`serve --demo`).
    pub changes: Arc<Invalidator>,
    /// The task queue's runner (the outbox's deliveries, scheduled transitions): it runs while
    /// the state lives.
    pub tasks: Arc<Runner>,
    /// The database's breaker: `/readyz` reports it.
    pub db_health: DbHealth,
    /// The CDN purges owed (`/readyz` and the cache dashboard report their backlog).
    pub purges: Arc<Purges>,
}

impl AppState {
    /// Opens the stores the configuration names. On the embedded default (SQLite) the schema is
    /// migrated here; a shared PostgreSQL is migrated by the operator (`strata migrate`), so
    /// instances starting together never race on it.
    pub async fn open(config: Config) -> Result<Self, StateError> {
        Self::open_with(config, |sink| sink).await
    }

    /// [`AppState::open`], with the change sink handlers receive wrapped by `decorate` (tests
    /// slow it down or record it; the invalidation map stays the one behind it).
    pub async fn open_with(
        config: Config,
        decorate: impl FnOnce(Arc<dyn ChangeSink>) -> Arc<dyn ChangeSink>,
    ) -> Result<Self, StateError> {
        let problems = crate::apps::catalog().problems();
        if !problems.is_empty() {
            return Err(StateError::Apps(problems.to_vec()));
        }
        let cache = open_cache(&config).await?;
        let sqlite = Backend::of_url(&config.database_url)? == Backend::Sqlite;
        if sqlite {
            migrate::migrate_alone(&config.database_url).await?;
        }
        let db = open_db(&config).await?;
        if !sqlite {
            let pending = migrate::pending(&db).await?;
            if pending > 0 {
                return Err(StateError::Unmigrated(pending));
            }
        }
        let db_health = DbHealth::start(&db);
        let web = web_settings(&config);
        let coherence = Coherence::start(cache.clone(), web.html_cache_bytes, web.bus_wait);
        let outbox = nextjs_outbox(&config)?;
        outbox.announce();
        let purges = Purges::new(config.cdn.clone(), db.clone())?;
        purges.announce();
        let transitions = Arc::new(Transitions::default());
        let kinds = (outbox.kind().into_iter())
            .chain(purges.kind())
            .chain([transitions.kind()]);
        let tasks = Runner::new(db.clone(), kinds.collect());
        let journal = Journal::new(db.clone());
        let changes = Arc::new(Invalidator::new(
            cache.clone(),
            coherence.clone(),
            Deliveries {
                outbox,
                purges: purges.clone(),
                db: db.clone(),
            },
            &tasks,
            journal,
        ));
        changes.start_sweeper();
        let media = media_storage(&config)?;
        start_media_sweeper(db.clone(), media.clone());
        let api = Ctx::new(
            db,
            cache.clone(),
            media,
            api_settings(&config),
            crate::apps::catalog(),
            decorate(changes.clone()),
        );
        // Scheduled transitions commit through the same context as requests do. Those that
        // came due while no instance ran are applied before this one serves anything.
        transitions.bind(api.clone());
        loop {
            match tasks.run_due(Some(schedule::KIND)).await {
                Ok(looked_at) if looked_at as u64 == tasks::BATCH => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "cannot apply the transitions due at start; the queue retries");
                    break;
                }
            }
        }
        tasks.start();
        let site = Site::new(api.clone(), coherence, web);
        Ok(AppState {
            config: Arc::new(config),
            cache,
            api,
            site,
            changes,
            tasks,
            db_health,
            purges,
        })
    }
}

/// The storage `[media]` names: `media_dir`, or the S3 bucket.
pub fn media_storage(config: &Config) -> Result<Arc<dyn MediaStorage>, StateError> {
    match &config.media {
        MediaBackend::Local => Ok(Arc::new(LocalDirStorage::new(&config.media_dir))),
        #[cfg(feature = "s3")]
        MediaBackend::S3(settings) => strata_media::s3::S3Storage::new(settings)
            .map(|storage| Arc::new(storage) as Arc<dyn MediaStorage>)
            .map_err(|err| StateError::Media(err.to_string())),
    }
}

/// Deletes, on every instance, the media files whose delete failed after their
/// rows' commit (`strata_media::services::sweep_deletes`), for the life of the process.
fn start_media_sweeper(db: DatabaseConnection, storage: Arc<dyn MediaStorage>) {
    const GRACE: Duration = Duration::from_secs(60);
    const EVERY: Duration = Duration::from_secs(30);
    tokio::spawn(async move {
        loop {
            if let Err(err) =
                strata_media::services::sweep_deletes(&db, storage.as_ref(), GRACE).await
            {
                tracing::warn!(%err, "cannot read the media files owed a delete");
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

/// The outbox of revalidations owed to the configured Next.js targets.
fn nextjs_outbox(config: &Config) -> Result<Arc<Outbox>, StateError> {
    Ok(Outbox::new(
        config.nextjs_urls.clone(),
        config.revalidate_secret.clone(),
    )?)
}

/// For commands: the invalidation map over `cache`, telling running instances what changed
/// and recording what commits owe outside (Next.js revalidations, CDN purges) for their task
/// queues; this process serves no pages and runs no queue.
pub fn command_changes(
    config: &Config,
    db: &DatabaseConnection,
    cache: &Cache,
) -> Result<Invalidator, StateError> {
    let outbox = nextjs_outbox(config)?;
    let purges = Purges::new(config.cdn.clone(), db.clone())?;
    let kinds = outbox.kind().into_iter().chain(purges.kind());
    let tasks = Runner::new(db.clone(), kinds.collect());
    Ok(Invalidator::new(
        cache.clone(),
        Coherence::publisher(cache.clone()),
        Deliveries {
            outbox,
            purges,
            db: db.clone(),
        },
        &tasks,
        Journal::new(db.clone()),
    ))
}

fn web_settings(config: &Config) -> WebSettings {
    let web = &config.web;
    WebSettings {
        site_url: config.site_url(),
        site_name: web.site_name.clone(),
        revalidate_secret: config.revalidate_secret.clone(),
        revalidate_per_minute: web.revalidate_per_minute,
        stale_while_revalidate: Duration::from_secs(web.stale_while_revalidate_secs),
        html_cache_bytes: web.html_cache_mb.saturating_mul(1024 * 1024),
        bus_wait: Duration::from_millis(web.bus_wait_ms),
        currency: strata_web::money::Currency::new(&web.currency, web.irr_unit),
        surrogates: strata_web::http::Surrogates {
            site_key: config.cdn.site_key.clone(),
            // Purged CDNs keep pages and API answers this long; otherwise a page's own TTL.
            max_age: (!config.cdn.providers.is_empty()).then_some(config.cdn.max_age),
        },
    }
}

pub(crate) fn api_settings(config: &Config) -> ApiSettings {
    ApiSettings {
        page_size: config.api.page_size,
        max_page_size: config.api.max_page_size,
        upload_max_bytes: config.api.upload_max_bytes,
        session_ttl: std::time::Duration::from_secs(config.api.session_ttl_hours * 3600),
        secure_cookies: match config.api.secure_cookies {
            Some(true) => SecureCookies::Always,
            Some(false) => SecureCookies::Never,
            None => SecureCookies::WhenHttps,
        },
        trusted_proxies: config.trusted_proxies.clone(),
        site_origin: config.site_url(),
        strict_input: config.api.strict_input,
        bulk_batch_size: config.api.bulk_batch_size,
        bulk_job_max_rows: config.api.bulk_job_max_rows,
    }
}

pub async fn open_db(config: &Config) -> Result<DatabaseConnection, DbError> {
    strata_db::connect(&config.database_url, config.database_max_connections).await
}

/// Redis when `REDIS_URL` is set, else the in-process store. An unreachable Redis is not an
/// error (the engine fails open); a URL it cannot use is.
pub async fn open_cache(config: &Config) -> Result<Cache, CacheError> {
    cache_with(config, config.cache.clone()).await
}

/// [`open_cache`] for one-shot commands: without a near-cache, which a command would barely
/// read and would have to subscribe to the bus for. Its invalidations are announced all the same.
pub async fn open_command_cache(config: &Config) -> Result<Cache, CacheError> {
    let mut settings = config.cache.clone();
    settings.near.enabled = false;
    cache_with(config, settings).await
}

async fn cache_with(config: &Config, settings: CacheSettings) -> Result<Cache, CacheError> {
    match &config.redis_url {
        Some(url) => Cache::redis(url, &config.env, settings).await,
        None => Cache::memory(settings),
    }
}
