//! The users app: staff users with roles (admin, editor, support), argon2id password hashes,
//! DRF-style API tokens and browser sessions with Django's CSRF check. Private data: this app
//! has no cache, and nothing here is ever cached.
//!
//! Where things are:
//! - [`models`]: the `users_user`, `users_token` and `users_session` tables (SeaORM entities);
//!   [`migrations()`] creates them.
//! - [`services`]: accounts ([`create_user`], [`create_superuser`], [`authenticate`]), API
//!   tokens ([`create_token`], [`user_for_token`]) and sessions ([`start_session`],
//!   [`session_user`], [`end_session`]).
//! - [`auth`]: the extractors other apps guard their views with — [`auth::Staff`] (any staff
//!   user, by `Authorization: Token <key>` or the `sessionid` cookie plus `X-CSRFToken` on
//!   unsafe methods) and [`auth::Editor`] (admins and editors: content endpoints).
//! - [`views`]: `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`, mounted
//!   with [`router()`].
//! - [`serializers`]: the JSON shapes ([`serializers::UserOut`]).

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

pub use roles::Role;
pub use services::accounts::{AccountError, NewUser, authenticate, create_superuser, create_user};
pub use services::sessions::{NewSession, end_session, session_user, start_session};
pub use services::tokens::{create_token, user_for_token};

/// This app's schema migrations, in order, for the binary's migrator.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::all()
}

/// The auth routes (tag `auth`), with their OpenAPI operations.
pub fn router() -> OpenApiRouter<Ctx> {
    views::router()
}
