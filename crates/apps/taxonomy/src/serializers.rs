//! Taxonomy in DRF's representation (plain data, no I/O), and the validation of admin input.

use serde::{Deserialize, Serialize};
use strata_api::lang::{FieldNames, Lang, LangCode, Pair, Translated};
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
    /// `name`, `lang`, `name_fa`, `name_en`.
    #[serde(flatten)]
    pub label: Name,
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
    /// `name`, `lang`, `name_fa`, `name_en`.
    #[serde(flatten)]
    pub label: Name,
    pub slug: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OptionOut {
    pub id: i64,
    /// `name`, `lang`, `name_fa`, `name_en`.
    #[serde(flatten)]
    pub label: Name,
    pub slug: String,
    /// `group`, `group_name`, `group_fa`, `group_en`.
    #[serde(flatten)]
    pub group: OptionGroup,
    pub position: i32,
    pub created_at: String,
    pub updated_at: String,
}

/// An option's group: `group` the stable key (slug-like) that grouping uses, `group_name` its
/// label in the requested language (the other when that one is empty, as `name`), and both
/// stored labels for editing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OptionGroup {
    #[serde(rename = "group")]
    pub key: String,
    pub group_name: String,
    pub group_fa: String,
    pub group_en: String,
}

impl OptionGroup {
    fn new(m: &option::Model, lang: Lang) -> Self {
        OptionGroup {
            key: m.group.clone(),
            group_name: group_name(m, lang),
            group_fa: m.group_fa.clone(),
            group_en: m.group_en.clone(),
        }
    }
}

/// An option's group label in `lang`, else in the other language.
fn group_name(m: &option::Model, lang: Lang) -> String {
    Pair::new(&m.group_fa, &m.group_en).pick(lang).0.to_owned()
}

/// A term's name: `name` in the requested language (the other when that one is empty),
/// `lang` the language it is written in, and both stored values for editing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Name {
    pub name: String,
    #[schema(value_type = LangCode)]
    pub lang: Lang,
    pub name_fa: String,
    pub name_en: String,
}

impl Name {
    fn new(fa: &str, en: &str, lang: Lang) -> Self {
        let (name, lang) = Pair::new(fa, en).pick(lang);
        Name {
            name: name.to_owned(),
            lang,
            name_fa: fa.to_owned(),
            name_en: en.to_owned(),
        }
    }
}

/// How other apps embed a category, tag or option in their own payloads: the name in the
/// requested language, `lang` the language it is written in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TermSummary {
    pub id: i64,
    pub name: String,
    #[schema(value_type = LangCode)]
    pub lang: Lang,
    pub slug: String,
}

/// An option as embedded in other payloads: with its group's key and label (in the requested
/// language, else the other), for grouped display.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OptionSummary {
    pub id: i64,
    pub name: String,
    #[schema(value_type = LangCode)]
    pub lang: Lang,
    pub slug: String,
    pub group: String,
    pub group_name: String,
}

impl PlainData for CategoryOut {}
impl PlainData for TagOut {}
impl PlainData for OptionOut {}
impl PlainData for TermSummary {}
impl PlainData for OptionSummary {}

pub fn category_out(m: &category::Model, lang: Lang) -> CategoryOut {
    CategoryOut {
        id: m.id,
        app: m.app.clone(),
        label: Name::new(&m.name_fa, &m.name_en, lang),
        slug: m.slug.clone(),
        parent: m.parent_id,
        position: m.position,
        created_at: datetime(&m.created_at),
        updated_at: datetime(&m.updated_at),
    }
}

pub fn tag_out(m: &tag::Model, lang: Lang) -> TagOut {
    TagOut {
        id: m.id,
        label: Name::new(&m.name_fa, &m.name_en, lang),
        slug: m.slug.clone(),
        created_at: datetime(&m.created_at),
        updated_at: datetime(&m.updated_at),
    }
}

pub fn option_out(m: &option::Model, lang: Lang) -> OptionOut {
    OptionOut {
        id: m.id,
        label: Name::new(&m.name_fa, &m.name_en, lang),
        slug: m.slug.clone(),
        group: OptionGroup::new(m, lang),
        position: m.position,
        created_at: datetime(&m.created_at),
        updated_at: datetime(&m.updated_at),
    }
}

fn term_summary(id: i64, fa: &str, en: &str, slug: &str, lang: Lang) -> TermSummary {
    let (name, lang) = Pair::new(fa, en).pick(lang);
    TermSummary {
        id,
        name: name.to_owned(),
        lang,
        slug: slug.to_owned(),
    }
}

pub fn category_summary(m: &category::Model, lang: Lang) -> TermSummary {
    term_summary(m.id, &m.name_fa, &m.name_en, &m.slug, lang)
}

pub fn tag_summary(m: &tag::Model, lang: Lang) -> TermSummary {
    term_summary(m.id, &m.name_fa, &m.name_en, &m.slug, lang)
}

pub fn option_summary(m: &option::Model, lang: Lang) -> OptionSummary {
    let term = term_summary(m.id, &m.name_fa, &m.name_en, &m.slug, lang);
    OptionSummary {
        id: term.id,
        name: term.name,
        lang: term.lang,
        slug: term.slug,
        group: m.group.clone(),
        group_name: group_name(m, lang),
    }
}

/// What every term's output has and no input sets; ignored in a body, as DRF does.
const READ_ONLY: &[&str] = &["id", "created_at", "updated_at", "lang"];

const NAME: FieldNames = ["name", "name_fa", "name_en"];

/// A validated name (both languages) + slug. On create the slug defaults to the slugified name
/// (the English one when given, as Django's admin prepopulates it); on update an absent slug
/// stays as it is, so a rename keeps URLs.
fn name_and_slug(fields: &mut Fields, max: usize, creating: bool) -> (Translated, Option<String>) {
    let name = fields.translated(NAME, true, max);
    let mut slug = slug_field(fields, "slug", max);
    if creating
        && slug.as_deref().is_none_or(str::is_empty)
        && let Some(name) = name.values().find(|n| !n.is_empty())
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

/// A slug-like key (`slug`, an option's `group`): a valid Unicode slug when given, else a 400.
fn slug_field(fields: &mut Fields, field: &'static str, max: usize) -> Option<String> {
    let key = fields.string(field, false, max, true);
    if let Some(text) = key.as_deref()
        && !text.is_empty()
        && !is_slug(text)
    {
        fields.error(
            field,
            "Enter a valid \u{201c}slug\u{201d} consisting of Unicode letters, numbers, underscores, or hyphens.",
        );
        return None;
    }
    key
}

/// Admin input for a category; on PATCH (`partial`) absent fields stay `None`. Documented as a
/// client sends it: required on create and replace (PATCH's `PatchedCategoryInput` requires
/// nothing), null only for `parent`.
#[derive(Debug, Default, ToSchema)]
pub struct CategoryInput {
    #[schema(value_type = CategoryApp)]
    pub app: Option<String>,
    /// The name in the default language, Persian (as django-modeltranslation maps a plain
    /// field). Required on create and replace unless `name_fa` or `name_en` is given.
    #[schema(required, nullable = false)]
    pub name: Option<String>,
    /// The Persian name (when `name` is sent too and differs, the one changed wins).
    #[schema(nullable = false)]
    pub name_fa: Option<String>,
    /// The English name.
    #[schema(nullable = false)]
    pub name_en: Option<String>,
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
        name: name.plain,
        name_fa: name.fa,
        name_en: name.en,
        slug,
        parent,
        position,
    })
}

/// Admin input for a tag (`PatchedTagInput` on PATCH requires nothing).
#[derive(Debug, Default, ToSchema)]
pub struct TagInput {
    /// The name in the default language, Persian (as django-modeltranslation maps a plain
    /// field). Required on create and replace unless `name_fa` or `name_en` is given.
    #[schema(required, nullable = false)]
    pub name: Option<String>,
    /// The Persian name (when `name` is sent too and differs, the one changed wins).
    #[schema(nullable = false)]
    pub name_fa: Option<String>,
    /// The English name.
    #[schema(nullable = false)]
    pub name_en: Option<String>,
    /// Made from the name on create when absent.
    #[schema(nullable = false)]
    pub slug: Option<String>,
}

pub fn tag_input(body: JsonObject, mode: Mode) -> ApiResult<TagInput> {
    let mut f = Fields::new(body, mode.partial());
    f.read_only(READ_ONLY);
    let (name, slug) = name_and_slug(&mut f, 100, mode.creating());
    f.finish(TagInput {
        name: name.plain,
        name_fa: name.fa,
        name_en: name.en,
        slug,
    })
}

/// Admin input for an option (`PatchedOptionInput` on PATCH requires nothing).
#[derive(Debug, Default, ToSchema)]
pub struct OptionInput {
    /// The name in the default language, Persian (as django-modeltranslation maps a plain
    /// field). Required on create and replace unless `name_fa` or `name_en` is given.
    #[schema(required, nullable = false)]
    pub name: Option<String>,
    /// The Persian name (when `name` is sent too and differs, the one changed wins).
    #[schema(nullable = false)]
    pub name_fa: Option<String>,
    /// The English name.
    #[schema(nullable = false)]
    pub name_en: Option<String>,
    /// Made from the name on create when absent.
    #[schema(nullable = false)]
    pub slug: Option<String>,
    /// The group's stable key (a slug; empty: no group), what options are grouped by. On create
    /// when absent: the key of the group already labelled `group_en` (else `group_fa`), else
    /// one made from that label as a slug is; on update an absent key stays as it is, whatever
    /// the labels become.
    #[schema(nullable = false)]
    pub group: Option<String>,
    /// The group's label in Persian.
    #[schema(nullable = false)]
    pub group_fa: Option<String>,
    /// The group's label in English.
    #[schema(nullable = false)]
    pub group_en: Option<String>,
    #[schema(nullable = false)]
    pub position: Option<i32>,
}

pub fn option_input(body: JsonObject, mode: Mode) -> ApiResult<OptionInput> {
    let mut f = Fields::new(body, mode.partial());
    // What only an option's output has, besides every term's.
    f.read_only(&[READ_ONLY, &["group_name"]].concat());
    let (name, slug) = name_and_slug(&mut f, 100, mode.creating());
    let group = slug_field(&mut f, "group", 100);
    let group_fa = f.string("group_fa", false, 100, true);
    let group_en = f.string("group_en", false, 100, true);
    let position = f.integer("position", false, 0, 1_000_000).map(|p| p as i32);
    f.finish(OptionInput {
        name: name.plain,
        name_fa: name.fa,
        name_en: name.en,
        slug,
        group,
        group_fa,
        group_en,
        position,
    })
}
