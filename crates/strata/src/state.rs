//! What every command and request handler shares. Later issues add the database pool here.

use std::sync::Arc;

use strata_cache::{Cache, CacheError};

use crate::config::Config;

/// The application's state: cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub cache: Cache,
}

impl AppState {
    /// Opens the stores the configuration names. Needs a tokio runtime.
    pub async fn open(config: Config) -> Result<Self, CacheError> {
        let cache = open_cache(&config).await?;
        Ok(AppState {
            config: Arc::new(config),
            cache,
        })
    }
}

/// Redis when `REDIS_URL` is set, else the in-process store. An unreachable Redis is not an
/// error (the engine fails open); a URL it cannot use is.
pub async fn open_cache(config: &Config) -> Result<Cache, CacheError> {
    match &config.redis_url {
        Some(url) => Cache::redis(url, &config.env, config.cache.clone()).await,
        None => Cache::memory(config.cache.clone()),
    }
}
