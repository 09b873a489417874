//! Properties in DRF's representation (plain data, no I/O) and the validation of admin input.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use strata_api::lang::{self, Lang, LangCode, Picker};
use strata_api::serial::{datetime, hundredths, is_slug, slugify, to_hundredths};
use strata_api::{ApiResult, Fields, JsonObject, Mode};
use strata_media::ImageOut;
use strata_plain::PlainData;
use strata_taxonomy::serializers::{OptionSummary, TermSummary};
use utoipa::ToSchema;

use crate::models::property;

pub const DEALS: &[&str] = &["sale", "rent"];
pub const STATUSES: &[&str] = &["draft", "published", "archived"];
pub const PUBLISHED: &str = "published";

strata_api::choice_schema!(
    /// How a property is offered: one of [`DEALS`].
    Deal = DEALS
);
strata_api::choice_schema!(
    /// A property's publication status: one of [`STATUSES`].
    PropertyStatus = STATUSES
);

/// Largest amount accepted: DRF's `DecimalField(max_digits=14, decimal_places=2)`.
fn max_amount() -> Decimal {
    Decimal::new(99_999_999_999_999, 2)
}

/// A property in lists: what a card shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PropertyListItem {
    pub id: i64,
    pub title: String,
    pub slug: String,
    #[schema(value_type = Deal)]
    pub deal: String,
    /// Decimal string, two places.
    pub price: String,
    #[schema(required)]
    pub deposit: Option<String>,
    /// Square metres, decimal string.
    pub area: String,
    pub rooms: i32,
    pub city: String,
    pub district: String,
    /// The language of the texts (`title`, `city`, …): the requested one.
    #[schema(value_type = LangCode)]
    pub lang: Lang,
    /// The texts empty in `lang`, shown in the other language instead.
    pub fallback: Vec<String>,
    #[schema(value_type = PropertyStatus)]
    pub status: String,
    pub featured: bool,
    #[schema(required)]
    pub category: Option<TermSummary>,
    pub tags: Vec<TermSummary>,
    /// The first image, if any.
    #[schema(required)]
    pub cover: Option<ImageOut>,
    #[schema(required)]
    pub published_at: Option<String>,
    pub updated_at: String,
}

/// A property in full.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PropertyDetail {
    pub id: i64,
    pub title: String,
    pub slug: String,
    /// Sanitized HTML.
    pub description: String,
    #[schema(value_type = Deal)]
    pub deal: String,
    pub price: String,
    #[schema(required)]
    pub deposit: Option<String>,
    pub area: String,
    pub rooms: i32,
    pub city: String,
    pub district: String,
    pub address: String,
    /// The language of the texts (`title`, `description`, `city`, …): the requested one.
    #[schema(value_type = LangCode)]
    pub lang: Lang,
    /// The texts empty in `lang`, shown in the other language instead.
    pub fallback: Vec<String>,
    #[schema(value_type = PropertyStatus)]
    pub status: String,
    pub featured: bool,
    #[schema(required)]
    pub category: Option<TermSummary>,
    pub tags: Vec<TermSummary>,
    pub options: Vec<OptionSummary>,
    pub images: Vec<ImageOut>,
    #[schema(required)]
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl PlainData for PropertyListItem {}
impl PlainData for PropertyDetail {}

/// Both languages of every translatable text, as the admin edits them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PropertyTexts {
    pub title_fa: String,
    pub title_en: String,
    pub description_fa: String,
    pub description_en: String,
    pub city_fa: String,
    pub city_en: String,
    pub district_fa: String,
    pub district_en: String,
    pub address_fa: String,
    pub address_en: String,
}

/// A property as the admin reads it: in full (texts in the default language, falling back),
/// with both languages of its texts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PropertyAdmin {
    #[serde(flatten)]
    pub detail: PropertyDetail,
    #[serde(flatten)]
    pub texts: PropertyTexts,
    /// When the property stops being public on its own; null: never.
    #[schema(required)]
    pub unpublish_at: Option<String>,
}

pub fn admin(p: &property::Model, related: &Related) -> PropertyAdmin {
    PropertyAdmin {
        detail: detail(p, related, Lang::default()),
        texts: PropertyTexts {
            title_fa: p.title_fa.clone(),
            title_en: p.title_en.clone(),
            description_fa: p.description_fa.clone(),
            description_en: p.description_en.clone(),
            city_fa: p.city_fa.clone(),
            city_en: p.city_en.clone(),
            district_fa: p.district_fa.clone(),
            district_en: p.district_en.clone(),
            address_fa: p.address_fa.clone(),
            address_en: p.address_en.clone(),
        },
        unpublish_at: p.unpublish_at.as_ref().map(datetime),
    }
}

/// The normalised copies of a property's texts that search (`search_text`) and the city
/// filter (`city_key_fa`, `city_key_en`: indexed, compared for equality) use, from `[fa, en]`
/// pairs.
pub struct SearchColumns {
    pub search_text: String,
    pub city_key_fa: String,
    pub city_key_en: String,
}

impl SearchColumns {
    pub fn new(title: [&str; 2], city: [&str; 2], district: [&str; 2]) -> Self {
        let search_text = [title, city, district]
            .iter()
            .flatten()
            .map(|text| lang::normalize(text))
            .filter(|text| !text.is_empty())
            .collect::<Vec<_>>()
            .join(" | ");
        SearchColumns {
            search_text,
            city_key_fa: lang::normalize(city[0]),
            city_key_en: lang::normalize(city[1]),
        }
    }
}

/// What a property's representation embeds, loaded in batch by the selectors.
#[derive(Debug, Default)]
pub struct Related {
    pub categories: HashMap<i64, TermSummary>,
    pub tags: HashMap<i64, Vec<TermSummary>>,
    pub options: HashMap<i64, Vec<OptionSummary>>,
    pub images: HashMap<i64, Vec<ImageOut>>,
}

impl Related {
    fn category(&self, p: &property::Model) -> Option<TermSummary> {
        p.category_id
            .and_then(|id| self.categories.get(&id).cloned())
    }

    fn tags(&self, p: &property::Model) -> Vec<TermSummary> {
        self.tags.get(&p.id).cloned().unwrap_or_default()
    }

    fn images(&self, p: &property::Model) -> &[ImageOut] {
        self.images
            .get(&p.id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// `related` must have been loaded in `lang` too.
pub fn list_item(p: &property::Model, related: &Related, lang: Lang) -> PropertyListItem {
    let mut texts = Picker::new(lang);
    PropertyListItem {
        id: p.id,
        title: texts.pick("title", &p.title_fa, &p.title_en),
        slug: p.slug.clone(),
        deal: p.deal.clone(),
        price: hundredths(p.price),
        deposit: p.deposit.map(hundredths),
        area: hundredths(p.area),
        rooms: p.rooms,
        city: texts.pick("city", &p.city_fa, &p.city_en),
        district: texts.pick("district", &p.district_fa, &p.district_en),
        lang,
        fallback: texts.fallback(),
        status: p.status.clone(),
        featured: p.featured,
        category: related.category(p),
        tags: related.tags(p),
        cover: related.images(p).first().cloned(),
        published_at: p.published_at.as_ref().map(datetime),
        updated_at: datetime(&p.updated_at),
    }
}

/// `related` must have been loaded in `lang` too.
pub fn detail(p: &property::Model, related: &Related, lang: Lang) -> PropertyDetail {
    let mut texts = Picker::new(lang);
    PropertyDetail {
        id: p.id,
        title: texts.pick("title", &p.title_fa, &p.title_en),
        slug: p.slug.clone(),
        description: texts.pick("description", &p.description_fa, &p.description_en),
        deal: p.deal.clone(),
        price: hundredths(p.price),
        deposit: p.deposit.map(hundredths),
        area: hundredths(p.area),
        rooms: p.rooms,
        city: texts.pick("city", &p.city_fa, &p.city_en),
        district: texts.pick("district", &p.district_fa, &p.district_en),
        address: texts.pick("address", &p.address_fa, &p.address_en),
        lang,
        fallback: texts.fallback(),
        status: p.status.clone(),
        featured: p.featured,
        category: related.category(p),
        tags: related.tags(p),
        options: related.options.get(&p.id).cloned().unwrap_or_default(),
        images: related.images(p).to_vec(),
        published_at: p.published_at.as_ref().map(datetime),
        created_at: datetime(&p.created_at),
        updated_at: datetime(&p.updated_at),
    }
}

/// Rich text as it may be stored and shown: tags and attributes on ammonia's safe list, links
/// made `rel="noopener noreferrer"`, scripts and event handlers removed — and `dir` (`auto`,
/// `rtl` or `ltr`), which ammonia drops by default but the admin's editor sets on each block so
/// that a Persian paragraph in an English text (or the reverse) reads in its own direction.
pub fn sanitize_html(html: &str) -> String {
    static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .add_generic_attributes(["dir"])
            .attribute_filter(|_, attribute, value| {
                let direction = matches!(value, "auto" | "rtl" | "ltr");
                (attribute != "dir" || direction).then_some(value.into())
            });
        builder
    });
    SANITIZER.clean(html).to_string()
}

/// Admin input for a property; on PATCH absent fields stay `None`. Amounts are validated
/// decimals converted to stored hundredths. The document shows what a client sends: required
/// fields as `property_input` requires them on create and replace (PATCH's `PatchedPropertyInput`
/// requires none), null only where null is accepted.
#[derive(Debug, Default, ToSchema)]
pub struct PropertyInput {
    /// Each text has its plain field — the default language's, Persian, as
    /// django-modeltranslation maps it —, `_fa` (when both are sent and differ, the one changed
    /// wins) and `_en`. The title and city are required on create and replace unless given as
    /// `_fa` or `_en`.
    #[schema(required, nullable = false)]
    pub title: Option<String>,
    #[schema(nullable = false)]
    pub title_fa: Option<String>,
    #[schema(nullable = false)]
    pub title_en: Option<String>,
    /// Made from the title (the English one when given) on create when absent.
    #[schema(nullable = false)]
    pub slug: Option<String>,
    /// HTML; sanitized on the way in.
    #[schema(nullable = false)]
    pub description: Option<String>,
    #[schema(nullable = false)]
    pub description_fa: Option<String>,
    #[schema(nullable = false)]
    pub description_en: Option<String>,
    #[schema(value_type = Deal)]
    pub deal: Option<&'static str>,
    /// Decimal, two places at most.
    #[schema(value_type = String, example = "4500000000.00")]
    pub price: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub deposit: Option<Option<i64>>,
    /// Square metres, decimal, two places at most.
    #[schema(value_type = String, example = "120.50")]
    pub area: Option<i64>,
    #[schema(nullable = false)]
    pub rooms: Option<i32>,
    #[schema(required, nullable = false)]
    pub city: Option<String>,
    #[schema(nullable = false)]
    pub city_fa: Option<String>,
    #[schema(nullable = false)]
    pub city_en: Option<String>,
    #[schema(nullable = false)]
    pub district: Option<String>,
    #[schema(nullable = false)]
    pub district_fa: Option<String>,
    #[schema(nullable = false)]
    pub district_en: Option<String>,
    #[schema(nullable = false)]
    pub address: Option<String>,
    #[schema(nullable = false)]
    pub address_fa: Option<String>,
    #[schema(nullable = false)]
    pub address_en: Option<String>,
    #[schema(value_type = Option<PropertyStatus>, nullable = false)]
    pub status: Option<&'static str>,
    /// When the property is public from, once published (ISO 8601; without an offset, UTC). A
    /// future time schedules it: it appears everywhere at that time, on its own. Null, or absent
    /// when first published: the time it is published.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Option<DateTime<Utc>>>,
    /// When a published property stops being public on its own; null: never.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub unpublish_at: Option<Option<DateTime<Utc>>>,
    #[schema(nullable = false)]
    pub featured: Option<bool>,
    /// A real-estate category id, or null.
    #[schema(value_type = Option<i64>)]
    pub category: Option<Option<i64>>,
    /// Tag ids.
    #[schema(nullable = false)]
    pub tags: Option<Vec<i64>>,
    /// Option ids.
    #[schema(nullable = false)]
    pub options: Option<Vec<i64>>,
}

fn amount(f: &mut Fields, field: &'static str, required: bool) -> Option<i64> {
    f.decimal(field, required, 2, max_amount())
        .and_then(to_hundredths)
}

/// What the output has and no input sets; ignored in a body, as DRF does (images have their
/// own endpoints).
const READ_ONLY: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "images",
    "cover",
    "lang",
    "fallback",
];

pub fn property_input(body: JsonObject, mode: Mode) -> ApiResult<PropertyInput> {
    let mut f = Fields::new(body, mode.partial());
    f.read_only(READ_ONLY);
    let title = f.translated(["title", "title_fa", "title_en"], true, 200);
    let mut slug = f.string("slug", false, 220, true).filter(|s| !s.is_empty());
    if let Some(text) = &slug
        && !is_slug(text)
    {
        f.error(
            "slug",
            "Enter a valid \u{201c}slug\u{201d} consisting of Unicode letters, numbers, underscores, or hyphens.",
        );
        slug = None;
    }
    if mode.creating()
        && slug.is_none()
        && !f.has_error("slug")
        && let Some(title) = title.values().find(|t| !t.is_empty())
    {
        slug = Some(slugify(title)).filter(|s| !s.is_empty());
        if slug.is_none() {
            f.error("slug", "This field may not be blank.");
        }
    }
    let mut description = f.translated(
        ["description", "description_fa", "description_en"],
        false,
        100_000,
    );
    for html in description.values_mut() {
        *html = sanitize_html(html);
    }
    let deal = f.choice("deal", true, DEALS);
    let price = amount(&mut f, "price", true);
    let deposit = f
        .nullable_decimal("deposit", 2, max_amount())
        .map(|d| d.and_then(to_hundredths));
    let area = amount(&mut f, "area", true);
    let rooms = f.integer("rooms", false, 0, 100).map(|r| r as i32);
    let city = f.translated(["city", "city_fa", "city_en"], true, 100);
    let district = f.translated(["district", "district_fa", "district_en"], false, 100);
    let address = f.translated(["address", "address_fa", "address_en"], false, 300);
    let status = f.choice("status", false, STATUSES);
    let published_at = f.nullable_datetime("published_at");
    let unpublish_at = f.nullable_datetime("unpublish_at");
    if let (Some(Some(from)), Some(Some(until))) = (published_at, unpublish_at)
        && until <= from
    {
        f.error("unpublish_at", "Must be later than published_at.");
    }
    let featured = f.boolean("featured", false);
    let category = f.nullable_integer("category", 1, i64::MAX);
    let tags = f.id_list("tags", false);
    let options = f.id_list("options", false);
    f.finish(PropertyInput {
        title: title.plain,
        title_fa: title.fa,
        title_en: title.en,
        slug,
        description: description.plain,
        description_fa: description.fa,
        description_en: description.en,
        deal,
        price,
        deposit,
        area,
        rooms,
        city: city.plain,
        city_fa: city.fa,
        city_en: city.en,
        district: district.plain,
        district_fa: district.fa,
        district_en: district.en,
        address: address.plain,
        address_fa: address.fa,
        address_en: address.en,
        status,
        published_at,
        unpublish_at,
        featured,
        category,
        tags,
        options,
    })
}

/// `POST …/{id}/images/reorder/`: `{"ids": [3, 1, 2]}`, every image of the property once, as
/// `reorder_input` reads it. Documentation only.
pub struct ImageOrder;

impl utoipa::PartialSchema for ImageOrder {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        let id = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1));
        ObjectBuilder::new()
            .property(
                "ids",
                ArrayBuilder::new()
                    .items(id)
                    .max_items(Some(strata_api::RELATION_IDS_MAX)),
            )
            .required("ids")
            .into()
    }
}

impl ToSchema for ImageOrder {}

/// `POST …/{id}/images/reorder/`: `{"ids": [3, 1, 2]}`.
pub fn reorder_input(body: JsonObject) -> ApiResult<Vec<i64>> {
    let mut f = Fields::new(body, false);
    let ids = f.id_list("ids", true);
    f.finish(ids.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::sanitize_html;

    #[test]
    fn rich_text_keeps_its_directions_and_nothing_unsafe() {
        assert_eq!(
            sanitize_html(
                r#"<p dir="rtl">سلام</p><p dir="auto">Hi</p><ul dir="ltr"><li>a</li></ul>"#
            ),
            r#"<p dir="rtl">سلام</p><p dir="auto">Hi</p><ul dir="ltr"><li>a</li></ul>"#
        );
        assert_eq!(
            sanitize_html(r#"<p dir="sideways" onclick="x()">a</p><script>x()</script>"#),
            "<p>a</p>"
        );
    }
}
