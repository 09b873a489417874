//! Media: uploaded images, validated from their bytes, size-limited, ordered per owner, stored
//! through [`strata_api::MediaStorage`] (a local directory by default) and served at `/media/`.
//! Not cached itself: owners embed [`ImageOut`] in their own (cached) payloads.

mod migrations;
pub mod models;
pub mod serializers;
pub mod services;
pub mod storage;
pub mod upload;
pub mod validate;

use sea_orm_migration::MigrationTrait;

pub use serializers::ImageOut;
pub use storage::LocalDirStorage;

/// Where stored files are served.
pub const MEDIA_URL: &str = "/media/";

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::all()
}
