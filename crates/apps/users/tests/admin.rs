//! `/api/admin/users/` and the password reset through the router, behind the admins' guard as
//! the binary mounts them: validation like `createsuperuser`, an uncached list, what ends
//! sessions, and what an admin may not do to their own account.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use strata_api::admin::IfMatch;
use strata_api::catalog::USER;
use strata_api::testing::RecordingSink;
use strata_api::{ApiSettings, Op};
use strata_users::auth::require_role;
use strata_users::models::session;
use strata_users::services::accounts::by_username;
use strata_users::{NewUser, Role, authenticate, create_token, create_user, roles, start_session};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

/// The users' admin router behind the admins' guard, `me` behind the staff guard (to see
/// whether a session still works), and what the router published.
fn app(db: &sea_orm::DatabaseConnection) -> (Router, std::sync::Arc<RecordingSink>) {
    let test = strata_api::testing::ctx(db, ApiSettings::default());
    let ctx = test.ctx;
    let guard = |roles: &'static [Role]| {
        axum::middleware::from_fn_with_state((ctx.clone(), roles), require_role)
    };
    let (admins, _) = strata_users::admin_router().split_for_parts();
    let (staff, _) = strata_users::staff_router().split_for_parts();
    let router = admins
        .route_layer(guard(roles::ADMINS))
        .merge(staff.route_layer(guard(roles::STAFF)))
        .with_state(ctx)
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4711))));
    (router, test.changes)
}

async fn call(
    app: &Router,
    auth: &str,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut builder = Request::builder().method(method).uri(uri);
    builder = if auth.starts_with("sessionid=") {
        builder.header(header::COOKIE, auth)
    } else {
        builder.header(header::AUTHORIZATION, format!("Token {auth}"))
    };
    let request = match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    };
    let response = app.clone().oneshot(request.unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, body)
}

/// A user and an API token for them.
async fn staff(db: &sea_orm::DatabaseConnection, username: &str, role: Role) -> (i64, String) {
    let user = create_user(
        db,
        NewUser {
            username,
            email: "",
            password: PASSWORD,
            role,
        },
    )
    .await
    .unwrap();
    (user.id, create_token(db, username).await.unwrap())
}

/// A session cookie for `id` (reads only: no CSRF needed).
async fn session_cookie(db: &sea_orm::DatabaseConnection, id: i64) -> String {
    let new = start_session(db, id, Duration::from_secs(3600))
        .await
        .unwrap();
    format!("sessionid={}", new.key)
}

async fn sessions_of(db: &sea_orm::DatabaseConnection, id: i64) -> u64 {
    session::Entity::find()
        .filter(session::Column::UserId.eq(id))
        .count(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn only_admins_reach_the_users_api() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    let (app, _) = app(db);
    let (_, admin) = staff(db, "root", Role::Admin).await;
    for role in [Role::Editor, Role::Support] {
        let (_, token) = staff(db, role.as_str(), role).await;
        let (status, _) = call(&app, &token, Method::GET, "/api/admin/users/", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
        let (status, _) = call(
            &app,
            &token,
            Method::POST,
            "/api/admin/users/1/password/",
            Some(json!({"password": "whatever123"})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
    }
    let (status, page) = call(&app, &admin, Method::GET, "/api/admin/users/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["count"], 3);
    t.close().await;
}

#[tokio::test]
async fn creating_validates_like_createsuperuser_and_never_shows_the_password() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    let (app, changes) = app(db);
    let (_, admin) = staff(db, "root", Role::Admin).await;

    let (status, errors) = call(
        &app,
        &admin,
        Method::POST,
        "/api/admin/users/",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let required = json!(["This field is required."]);
    assert_eq!(
        errors,
        json!({"username": required, "role": required, "password": required})
    );

    let bad = json!({"username": "a b", "email": "nope", "role": "owner", "password": "short"});
    let (status, errors) = call(&app, &admin, Method::POST, "/api/admin/users/", Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        errors,
        json!({
            "username": ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."],
            "email": ["Enter a valid email address."],
            "role": ["\"owner\" is not a valid choice."],
            "password": ["This password is too short. It must contain at least 8 characters."],
        })
    );

    let body = json!({"username": "mina", "email": "mina@example.com", "role": "editor", "password": PASSWORD});
    let (status, created) = call(
        &app,
        &admin,
        Method::POST,
        "/api/admin/users/",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        (
            &created["username"],
            &created["role"],
            &created["is_active"],
            &created["last_login"]
        ),
        (&json!("mina"), &json!("editor"), &json!(true), &Value::Null)
    );
    assert!(created.get("password").is_none(), "{created}");
    // Stored as an argon2id hash that logs in.
    let stored = by_username(db, "mina").await.unwrap().unwrap();
    assert!(stored.password.starts_with("$argon2id$"));
    assert!(authenticate(db, "mina", PASSWORD).await.unwrap().is_some());
    let published = changes.take();
    assert_eq!(published.len(), 1);
    assert_eq!((published[0].entity, published[0].op), (USER, Op::Create));
    assert_eq!(published[0].ids, [stored.id]);

    let (status, errors) = call(&app, &admin, Method::POST, "/api/admin/users/", Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        errors,
        json!({"username": ["A user with that username already exists."]})
    );

    // The password changes only through its own endpoint.
    let (status, errors) = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/admin/users/{}/", stored.id),
        Some(json!({"password": "another password"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        errors["password"][0]
            .as_str()
            .unwrap()
            .contains("/password/"),
        "{errors}"
    );
    t.close().await;
}

#[tokio::test]
async fn the_list_is_never_cached() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    let (app, _) = app(db);
    let (_, admin) = staff(db, "root", Role::Admin).await;
    let (_, first) = call(
        &app,
        &admin,
        Method::GET,
        "/api/admin/users/?search=late",
        None,
    )
    .await;
    assert_eq!(first["count"], 0);
    // Written behind the API's back: nothing invalidates, so only an uncached list sees it.
    staff(db, "latecomer", Role::Support).await;
    let (_, second) = call(
        &app,
        &admin,
        Method::GET,
        "/api/admin/users/?search=late",
        None,
    )
    .await;
    assert_eq!(second["count"], 1, "{second}");
    assert_eq!(second["results"][0]["username"], "latecomer");
    // Filters and ordering, as the SPA asks for them.
    let (_, support) = call(
        &app,
        &admin,
        Method::GET,
        "/api/admin/users/?role=support&is_active=true&ordering=-username",
        None,
    )
    .await;
    assert_eq!(support["count"], 1, "{support}");
    let (status, errors) = call(
        &app,
        &admin,
        Method::GET,
        "/api/admin/users/?role=owner",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{errors}");
    assert!(errors.get("role").is_some(), "{errors}");
    t.close().await;
}

#[tokio::test]
async fn deactivating_ends_sessions_and_an_admin_cannot_lock_themselves_out() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    let (app, _) = app(db);
    let (root_id, admin) = staff(db, "root", Role::Admin).await;
    let (mina, mina_token) = staff(db, "mina", Role::Editor).await;
    let cookie = session_cookie(db, mina).await;
    let (status, _) = call(&app, &cookie, Method::GET, "/api/auth/me", None).await;
    assert_eq!(status, StatusCode::OK);

    // Role edits keep sessions (the role is read on every request).
    let one = format!("/api/admin/users/{mina}/");
    let (status, out) = call(
        &app,
        &admin,
        Method::PATCH,
        &one,
        Some(json!({"role": "support"})),
    )
    .await;
    assert_eq!((status, &out["role"]), (StatusCode::OK, &json!("support")));
    assert_eq!(sessions_of(db, mina).await, 1);

    let (status, out) = call(
        &app,
        &admin,
        Method::PATCH,
        &one,
        Some(json!({"is_active": false})),
    )
    .await;
    assert_eq!(
        (status, &out["is_active"]),
        (StatusCode::OK, &json!(false)),
        "{out}"
    );
    assert_eq!(sessions_of(db, mina).await, 0);
    let (status, _) = call(&app, &cookie, Method::GET, "/api/auth/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The token stays but is refused while the user is inactive (DRF's message).
    let (status, body) = call(&app, &mina_token, Method::GET, "/api/auth/me", None).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail": "User inactive or deleted."})
        )
    );

    // Themselves: no deactivation, no demotion, no deletion (400), and nothing changed.
    let me = format!("/api/admin/users/{root_id}/");
    for (method, body, field) in [
        (
            Method::PATCH,
            Some(json!({"is_active": false})),
            "is_active",
        ),
        (Method::PATCH, Some(json!({"role": "editor"})), "role"),
        (
            Method::PUT,
            Some(json!({"username": "root", "role": "editor"})),
            "role",
        ),
        (Method::DELETE, None, "non_field_errors"),
    ] {
        let (status, errors) = call(&app, &admin, method.clone(), &me, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {errors}");
        assert!(errors.get(field).is_some(), "{method} {errors}");
    }
    let root = by_username(db, "root").await.unwrap().unwrap();
    assert!(root.is_active && root.role == "admin");
    // Editing other fields of one's own account is fine.
    let (status, _) = call(
        &app,
        &admin,
        Method::PATCH,
        &me,
        Some(json!({"email": "root@example.com", "role": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Another user can be deleted; their sessions and tokens go with them.
    let (status, _) = call(&app, &admin, Method::DELETE, &one, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(by_username(db, "mina").await.unwrap().is_none());
    t.close().await;
}

#[tokio::test]
async fn a_password_reset_sets_the_password_and_ends_sessions() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    let (app, changes) = app(db);
    let (_, admin) = staff(db, "root", Role::Admin).await;
    let (mina, mina_token) = staff(db, "mina", Role::Editor).await;
    let cookie = session_cookie(db, mina).await;
    let path = format!("/api/admin/users/{mina}/password/");

    let (status, errors) = call(
        &app,
        &admin,
        Method::POST,
        &path,
        Some(json!({"password": "short"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        errors["password"][0]
            .as_str()
            .unwrap()
            .contains("too short"),
        "{errors}"
    );
    // Django's default validators, every message at once, in DRF's shape.
    let (status, errors) = call(
        &app,
        &admin,
        Method::POST,
        &path,
        Some(json!({"password": "12345678"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        errors,
        json!({"password": ["This password is too common.", "This password is entirely numeric."]})
    );
    let (status, errors) = call(
        &app,
        &admin,
        Method::POST,
        "/api/admin/users/",
        Some(
            json!({"username": "dariush.kazemi", "email": "d@example.com", "role": "editor",
                    "password": "kazemi.dariush"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        errors,
        json!({"password": ["The password is too similar to the username."]})
    );
    let (status, _) = call(
        &app,
        &admin,
        Method::POST,
        "/api/admin/users/999/password/",
        Some(json!({"password": "long enough"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(changes.take().is_empty());

    let (status, out) = call(
        &app,
        &admin,
        Method::POST,
        &path,
        Some(json!({"password": "a brand new one"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["username"], "mina");
    assert!(authenticate(db, "mina", PASSWORD).await.unwrap().is_none());
    assert!(
        authenticate(db, "mina", "a brand new one")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(sessions_of(db, mina).await, 0);
    let (status, _) = call(&app, &cookie, Method::GET, "/api/auth/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The reset revoked the user's API tokens too.
    let (status, body) = call(&app, &mina_token, Method::GET, "/api/auth/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Invalid token."}));
    let published = changes.take();
    assert_eq!(published.len(), 1);
    assert_eq!(
        (
            published[0].entity,
            published[0].op,
            published[0].ids.as_slice()
        ),
        (USER, Op::Update, [mina].as_slice())
    );
    t.close().await;
}

#[tokio::test]
async fn tokens_are_listed_revoked_and_may_be_kept_through_a_reset() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    let (app, changes) = app(db);
    let (_, admin) = staff(db, "root", Role::Admin).await;
    let (mina, first) = staff(db, "mina", Role::Editor).await;
    let second = create_token(db, "mina").await.unwrap();
    let tokens = format!("/api/admin/users/{mina}/tokens/");

    let (status, listed) = call(&app, &admin, Method::GET, &tokens, None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let listed = listed.as_array().unwrap().clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["username"], "mina");
    assert_eq!(listed[0]["expires_at"], Value::Null);
    assert_eq!(listed[0]["expired"], false);
    assert!(listed[0].get("key").is_none() && listed[0].get("key_hash").is_none());

    // Revoking the first: it is refused at once, the second still works.
    let first_id = listed[0]["id"].as_i64().unwrap();
    let (status, _) = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("{tokens}{first_id}/"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&app, &first, Method::GET, "/api/auth/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&app, &second, Method::GET, "/api/auth/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        changes.take().len(),
        1,
        "a revoke is published like every write"
    );
    // Another user's token, or one already gone, is not found.
    let (status, _) = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("{tokens}{first_id}/"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &app,
        &admin,
        Method::GET,
        "/api/admin/users/999/tokens/",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A reset that asks to keep them keeps them.
    let (status, out) = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/admin/users/{mina}/password/"),
        Some(json!({"password": "a brand new one", "keep_tokens": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, _) = call(&app, &second, Method::GET, "/api/auth/me", None).await;
    assert_eq!(status, StatusCode::OK);
    t.close().await;
}

#[tokio::test]
async fn the_last_active_admin_stays_whatever_the_caller() {
    // Both backends: the admins are locked with `FOR UPDATE` on PostgreSQL.
    for t in common::backends("last_admin").await {
        last_admin_on(&t.db).await;
        t.close().await;
    }
}

async fn last_admin_on(db: &sea_orm::DatabaseConnection) {
    use strata_api::admin::service;
    use strata_users::serializers::UserInput;
    use strata_users::services::admin::Users;
    let ctx = strata_api::testing::ctx(db, ApiSettings::default()).ctx;
    let (root, _) = staff(db, "root", Role::Admin).await;
    // The service itself, without the route's check of who calls (as a concurrent demotion by
    // another admin would reach it).
    let demote = UserInput {
        role: Some(Role::Editor),
        ..UserInput::default()
    };
    let refused = service::update::<Users>(&ctx, root, demote, &IfMatch::Absent).await;
    assert!(
        matches!(refused, Err(strata_api::ApiError::Invalid(_))),
        "{refused:?}"
    );
    let deactivate = UserInput {
        is_active: Some(false),
        ..UserInput::default()
    };
    assert!(
        service::update::<Users>(&ctx, root, deactivate, &IfMatch::Absent)
            .await
            .is_err()
    );
    let deleted = service::delete::<Users>(
        &ctx,
        root,
        strata_api::admin::OnDelete::Protect,
        &IfMatch::Absent,
    )
    .await;
    assert!(deleted.is_err());
    let still = by_username(db, "root").await.unwrap().unwrap();
    assert!(still.is_active && still.role == "admin");

    // With a second admin, either may go.
    staff(db, "second", Role::Admin).await;
    let demote = UserInput {
        role: Some(Role::Editor),
        ..UserInput::default()
    };
    let out = service::update::<Users>(&ctx, root, demote, &IfMatch::Absent)
        .await
        .unwrap();
    assert_eq!(out.body.role, "editor");
}
