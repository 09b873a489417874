//! Creating and authenticating staff users; argon2id password hashes.

use std::sync::{Arc, LazyLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use strata_db::is_unique_violation;
use tokio::sync::Semaphore;

use crate::models::user;
use crate::roles::Role;

/// Longest username, as Django's `AbstractUser`.
pub const USERNAME_MAX: usize = 150;
/// Longest email address (RFC 5321), as Django's `EmailField` on users.
pub const EMAIL_MAX: usize = 254;
pub use crate::passwords::PASSWORD_MIN;
use crate::passwords::{self, Attributes};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("a user named {0:?} already exists")]
    UsernameTaken(String),
    #[error("invalid username: 1 to 150 letters, digits and @/./+/-/_ only")]
    BadUsername,
    #[error("invalid email address: at most 254 characters, with an @ between two parts")]
    BadEmail,
    /// Django's validators' messages (`passwords::problems`).
    #[error("the password is refused: {}", .0.join(" "))]
    WeakPassword(Vec<String>),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// What [`create_user`] needs; the password is hashed before it is stored.
#[derive(Clone, Copy, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    /// May be empty, as in Django.
    pub email: &'a str,
    pub password: &'a str,
    pub role: Role,
}

/// Django's username rule: `[\w.@+-]`, at most 150 characters.
pub(crate) fn valid_username(name: &str) -> bool {
    let len = name.chars().count();
    (1..=USERNAME_MAX).contains(&len)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '+' | '-'))
}

/// Empty, or `local@domain` without white space: a loose check, since only a mail server can
/// tell whether an address works.
pub(crate) fn valid_email(email: &str) -> bool {
    if email.is_empty() {
        return true;
    }
    email.chars().count() <= EMAIL_MAX
        && !email.chars().any(char::is_whitespace)
        && email
            .rsplit_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
}

/// Argon2 runs at most one hash per core at once. Without a bound, a flood of logins queues
/// thousands of memory-hard hashes on the blocking pool (up to 512 threads × 19 MiB each).
static HASHING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Arc::new(Semaphore::new(cores))
});

/// Runs `work` (a hash or a verification) on the blocking pool, off the request threads, once
/// a core is free. The permit goes with the work: a request cancelled while its hash runs does
/// not free a slot the still-running hash is using.
async fn with_hashing_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AccountError> {
    let permit = HASHING
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Hashing is deliberately slow: see [`with_hashing_slot`].
pub(crate) async fn hash_password(password: String) -> Result<String, AccountError> {
    with_hashing_slot(move || hash_now(&password)).await?
}

fn hash_now(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// What an unknown username is verified against, hashed with the same parameters as real
/// users' so that both take the same time. `None` only if hashing itself is broken, in which
/// case no user can have been created either.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_now("not a password: only for timing").ok());

/// False for a wrong password and for a hash that cannot be read.
async fn verify_password(password: String, hash: Option<String>) -> bool {
    with_hashing_slot(move || {
        let Some(hash) = hash.or_else(|| DUMMY_HASH.clone()) else {
            return false;
        };
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A new active user. Validates like Django's `createsuperuser`: the username's characters and
/// length, the email's shape, the password by Django's default validators; a taken username is
/// [`AccountError::UsernameTaken`].
pub async fn create_user(
    db: &impl ConnectionTrait,
    new: NewUser<'_>,
) -> Result<user::Model, AccountError> {
    if !valid_username(new.username) {
        return Err(AccountError::BadUsername);
    }
    if !valid_email(new.email) {
        return Err(AccountError::BadEmail);
    }
    let problems = passwords::problems(
        new.password,
        &Attributes {
            username: new.username,
            email: new.email,
        },
    );
    if !problems.is_empty() {
        return Err(AccountError::WeakPassword(problems));
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

/// A new admin (`strata createsuperuser`).
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

/// The user with this exact username, active or not.
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
    let found = by_username(db, username).await?;
    Ok(check_password(found, password).await)
}

/// [`authenticate`] on a user already looked up (`None`: the name is unknown, which still
/// costs one verification).
pub async fn check_password(found: Option<user::Model>, password: &str) -> Option<user::Model> {
    let hash = found.as_ref().map(|u| u.password.clone());
    let ok = verify_password(password.to_owned(), hash).await;
    found.filter(|u| ok && u.is_active)
}

/// Records a successful login (Django's `update_last_login`) and returns the updated row.
pub async fn touch_last_login(
    db: &impl ConnectionTrait,
    user: user::Model,
) -> Result<user::Model, DbErr> {
    let mut row = user.into_active_model();
    row.last_login = Set(Some(Utc::now()));
    row.update(db).await
}

/// Whether anyone can sign in to the admin as an admin yet (`serve` says how to make one).
pub async fn has_active_admin(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::IsActive.eq(true))
        .count(db)
        .await?;
    Ok(admins > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_django() {
        assert!(valid_username("alice.b+c@d-e_f"));
        assert!(valid_username("مریم"));
        assert!(valid_username(&"a".repeat(150)));
        assert!(!valid_username(""));
        assert!(!valid_username(&"a".repeat(151)));
        assert!(!valid_username("a b"));
        assert!(!valid_username("a/b"));
    }

    #[test]
    fn emails_are_checked_loosely() {
        assert!(valid_email(""));
        assert!(valid_email("a@example.com"));
        assert!(!valid_email("a"));
        assert!(!valid_email("@example.com"));
        assert!(!valid_email("a@"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email(&format!("{}@example.com", "a".repeat(250))));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[allow(clippy::unwrap_used)]
    async fn hashing_runs_at_most_one_per_core_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static RUNNING: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let tasks: Vec<_> = (0..cores * 4)
            .map(|_| {
                tokio::spawn(with_hashing_slot(|| {
                    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
                    MOST.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    RUNNING.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(MOST.load(Ordering::SeqCst), cores);
    }

    #[tokio::test]
    async fn unknown_users_are_verified_against_a_real_hash() {
        assert!(
            DUMMY_HASH
                .as_deref()
                .is_some_and(|h| h.starts_with("$argon2id$"))
        );
        assert!(!verify_password("x".into(), None).await);
        assert!(!verify_password("x".into(), Some("not a hash".into())).await);
    }
}
