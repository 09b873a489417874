//! Renditions: smaller copies of an uploaded image for `srcset` — [`WIDTHS`] pixels wide (only
//! those narrower than the original), each in WebP and in the original's format — stored
//! beside it under unguessable names and listed in `media_rendition`.
//!
//! They are made off the request path: once the upload has committed, [`spawn`] decodes and
//! resizes on the blocking pool (one decode at a time, held to [`Limits`]), stores the files,
//! inserts the rows and commits the owner's change, so the owner's cached payloads and pages
//! are refreshed with the variants listed. Until then, or if making them fails (logged), the
//! original serves alone. GIF originals get none: the build has no GIF codec.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageReader, Limits};
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QuerySelect,
};
use strata_api::{Change, Ctx, MediaStorage};
use tokio::sync::Semaphore;

use crate::models::{image as image_row, rendition};
use crate::services::{Owner, storage_name};
use crate::validate::{ImageFormat, MAX_PIXELS, MAX_SIDE, ValidImage};

/// The widths made, narrowest first.
pub const WIDTHS: [u32; 3] = [320, 640, 1280];

/// The decoder's allocation bound: the largest accepted image at four bytes a pixel, plus the
/// decoders' working buffers. A file that validated but decodes to more (it lied in its
/// header) fails here instead of taking the memory.
const MAX_DECODE_BYTES: u64 = MAX_PIXELS * 4 + (64 << 20);

/// One decode at a time per process: a burst of uploads queues here instead of holding
/// several full-size bitmaps at once.
static DECODES: Semaphore = Semaphore::const_new(1);

/// What an upload leaves for its renditions (from `services::add`).
pub struct RenditionJob {
    pub(crate) image_id: i64,
    pub(crate) owner: Owner,
    pub(crate) image: ValidImage,
    pub(crate) bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenditionError {
    #[error("image: {0}")]
    Image(#[from] image::ImageError),
    #[error("resize task: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("media storage: {0}")]
    Storage(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// Makes the image's renditions on a task of their own, then commits `change` (the owner's,
/// as its image writes build it) so its cached representations show them. Call it after the
/// upload's transaction has committed; the handle is for tests.
pub fn spawn(ctx: &Ctx, job: RenditionJob, change: Change) -> tokio::task::JoinHandle<()> {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let image_id = job.image_id;
        let made = match make(&ctx.db, ctx.media.as_ref(), job).await {
            Ok(Some(txn)) => ctx.commit(txn, change).await.map_err(RenditionError::from),
            Ok(None) => Ok(()),
            Err(err) => Err(err),
        };
        if let Err(err) = made {
            tracing::warn!(image_id, %err, "cannot make an image's renditions; the original serves alone");
        }
    })
}

/// Makes the image's renditions now and commits their rows, with no cache to invalidate: for
/// the demo seed, which writes before anything is cached. Request paths use [`spawn`].
pub async fn make_now(
    db: &DatabaseConnection,
    storage: &dyn MediaStorage,
    job: RenditionJob,
) -> Result<(), RenditionError> {
    if let Some(txn) = make(db, storage, job).await? {
        txn.commit().await?;
    }
    Ok(())
}

/// Decodes, resizes and stores the variants, and returns their rows in a transaction for the
/// caller to commit; `None` when there is nothing to commit (no variants, or the image was
/// deleted meanwhile, its files then removed again).
async fn make(
    db: &DatabaseConnection,
    storage: &dyn MediaStorage,
    job: RenditionJob,
) -> Result<Option<DatabaseTransaction>, RenditionError> {
    let RenditionJob {
        image_id,
        owner,
        image,
        bytes,
    } = job;
    let variants = {
        // Never closed, so the permit is always granted.
        let _permit = DECODES.acquire().await;
        tokio::task::spawn_blocking(move || resize(&bytes, image)).await??
    };
    if variants.is_empty() {
        return Ok(None);
    }
    let mut saved = Vec::with_capacity(variants.len());
    for variant in &variants {
        let name = storage_name(owner, variant.format);
        if let Err(err) = storage.save(&name, &variant.bytes).await {
            storage.delete_all(&saved).await;
            return Err(err.into());
        }
        saved.push(name);
    }
    match insert_rows(db, image_id, &variants, &saved).await {
        // From here a COMMIT whose answer is lost may have kept the rows, so the files stay.
        Ok(Some(txn)) => Ok(Some(txn)),
        // The image was deleted meanwhile: its renditions are not wanted.
        Ok(None) => {
            storage.delete_all(&saved).await;
            Ok(None)
        }
        Err(err) => {
            storage.delete_all(&saved).await;
            Err(err.into())
        }
    }
}

/// The rows, in a transaction ready to commit; `None` when the image is gone. The image is
/// held `FOR SHARE` until the commit, so a delete either went first (the image is missing
/// here) or waits and then sees these rows (see `services::delete_images`).
async fn insert_rows(
    db: &DatabaseConnection,
    image_id: i64,
    variants: &[Variant],
    files: &[String],
) -> Result<Option<DatabaseTransaction>, DbErr> {
    let txn = strata_api::begin_write(db).await?;
    let image = image_row::Entity::find_by_id(image_id)
        .lock_shared()
        .one(&txn)
        .await?;
    if image.is_none() {
        return Ok(None);
    }
    let side = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    rendition::Entity::insert_many(variants.iter().zip(files).map(|(variant, file)| {
        rendition::ActiveModel {
            image_id: Set(image_id),
            width: Set(side(variant.width)),
            height: Set(side(variant.height)),
            format: Set(variant.format.ext().to_owned()),
            file: Set(file.clone()),
            ..Default::default()
        }
    }))
    .exec(&txn)
    .await?;
    Ok(Some(txn))
}

struct Variant {
    width: u32,
    height: u32,
    format: ImageFormat,
    bytes: Vec<u8>,
}

/// The codec for a format, when the build has one.
fn codec(format: ImageFormat) -> Option<image::ImageFormat> {
    match format {
        ImageFormat::Png => Some(image::ImageFormat::Png),
        ImageFormat::Jpeg => Some(image::ImageFormat::Jpeg),
        ImageFormat::Webp => Some(image::ImageFormat::WebP),
        ImageFormat::Gif => None,
    }
}

/// The decoder's bounds: the sides upload validation allows, and [`MAX_DECODE_BYTES`].
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

/// Decodes the original and encodes each variant. Blocking: run on the blocking pool.
fn resize(bytes: &[u8], original: ValidImage) -> Result<Vec<Variant>, image::ImageError> {
    let Some(codec) = codec(original.format) else {
        return Ok(Vec::new());
    };
    // The header's width decides whether to decode at all: a small image has no variants.
    if !WIDTHS.iter().any(|width| *width < original.width) {
        return Ok(Vec::new());
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec);
    reader.limits(limits());
    let decoded = reader.decode()?;
    let mut formats = vec![(ImageFormat::Webp, image::ImageFormat::WebP)];
    if original.format != ImageFormat::Webp {
        formats.push((original.format, codec));
    }
    let (full_width, full_height) = (u64::from(decoded.width()), u64::from(decoded.height()));
    let mut variants = Vec::new();
    // Widest first, each from the one before: resizing dominates, and a smaller source halves
    // it with no visible loss (each step shrinks by about 2x at most).
    let mut source = decoded;
    for width in WIDTHS
        .into_iter()
        .rev()
        .filter(|w| u64::from(*w) < full_width)
    {
        // The original's aspect ratio, rounded, at least one pixel.
        let height = (full_height * u64::from(width) + full_width / 2) / full_width;
        let height = u32::try_from(height.max(1)).unwrap_or(u32::MAX);
        let small = source.resize_exact(width, height, FilterType::CatmullRom);
        for (format, codec) in formats.iter().rev() {
            variants.push(Variant {
                width,
                height,
                format: *format,
                bytes: encode(&small, *codec)?,
            });
        }
        source = small;
    }
    variants.reverse();
    Ok(variants)
}

/// `image` in `codec`, converted to a pixel layout the encoder takes (JPEG has no alpha; the
/// WebP encoder, lossless, takes 8-bit RGB or RGBA).
fn encode(image: &DynamicImage, codec: image::ImageFormat) -> Result<Vec<u8>, image::ImageError> {
    let converted = match codec {
        image::ImageFormat::Jpeg => Some(DynamicImage::ImageRgb8(image.to_rgb8())),
        image::ImageFormat::WebP if image.color().has_alpha() => {
            Some(DynamicImage::ImageRgba8(image.to_rgba8()))
        }
        image::ImageFormat::WebP => Some(DynamicImage::ImageRgb8(image.to_rgb8())),
        _ => None,
    };
    let mut bytes = Cursor::new(Vec::new());
    converted
        .as_ref()
        .unwrap_or(image)
        .write_to(&mut bytes, codec)?;
    Ok(bytes.into_inner())
}
