//! The only code of this app that reads or writes the cache. Public reads are cached for the
//! taxonomy TTL, admin lists for the admin TTL; admin writes are uncached and return
//! [`strata_api::Committed`] values that views publish to the invalidation map.

pub mod admin;
pub mod public;
