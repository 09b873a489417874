use sea_orm::entity::prelude::*;

/// A staff user. Deleting one deletes its tokens and sessions (`ON DELETE CASCADE`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users_user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub username: String,
    pub email: String,
    /// An argon2id PHC string; never serialized.
    pub password: String,
    /// `admin`, `editor` or `support` ([`crate::roles::Role`]).
    pub role: String,
    pub is_active: bool,
    pub last_login: Option<DateTimeUtc>,
    pub date_joined: DateTimeUtc,
    /// Bumped by every write of this row: the admin's `ETag` and `If-Match` check
    /// (`strata_api::admin::version`).
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::token::Entity")]
    Token,
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Token.def()
    }
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
