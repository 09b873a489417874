//! Real estate's entity, the views it caches with what each embeds, the web tags of its pages
//! and the columns that hold taxonomy terms: what the invalidation map derives its rules from
//! (`strata_api::catalog`), the taxonomy edges included, and what deleting a term in use must
//! respect.

use strata_api::admin::schedule;
use strata_api::catalog::{
    AppData, CachedView, Collection, Entity, EntityDecl, PerId, Schedule, Term, TermRef,
};
use strata_cache::CacheKey;
use strata_taxonomy::catalog::{CATEGORY, OPTION, TAG};

use crate::cache::{ADMIN_LIST, PUBLIC_DETAIL, PUBLIC_LIST, public};
use crate::services::admin::Properties;

pub const PROPERTY: Entity = Entity::new("property");

/// Every page listing properties or showing one (so also every page embedding a term a
/// property shows).
pub const PROPERTIES_TAG: Collection = Collection::new("properties");
/// A property's own page.
pub const PROPERTY_PAGE: PerId = PerId::new("property");

fn detail_keys(id: i64) -> Vec<CacheKey> {
    public::detail_keys(id).collect()
}

/// One property, as a refusal to delete a term it uses names it.
const NOUN: (&str, &str) = ("property", "properties");

pub static DATA: AppData = AppData {
    name: "real_estate",
    entities: &[EntityDecl {
        entity: PROPERTY,
        all: Some(PROPERTIES_TAG),
        by_id: Some(PROPERTY_PAGE),
        by_slug: None,
    }],
    views: &[
        // Cards: the category's name and the tags (the cover is the property's own media).
        CachedView::whole(PUBLIC_LIST, PROPERTY, &[CATEGORY, TAG]),
        CachedView::per_id(
            PUBLIC_DETAIL,
            PROPERTY,
            detail_keys,
            &[CATEGORY, TAG, OPTION],
        ),
        CachedView::whole(ADMIN_LIST, PROPERTY, &[CATEGORY, TAG]),
    ],
    // The tables' and columns' names as the models declare them (a test holds them equal).
    term_refs: &[
        TermRef {
            term: Term::Category,
            table: "real_estate_property",
            column: "category_id",
            noun: NOUN,
        },
        TermRef {
            term: Term::Tag,
            table: "real_estate_property_tag",
            column: "tag_id",
            noun: NOUN,
        },
        TermRef {
            term: Term::Option,
            table: "real_estate_property_option",
            column: "option_id",
            noun: NOUN,
        },
    ],
    // A property can be published for a future time, and withdrawn at one.
    schedules: &[Schedule {
        entity: PROPERTY,
        transition: schedule::transition::<Properties>,
    }],
};

#[cfg(test)]
mod tests {
    use sea_orm::{EntityName, IdenStatic};

    use super::*;
    use crate::models::{property, property_option, property_tag};

    #[test]
    fn the_term_references_name_the_models_columns() {
        let named = |term| {
            DATA.term_refs
                .iter()
                .find(|r| r.term == term)
                .map(|r| (r.table, r.column))
        };
        assert_eq!(
            named(Term::Category),
            Some((
                property::Entity.table_name(),
                property::Column::CategoryId.as_str()
            ))
        );
        assert_eq!(
            named(Term::Tag),
            Some((
                property_tag::Entity.table_name(),
                property_tag::Column::TagId.as_str()
            ))
        );
        assert_eq!(
            named(Term::Option),
            Some((
                property_option::Entity.table_name(),
                property_option::Column::OptionId.as_str()
            ))
        );
    }
}
