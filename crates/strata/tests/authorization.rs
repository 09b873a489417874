//! Authorization is by route: every operation of the OpenAPI document under `/api/admin/`, and
//! `/api/auth/me`, is walked as each kind of caller (anonymous, every role — allowed exactly
//! when the operation's `x-strata-roles` names it —, token, session with and without CSRF,
//! session from another site's page). An endpoint added without its guard — in a
//! router that is not guarded, or with a handler that forgets to ask — fails here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Site;
use common::api::Api;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
/// An id no object has: the guard must answer before any handler looks it up.
const MISSING: &str = "999999";

struct Operation {
    method: Method,
    path: String,
    /// The roles the document says may call it (`x-strata-roles`).
    roles: Vec<String>,
}

const ROLES: [&str; 3] = ["admin", "editor", "support"];

impl Operation {
    fn unsafe_method(&self) -> bool {
        !matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS)
    }

    fn allows(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Every guarded operation of the live document, path parameters filled with a missing id.
async fn guarded_operations(public: &Api) -> Vec<Operation> {
    let document = public.ok("/api/schema/").await;
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if !(path.starts_with("/api/admin/") || path == "/api/auth/me") {
            continue;
        }
        let filled = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    MISSING
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(operation) = item.get(method) {
                let roles: Vec<String> =
                    serde_json::from_value(operation["x-strata-roles"].clone())
                        .unwrap_or_else(|_| panic!("{method} {path} declares no x-strata-roles"));
                assert!(!roles.is_empty(), "{method} {path}: no role may call it");
                operations.push(Operation {
                    method: method.to_uppercase().parse().unwrap(),
                    path: filled.clone(),
                    roles,
                });
            }
        }
    }
    assert!(
        operations.len() >= 20,
        "only {} guarded operations in the document",
        operations.len()
    );
    operations
}

/// A session of `username`: the cookie header and the CSRF token.
async fn login(base: &str, username: &str) -> (String, String) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "username": username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let csrf = response.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    (cookies, csrf)
}

/// The operation as `builder` sends it, with a JSON body where it takes one.
async fn call(op: &Operation, builder: RequestBuilder) -> (u16, Value) {
    let builder = if op.unsafe_method() {
        builder.json(&json!({}))
    } else {
        builder
    };
    Api::send(builder).await
}

fn denied(status: u16) -> bool {
    status == 401 || status == 403
}

#[tokio::test]
async fn every_admin_operation_is_guarded_by_its_route() {
    let site = Site::new(common::Backend::Embedded, "authorization")
        .await
        .unwrap();
    let tokens: Vec<(&str, String)> = ROLES
        .iter()
        .map(|role| (*role, site.token(&format!("{role}1"), role)))
        .collect();
    let server = site.serve();
    let base = server.url("");
    let anonymous = Api::at(base.clone(), None);
    let mut sessions = Vec::new();
    for role in ROLES {
        sessions.push((role, login(&base, &format!("{role}1")).await));
    }
    let client = reqwest::Client::new();
    let with_session = |op: &Operation, cookies: &str| {
        client
            .request(op.method.clone(), format!("{base}{}", op.path))
            .header("cookie", cookies)
    };

    let operations = guarded_operations(&anonymous).await;
    // The groups' intent, held here so that a resource mounted in the wrong group fails.
    let users = operations
        .iter()
        .find(|op| op.path == "/api/admin/users/")
        .expect("the users API is in the document");
    assert_eq!(users.roles, ["admin"]);
    for op in &operations {
        let what = format!("{} {}", op.method, op.path);

        let (status, body) = call(op, anonymous.request(op.method.clone(), &op.path)).await;
        assert_eq!(
            (status, body),
            (
                401,
                json!({"detail": "Authentication credentials were not provided."})
            ),
            "anonymous {what}"
        );

        for (role, token) in &tokens {
            let as_role = Api::at(base.clone(), Some(token));
            let (status, body) = call(op, as_role.request(op.method.clone(), &op.path)).await;
            if op.allows(role) {
                assert!(
                    !denied(status),
                    "{role}'s token refused on {what}: {status} {body}"
                );
            } else {
                assert_eq!(
                    (status, body),
                    (
                        403,
                        json!({"detail": "You do not have permission to perform this action."})
                    ),
                    "{role} {what}"
                );
            }
        }

        // Sessions: those of the roles it allows pass with CSRF, and need it.
        for (role, (cookies, csrf)) in &sessions {
            if !op.allows(role) {
                continue;
            }
            let (status, body) =
                call(op, with_session(op, cookies).header("X-CSRFToken", csrf)).await;
            assert!(
                !denied(status),
                "{role}'s session refused on {what}: {status} {body}"
            );

            if op.unsafe_method() {
                let foreign = with_session(op, cookies)
                    .header("X-CSRFToken", csrf)
                    .header("Origin", "https://elsewhere.example");
                let (status, body) = call(op, foreign).await;
                assert_eq!(
                    status, 403,
                    "a session request from another site on {what}: {body}"
                );
            }

            let (status, body) = call(op, with_session(op, cookies)).await;
            if op.unsafe_method() {
                assert_eq!(
                    (status, body),
                    (403, json!({"detail": "CSRF Failed: CSRF token missing."})),
                    "session without CSRF on {what}"
                );
            } else {
                assert!(
                    !denied(status),
                    "{role}'s session refused on {what}: {status} {body}"
                );
            }
        }
    }
}
