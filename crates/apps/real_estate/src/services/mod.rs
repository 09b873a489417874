//! The only code of this app that reads or writes the cache. Public reads and admin lists are
//! cached (policy TTLs); admin writes are uncached and return [`strata_api::Committed`] values
//! that views publish to the invalidation map after the commit.

pub mod admin;
pub mod public;
