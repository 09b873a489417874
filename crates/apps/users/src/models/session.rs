use sea_orm::entity::prelude::*;

/// A browser session (the `sessionid` cookie, stored hashed) and its CSRF token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users_session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lowercase hex SHA-256 of the cookie's key.
    #[sea_orm(unique)]
    pub key_hash: String,
    pub user_id: i64,
    /// Sent back by the SPA as `X-CSRFToken` on unsafe requests. Stored as is: it guards
    /// against cross-site requests, not against someone who can read the table.
    pub csrf_token: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
