//! The services against real databases — SQLite, and PostgreSQL when reachable (required
//! under `CI=true`) — with the local directory storage in a temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use async_trait::async_trait;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::{GIF_1X1, TempDir, TestDb, backends, jpeg, png};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait};
use strata_api::{ApiError, MediaStorage};
use strata_media::models::image;
use strata_media::services::{
    Owner, add, delete_all_for, delete_image_row, delete_rows_for, images_for, reorder,
};
use strata_media::{ImageOut, LocalDirStorage, MediaError, Upload, validate_image};

const PROPERTY: &str = "property";

fn property(id: i64) -> Owner {
    Owner { kind: PROPERTY, id }
}

fn upload(bytes: Vec<u8>, alt: &str) -> Upload {
    let image = validate_image(&bytes, 1 << 20).unwrap();
    Upload {
        bytes,
        image,
        alt: alt.to_owned(),
    }
}

/// A database of each backend with an empty storage directory.
async fn sites(test: &str) -> Vec<(TestDb, TempDir, LocalDirStorage)> {
    let mut sites = Vec::new();
    for db in backends(test).await {
        let dir = TempDir::new(test);
        let storage = LocalDirStorage::new(dir.path());
        sites.push((db, dir, storage));
    }
    sites
}

async fn add_png(db: &DatabaseConnection, storage: &LocalDirStorage, owner: Owner) -> ImageOut {
    add(db, storage, owner, upload(png(2, 3), ""))
        .await
        .unwrap()
        .image
}

fn ids(images: &[ImageOut]) -> Vec<i64> {
    images.iter().map(|i| i.id).collect()
}

async fn order_of(db: &DatabaseConnection, owner: Owner) -> Vec<ImageOut> {
    images_for(db, owner.kind, &[owner.id])
        .await
        .unwrap()
        .remove(&owner.id)
        .unwrap_or_default()
}

async fn row_count(db: &DatabaseConnection) -> u64 {
    image::Entity::find().count(db).await.unwrap()
}

/// The file behind an image's URL.
fn stored(dir: &TempDir, image: &ImageOut) -> std::path::PathBuf {
    dir.path().join(image.url.strip_prefix("/media/").unwrap())
}

async fn api_error(err: MediaError) -> (StatusCode, serde_json::Value) {
    let response = ApiError::from(err).into_response();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

/// What the owner's service does: the row (in its transaction), then the file.
async fn delete_image(
    db: &DatabaseConnection,
    storage: &dyn MediaStorage,
    owner: Owner,
    image_id: i64,
) -> Result<(), MediaError> {
    let files = delete_image_row(db, owner, image_id).await?;
    storage.delete_all(&files).await;
    Ok(())
}

#[tokio::test]
async fn big_integer_ids_autoincrement_and_are_never_reused() {
    for (test, _dir, storage) in sites("ids_autoincrement").await {
        let db = &test.db;
        let first = add_png(db, &storage, property(1)).await;
        let second = add_png(db, &storage, property(1)).await;
        assert!(first.id > 0 && second.id > first.id, "{}", test.backend);
        delete_image(db, &storage, property(1), second.id)
            .await
            .unwrap();
        let third = add_png(db, &storage, property(1)).await;
        assert!(third.id > second.id, "{}: an id was reused", test.backend);
        if test.backend == "sqlite" {
            // The 64-bit rowid alias, with AUTOINCREMENT so deleted ids stay retired.
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    "SELECT sql FROM sqlite_master WHERE name = 'media_image'",
                ))
                .await
                .unwrap()
                .unwrap();
            let sql: String = row.try_get("", "sql").unwrap();
            assert!(
                sql.contains("\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT"),
                "{sql}"
            );
        }
        test.close().await;
    }
}

#[tokio::test]
async fn add_stores_the_file_and_appends_the_row() {
    for (test, dir, storage) in sites("add").await {
        let db = &test.db;
        let images = [
            (png(3, 2), "front", "png", "image/png", 3, 2),
            (jpeg(9, 7), "", "jpg", "image/jpeg", 9, 7),
            (GIF_1X1.to_vec(), "نمای جلو", "gif", "image/gif", 1, 1),
        ];
        let mut added = Vec::new();
        for (position, (bytes, alt, ext, content_type, width, height)) in
            images.into_iter().enumerate()
        {
            let image = add(db, &storage, property(7), upload(bytes.clone(), alt))
                .await
                .unwrap()
                .image;
            let name = image
                .url
                .strip_prefix("/media/images/property/")
                .unwrap()
                .strip_suffix(&format!(".{ext}"))
                .unwrap();
            assert_eq!(name.len(), 32, "{}", image.url);
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
            assert_eq!(
                (
                    image.width,
                    image.height,
                    image.alt.as_str(),
                    image.position
                ),
                (width, height, alt, position as i32)
            );
            assert_eq!(std::fs::read(stored(&dir, &image)).unwrap(), bytes);
            let row = image::Entity::find_by_id(image.id)
                .one(db)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (
                    row.owner_type.as_str(),
                    row.owner_id,
                    row.content_type.as_str(),
                    row.size_bytes
                ),
                (PROPERTY, 7, content_type, bytes.len() as i64)
            );
            assert_eq!(format!("/media/{}", row.file), image.url);
            assert!((chrono::Utc::now() - row.created_at).num_seconds() < 60);
            added.push(image);
        }
        assert_eq!(order_of(db, property(7)).await, added);
        assert_eq!(dir.files().len(), 3);
        test.close().await;
    }
}

#[tokio::test]
async fn images_for_reads_each_owners_images_in_order() {
    for (test, _dir, storage) in sites("images_for").await {
        let db = &test.db;
        let a1 = add_png(db, &storage, property(1)).await;
        let b1 = add_png(db, &storage, property(2)).await;
        let a2 = add_png(db, &storage, property(1)).await;
        // Same id, another kind of owner: not a property's image.
        add_png(
            db,
            &storage,
            Owner {
                kind: "post",
                id: 1,
            },
        )
        .await;
        reorder(db, property(1), &[a2.id, a1.id]).await.unwrap();

        let map = images_for(db, PROPERTY, &[1, 2, 3]).await.unwrap();
        assert_eq!(ids(&map[&1]), [a2.id, a1.id]);
        assert_eq!(
            map[&1].iter().map(|i| i.position).collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!(map[&2], [b1]);
        assert!(!map.contains_key(&3));
        assert_eq!(map.len(), 2);
        assert_eq!(images_for(db, PROPERTY, &[]).await.unwrap(), HashMap::new());
        test.close().await;
    }
}

#[tokio::test]
async fn reorder_sets_every_position_at_once() {
    for (test, _dir, storage) in sites("reorder").await {
        let db = &test.db;
        let a = add_png(db, &storage, property(5)).await;
        let b = add_png(db, &storage, property(5)).await;
        let c = add_png(db, &storage, property(5)).await;
        let reordered = reorder(db, property(5), &[c.id, a.id, b.id]).await.unwrap();
        assert_eq!(ids(&reordered), [c.id, a.id, b.id]);
        assert_eq!(
            reordered.iter().map(|i| i.position).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(order_of(db, property(5)).await, reordered);
        // The same order again changes nothing.
        assert_eq!(
            reorder(db, property(5), &[c.id, a.id, b.id]).await.unwrap(),
            reordered
        );
        // An owner without images has the empty order.
        assert_eq!(reorder(db, property(6), &[]).await.unwrap(), []);
        test.close().await;
    }
}

#[tokio::test]
async fn reorder_with_wrong_ids_is_refused_and_changes_nothing() {
    for (test, _dir, storage) in sites("reorder_wrong_ids").await {
        let db = &test.db;
        let a = add_png(db, &storage, property(5)).await;
        let b = add_png(db, &storage, property(5)).await;
        let other = add_png(db, &storage, property(6)).await;
        let before = order_of(db, property(5)).await;
        let cases = [
            (
                vec![b.id],
                vec![format!(
                    "List every image of this property exactly once; missing: {}.",
                    a.id
                )],
            ),
            (
                vec![b.id, a.id, other.id],
                vec![format!(
                    "Invalid pk \"{}\" - object does not exist.",
                    other.id
                )],
            ),
            (
                vec![b.id, a.id, b.id],
                vec![format!("Each image may be listed only once: {}.", b.id)],
            ),
            (
                vec![],
                vec![format!(
                    "List every image of this property exactly once; missing: {}, {}.",
                    a.id, b.id
                )],
            ),
            (
                vec![999_999, b.id],
                vec![
                    "Invalid pk \"999999\" - object does not exist.".to_owned(),
                    format!(
                        "List every image of this property exactly once; missing: {}.",
                        a.id
                    ),
                ],
            ),
        ];
        for (wanted, messages) in cases {
            let err = reorder(db, property(5), &wanted).await.unwrap_err();
            assert!(matches!(err, MediaError::Invalid(_)), "{err:?}");
            let (status, body) = api_error(err).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(body, serde_json::json!({ "ids": messages }), "{wanted:?}");
            assert_eq!(order_of(db, property(5)).await, before);
        }
        assert_eq!(order_of(db, property(6)).await, [other]);
        test.close().await;
    }
}

#[tokio::test]
async fn reorder_inside_a_transaction_follows_it() {
    for (test, _dir, storage) in sites("reorder_in_transaction").await {
        let db = &test.db;
        let a = add_png(db, &storage, property(5)).await;
        let b = add_png(db, &storage, property(5)).await;

        let txn = db.begin().await.unwrap();
        reorder(&txn, property(5), &[b.id, a.id]).await.unwrap();
        txn.rollback().await.unwrap();
        assert_eq!(ids(&order_of(db, property(5)).await), [a.id, b.id]);

        let txn = db.begin().await.unwrap();
        reorder(&txn, property(5), &[b.id, a.id]).await.unwrap();
        txn.commit().await.unwrap();
        assert_eq!(ids(&order_of(db, property(5)).await), [b.id, a.id]);
        test.close().await;
    }
}

#[tokio::test]
async fn delete_image_removes_the_row_then_the_file() {
    for (test, dir, storage) in sites("delete_image").await {
        let db = &test.db;
        let mine = add_png(db, &storage, property(1)).await;
        let theirs = add_png(db, &storage, property(2)).await;

        // Another owner's image is not found, and stays.
        let err = delete_image(db, &storage, property(1), theirs.id)
            .await
            .unwrap_err();
        assert!(matches!(err, MediaError::NotFound));
        assert_eq!(
            api_error(err).await,
            (
                StatusCode::NOT_FOUND,
                serde_json::json!({"detail": "Not found."})
            )
        );
        assert!(stored(&dir, &theirs).exists());
        assert_eq!(
            order_of(db, property(2)).await,
            std::slice::from_ref(&theirs)
        );

        delete_image(db, &storage, property(1), mine.id)
            .await
            .unwrap();
        assert_eq!(order_of(db, property(1)).await, []);
        assert!(!stored(&dir, &mine).exists());
        assert!(matches!(
            delete_image(db, &storage, property(1), mine.id).await,
            Err(MediaError::NotFound)
        ));
        assert!(matches!(
            delete_image(db, &storage, property(1), 424_242).await,
            Err(MediaError::NotFound)
        ));
        assert_eq!(dir.files().len(), 1);
        test.close().await;
    }
}

#[tokio::test]
async fn deleting_an_owner_deletes_its_images() {
    for (test, dir, storage) in sites("delete_owner").await {
        let db = &test.db;
        let doomed = [
            add_png(db, &storage, property(1)).await,
            add_png(db, &storage, property(1)).await,
        ];
        let kept = add_png(db, &storage, property(2)).await;

        // Inside the owner's transaction: a rollback keeps rows and files.
        let txn = db.begin().await.unwrap();
        let files = delete_rows_for(&txn, property(1)).await.unwrap();
        assert_eq!(files.len(), 2);
        txn.rollback().await.unwrap();
        assert_eq!(order_of(db, property(1)).await, doomed);
        assert!(doomed.iter().all(|i| stored(&dir, i).exists()));

        // A commit, then the files.
        let txn = db.begin().await.unwrap();
        let files = delete_rows_for(&txn, property(1)).await.unwrap();
        txn.commit().await.unwrap();
        storage.delete_all(&files).await;
        assert_eq!(order_of(db, property(1)).await, []);
        assert!(doomed.iter().all(|i| !stored(&dir, i).exists()));
        assert_eq!(order_of(db, property(2)).await, std::slice::from_ref(&kept));

        // Without a surrounding transaction.
        assert_eq!(delete_all_for(db, &storage, property(2)).await.unwrap(), 1);
        assert_eq!(delete_all_for(db, &storage, property(2)).await.unwrap(), 0);
        assert_eq!(row_count(db).await, 0);
        assert!(dir.files().is_empty(), "{:?}", dir.files());
        test.close().await;
    }
}

#[tokio::test]
async fn a_failed_insert_leaves_no_file_behind() {
    for (test, dir, storage) in sites("failed_insert").await {
        let db = &test.db;
        // The insert itself fails (the position query before it succeeds).
        if test.backend == "sqlite" {
            db.execute_unprepared(
                "CREATE TRIGGER media_refuse BEFORE INSERT ON media_image \
                 BEGIN SELECT RAISE(ABORT, 'refused'); END",
            )
            .await
            .unwrap();
        } else {
            db.execute_unprepared(
                "CREATE FUNCTION media_refuse() RETURNS trigger LANGUAGE plpgsql \
                 AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
            )
            .await
            .unwrap();
            db.execute_unprepared(
                "CREATE TRIGGER media_refuse BEFORE INSERT ON media_image \
                 FOR EACH ROW EXECUTE FUNCTION media_refuse()",
            )
            .await
            .unwrap();
        }
        let err = add(db, &storage, property(1), upload(png(1, 1), ""))
            .await
            .map(|added| added.image)
            .unwrap_err();
        assert!(matches!(err, MediaError::Db(_)), "{err:?}");
        assert_eq!(
            api_error(err).await,
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"detail": "A server error occurred."})
            )
        );
        assert!(dir.files().is_empty(), "{:?}", dir.files());
        assert_eq!(row_count(db).await, 0);
        test.close().await;
    }
}

#[tokio::test]
async fn an_unusable_database_leaves_no_file_behind() {
    // No migrations: the table is missing.
    let test = common::sqlite(false).await;
    let dir = TempDir::new("no_table");
    let storage = LocalDirStorage::new(dir.path());
    let err = add(&test.db, &storage, property(1), upload(png(1, 1), ""))
        .await
        .map(|added| added.image)
        .unwrap_err();
    assert!(matches!(err, MediaError::Db(_)), "{err:?}");
    assert!(dir.files().is_empty(), "{:?}", dir.files());
    test.close().await;
}

/// Storage that refuses every write.
struct FullDisk;

#[async_trait]
impl MediaStorage for FullDisk {
    async fn save(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "disk full",
        ))
    }

    async fn delete(&self, _: &str) -> std::io::Result<()> {
        Ok(())
    }

    async fn open(&self, _: &str) -> std::io::Result<Option<strata_api::MediaFile>> {
        Ok(None)
    }
}

#[tokio::test]
async fn a_failed_store_inserts_no_row() {
    for (test, _dir, _storage) in sites("failed_store").await {
        let err = add(&test.db, &FullDisk, property(1), upload(png(1, 1), ""))
            .await
            .map(|added| added.image)
            .unwrap_err();
        assert!(matches!(err, MediaError::Storage(_)), "{err:?}");
        assert_eq!(api_error(err).await.0, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(row_count(&test.db).await, 0);
        test.close().await;
    }
}
