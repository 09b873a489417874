//! A file whose delete fails after its rows' commit is recorded in the same transaction and
//! retried by the sweeper until it is gone; a rolled-back delete records nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::{TempDir, backends, png};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait};
use strata_api::{MediaFile, MediaStorage};
use strata_media::models::pending_delete;
use strata_media::services::{Owner, add, delete_image_row, delete_rows_for, sweep_deletes};
use strata_media::{LocalDirStorage, Upload, validate_image};

/// The local directory, whose deletes fail while `down` is set (an unreachable bucket).
struct Flaky {
    inner: LocalDirStorage,
    down: AtomicBool,
}

#[async_trait]
impl MediaStorage for Flaky {
    async fn save(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.inner.save(name, bytes).await
    }

    async fn delete(&self, name: &str) -> std::io::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("storage unreachable"));
        }
        self.inner.delete(name).await
    }

    async fn open(&self, name: &str) -> std::io::Result<Option<MediaFile>> {
        self.inner.open(name).await
    }
}

const OWNER: Owner = Owner {
    kind: "property",
    id: 1,
};

async fn pending(db: &DatabaseConnection) -> u64 {
    pending_delete::Entity::find().count(db).await.unwrap()
}

async fn add_png(db: &DatabaseConnection, storage: &Flaky) {
    let bytes = png(2, 2);
    let image = validate_image(&bytes, 1 << 20).unwrap();
    let upload = Upload {
        bytes,
        image,
        alt: String::new(),
    };
    add(db, storage, OWNER, upload).await.unwrap();
}

#[tokio::test]
async fn a_failed_delete_is_retried_until_the_file_is_gone() {
    for test in backends("pending_delete").await {
        let db = &test.db;
        let dir = TempDir::new("pending-delete");
        let storage = Flaky {
            inner: LocalDirStorage::new(dir.path()),
            down: AtomicBool::new(true),
        };
        add_png(db, &storage).await;
        add_png(db, &storage).await;
        assert_eq!(dir.files().len(), 2);

        // A rolled-back delete records nothing.
        let txn = db.begin().await.unwrap();
        let _ = delete_rows_for(&txn, OWNER).await.unwrap();
        txn.rollback().await.unwrap();
        assert_eq!(pending(db).await, 0);

        // The owner's delete commits; its files' deletes fail (only logged) and stay recorded.
        let txn = db.begin().await.unwrap();
        let files = delete_rows_for(&txn, OWNER).await.unwrap();
        txn.commit().await.unwrap();
        storage.delete_all(&files).await;
        assert_eq!(dir.files().len(), 2);
        assert_eq!(pending(db).await, 2);

        // Within the grace period the sweeper leaves them to the request; while the storage
        // is down it keeps them.
        assert_eq!(
            sweep_deletes(db, &storage, Duration::from_secs(3600))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            sweep_deletes(db, &storage, Duration::ZERO).await.unwrap(),
            0
        );
        assert_eq!(pending(db).await, 2);

        storage.down.store(false, Ordering::SeqCst);
        assert_eq!(
            sweep_deletes(db, &storage, Duration::ZERO).await.unwrap(),
            2
        );
        assert!(dir.files().is_empty(), "{:?}", dir.files());
        assert_eq!(pending(db).await, 0);

        // One image's delete is recorded the same way; a file already gone is swept too.
        add_png(db, &storage).await;
        let id = strata_media::services::images_for(db, OWNER.kind, &[OWNER.id])
            .await
            .unwrap()[&OWNER.id][0]
            .id;
        let files = delete_image_row(db, OWNER, id).await.unwrap();
        storage.delete_all(&files).await;
        assert!(dir.files().is_empty());
        assert_eq!(pending(db).await, 1);
        assert_eq!(
            sweep_deletes(db, &storage, Duration::ZERO).await.unwrap(),
            1
        );
        assert_eq!(pending(db).await, 0);
        test.close().await;
    }
}
