//! API tokens (`Authorization: Token <key>`), DRF's 40-hex-character keys. A user may hold
//! several (one per machine client); each `strata token create` adds one.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};

use super::accounts::{AccountError, by_username};
use super::{random_hex, secret_hash};
use crate::models::{token, user};

/// A new token for `username`; the key is returned once and only its hash is kept.
pub async fn create_token(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<String, AccountError> {
    let user = by_username(db, username)
        .await?
        .ok_or_else(|| AccountError::NoSuchUser(username.to_owned()))?;
    let key = random_hex(20);
    token::ActiveModel {
        key_hash: Set(secret_hash(&key)),
        user_id: Set(user.id),
        created: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(key)
}

/// The owner of the token with this key, **active or not**: the caller refuses inactive users
/// with its own message, as DRF does ("User inactive or deleted.").
pub async fn user_for_token(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<user::Model>, DbErr> {
    let found = token::Entity::find()
        .filter(token::Column::KeyHash.eq(secret_hash(key)))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(_, user)| user))
}
