//! Renditions against real databases (SQLite, and PostgreSQL when reachable): made after the
//! upload, listed by width, the right sizes and formats in storage; none for a small image;
//! deleted with their image; not kept for an image deleted while they were being made.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestDb, backends, jpeg, png};
use sea_orm::{EntityTrait, PaginatorTrait};
use strata_api::testing::{TestCtx, ctx};
use strata_api::{Change, Entity, MediaStorage, Op};
use strata_media::models::{pending_delete, rendition};
use strata_media::renditions;
use strata_media::services::{Added, Owner, add, delete_image_row, images_for};
use strata_media::{ImageOut, Upload, VariantOut, validate_image};

const OWNER: Owner = Owner {
    kind: "property",
    id: 7,
};

fn upload(bytes: Vec<u8>) -> Upload {
    let image = validate_image(&bytes, 1 << 24).unwrap();
    Upload {
        bytes,
        image,
        alt: String::new(),
    }
}

fn change() -> Change {
    Change::new(
        Entity::new("property"),
        Op::Media,
        vec![OWNER.id],
        vec!["p".to_owned()],
    )
}

/// Adds the image and waits for its renditions.
async fn add_with_renditions(test: &TestCtx, bytes: Vec<u8>) -> ImageOut {
    let Added { image, renditions } = add(&test.ctx.db, test.media.as_ref(), OWNER, upload(bytes))
        .await
        .unwrap();
    renditions::spawn(&test.ctx, renditions, change())
        .await
        .unwrap();
    image
}

async fn variants(test: &TestCtx) -> Vec<VariantOut> {
    let images = images_for(&test.ctx.db, OWNER.kind, &[OWNER.id])
        .await
        .unwrap();
    images[&OWNER.id][0].variants.clone()
}

/// The stored bytes behind a variant's URL, and their sniffed size and type.
async fn stored(test: &TestCtx, variant: &VariantOut) -> (usize, usize, imagesize::ImageType) {
    let name = variant.url.strip_prefix("/media/").unwrap();
    let file = test.media.open(name).await.unwrap().unwrap();
    let bytes = axum::body::to_bytes(file.body, usize::MAX).await.unwrap();
    let size = imagesize::blob_size(&bytes).unwrap();
    (
        size.width,
        size.height,
        imagesize::image_type(&bytes).unwrap(),
    )
}

fn tests(db: &TestDb) -> TestCtx {
    ctx(&db.db, Default::default())
}

#[tokio::test]
async fn renditions_are_made_listed_and_stored() {
    for db in backends("renditions_made").await {
        let test = tests(&db);
        // 700×350: 320 and 640 are narrower, 1280 is not.
        let added = add_with_renditions(&test, png(700, 350)).await;
        assert!(added.variants.is_empty(), "none before the task");
        let listed = variants(&test).await;
        let shape: Vec<(i32, i32, &str)> = listed
            .iter()
            .map(|v| (v.width, v.height, v.format.as_str()))
            .collect();
        assert_eq!(
            shape,
            [
                (320, 160, "image/webp"),
                (320, 160, "image/png"),
                (640, 320, "image/webp"),
                (640, 320, "image/png"),
            ]
        );
        for variant in &listed {
            let (width, height, kind) = stored(&test, variant).await;
            assert_eq!(
                (width as i32, height as i32),
                (variant.width, variant.height)
            );
            let expected = match variant.format.as_str() {
                "image/webp" => imagesize::ImageType::Webp,
                _ => imagesize::ImageType::Png,
            };
            assert_eq!(kind, expected, "{}", variant.url);
        }
        // The owner's change is committed once the rows are in, for its caches.
        assert_eq!(test.changes.take(), [change()]);
        // The original and four renditions.
        assert_eq!(test.media.names().len(), 5);

        // A JPEG gets JPEG renditions beside the WebP ones; 1280 is made for a wider one.
        let jpeg_test = tests(&db);
        add_with_renditions(&jpeg_test, jpeg(1300, 16)).await;
        let images = images_for(&db.db, OWNER.kind, &[OWNER.id]).await.unwrap();
        let formats: Vec<(i32, &str)> = images[&OWNER.id][1]
            .variants
            .iter()
            .map(|v| (v.width, v.format.as_str()))
            .collect();
        assert_eq!(
            formats,
            [
                (320, "image/webp"),
                (320, "image/jpeg"),
                (640, "image/webp"),
                (640, "image/jpeg"),
                (1280, "image/webp"),
                (1280, "image/jpeg"),
            ]
        );
        for variant in &images[&OWNER.id][1].variants {
            let (width, _, _) = stored(&jpeg_test, variant).await;
            assert_eq!(width as i32, variant.width);
        }
    }
}

#[tokio::test]
async fn a_small_image_has_no_renditions() {
    for db in backends("renditions_small").await {
        let test = tests(&db);
        add_with_renditions(&test, png(320, 200)).await;
        assert!(variants(&test).await.is_empty());
        assert_eq!(rendition::Entity::find().count(&db.db).await.unwrap(), 0);
        assert_eq!(test.media.names().len(), 1);
        assert!(test.changes.take().is_empty());
    }
}

#[tokio::test]
async fn deleting_the_image_deletes_its_renditions() {
    for db in backends("renditions_deleted").await {
        let test = tests(&db);
        let added = add_with_renditions(&test, png(400, 40)).await;
        let files = delete_image_row(&db.db, OWNER, added.id).await.unwrap();
        assert_eq!(files.len(), 3, "the original and two renditions: {files:?}");
        assert_eq!(rendition::Entity::find().count(&db.db).await.unwrap(), 0);
        assert_eq!(
            pending_delete::Entity::find().count(&db.db).await.unwrap(),
            3
        );
        test.media.delete_all(&files).await;
        assert!(test.media.names().is_empty(), "{:?}", test.media.names());
    }
}

#[tokio::test]
async fn renditions_of_an_image_deleted_meanwhile_are_not_kept() {
    for db in backends("renditions_orphan").await {
        let test = tests(&db);
        let added = add(
            &test.ctx.db,
            test.media.as_ref(),
            OWNER,
            upload(png(400, 40)),
        )
        .await
        .unwrap();
        let files = delete_image_row(&db.db, OWNER, added.image.id)
            .await
            .unwrap();
        test.media.delete_all(&files).await;
        renditions::spawn(&test.ctx, added.renditions, change())
            .await
            .unwrap();
        assert_eq!(rendition::Entity::find().count(&db.db).await.unwrap(), 0);
        assert!(test.media.names().is_empty(), "{:?}", test.media.names());
        assert!(test.changes.take().is_empty());
    }
}
