//! Uploaded images. Persistence only: no cache, no HTTP.

pub mod image;
