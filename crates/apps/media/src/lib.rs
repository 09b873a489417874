//! Media: uploaded images, validated from their bytes, size-limited, ordered per owner, stored
//! through [`strata_api::MediaStorage`] (a local directory by default) and served at `/media/`.
//!
//! Layers, as in every app: [`models`] (the `media_image` table), [`serializers`] ([`ImageOut`],
//! plain data), [`services`] (add, reorder, delete, batch reads), [`renditions`] (resized
//! variants, made after the upload commits), plus what the owners' views need: [`upload::read_image_upload`] for the multipart form and [`validate`] for the bytes.
//!
//! Media has no data cache of its own: owners embed [`ImageOut`] in their own cached payloads,
//! and the invalidation map refreshes the owner after every media mutation.

mod migrations;
pub mod models;
pub mod renditions;
#[cfg(feature = "s3")]
pub mod s3;
pub mod serializers;
pub mod services;
pub mod storage;
pub mod strip;
pub mod upload;
pub mod validate;

use sea_orm_migration::MigrationTrait;

pub use serializers::{ImageOut, VariantOut};
pub use services::{MediaError, Owner};
pub use storage::{LocalDirStorage, check_name};
pub use strip::strip_metadata;
pub use upload::{ImageForm, Upload, read_image_upload};
pub use validate::{ImageFormat, InvalidImage, ValidImage, validate_image};

/// Where stored files are served: a stored name `images/property/ab12….png` is at
/// `/media/images/property/ab12….png`.
pub const MEDIA_URL: &str = "/media/";

/// This app's schema, for the binary's migrator.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::all()
}
