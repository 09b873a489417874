//! Taxonomy tables. Persistence only: no cache, no HTTP.

pub mod category;
pub mod option;
pub mod tag;
