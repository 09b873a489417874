use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "taxonomy_tag")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The name in Persian and in English (either may be empty, not both).
    pub name_fa: String,
    pub name_en: String,
    /// `name`'s sort key (`strata_api::lang::stored_sort_key`), written with the name: what
    /// the admin's `?ordering=name` sorts by.
    pub name_sort: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Bumped by every write of this row: the admin's `ETag` and `If-Match` check
    /// (`strata_api::admin::version`).
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
