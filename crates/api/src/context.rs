//! What every handler receives: the database, the cache (for services only), media storage,
//! settings, and the sink that turns committed mutations into invalidations.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{DatabaseTransaction, DbErr};
use strata_cache::Cache;
use strata_db::DatabaseConnection;

/// Every model whose mutation invalidates something. The invalidation map (in the `strata`
/// binary) matches on this exhaustively, so a new model without a rule does not compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Category,
    Tag,
    Option,
    Property,
}

/// The kind of mutation, as the policy lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Receives every change (the binary's implementation applies the invalidation map).
#[async_trait]
pub trait ChangeSink: Send + Sync {
    /// Inside the mutation's transaction: makes what must outlive this process durable with
    /// the data (the outbox of external revalidations), so it commits or rolls back with it.
    async fn record(&self, txn: &DatabaseTransaction, change: &Change) -> Result<(), DbErr>;

    /// After the commit: invalidates the data cache and revalidates the web tier.
    async fn committed(&self, change: &Change);
}

/// A mutation's result. Only [`Ctx::commit`] makes one, and a view can only unwrap it by
/// publishing its changes ([`Ctx::publish`]) — so no mutation path forgets to invalidate.
#[must_use = "publish a committed mutation with Ctx::publish"]
pub struct Committed<T> {
    value: T,
    changes: Vec<Change>,
}

impl<T> Committed<T> {
    /// The same committed changes, carrying the value read after the commit.
    pub fn with<U>(self, value: U) -> Committed<U> {
        Committed {
            value,
            changes: self.changes,
        }
    }

    pub fn changes(&self) -> &[Change] {
        &self.changes
    }
}

/// Where uploaded files go: a local directory by default, object storage when configured.
#[async_trait]
pub trait MediaStorage: Send + Sync {
    async fn save(&self, name: &str, bytes: &[u8]) -> std::io::Result<()>;
    async fn delete(&self, name: &str) -> std::io::Result<()>;
}

/// API behaviour set from configuration.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    pub page_size: u64,
    pub max_page_size: u64,
    pub upload_max_bytes: usize,
    pub session_ttl: Duration,
    /// `Secure` on cookies: on behind HTTPS, off for `http://127.0.0.1`.
    pub secure_cookies: bool,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            page_size: 20,
            max_page_size: 100,
            upload_max_bytes: 5 * 1024 * 1024,
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            secure_cookies: false,
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
    changes: Arc<dyn ChangeSink>,
}

impl Ctx {
    pub fn new(
        db: DatabaseConnection,
        cache: Cache,
        media: Arc<dyn MediaStorage>,
        settings: ApiSettings,
        changes: Arc<dyn ChangeSink>,
    ) -> Self {
        Ctx {
            db,
            cache,
            media,
            settings: Arc::new(settings),
            changes,
        }
    }

    /// Records `change` in `txn` (the outbox) and commits: the one way a service ends a
    /// mutation.
    pub async fn commit(
        &self,
        txn: DatabaseTransaction,
        change: Change,
    ) -> Result<Committed<()>, DbErr> {
        self.changes.record(&txn, &change).await?;
        txn.commit().await?;
        Ok(Committed {
            value: (),
            changes: vec![change],
        })
    }

    /// Hands a committed mutation's changes to the invalidation map, then returns its value.
    /// Called after the database commit, so the first read afterwards loads the new rows.
    pub async fn publish<T>(&self, committed: Committed<T>) -> T {
        for change in &committed.changes {
            self.changes.committed(change).await;
        }
        committed.value
    }
}
