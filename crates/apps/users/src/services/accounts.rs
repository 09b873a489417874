//! Creating and authenticating staff users; argon2id password hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use strata_db::is_unique_violation;

use crate::models::user;
use crate::roles::Role;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("a user named {0:?} already exists")]
    UsernameTaken(String),
    #[error("invalid username: 1 to 150 letters, digits and @/./+/-/_ only")]
    BadUsername,
    #[error("the password must have at least 8 characters")]
    WeakPassword,
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub role: Role,
}

/// Django's username rule: `[\w.@+-]`, at most 150 characters.
fn valid_username(name: &str) -> bool {
    let len = name.chars().count();
    (1..=150).contains(&len)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '+' | '-'))
}

/// Hashing is deliberately slow: it runs on the blocking pool, off the request threads.
async fn hash_password(password: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AccountError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hash(e.to_string()))?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

pub async fn create_user(
    db: &impl ConnectionTrait,
    new: NewUser<'_>,
) -> Result<user::Model, AccountError> {
    if !valid_username(new.username) {
        return Err(AccountError::BadUsername);
    }
    if new.password.chars().count() < 8 {
        return Err(AccountError::WeakPassword);
    }
    let password = hash_password(new.password.to_owned()).await?;
    user::ActiveModel {
        username: Set(new.username.to_owned()),
        email: Set(new.email.to_owned()),
        password: Set(password),
        role: Set(new.role.as_str().to_owned()),
        is_active: Set(true),
        last_login: Set(None),
        date_joined: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AccountError::UsernameTaken(new.username.to_owned())
        } else {
            AccountError::Db(e)
        }
    })
}

pub async fn create_superuser(
    db: &impl ConnectionTrait,
    username: &str,
    email: &str,
    password: &str,
) -> Result<user::Model, AccountError> {
    create_user(
        db,
        NewUser {
            username,
            email,
            password,
            role: Role::Admin,
        },
    )
    .await
}

pub async fn by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
}

/// The active user with these credentials. An unknown name still costs one verification, so
/// response time does not tell which usernames exist.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> Result<Option<user::Model>, DbErr> {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Kx9TyamtNoHt/WKmIC3I5pyAqdZ5LWt0cIpbHc6tvA";
    let found = by_username(db, username).await?;
    let hash = found
        .as_ref()
        .map_or_else(|| DUMMY.to_owned(), |u| u.password.clone());
    let ok = verify_password(password.to_owned(), hash).await;
    Ok(found.filter(|u| ok && u.is_active))
}

pub async fn touch_last_login(
    db: &impl ConnectionTrait,
    user: user::Model,
) -> Result<user::Model, DbErr> {
    let mut row = user.into_active_model();
    row.last_login = Set(Some(Utc::now()));
    row.update(db).await
}
