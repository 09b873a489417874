use sea_orm::entity::prelude::*;

/// A stored file whose image row is deleted and which is not yet known to be gone.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_pending_delete")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub file: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
