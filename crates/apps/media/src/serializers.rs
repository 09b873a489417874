//! Images in DRF's representation. No I/O.

use serde::{Deserialize, Serialize};
use strata_plain::PlainData;
use utoipa::ToSchema;

use crate::MEDIA_URL;
use crate::models::image;

/// An image as its owner's payload embeds it (and caches it, so it is plain data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImageOut {
    pub id: i64,
    /// Site-relative URL under `/media/`.
    pub url: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
    pub position: i32,
}

impl PlainData for ImageOut {}

pub fn image_out(m: &image::Model) -> ImageOut {
    ImageOut {
        id: m.id,
        url: format!("{MEDIA_URL}{}", m.file),
        width: m.width,
        height: m.height,
        alt: m.alt.clone(),
        position: m.position,
    }
}
