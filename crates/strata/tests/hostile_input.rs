//! What a hostile client sends, end to end on both deployments: control characters in every
//! kind of input, page numbers past what a database can address, oversized id lists, and a
//! category loop written straight into the database. Each is a 4xx or a normal answer; none
//! is a 500, a dropped connection or a panic in the server's log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::time::Duration;

use common::api::Api;
use common::{Backend, Site, web};
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

on_both_backends!(hostile_input_is_a_4xx_never_a_500);

const NUL: &str = "Null characters are not allowed.";
const CONTROL: &str = "Control characters are not allowed.";

async fn hostile_input_is_a_4xx_never_a_500(backend: Backend) {
    let Some(site) = Site::new(backend, "hostile_input").await else {
        return;
    };
    let out = site.run(&["seed", "--demo", "--properties", "30"]);
    assert!(out.status.success());
    let token = site.token("boss", "admin");
    let server = site.serve_logged();
    let admin = Api::new(&server, Some(&token));
    // Bounded, so a walk that never ends fails the test instead of hanging it.
    let public = Api::new(&server, None).impatient(Duration::from_secs(20));

    // Control characters: query values and names, JSON strings at any depth, path segments.
    for (query, field, message) in [
        ("city=%00", "city", NUL),
        ("q=a%00b", "q", NUL),
        ("q=a%1Bb", "q", CONTROL),
        ("tag=%00", "tag", NUL),
        ("category=a%00", "category", NUL),
        ("x%00y=1", "x\u{0}y", NUL),
    ] {
        let (status, body) = public.get(&format!("/api/properties/?{query}")).await;
        assert_eq!(
            (status, &body),
            (400, &json!({ field: [message] })),
            "?{query}"
        );
    }
    let (status, body) = admin.get("/api/admin/properties/?search=%00").await;
    assert_eq!((status, body), (400, json!({"search": [NUL]})));
    // Free text may hold tabs and newlines.
    assert_eq!(public.get("/api/properties/?q=a%09b%0A").await.0, 200);

    // Free text is capped before any query: a 60,000-character `q` was SQLite's "LIKE or GLOB
    // pattern too complex", a 500, and logged whole on every line of its request.
    let long = "a".repeat(60_000);
    let too_long = json!(["Ensure this field has no more than 200 characters."]);
    for name in ["q", "city", "tag", "category"] {
        let (status, body) = public.get(&format!("/api/properties/?{name}={long}")).await;
        assert_eq!((status, &body), (400, &json!({ name: too_long })), "{name}");
    }
    for (list, name) in [("properties", "q"), ("tags", "search"), ("categories", "q")] {
        let (status, body) = admin
            .get(&format!("/api/admin/{list}/?{name}={long}"))
            .await;
        assert_eq!((status, &body), (400, &json!({ name: too_long })), "{list}");
    }
    let longest = encode(&"ب".repeat(200));
    assert_eq!(
        public.get(&format!("/api/properties/?q={longest}")).await.0,
        200
    );
    let page = web::get(&server, &format!("/en/properties/?q={long}")).await;
    assert_eq!(page.status, 400);
    assert_eq!(
        web::get(&server, &format!("/properties/{}/", "a".repeat(300)))
            .await
            .status,
        404
    );

    let (status, body) = admin
        .json(
            Method::POST,
            "/api/admin/tags/",
            json!({"name": "a\u{0}b", "slug": "ab"}),
        )
        .await;
    assert_eq!((status, body), (400, json!({"name": [NUL]})));
    let (status, body) = admin
        .json(
            Method::POST,
            "/api/admin/categories/",
            json!({"app": "real_estate", "name": "ok", "slug": "ok\u{7}"}),
        )
        .await;
    assert_eq!((status, body), (400, json!({"slug": [CONTROL]})));
    let (status, body) = admin
        .json(
            Method::POST,
            "/api/admin/properties/",
            json!({"title": "T", "deal": "rent", "price": "1", "area": "1", "city": "C",
                   "description": "<p>deep\u{0}</p>", "extra": {"k\u{0}": 1}}),
        )
        .await;
    assert_eq!(
        (status, body),
        (400, json!({"description": [NUL], "extra": [NUL]}))
    );

    for path in [
        "/properties/a%00b/",
        "/en/properties/a%00b/",
        "/categories/a%01b/",
        "/tags/a%00/",
    ] {
        assert_eq!(web::get(&server, path).await.status, 404, "{path}");
    }
    for path in ["/properties/?city=%00", "/categories/x/?page=%00"] {
        let page = web::get(&server, path).await;
        assert_eq!(page.status, 400, "{path}");
        assert!(
            page.header("content-type").starts_with("text/html"),
            "{path}"
        );
    }

    // Pages whose rows lie past i64::MAX (sea-query's PostgreSQL binding panicked on them).
    let invalid_page = json!({"detail": "Invalid page."});
    for page in [
        "461168601842738792",
        "9223372036854775807",
        "18446744073709551615",
        "99999999999999999999",
    ] {
        let (status, body) = public.get(&format!("/api/properties/?page={page}")).await;
        assert_eq!((status, &body), (404, &invalid_page), "page={page}");
        for list in ["properties", "categories", "tags", "options"] {
            let (status, body) = admin
                .get(&format!("/api/admin/{list}/?page={page}&page_size=100"))
                .await;
            assert_eq!((status, &body), (404, &invalid_page), "{list} page={page}");
        }
        for path in [
            format!("/properties/?page={page}"),
            format!("/en/properties/?page={page}"),
        ] {
            assert_eq!(web::get(&server, &path).await.status, 404, "{path}");
        }
    }

    // Id lists are capped before any query.
    let many: Vec<i64> = (1..=501).collect();
    let (status, body) = admin
        .json(
            Method::POST,
            "/api/admin/properties/bulk/",
            json!({"action": "delete", "ids": many}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = admin
        .json(
            Method::POST,
            "/api/admin/properties/",
            json!({"title": "T", "deal": "rent", "price": "1", "area": "1", "city": "C",
                   "tags": (1..=101).collect::<Vec<i64>>()}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"tags": ["Ensure this field has no more than 100 elements."]})
        )
    );

    // A loop written by another writer of the database: two categories each other's parent,
    // and one its own. Filtering by either answers at once, on the API and the site.
    let categories = public.ok("/api/categories/?app=real_estate").await;
    let categories: Vec<(i64, String)> = list_of(&categories)
        .iter()
        .filter(|c| c["app"] == "real_estate")
        .map(|c| {
            (
                c["id"].as_i64().unwrap(),
                c["slug"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(categories.len() >= 3, "the demo seed has categories");
    let ((a, a_slug), (b, _), (c, c_slug)) = (&categories[0], &categories[1], &categories[2]);
    let db = sea_orm::Database::connect(site.database_url.as_str())
        .await
        .unwrap();
    for sql in [
        format!("UPDATE taxonomy_category SET parent_id = {b} WHERE id = {a}"),
        format!("UPDATE taxonomy_category SET parent_id = {a} WHERE id = {b}"),
        format!("UPDATE taxonomy_category SET parent_id = {c} WHERE id = {c}"),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    let _ = db.close().await;
    for slug in [a_slug, c_slug] {
        let (status, body) = public
            .get(&format!("/api/properties/?category={}", encode(slug)))
            .await;
        assert_eq!(status, 200, "{body}");
        let page = web::get(&server, &format!("/categories/{}/", encode(slug))).await;
        assert_eq!(page.status, 200, "{}", page.body);
    }
    let healthz = public
        .request(Method::GET, "/healthz")
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status().as_u16(), 200);

    let log = server.log();
    assert!(!log.contains("panicked at"), "the server panicked:\n{log}");
    assert!(
        !log.contains(&long[..1_000]),
        "a request's whole URI was logged"
    );
}

fn list_of(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .or_else(|| value["results"].as_array())
        .expect("a list")
}

/// A slug as a path segment or query value (demo slugs may be Persian).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
