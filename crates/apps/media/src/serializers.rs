//! Images in DRF's representation. No I/O.

use serde::{Deserialize, Serialize};
use strata_plain::PlainData;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

use crate::MEDIA_URL;
use crate::models::image;
use crate::upload::ALT_MAX_CHARS;

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
}

impl PlainData for ImageOut {}

pub fn image_out(row: &image::Model) -> ImageOut {
    ImageOut {
        id: row.id,
        url: format!("{MEDIA_URL}{}", row.file),
        width: row.width,
        height: row.height,
        alt: row.alt.clone(),
        position: row.position,
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
