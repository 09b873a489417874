//! Taxonomy in DRF's representation (plain data, no I/O), and the validation of admin input.

use serde::{Deserialize, Serialize};
use strata_api::serial::{datetime, is_slug, slugify};
use strata_api::{ApiResult, Fields, JsonObject, Mode};
use strata_plain::PlainData;
use utoipa::ToSchema;

use crate::models::{category, option, tag};

/// Apps whose content has categories.
pub const CATEGORY_APPS: &[&str] = &["real_estate", "blog", "portfolio"];

strata_api::choice_schema!(
    /// The app a category belongs to: one of [`CATEGORY_APPS`].
    CategoryApp = CATEGORY_APPS
);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CategoryOut {
    pub id: i64,
    #[schema(value_type = CategoryApp)]
    pub app: String,
    pub name: String,
    pub slug: String,
    /// The parent category's id, for nesting.
    #[schema(required)]
    pub parent: Option<i64>,
    pub position: i32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TagOut {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OptionOut {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub group: String,
    pub position: i32,
    pub created_at: String,
    pub updated_at: String,
}

/// How other apps embed a category, tag or option in their own payloads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TermSummary {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

/// An option as embedded in other payloads: with its group, for grouped display.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OptionSummary {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub group: String,
}

impl PlainData for CategoryOut {}
impl PlainData for TagOut {}
impl PlainData for OptionOut {}
impl PlainData for TermSummary {}
impl PlainData for OptionSummary {}

pub fn category_out(m: &category::Model) -> CategoryOut {
    CategoryOut {
        id: m.id,
        app: m.app.clone(),
        name: m.name.clone(),
        slug: m.slug.clone(),
        parent: m.parent_id,
        position: m.position,
        created_at: datetime(&m.created_at),
        updated_at: datetime(&m.updated_at),
    }
}

pub fn tag_out(m: &tag::Model) -> TagOut {
    TagOut {
        id: m.id,
        name: m.name.clone(),
        slug: m.slug.clone(),
        created_at: datetime(&m.created_at),
        updated_at: datetime(&m.updated_at),
    }
}

pub fn option_out(m: &option::Model) -> OptionOut {
    OptionOut {
        id: m.id,
        name: m.name.clone(),
        slug: m.slug.clone(),
        group: m.group.clone(),
        position: m.position,
        created_at: datetime(&m.created_at),
        updated_at: datetime(&m.updated_at),
    }
}

pub fn category_summary(m: &category::Model) -> TermSummary {
    TermSummary {
        id: m.id,
        name: m.name.clone(),
        slug: m.slug.clone(),
    }
}

pub fn tag_summary(m: &tag::Model) -> TermSummary {
    TermSummary {
        id: m.id,
        name: m.name.clone(),
        slug: m.slug.clone(),
    }
}

pub fn option_summary(m: &option::Model) -> OptionSummary {
    OptionSummary {
        id: m.id,
        name: m.name.clone(),
        slug: m.slug.clone(),
        group: m.group.clone(),
    }
}

/// What every term's output has and no input sets; ignored in a body, as DRF does.
const READ_ONLY: &[&str] = &["id", "created_at", "updated_at"];

/// A validated name + slug. On create the slug defaults to the slugified name (as Django's
/// admin prepopulates it); on update an absent slug stays as it is, so a rename keeps URLs.
fn name_and_slug(
    fields: &mut Fields,
    max: usize,
    creating: bool,
) -> (Option<String>, Option<String>) {
    let name = fields.string("name", true, max, false);
    let mut slug = fields.string("slug", false, max, true);
    if let Some(text) = slug.as_deref()
        && !text.is_empty()
        && !is_slug(text)
    {
        fields.error(
            "slug",
            "Enter a valid \u{201c}slug\u{201d} consisting of Unicode letters, numbers, underscores, or hyphens.",
        );
        slug = None;
    }
    if creating
        && slug.as_deref().is_none_or(str::is_empty)
        && let Some(name) = &name
    {
        let derived = slugify(name);
        if derived.is_empty() {
            fields.error("slug", "This field may not be blank.");
        } else {
            slug = Some(derived);
        }
    }
    (name, slug)
}

/// Admin input for a category; on PATCH (`partial`) absent fields stay `None`. Documented as a
/// client sends it: required on create and replace (PATCH's `PatchedCategoryInput` requires
/// nothing), null only for `parent`.
#[derive(Debug, Default, ToSchema)]
pub struct CategoryInput {
    #[schema(value_type = CategoryApp)]
    pub app: Option<String>,
    #[schema(required, nullable = false)]
    pub name: Option<String>,
    /// Made from the name on create when absent.
    #[schema(nullable = false)]
    pub slug: Option<String>,
    /// The parent category's id; null detaches from the parent (`Some(None)`).
    #[schema(value_type = Option<i64>)]
    pub parent: Option<Option<i64>>,
    #[schema(nullable = false)]
    pub position: Option<i32>,
}

pub fn category_input(body: JsonObject, mode: Mode) -> ApiResult<CategoryInput> {
    let mut f = Fields::new(body, mode.partial());
    f.read_only(READ_ONLY);
    let app = f.choice("app", true, CATEGORY_APPS).map(str::to_owned);
    let (name, slug) = name_and_slug(&mut f, 200, mode.creating());
    let parent = f.nullable_integer("parent", 1, i64::MAX);
    let position = f.integer("position", false, 0, 1_000_000).map(|p| p as i32);
    f.finish(CategoryInput {
        app,
        name,
        slug,
        parent,
        position,
    })
}

/// Admin input for a tag (`PatchedTagInput` on PATCH requires nothing).
#[derive(Debug, Default, ToSchema)]
pub struct TagInput {
    #[schema(required, nullable = false)]
    pub name: Option<String>,
    /// Made from the name on create when absent.
    #[schema(nullable = false)]
    pub slug: Option<String>,
}

pub fn tag_input(body: JsonObject, mode: Mode) -> ApiResult<TagInput> {
    let mut f = Fields::new(body, mode.partial());
    f.read_only(READ_ONLY);
    let (name, slug) = name_and_slug(&mut f, 100, mode.creating());
    f.finish(TagInput { name, slug })
}

/// Admin input for an option (`PatchedOptionInput` on PATCH requires nothing).
#[derive(Debug, Default, ToSchema)]
pub struct OptionInput {
    #[schema(required, nullable = false)]
    pub name: Option<String>,
    /// Made from the name on create when absent.
    #[schema(nullable = false)]
    pub slug: Option<String>,
    #[schema(nullable = false)]
    pub group: Option<String>,
    #[schema(nullable = false)]
    pub position: Option<i32>,
}

pub fn option_input(body: JsonObject, mode: Mode) -> ApiResult<OptionInput> {
    let mut f = Fields::new(body, mode.partial());
    f.read_only(READ_ONLY);
    let (name, slug) = name_and_slug(&mut f, 100, mode.creating());
    let group = f.string("group", false, 100, true);
    let position = f.integer("position", false, 0, 1_000_000).map(|p| p as i32);
    f.finish(OptionInput {
        name,
        slug,
        group,
        position,
    })
}
