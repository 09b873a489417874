//! Uploaded images. Persistence only: no cache, no HTTP.

pub mod image;
pub mod pending_delete;
pub mod rendition;
