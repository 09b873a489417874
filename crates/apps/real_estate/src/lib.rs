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

use sea_orm::{EntityName, IdenStatic};
use sea_orm_migration::MigrationTrait;
use strata_api::Ctx;
use strata_taxonomy::usage::{Reference, Term, TermUsers};
use utoipa_axum::router::OpenApiRouter;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::all()
}

/// Public routes.
pub fn public_router() -> OpenApiRouter<Ctx> {
    views::public::router()
}

/// The columns of real estate's tables that hold taxonomy terms: what the taxonomy admin
/// counts, moves or detaches when a term in use is deleted (the binary passes this type to
/// `strata_taxonomy::admin_router`).
pub struct TermUses;

impl TermUsers for TermUses {
    fn references(term: Term) -> Vec<Reference> {
        use models::{property, property_option, property_tag};
        const PROPERTY: (&str, &str) = ("property", "properties");
        let reference = match term {
            Term::Category => Reference {
                table: property::Entity.table_name(),
                column: property::Column::CategoryId.as_str(),
                noun: PROPERTY,
            },
            Term::Tag => Reference {
                table: property_tag::Entity.table_name(),
                column: property_tag::Column::TagId.as_str(),
                noun: PROPERTY,
            },
            Term::Option => Reference {
                table: property_option::Entity.table_name(),
                column: property_option::Column::OptionId.as_str(),
                noun: PROPERTY,
            },
        };
        vec![reference]
    }
}

/// Admin routes, for content editors (the binary mounts them behind that role guard).
pub fn admin_router() -> OpenApiRouter<Ctx> {
    views::admin::router()
}
