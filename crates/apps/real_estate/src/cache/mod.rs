//! Facade: re-exports only (the policy's §6.1). Services import `public` or `admin` directly.

pub mod admin;
pub mod public;
pub mod shared;

pub use admin::LIST as ADMIN_LIST;
pub use public::{DETAIL as PUBLIC_DETAIL, LIST as PUBLIC_LIST};
