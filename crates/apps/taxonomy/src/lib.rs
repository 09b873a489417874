//! Taxonomy: categories (per app, nestable), tags and options (grouped amenities).
//!
//! Layers, each in its folder: `models` (tables) → `serializers` (plain data, input validation)
//! → `selectors` (database reads) and `services` (the only cache users; `cache/` holds the keys)
//! → `views` (HTTP). Other apps embed taxonomy through [`serializers::TermSummary`] and
//! [`serializers::OptionSummary`].

pub mod cache;
pub mod catalog;
pub mod filters;
mod migrations;
pub mod models;
pub mod selectors;
pub mod serializers;
pub mod services;
pub mod tree;
pub mod usage;
pub mod views;

use sea_orm_migration::MigrationTrait;
use strata_api::Ctx;
use utoipa_axum::router::OpenApiRouter;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::all()
}

/// Public routes.
pub fn public_router() -> OpenApiRouter<Ctx> {
    views::public::router()
}

/// Admin routes, for content editors (the binary mounts them behind that role guard).
/// Deleting a term other apps' rows use is refused or resolved as those apps declare
/// (`strata_api::catalog::TermRef`), never leaving their rows without it.
pub fn admin_router() -> OpenApiRouter<Ctx> {
    views::admin::router()
}
