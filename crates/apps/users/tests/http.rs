//! The auth routes and extractors through the router, as the binary mounts them: login,
//! cookies, `me`, logout, DRF's token header rules, CSRF on unsafe methods and roles.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::routing::get;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, PaginatorTrait};
use serde_json::{Value, json};
use strata_api::ApiSettings;
use strata_users::auth::{AuthVia, Staff, require_role};
use strata_users::models::session;
use strata_users::roles;
use strata_users::services::accounts::by_username;
use strata_users::{NewUser, Role, create_token, create_user};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

/// The auth routes as the binary mounts them (logout and `me` behind the staff guard), plus
/// two probes: one any staff user may call, one behind the content roles' guard.
fn app(db: &sea_orm::DatabaseConnection, settings: ApiSettings) -> Router {
    async fn editor(staff: Staff) -> String {
        staff.user.username
    }
    async fn staff(staff: Staff) -> String {
        match staff.via {
            AuthVia::Token => format!("{} by token", staff.user.username),
            AuthVia::Session(_) => format!("{} by session", staff.user.username),
        }
    }
    let ctx = common::ctx(db, settings);
    let guard = |roles: &'static [Role]| {
        axum::middleware::from_fn_with_state((ctx.clone(), roles), require_role)
    };
    let (public, _) = strata_users::public_router().split_for_parts();
    let (staff_routes, _) = strata_users::staff_router().split_for_parts();
    public
        .merge(staff_routes.route_layer(guard(roles::STAFF)))
        .merge(
            Router::new()
                .route("/editor", get(editor).post(editor).delete(editor))
                .route_layer(guard(roles::CONTENT)),
        )
        .route("/staff", get(staff).put(staff))
        .with_state(ctx)
        // The peer address the server adds to every request (login is throttled by it).
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4711))))
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    fn cookie(&self, name: &str) -> String {
        let prefix = format!("{name}=");
        self.cookies()
            .into_iter()
            .find(|c| c.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no {name} cookie in {:?}", self.cookies()))
    }
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn request(method: Method, uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).unwrap()
}

fn login_request(body: Value, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

async fn login(app: &Router, username: &str) -> (String, String) {
    let reply = send(
        app,
        login_request(json!({"username": username, "password": PASSWORD}), &[]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let session = reply.cookie("sessionid");
    let cookie = session.split(';').next().unwrap().to_owned();
    (
        cookie,
        reply.body["csrf_token"].as_str().unwrap().to_owned(),
    )
}

async fn user(db: &sea_orm::DatabaseConnection, username: &str, role: Role) {
    create_user(
        db,
        NewUser {
            username,
            email: "staff@example.com",
            password: PASSWORD,
            role,
        },
    )
    .await
    .unwrap();
}

fn detail(text: &str) -> Value {
    json!({ "detail": text })
}

#[tokio::test]
async fn login_sets_cookies_and_answers_the_user() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    user(db, "mina", Role::Editor).await;
    let ttl = Duration::from_secs(3600);
    let app = app(
        db,
        ApiSettings {
            session_ttl: ttl,
            ..ApiSettings::default()
        },
    );

    let reply = send(
        &app,
        login_request(json!({"username": "mina", "password": PASSWORD}), &[]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let csrf = reply.body["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(csrf.len(), 64);
    let body = &reply.body["user"];
    assert_eq!(
        (&body["username"], &body["role"], &body["is_active"]),
        (&json!("mina"), &json!("editor"), &json!(true))
    );
    assert!(body.get("password").is_none());
    let last_login = body["last_login"].as_str().unwrap();
    assert!(last_login.ends_with('Z'), "{last_login}");
    assert!(body["date_joined"].as_str().unwrap().ends_with('Z'));
    let stored = by_username(db, "mina").await.unwrap().unwrap();
    assert!(stored.last_login.is_some());

    let session = reply.cookie("sessionid");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
        assert!(session.contains(part), "{part} in {session}");
    }
    assert!(!session.contains("Secure"), "{session}");
    let csrf_cookie = reply.cookie("csrftoken");
    assert!(
        csrf_cookie.starts_with(&format!("csrftoken={csrf};")),
        "{csrf_cookie}"
    );
    assert!(csrf_cookie.contains("SameSite=Lax") && csrf_cookie.contains("Path=/"));
    // The SPA reads it.
    assert!(!csrf_cookie.contains("HttpOnly"), "{csrf_cookie}");

    // The session authenticates `me`.
    let cookie = session.split(';').next().unwrap();
    let me = send(
        &app,
        request(Method::GET, "/api/auth/me", &[("cookie", cookie)]),
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body, reply.body["user"]);

    // Logging in again from that browser replaces its session.
    let again = send(
        &app,
        login_request(
            json!({"username": "mina", "password": PASSWORD}),
            &[("cookie", cookie)],
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(session::Entity::find().count(db).await.unwrap(), 1);
    let old = send(
        &app,
        request(Method::GET, "/api/auth/me", &[("cookie", cookie)]),
    )
    .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);

    // Behind HTTPS both cookies are Secure.
    let secure = self::app(
        db,
        ApiSettings {
            secure_cookies: strata_api::SecureCookies::Always,
            ..ApiSettings::default()
        },
    );
    let reply = send(
        &secure,
        login_request(json!({"username": "mina", "password": PASSWORD}), &[]),
    )
    .await;
    assert!(reply.cookie("sessionid").contains("Secure"));
    assert!(reply.cookie("csrftoken").contains("Secure"));
    t.close().await;
}

#[tokio::test]
async fn bad_logins_are_drf_400s() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    user(db, "mina", Role::Editor).await;
    user(db, "gone", Role::Editor).await;
    let gone = by_username(db, "gone").await.unwrap().unwrap();
    let mut row = gone.into_active_model();
    row.is_active = Set(false);
    row.update(db).await.unwrap();
    let app = app(db, ApiSettings::default());

    let refused = json!({"non_field_errors": ["Unable to log in with provided credentials."]});
    for (username, password) in [
        ("mina", "wrong password"),
        ("nobody", PASSWORD),
        ("gone", PASSWORD),
    ] {
        let reply = send(
            &app,
            login_request(json!({"username": username, "password": password}), &[]),
        )
        .await;
        assert_eq!(
            (reply.status, &reply.body),
            (StatusCode::BAD_REQUEST, &refused),
            "{username}"
        );
        assert!(reply.cookies().is_empty());
    }

    let reply = send(&app, login_request(json!({"user": "mina"}), &[])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body,
        json!({
            "username": ["This field is required."],
            "password": ["This field is required."],
        })
    );
    let reply = send(&app, login_request(json!(["mina"]), &[])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let form = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("username=mina&password=x"))
        .unwrap();
    assert_eq!(
        send(&app, form).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    t.close().await;
}

#[tokio::test]
async fn sessions_need_csrf_on_unsafe_methods_and_logout_ends_them() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    user(db, "mina", Role::Editor).await;
    let app = app(db, ApiSettings::default());
    let (cookie, csrf) = login(&app, "mina").await;
    let cookie = cookie.as_str();

    let reply = send(&app, request(Method::GET, "/editor", &[("cookie", cookie)])).await;
    assert_eq!((reply.status, reply.body), (StatusCode::OK, json!("mina")));
    let reply = send(
        &app,
        request(Method::POST, "/editor", &[("cookie", cookie)]),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            StatusCode::FORBIDDEN,
            detail("CSRF Failed: CSRF token missing.")
        )
    );
    for wrong in ["", "nope", &csrf[..63], &format!("{csrf}0")] {
        let reply = send(
            &app,
            request(
                Method::DELETE,
                "/editor",
                &[("cookie", cookie), ("x-csrftoken", wrong)],
            ),
        )
        .await;
        assert_eq!(
            (reply.status, reply.body),
            (
                StatusCode::FORBIDDEN,
                detail("CSRF Failed: CSRF token incorrect.")
            ),
            "{wrong:?}"
        );
    }
    let reply = send(
        &app,
        request(
            Method::PUT,
            "/staff",
            &[("cookie", cookie), ("X-CSRFToken", &csrf)],
        ),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body),
        (StatusCode::OK, json!("mina by session"))
    );

    // Logout is a mutation: CSRF first.
    let reply = send(
        &app,
        request(Method::POST, "/api/auth/logout", &[("cookie", cookie)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = send(
        &app,
        request(
            Method::POST,
            "/api/auth/logout",
            &[("cookie", cookie), ("x-csrftoken", &csrf)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    for name in ["sessionid", "csrftoken"] {
        let expired = reply.cookie(name);
        assert!(
            expired.starts_with(&format!("{name}=;")) && expired.contains("Max-Age=0"),
            "{expired}"
        );
    }
    assert_eq!(session::Entity::find().count(db).await.unwrap(), 0);
    let reply = send(
        &app,
        request(Method::GET, "/api/auth/me", &[("cookie", cookie)]),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            StatusCode::UNAUTHORIZED,
            detail("Authentication credentials were not provided.")
        )
    );
    assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Token");
    let reply = send(&app, request(Method::POST, "/api/auth/logout", &[])).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    t.close().await;
}

#[tokio::test]
async fn tokens_follow_drf_and_skip_csrf() {
    let t = common::sqlite(true).await;
    let db = &t.db;
    user(db, "bot", Role::Editor).await;
    user(db, "helpdesk", Role::Support).await;
    user(db, "retired", Role::Admin).await;
    let editor = format!("Token {}", create_token(db, "bot").await.unwrap());
    let support = format!("Token {}", create_token(db, "helpdesk").await.unwrap());
    let retired = format!("Token {}", create_token(db, "retired").await.unwrap());
    let row = by_username(db, "retired").await.unwrap().unwrap();
    let mut row = row.into_active_model();
    row.is_active = Set(false);
    row.update(db).await.unwrap();
    let app = app(db, ApiSettings::default());
    let as_token =
        |method: Method, uri: &str, value: &str| request(method, uri, &[("authorization", value)]);

    // No CSRF for tokens; the scheme's case does not matter.
    let reply = send(&app, as_token(Method::POST, "/editor", &editor)).await;
    assert_eq!((reply.status, reply.body), (StatusCode::OK, json!("bot")));
    let lower = editor.replacen("Token", "token", 1);
    let reply = send(&app, as_token(Method::PUT, "/staff", &lower)).await;
    assert_eq!(
        (reply.status, reply.body),
        (StatusCode::OK, json!("bot by token"))
    );
    let reply = send(&app, as_token(Method::GET, "/api/auth/me", &editor)).await;
    assert_eq!(reply.body["username"], "bot");
    // Logout has no session to end; the token keeps working.
    let reply = send(&app, as_token(Method::POST, "/api/auth/logout", &editor)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = send(&app, as_token(Method::GET, "/editor", &editor)).await;
    assert_eq!(reply.status, StatusCode::OK);

    // Roles.
    let reply = send(&app, as_token(Method::POST, "/editor", &support)).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            StatusCode::FORBIDDEN,
            detail("You do not have permission to perform this action.")
        )
    );
    let reply = send(&app, as_token(Method::GET, "/staff", &support)).await;
    assert_eq!(reply.status, StatusCode::OK);

    // DRF's TokenAuthentication messages, all 401 with `WWW-Authenticate: Token`.
    let fake = format!("Token {}", "0".repeat(40));
    for (value, message) in [
        (fake.as_str(), "Invalid token."),
        ("Token", "Invalid token header. No credentials provided."),
        (
            "Token abc def",
            "Invalid token header. Token string should not contain spaces.",
        ),
        (retired.as_str(), "User inactive or deleted."),
    ] {
        let reply = send(&app, as_token(Method::GET, "/staff", value)).await;
        assert_eq!(
            (reply.status, reply.body),
            (StatusCode::UNAUTHORIZED, detail(message)),
            "{value}"
        );
        assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Token");
    }
    let invalid_bytes = Request::builder()
        .uri("/staff")
        .header("authorization", &b"Token \xff\xfe"[..])
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, invalid_bytes).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            StatusCode::UNAUTHORIZED,
            detail("Invalid token header. Token string should not contain invalid characters.")
        )
    );
    // Another scheme is not ours: with nothing else, no credentials.
    let reply = send(&app, as_token(Method::GET, "/staff", "Bearer abc")).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            StatusCode::UNAUTHORIZED,
            detail("Authentication credentials were not provided.")
        )
    );

    // A bad token is not rescued by a good session: the header is tried first.
    let (cookie, _) = login(&app, "bot").await;
    let reply = send(
        &app,
        request(
            Method::GET,
            "/staff",
            &[("cookie", &cookie), ("authorization", &fake)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    t.close().await;
}

#[test]
fn openapi_documents_the_auth_routes() {
    let document = strata_users::public_router()
        .merge(strata_users::staff_router())
        .into_openapi();
    let document = serde_json::to_value(&document).unwrap();
    for (path, method, id) in [
        ("/api/auth/login", "post", "auth_login"),
        ("/api/auth/logout", "post", "auth_logout"),
        ("/api/auth/me", "get", "auth_me"),
    ] {
        let operation = &document["paths"][path][method];
        assert_eq!(operation["operationId"], id, "{path}");
        assert_eq!(operation["tags"], json!(["auth"]), "{path}");
        assert!(operation["responses"].get("401").is_some() || id == "auth_login");
    }
    let login = &document["paths"]["/api/auth/login"]["post"];
    assert!(login["requestBody"].is_object());
    assert!(login["responses"].get("400").is_some());
    let schemas = &document["components"]["schemas"];
    for name in [
        "UserOut",
        "LoginOut",
        "LoginInput",
        "Role",
        "Detail",
        "FieldErrors",
    ] {
        assert!(schemas.get(name).is_some(), "{name} in {schemas}");
    }
}
