use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "real_estate_property")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Translatable texts: Persian and English, either may be empty (the title and city not
    /// both).
    pub title_fa: String,
    pub title_en: String,
    /// The title's sort key (`strata_api::lang::stored_sort_key`), written with the title: what
    /// the admin's `?ordering=title` sorts by.
    pub title_sort: String,
    #[sea_orm(unique)]
    pub slug: String,
    /// Rich text, sanitized before it is stored.
    pub description_fa: String,
    pub description_en: String,
    /// `sale` or `rent`.
    pub deal: String,
    /// Hundredths of the currency unit.
    pub price: i64,
    /// Hundredths; rentals' deposit.
    pub deposit: Option<i64>,
    /// Hundredths of a square metre.
    pub area: i64,
    pub rooms: i32,
    pub city_fa: String,
    pub city_en: String,
    pub district_fa: String,
    pub district_en: String,
    pub address_fa: String,
    pub address_en: String,
    /// Title, city and district in both languages, normalised (`strata_api::lang::normalize`):
    /// what `?q=` searches. Written with every change of those fields.
    pub search_text: String,
    /// Each city name normalised: `?city=` matches either, whole (indexed with `status`).
    pub city_key_fa: String,
    pub city_key_en: String,
    /// `draft`, `published` or `archived`.
    pub status: String,
    pub featured: bool,
    pub category_id: Option<i64>,
    /// When the property is public from: set the first time it is published, unless given
    /// (a future time schedules it).
    pub published_at: Option<DateTimeUtc>,
    /// When a published property stops being public on its own; null: never.
    pub unpublish_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Bumped by every write of this row: the admin's `ETag` and `If-Match` check
    /// (`strata_api::admin::version`).
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
