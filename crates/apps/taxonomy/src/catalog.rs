//! Taxonomy's entities, the views it caches and the web tags of its pages: what the
//! invalidation map derives taxonomy's rules from (`strata_api::catalog`). Other apps name
//! these entities in the views that embed terms.

use strata_api::catalog::{AppData, CachedView, Collection, Entity, EntityDecl, PerSlug};

use crate::cache::{CATEGORIES, CATEGORY_LIST, OPTION_LIST, OPTIONS, TAG_LIST, TAGS};

pub const CATEGORY: Entity = Entity::new("category");
pub const TAG: Entity = Entity::new("tag");
pub const OPTION: Entity = Entity::new("option");

/// Pages listing categories (the sitemap), and a category's own page by slug.
pub const CATEGORIES_TAG: Collection = Collection::new("categories");
pub const CATEGORY_PAGE: PerSlug = PerSlug::new("category");
pub const TAGS_TAG: Collection = Collection::new("tags");
pub const TAG_PAGE: PerSlug = PerSlug::new("tag");
/// Pages showing options (a property's amenities).
pub const OPTIONS_TAG: Collection = Collection::new("options");

pub static DATA: AppData = AppData {
    name: "taxonomy",
    entities: &[
        EntityDecl {
            entity: CATEGORY,
            all: Some(CATEGORIES_TAG),
            by_id: None,
            by_slug: Some(CATEGORY_PAGE),
        },
        EntityDecl {
            entity: TAG,
            all: Some(TAGS_TAG),
            by_id: None,
            by_slug: Some(TAG_PAGE),
        },
        EntityDecl {
            entity: OPTION,
            all: Some(OPTIONS_TAG),
            by_id: None,
            by_slug: None,
        },
    ],
    views: &[
        CachedView::whole(CATEGORIES, CATEGORY, &[]),
        CachedView::whole(CATEGORY_LIST, CATEGORY, &[]),
        CachedView::whole(TAGS, TAG, &[]),
        CachedView::whole(TAG_LIST, TAG, &[]),
        CachedView::whole(OPTIONS, OPTION, &[]),
        CachedView::whole(OPTION_LIST, OPTION, &[]),
    ],
    // A category's children are taxonomy's own rows (`services::admin` handles them).
    term_refs: &[],
    schedules: &[],
};
