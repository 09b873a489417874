//! Staff users with roles (admin, editor, support), argon2id password hashes, API tokens and
//! browser sessions with CSRF. Private data: this app has no cache.
//!
//! Other apps guard their admin views with [`auth::Editor`] or [`auth::Staff`].

pub mod auth;
mod migrations;
pub mod models;
pub mod roles;
pub mod serializers;
pub mod services;
pub mod views;

use sea_orm_migration::MigrationTrait;
use strata_api::Ctx;
use utoipa_axum::router::OpenApiRouter;

pub use services::accounts::{AccountError, create_superuser};
pub use services::tokens::create_token;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::all()
}

pub fn router() -> OpenApiRouter<Ctx> {
    views::router()
}
