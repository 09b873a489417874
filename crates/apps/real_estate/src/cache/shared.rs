//! What the public and admin cache files share: how a list request becomes key parameters —
//! the validated filters and the page, as every app's admin lists key them.

pub use strata_api::admin::ListKey;
