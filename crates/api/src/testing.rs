//! For apps' service tests (feature `testing`): a [`Ctx`] around a test database with an
//! in-process cache, media kept in memory, and a sink that records every change — so a test
//! can check what a service published without the binary's invalidation map.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use strata_cache::Cache;

use crate::context::{ApiSettings, Change, ChangeSink, Ctx, MediaFile, MediaStorage, Receipt};

/// Records each committed change, in order.
#[derive(Default)]
pub struct RecordingSink {
    changes: Mutex<Vec<Change>>,
}

impl RecordingSink {
    /// The changes committed since the last call.
    pub fn take(&self) -> Vec<Change> {
        std::mem::take(&mut *self.changes.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[async_trait]
impl ChangeSink for RecordingSink {
    async fn record(&self, _: &DatabaseTransaction, _: &Change) -> Result<Receipt, DbErr> {
        Ok(Receipt::default())
    }

    async fn committed(&self, change: &Change, _: Receipt) {
        self.changes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(change.clone());
    }
}

/// Files by name, in memory.
#[derive(Default)]
pub struct MemoryStorage {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStorage {
    pub fn names(&self) -> Vec<String> {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }
}

#[async_trait]
impl MediaStorage for MemoryStorage {
    async fn save(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }

    async fn delete(&self, name: &str) -> std::io::Result<()> {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
        Ok(())
    }

    async fn open(&self, name: &str) -> std::io::Result<Option<MediaFile>> {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        Ok(files.get(name).map(|bytes| MediaFile {
            len: bytes.len() as u64,
            body: axum::body::Body::from(bytes.clone()),
        }))
    }
}

/// A context as handlers receive it, with what it records.
pub struct TestCtx {
    pub ctx: Ctx,
    pub changes: Arc<RecordingSink>,
    pub media: Arc<MemoryStorage>,
}

/// A context around `db` with `settings`, and no app's declarations (no other app refers to
/// the tested app's rows).
pub fn ctx(db: &DatabaseConnection, settings: ApiSettings) -> TestCtx {
    let changes = Arc::new(RecordingSink::default());
    let media = Arc::new(MemoryStorage::default());
    let cache = match Cache::memory(Default::default()) {
        Ok(cache) => cache,
        Err(error) => panic!("the in-process cache cannot start: {error}"),
    };
    TestCtx {
        ctx: Ctx::new(
            db.clone(),
            cache,
            media.clone(),
            settings,
            crate::catalog::Catalog::empty(),
            changes.clone(),
        ),
        changes,
        media,
    }
}
