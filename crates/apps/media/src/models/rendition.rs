use sea_orm::entity::prelude::*;

/// A resized variant of an image, stored beside it; its row goes with the image's (cascade).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_rendition")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub image_id: i64,
    pub width: i32,
    pub height: i32,
    /// The stored extension (`webp`, `png`, `jpg`): `ImageFormat::from_ext` reads it.
    pub format: String,
    #[sea_orm(unique)]
    pub file: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
