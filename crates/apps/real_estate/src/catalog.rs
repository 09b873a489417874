//! Real estate's entity, the views it caches with what each embeds, and the web tags of its
//! pages: what the invalidation map derives its rules from (`strata_api::catalog`), the
//! taxonomy edges included.

use strata_api::catalog::{AppData, CachedView, Collection, Entity, EntityDecl, PerId};
use strata_cache::CacheKey;
use strata_taxonomy::catalog::{CATEGORY, OPTION, TAG};

use crate::cache::{ADMIN_LIST, PUBLIC_DETAIL, PUBLIC_LIST, public};

pub const PROPERTY: Entity = Entity::new("property");

/// Every page listing properties or showing one (so also every page embedding a term a
/// property shows).
pub const PROPERTIES_TAG: Collection = Collection::new("properties");
/// A property's own page.
pub const PROPERTY_PAGE: PerId = PerId::new("property");

fn detail_keys(id: i64) -> Vec<CacheKey> {
    public::detail_keys(id).collect()
}

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
};
