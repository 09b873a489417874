//! What every command and request handler shares.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use strata_api::{ApiSettings, Ctx};
use strata_cache::{Cache, CacheError};
use strata_db::{Backend, DbError};
use strata_media::LocalDirStorage;

use crate::config::Config;
use crate::invalidation::Invalidator;
use crate::migrate;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the database schema is {0} migration(s) behind: run `strata migrate` first")]
    Unmigrated(usize),
}

/// The application's state: cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub cache: Cache,
    /// What API handlers receive: database, cache, media storage, invalidation.
    pub api: Ctx,
}

impl AppState {
    /// Opens the stores the configuration names. On the embedded default (SQLite) the schema is
    /// migrated here; a shared PostgreSQL is migrated by the operator (`strata migrate`), so
    /// instances starting together never race on it.
    pub async fn open(config: Config) -> Result<Self, StateError> {
        let cache = open_cache(&config).await?;
        let db = open_db(&config).await?;
        if Backend::of_url(&config.database_url)? == Backend::Sqlite {
            migrate::migrate(&db).await?;
        } else {
            let pending = migrate::pending(&db).await?;
            if pending > 0 {
                return Err(StateError::Unmigrated(pending));
            }
        }
        let api = Ctx::new(
            db,
            cache.clone(),
            Arc::new(LocalDirStorage::new(&config.media_dir)),
            api_settings(&config),
            Arc::new(Invalidator::new(cache.clone())),
        );
        Ok(AppState {
            config: Arc::new(config),
            cache,
            api,
        })
    }
}

fn api_settings(config: &Config) -> ApiSettings {
    ApiSettings {
        page_size: config.api.page_size,
        max_page_size: config.api.max_page_size,
        upload_max_bytes: config.api.upload_max_bytes,
        session_ttl: std::time::Duration::from_secs(config.api.session_ttl_hours * 3600),
        secure_cookies: config.api.secure_cookies,
    }
}

pub async fn open_db(config: &Config) -> Result<DatabaseConnection, DbError> {
    strata_db::connect(&config.database_url, config.database_max_connections).await
}

/// Redis when `REDIS_URL` is set, else the in-process store. An unreachable Redis is not an
/// error (the engine fails open); a URL it cannot use is.
pub async fn open_cache(config: &Config) -> Result<Cache, CacheError> {
    match &config.redis_url {
        Some(url) => Cache::redis(url, &config.env, config.cache.clone()).await,
        None => Cache::memory(config.cache.clone()),
    }
}
