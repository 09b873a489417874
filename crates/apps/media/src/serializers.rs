//! Images in DRF's representation. No I/O.

use serde::{Deserialize, Serialize};
use strata_plain::PlainData;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

use crate::MEDIA_URL;
use crate::models::{image, rendition};
use crate::upload::ALT_MAX_CHARS;
use crate::validate::ImageFormat;

/// An image as its owner's payload embeds it. Plain data: owners cache it inside their own
/// payloads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImageOut {
    pub id: i64,
    /// Site-relative URL under `/media/`.
    #[schema(example = "/media/images/property/3f2a9c0e8b7d4e1fa6c5b2d9e0f1a2b3.jpg")]
    pub url: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
    /// 0-based place in the owner's order.
    pub position: i32,
    /// Smaller copies for `srcset`, by width (each in WebP and in the original's format);
    /// empty until they are made, shortly after the upload.
    // Defaulted: payloads cached before renditions existed lack it. Always sent, though.
    #[serde(default)]
    #[schema(required = true)]
    pub variants: Vec<VariantOut>,
}

impl PlainData for ImageOut {}

/// One rendition of an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VariantOut {
    pub width: i32,
    pub height: i32,
    /// Its content type, as `<source type>` takes it.
    #[schema(example = "image/webp")]
    pub format: String,
    /// Site-relative URL under `/media/`.
    #[schema(example = "/media/images/property/9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f.webp")]
    pub url: String,
}

impl PlainData for VariantOut {}

pub fn image_out(row: &image::Model, variants: Vec<VariantOut>) -> ImageOut {
    ImageOut {
        id: row.id,
        url: format!("{MEDIA_URL}{}", row.file),
        width: row.width,
        height: row.height,
        alt: row.alt.clone(),
        position: row.position,
        variants,
    }
}

/// A rendition row's output; a format the row does not name (never written) falls back to a
/// generic binary type rather than failing the owner's read.
pub fn variant_out(row: &rendition::Model) -> VariantOut {
    VariantOut {
        width: row.width,
        height: row.height,
        format: ImageFormat::from_ext(&row.format)
            .map_or("application/octet-stream", ImageFormat::content_type)
            .to_owned(),
        url: format!("{MEDIA_URL}{}", row.file),
    }
}

/// The `multipart/form-data` body of an image upload, as `upload::read_image_upload` reads it:
/// a required `file` part (PNG, JPEG, GIF or WebP) and an optional `alt` text. Documentation
/// only: the parts are read as they stream, never into this type.
pub struct ImageUpload;

impl PartialSchema for ImageUpload {
    fn schema() -> RefOr<Schema> {
        let file = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .content_media_type("application/octet-stream")
            .description(Some(
                "PNG, JPEG, GIF or WebP; its bytes decide, not its name",
            ));
        let alt = ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(ALT_MAX_CHARS))
            .description(Some("Alternative text"));
        ObjectBuilder::new()
            .property("file", file)
            .required("file")
            .property("alt", alt)
            .into()
    }
}

impl ToSchema for ImageUpload {}
