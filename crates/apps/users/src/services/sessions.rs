//! Browser sessions: a random key in an HttpOnly cookie, stored hashed, with its CSRF token.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};

use super::{random_hex, secret_hash};
use crate::models::{session, user};

/// A new session's cookie key and CSRF token. The key is known only to the browser.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub key: String,
    pub csrf_token: String,
}

/// Starts a session for `user_id` lasting `ttl`. Sessions that have expired (anyone's) are
/// deleted first, so abandoned ones do not pile up.
pub async fn start_session(
    db: &impl ConnectionTrait,
    user_id: i64,
    ttl: Duration,
) -> Result<NewSession, DbErr> {
    purge_expired(db).await?;
    let key = random_hex(32);
    let csrf_token = random_hex(32);
    let now = Utc::now();
    // An absurd TTL (centuries) means "never expires", not an overflow.
    let expires_at = chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    session::ActiveModel {
        key_hash: Set(secret_hash(&key)),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token.clone()),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(NewSession { key, csrf_token })
}

/// The active user of a live session and the session's CSRF token; an expired session is
/// deleted on sight.
pub async fn session_user(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<(user::Model, String)>, DbErr> {
    let Some(row) = session::Entity::find()
        .filter(session::Column::KeyHash.eq(secret_hash(key)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.expires_at <= Utc::now() {
        session::Entity::delete_by_id(row.id).exec(db).await?;
        return Ok(None);
    }
    let user = user::Entity::find_by_id(row.user_id)
        .one(db)
        .await?
        .filter(|u| u.is_active);
    Ok(user.map(|u| (u, row.csrf_token)))
}

/// Ends the session with this key, if there is one.
pub async fn end_session(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::KeyHash.eq(secret_hash(key)))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every expired session (Django's `clearsessions`); returns how many.
pub async fn purge_expired(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let done = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
