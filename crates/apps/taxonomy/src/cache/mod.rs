//! Facade: re-exports only (the policy's §6.1). Services import `public` or `admin` directly.

pub mod admin;
pub mod public;
pub mod shared;

pub use admin::{CATEGORY_LIST, OPTION_LIST, TAG_LIST};
pub use public::{CATEGORIES, OPTIONS, TAGS};
