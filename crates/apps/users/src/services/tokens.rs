//! API tokens (`Authorization: Token <key>`), DRF's 40-hex-character keys. A user may hold
//! several (one per machine client); each `strata token create` adds one, optionally expiring.
//! They are listed and revoked by id (`strata token list` / `revoke`, and the admin API), and a
//! password reset revokes the user's tokens unless asked not to.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use super::accounts::{AccountError, by_username};
use super::{random_hex, secret_hash};
use crate::models::{token, user};

/// A new token for `username`; the key is returned once and only its hash is kept.
pub async fn create_token(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<String, AccountError> {
    create_expiring_token(db, username, None).await
}

/// [`create_token`], refused from `expires_at` on when given.
pub async fn create_expiring_token(
    db: &impl ConnectionTrait,
    username: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<String, AccountError> {
    let user = by_username(db, username)
        .await?
        .ok_or_else(|| AccountError::NoSuchUser(username.to_owned()))?;
    let key = random_hex(20);
    token::ActiveModel {
        key_hash: Set(secret_hash(&key)),
        user_id: Set(user.id),
        created: Set(Utc::now()),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(key)
}

/// The owner of the token with this key, **active or not**: the caller refuses inactive users
/// with its own message, as DRF does ("User inactive or deleted."). An expired token is no
/// token.
pub async fn user_for_token(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<user::Model>, DbErr> {
    let found = token::Entity::find()
        .filter(token::Column::KeyHash.eq(secret_hash(key)))
        .filter(unexpired(Utc::now()))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(_, user)| user))
}

fn unexpired(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(token::Column::ExpiresAt.is_null())
        .add(token::Column::ExpiresAt.gt(now))
}

/// Every token (of `user_id` when given) with its owner, oldest first; expired ones included,
/// so that they can be seen and revoked.
pub async fn list_tokens(
    db: &impl ConnectionTrait,
    user_id: Option<i64>,
) -> Result<Vec<(token::Model, user::Model)>, DbErr> {
    let mut query = token::Entity::find()
        .find_also_related(user::Entity)
        .order_by_asc(token::Column::Id);
    if let Some(user_id) = user_id {
        query = query.filter(token::Column::UserId.eq(user_id));
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(token, user)| Some((token, user?)))
        .collect())
}

/// Revokes token `id` (of `user_id` when given); whether there was one.
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    id: i64,
    user_id: Option<i64>,
) -> Result<bool, DbErr> {
    let mut delete = token::Entity::delete_many().filter(token::Column::Id.eq(id));
    if let Some(user_id) = user_id {
        delete = delete.filter(token::Column::UserId.eq(user_id));
    }
    Ok(delete.exec(db).await?.rows_affected == 1)
}

/// Revokes every token of `user_id`; how many there were.
pub async fn revoke_tokens_of(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    Ok(token::Entity::delete_many()
        .filter(token::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}
