use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "real_estate_property")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[sea_orm(unique)]
    pub slug: String,
    /// Rich text, sanitized before it is stored.
    pub description: String,
    /// `sale` or `rent`.
    pub deal: String,
    /// Hundredths of the currency unit.
    pub price: i64,
    /// Hundredths; rentals' deposit.
    pub deposit: Option<i64>,
    /// Hundredths of a square metre.
    pub area: i64,
    pub rooms: i32,
    pub city: String,
    pub district: String,
    pub address: String,
    /// `draft`, `published` or `archived`.
    pub status: String,
    pub featured: bool,
    pub category_id: Option<i64>,
    /// Set the first time the property is published.
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
