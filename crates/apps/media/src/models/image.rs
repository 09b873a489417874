use sea_orm::entity::prelude::*;

/// An image of one owner (`owner_type` + `owner_id`, e.g. property 42), ordered by `position`
/// (ties, which concurrent uploads can make, by `id`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_image")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_type: String,
    pub owner_id: i64,
    pub position: i32,
    /// The storage name (`images/property/<32 hex>.png`), served under `/media/`.
    #[sea_orm(unique)]
    pub file: String,
    /// Sniffed from the bytes, never the client's claim.
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub size_bytes: i64,
    pub alt: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
