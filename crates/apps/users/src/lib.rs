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
//! - [`auth`]: authentication ([`auth::Staff`]: by `Authorization: Token <key>` or the
//!   `sessionid` cookie plus `X-CSRFToken` on unsafe methods) and the route guard
//!   [`auth::require_role`] the binary puts on every admin router, with the role sets of
//!   [`roles`].
//! - [`views`]: `POST /api/auth/login` ([`public_router()`]), `POST /api/auth/logout` and
//!   `GET /api/auth/me` ([`staff_router()`], guarded by the binary).
//! - [`services::admin`]: `/api/admin/users/` as an admin resource (uncached), and the
//!   password reset ([`admin_router()`], guarded by the binary for admins).
//! - [`serializers`]: the JSON shapes ([`serializers::UserOut`]).

pub mod auth;
pub mod catalog;
pub mod device;
pub mod filters;
mod migrations;
pub mod models;
pub mod origin;
pub mod passwords;
pub mod roles;
pub mod serializers;
pub mod services;
pub mod throttle;
pub mod views;

use sea_orm_migration::MigrationTrait;
use strata_api::Ctx;
use utoipa_axum::router::OpenApiRouter;

pub use roles::Role;
pub use services::accounts::{AccountError, NewUser, authenticate, create_superuser, create_user};
pub use services::sessions::{NewSession, end_session, session_user, start_session};
pub use services::tokens::{
    create_expiring_token, create_token, list_tokens, revoke_token, revoke_tokens_of,
    user_for_token,
};

/// This app's schema migrations, in order, for the binary's migrator.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::all()
}

/// `POST /api/auth/login`, open to anyone.
pub fn public_router() -> OpenApiRouter<Ctx> {
    views::public_router()
}

/// `/api/admin/users/` and the password reset: mount behind [`auth::require_role`] with
/// [`roles::ADMINS`].
pub fn admin_router() -> OpenApiRouter<Ctx> {
    views::admin_router()
}

/// `logout` and `me`, for signed-in staff: mount behind [`auth::require_role`] with
/// [`roles::STAFF`].
pub fn staff_router() -> OpenApiRouter<Ctx> {
    views::staff_router()
}
