//! What every handler receives: the database, the cache (for services only), media storage,
//! settings, and the sink that turns committed mutations into invalidations.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{DatabaseTransaction, DbErr};
use strata_cache::Cache;
use strata_db::DatabaseConnection;

use crate::catalog::{Catalog, Entity};

/// The kind of mutation, as the policy lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    Delete,
    Status,
    Bulk,
    Media,
}

/// One committed mutation: what changed and which objects (ids, and slugs old and new, for
/// slug-keyed pages and tags).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub entity: Entity,
    pub op: Op,
    pub ids: Vec<i64>,
    pub slugs: Vec<String>,
}

impl Change {
    pub fn new(entity: Entity, op: Op, ids: Vec<i64>, slugs: Vec<String>) -> Self {
        Change {
            entity,
            op,
            ids,
            slugs,
        }
    }
}

/// What [`ChangeSink::record`] wrote inside a transaction (say, a journal row's id), handed back
/// to [`ChangeSink::committed`] once that transaction has committed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Receipt(pub Option<i64>);

/// Receives every change (the binary's implementation applies the invalidation map).
#[async_trait]
pub trait ChangeSink: Send + Sync {
    /// Inside the mutation's transaction: makes the change durable with the data (the
    /// invalidation journal, the outbox of external revalidations), so it commits or rolls
    /// back with it and survives a process that dies right after the commit.
    async fn record(&self, txn: &DatabaseTransaction, change: &Change) -> Result<Receipt, DbErr>;

    /// After the commit: invalidates the data cache and revalidates the web tier.
    async fn committed(&self, change: &Change, receipt: Receipt);
}

/// A stored file opened for reading: its length and its bytes, streamed.
pub struct MediaFile {
    pub len: u64,
    pub body: axum::body::Body,
}

/// Where uploaded files go: a local directory by default, object storage when configured.
#[async_trait]
pub trait MediaStorage: Send + Sync {
    async fn save(&self, name: &str, bytes: &[u8]) -> std::io::Result<()>;
    async fn delete(&self, name: &str) -> std::io::Result<()>;
    /// The file `name`, or `None` when there is none; a name that could leave the storage
    /// (`..`, a leading `/`) is an `InvalidInput` error.
    async fn open(&self, name: &str) -> std::io::Result<Option<MediaFile>>;

    /// Deletes files whose rows are committed as gone. A failure is logged, never a failed
    /// request: the row is already gone, so the file is only left unreferenced.
    async fn delete_all(&self, names: &[String]) {
        for name in names {
            if let Err(err) = self.delete(name).await {
                tracing::warn!(%name, %err, "cannot delete a media file; it is left unreferenced");
            }
        }
    }
}

/// API behaviour set from configuration.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    pub page_size: u64,
    pub max_page_size: u64,
    pub upload_max_bytes: usize,
    pub session_ttl: Duration,
    /// When cookies get `Secure` (see [`ApiSettings::secure_cookies_for`]).
    pub secure_cookies: SecureCookies,
    /// Proxies whose `X-Forwarded-For` names the client (see [`crate::ClientAddr`]).
    pub trusted_proxies: crate::client::TrustedProxies,
    /// The site's own origin (`https://example.com`), which cookie-authenticated unsafe requests
    /// must come from (Django's CSRF origin check).
    pub site_origin: String,
    /// Unknown fields in a JSON body are a 400 instead of being ignored as DRF ignores them.
    pub strict_input: bool,
    /// Rows per transaction, hence per invalidation, of a bulk job (`admin::jobs`).
    pub bulk_batch_size: usize,
    /// Most rows one bulk job may take: a filter matching more is a 400.
    pub bulk_job_max_rows: usize,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            page_size: 20,
            max_page_size: 100,
            upload_max_bytes: 5 * 1024 * 1024,
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            secure_cookies: SecureCookies::WhenHttps,
            trusted_proxies: crate::client::TrustedProxies::default(),
            site_origin: "http://127.0.0.1:8000".to_owned(),
            strict_input: false,
            bulk_batch_size: 100,
            bulk_job_max_rows: 10_000,
        }
    }
}

/// When the session, CSRF and device cookies are marked `Secure`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecureCookies {
    Always,
    /// Forced off by the operator (`api.secure_cookies = false`).
    Never,
    /// When the site is HTTPS (`web.site_url`) or a trusted proxy says the request came over
    /// HTTPS (`X-Forwarded-Proto`): the default.
    WhenHttps,
}

impl ApiSettings {
    /// Whether the site's own origin is HTTPS.
    pub fn site_is_https(&self) -> bool {
        self.site_origin
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    /// Whether cookies set in answer to this request get `Secure`.
    pub fn secure_cookies_for(&self, parts: &axum::http::request::Parts) -> bool {
        match self.secure_cookies {
            SecureCookies::Always => true,
            SecureCookies::Never => false,
            SecureCookies::WhenHttps => {
                self.site_is_https()
                    || crate::client::forwarded_https(
                        &parts.extensions,
                        &parts.headers,
                        &self.trusted_proxies,
                    )
            }
        }
    }
}

#[derive(Clone)]
pub struct Ctx {
    pub db: DatabaseConnection,
    /// For services only: views and models never touch it (checked by the crate-graph test).
    pub cache: Cache,
    pub media: Arc<dyn MediaStorage>,
    pub settings: Arc<ApiSettings>,
    /// Every app's declarations (what refers to whose rows, what embeds what).
    pub catalog: &'static Catalog,
    changes: Arc<dyn ChangeSink>,
}

impl Ctx {
    pub fn new(
        db: DatabaseConnection,
        cache: Cache,
        media: Arc<dyn MediaStorage>,
        settings: ApiSettings,
        catalog: &'static Catalog,
        changes: Arc<dyn ChangeSink>,
    ) -> Self {
        Ctx {
            db,
            cache,
            media,
            settings: Arc::new(settings),
            catalog,
            changes,
        }
    }

    /// Begins a write's transaction (`BEGIN IMMEDIATE` on SQLite, so a write that reads first
    /// cannot fail to take the write lock later; see `strata_db::begin_write`).
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        strata_db::begin_write(&self.db).await
    }

    /// Records `change` in `txn` (the outbox) and commits, then runs the change's invalidation
    /// to completion: the one way a service ends a mutation.
    ///
    /// The invalidation runs on its own task, so nothing that happens to the request after the
    /// commit — an error, the timeout layer, a client that hangs up (axum drops the handler's
    /// future) — can cancel it. The caller still waits for it, so a response is sent only once
    /// every cache has let go of the old data (read-after-ack).
    pub async fn commit(&self, txn: DatabaseTransaction, change: Change) -> Result<(), DbErr> {
        let receipt = self.changes.record(&txn, &change).await?;
        // Invalidate even when COMMIT reports an error: the outcome of a COMMIT whose answer was
        // lost is unknown, and an extra invalidation costs only a cache miss.
        let outcome = txn.commit().await;
        let sink = self.changes.clone();
        let invalidation = tokio::spawn(async move { sink.committed(&change, receipt).await });
        if let Err(error) = invalidation.await {
            tracing::error!(%error, "the invalidation task of a committed change failed");
        }
        outcome
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;
    use crate::testing;

    /// A service that commits and then fails, as a re-read after the commit once could.
    async fn commit_then_fail(ctx: &Ctx, change: Change) -> Result<(), crate::ApiError> {
        let txn = ctx.begin().await?;
        txn.execute_raw(Statement::from_string(
            txn.get_database_backend(),
            "CREATE TABLE IF NOT EXISTS probe (id INTEGER)",
        ))
        .await?;
        ctx.commit(txn, change).await?;
        Err(crate::ApiError::internal("a failure after the commit"))
    }

    #[tokio::test]
    async fn an_error_after_the_commit_cannot_skip_its_invalidation() {
        let mut databases = vec![strata_db::testing::sqlite("strata_api_commit").await];
        databases
            .extend(strata_db::testing::postgres("strata_api_commit", "commit_then_fail").await);
        for test in databases {
            let t = testing::ctx(&test.db, ApiSettings::default());
            let change = Change::new(Entity::new("tag"), Op::Update, vec![7], vec!["sea".into()]);
            assert!(commit_then_fail(&t.ctx, change.clone()).await.is_err());
            assert_eq!(t.changes.take(), [change]);
            test.close().await;
        }
    }
}
