//! `/api/admin/users/`, declared once with the shared admin pattern (`strata_api::admin`), and
//! the password reset beside it. Private data: the list is declared uncached (`LIST` is left
//! `None`), so every read goes to the database. Writes publish `USER`, which no cached view
//! shows, so its rule invalidates nothing: they take the same journalled commit as every
//! other write.
//!
//! What ends a user's sessions: deactivation and a password reset (as Django, where a new
//! password hash invalidates every session made under the old one; an admin resetting their
//! own password signs in again). API tokens stay: an inactive user's token is refused by the
//! authenticator, and a token is not derived from the password (DRF keeps it too). Deleting a
//! user is allowed (their sessions and tokens go with them, `ON DELETE CASCADE`); an admin
//! cannot delete, deactivate or demote themselves, and no write may leave the site without an
//! active admin (checked with the admins locked, so concurrent demotions cannot both pass).

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};
use strata_api::admin::{Actor, AdminResource, Write, delete_rows, find_one, read_one};
use strata_api::catalog::USER;
use strata_api::{ApiError, ApiResult, Change, Ctx, Entity, FieldErrors, JsonObject, Mode, Op};

use crate::filters::UserFilters;
use crate::models::{session, user};
use crate::passwords::{self, Attributes};
use crate::roles::Role;
use crate::serializers::{
    PasswordReset, TokenOut, UserInput, UserOut, token_out, user_input, user_out,
};
use crate::services::accounts::{self, AccountError, NewUser};
use crate::services::tokens;

/// Staff users, for admins.
pub struct Users;

impl AdminResource for Users {
    const PLURAL: &'static str = "users";
    const NOUN: &'static str = "user";
    const TAG: &'static str = "admin: users";
    const ENTITY: Entity = USER;
    const ID: user::Column = user::Column::Id;
    const SLUG: user::Column = user::Column::Username;
    const VERSION: user::Column = user::Column::Version;
    const ORDERING: &'static [(&'static str, user::Column)] = &[
        ("id", user::Column::Id),
        ("username", user::Column::Username),
        ("role", user::Column::Role),
        ("last_login", user::Column::LastLogin),
        ("date_joined", user::Column::DateJoined),
    ];
    const DEFAULT_ORDERING: &'static str = "username";
    const SEARCH: &'static [user::Column] = &[user::Column::Username, user::Column::Email];

    type Table = user::Entity;
    type Filters = UserFilters;
    type Out = UserOut;
    type Item = UserOut;
    type Input = UserInput;

    fn parse(body: JsonObject, mode: Mode) -> ApiResult<UserInput> {
        user_input(body, mode)
    }

    async fn outs<C: ConnectionTrait + Sync>(
        _db: &C,
        rows: Vec<user::Model>,
    ) -> Result<Vec<UserOut>, DbErr> {
        Ok(rows.iter().map(user_out).collect())
    }

    async fn read<C: ConnectionTrait + Sync>(db: &C, id: i64) -> Result<Option<UserOut>, DbErr> {
        read_one::<Self, _>(db, id, user_out).await
    }

    /// Hashes inside the transaction (the trait hands the input over there); one hash costs
    /// tens of milliseconds, and only admins create users.
    async fn create(txn: &DatabaseTransaction, input: UserInput) -> ApiResult<i64> {
        let (Some(username), Some(role), Some(password)) =
            (input.username, input.role, input.password)
        else {
            return Err(ApiError::internal(
                "required user fields missing after parse",
            ));
        };
        let new = NewUser {
            username: &username,
            email: input.email.as_deref().unwrap_or(""),
            password: &password,
            role,
        };
        let created = accounts::create_user(txn, new)
            .await
            .map_err(account_error)?;
        let id = created.id;
        if input.is_active == Some(false) {
            set_active(txn, created, false).await?;
        }
        Ok(id)
    }

    async fn update(txn: &DatabaseTransaction, id: i64, input: UserInput) -> ApiResult<()> {
        let found = find_one::<Self>(txn, id).await?;
        let deactivating = found.is_active && input.is_active == Some(false);
        let demoting = input.role.is_some_and(|r| r != Role::Admin);
        if is_active_admin(&found) && (deactivating || demoting) {
            keep_an_admin(txn, id).await?;
        }
        let mut row = found.into_active_model();
        if let Some(username) = input.username {
            row.username = Set(username);
        }
        if let Some(email) = input.email {
            row.email = Set(email);
        }
        if let Some(role) = input.role {
            row.role = Set(role.as_str().to_owned());
        }
        if let Some(active) = input.is_active {
            row.is_active = Set(active);
        }
        row.update(txn).await.map_err(|e| {
            if strata_db::is_unique_violation(&e) {
                username_taken()
            } else {
                ApiError::from(e)
            }
        })?;
        if deactivating {
            end_sessions(txn, id).await?;
        }
        Ok(())
    }

    async fn delete(txn: &DatabaseTransaction, ids: &[i64]) -> ApiResult<Vec<String>> {
        for id in ids {
            keep_an_admin(txn, *id).await?;
        }
        delete_rows::<Self>(txn, ids).await?;
        Ok(Vec::new())
    }

    fn refuse(actor: Option<Actor>, id: i64, write: Write<'_, UserInput>) -> ApiResult<()> {
        if actor.is_none_or(|a| a.user_id != id) {
            return Ok(());
        }
        match write {
            Write::Delete => Err(ApiError::field(
                "non_field_errors",
                "You cannot delete your own account.",
            )),
            Write::Update(input) if input.is_active == Some(false) => Err(ApiError::field(
                "is_active",
                "You cannot deactivate your own account.",
            )),
            Write::Update(input) if input.role.is_some_and(|r| r != Role::Admin) => Err(
                ApiError::field("role", "You cannot remove your own admin role."),
            ),
            Write::Update(_) => Ok(()),
        }
    }
}

/// Sets a new password for user `id`, ends their sessions and (unless `keep_tokens`) revokes
/// their API tokens, in one transaction published as a change of the user.
pub async fn reset_password(ctx: &Ctx, id: i64, reset: PasswordReset) -> ApiResult<UserOut> {
    let PasswordReset {
        password,
        keep_tokens,
    } = reset;
    // Validated against the user's own attributes (username, email), so read first.
    let user = user::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let problems = passwords::problems(
        &password,
        &Attributes {
            username: &user.username,
            email: &user.email,
        },
    );
    if !problems.is_empty() {
        return Err(password_errors(problems));
    }
    // Hash before the transaction: nothing is locked while argon2 runs.
    let hash = accounts::hash_password(password)
        .await
        .map_err(account_error)?;
    let txn = ctx.begin().await?;
    let rows = Users::lock(&txn, &[id]).await?;
    let found = user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut row = found.into_active_model();
    row.password = Set(hash);
    let updated = row.update(&txn).await?;
    end_sessions(&txn, id).await?;
    if !keep_tokens {
        tokens::revoke_tokens_of(&txn, id).await?;
    }
    let slugs = rows.into_iter().map(|r| r.slug).collect();
    ctx.commit(txn, Change::new(USER, Op::Update, vec![id], slugs))
        .await?;
    Ok(user_out(&updated))
}

/// User `id`'s API tokens (404 for no such user).
pub async fn list_tokens(ctx: &Ctx, id: i64) -> ApiResult<Vec<TokenOut>> {
    user::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = chrono::Utc::now();
    Ok(tokens::list_tokens(&ctx.db, Some(id))
        .await?
        .iter()
        .map(|(token, owner)| token_out(token, owner, now))
        .collect())
}

/// Revokes user `id`'s token `token_id` (404 unless it is theirs), published as a change of
/// the user like every write here.
pub async fn revoke_token(ctx: &Ctx, id: i64, token_id: i64) -> ApiResult<()> {
    let txn = ctx.begin().await?;
    let rows = Users::lock(&txn, &[id]).await?;
    if !tokens::revoke_token(&txn, token_id, Some(id)).await? {
        return Err(ApiError::NotFound);
    }
    let slugs = rows.into_iter().map(|r| r.slug).collect();
    ctx.commit(txn, Change::new(USER, Op::Update, vec![id], slugs))
        .await?;
    Ok(())
}

async fn set_active(txn: &DatabaseTransaction, user: user::Model, active: bool) -> ApiResult<()> {
    let mut row = user.into_active_model();
    row.is_active = Set(active);
    row.update(txn).await?;
    Ok(())
}

fn is_active_admin(user: &user::Model) -> bool {
    user.is_active && user.role == Role::Admin.as_str()
}

/// Refuses a write that would leave no active admin besides user `id`. The active admins are
/// locked first (`FOR UPDATE` on PostgreSQL; SQLite's writes are serialized already), so two
/// admins demoting each other at once cannot both succeed: the second sees the first's change.
async fn keep_an_admin(txn: &DatabaseTransaction, id: i64) -> ApiResult<()> {
    let admins: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::IsActive.eq(true))
        .lock_exclusive()
        .into_tuple()
        .all(txn)
        .await?;
    if admins.contains(&id) && admins.len() == 1 {
        return Err(ApiError::field(
            "non_field_errors",
            "The site needs at least one active admin.",
        ));
    }
    Ok(())
}

/// Every session of user `id`: they must sign in again.
async fn end_sessions(txn: &DatabaseTransaction, id: i64) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Each of the validators' messages under `password`, as DRF reports Django's.
fn password_errors(problems: Vec<String>) -> ApiError {
    let mut errors = FieldErrors::new();
    for problem in problems {
        errors.add("password", problem);
    }
    ApiError::Invalid(errors)
}

fn username_taken() -> ApiError {
    ApiError::field("username", "A user with that username already exists.")
}

/// Account errors as the API reports them; `user_input` has already checked the shapes, so
/// these remain only as a second line.
fn account_error(err: AccountError) -> ApiError {
    match err {
        AccountError::UsernameTaken(_) => username_taken(),
        AccountError::BadUsername => ApiError::field("username", err.to_string()),
        AccountError::BadEmail => ApiError::field("email", err.to_string()),
        AccountError::WeakPassword(problems) => password_errors(problems),
        AccountError::NoSuchUser(_) => ApiError::NotFound,
        AccountError::Hash(reason) => ApiError::internal(reason),
        AccountError::Db(db) => ApiError::from(db),
    }
}
