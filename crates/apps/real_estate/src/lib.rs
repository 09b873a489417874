//! Real estate: properties with their category, tags, options and images.
//!
//! Layers, each in its folder: `models` (tables) → `serializers` (plain data, input validation)
//! → `filters` (query parameters) and `selectors` (database reads) → `services` (the only cache
//! users; `cache/` holds the keys) → `views` (HTTP).

pub mod cache;
pub mod catalog;
pub mod filters;
mod migrations;
pub mod models;
pub mod selectors;
pub mod serializers;
pub mod services;
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
pub fn admin_router() -> OpenApiRouter<Ctx> {
    views::admin::router()
}
