//! Staff users, their API tokens and browser sessions. Persistence only: no cache, no HTTP.

pub mod session;
pub mod token;
pub mod user;
