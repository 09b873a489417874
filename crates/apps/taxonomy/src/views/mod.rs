//! HTTP: public reads and the admin API. Views call services and publish committed changes;
//! they never touch the cache.

pub mod admin;
pub mod public;
