//! The only code of this app that reads or writes the cache. Public reads are cached for the
//! policy's TTLs; the admin resources are declared in `admin` (their lists are cached by
//! `strata_api::admin`); every write ends with `Ctx::commit`, which runs the change's
//! invalidation to completion.

pub mod admin;
pub mod public;
