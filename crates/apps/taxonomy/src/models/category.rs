use sea_orm::entity::prelude::*;

/// A category of one app's content (`real_estate`, `blog`, `portfolio`), nestable.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "taxonomy_category")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub app: String,
    /// The name in Persian and in English (either may be empty, not both).
    pub name_fa: String,
    pub name_en: String,
    /// `name`'s sort key (`strata_api::lang::stored_sort_key`), written with the name: what
    /// the admin's `?ordering=name` sorts by.
    pub name_sort: String,
    pub slug: String,
    pub parent_id: Option<i64>,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Bumped by every write of this row: the admin's `ETag` and `If-Match` check
    /// (`strata_api::admin::version`).
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
}

impl ActiveModelBehavior for ActiveModel {}
