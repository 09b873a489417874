//! What a DRF client developer and a new user meet (issue 10): bodies read as DRF reads them
//! (read-only and unknown fields ignored; `api.strict_input` refuses unknown ones),
//! `page_size` as `PageNumberPagination` reads it, `APPEND_SLASH`, deleting a term in use
//! (`on_delete=PROTECT` with an explicit reassignment or `force`), and the small things: the
//! upload's 415, `/media/` headers and 404 body, `/favicon.ico`, quiet CLI commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::api::{Api, PNG};
use common::{Backend, Server, Site, stderr};
use reqwest::Method;
use reqwest::redirect::Policy;
use serde_json::{Value, json};

on_both_backends!(bodies_pages_and_slashes_as_drf_and_django);
on_both_backends!(deleting_a_term_in_use);

async fn seeded(backend: Backend, test: &str) -> Option<Site> {
    Site::seeded(backend, test, 30).await
}

fn server_with(site: &Site, extra: &[(&str, &str)]) -> Server {
    let mut env: Vec<(&str, &str)> = site
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.extend_from_slice(extra);
    Server::start(&env)
}

/// Status and `Location` of a request sent without following redirects.
async fn unfollowed(server: &Server, method: Method, path: &str) -> (u16, String, String) {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let response = client
        .request(method, server.url(path))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

async fn bodies_pages_and_slashes_as_drf_and_django(backend: Backend) {
    let Some(site) = seeded(backend, "drf_semantics").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));

    // A client sends back what it fetched, read-only fields included, plus a field it made up.
    let first = admin.ok("/api/admin/properties/?ordering=id").await["results"][0].clone();
    let id = first["id"].as_i64().unwrap();
    let fetched = admin.ok(&format!("/api/admin/properties/{id}/")).await;
    let mut body = fetched.clone();
    body["id"] = json!(id + 1000);
    body["title"] = json!("Sent back as fetched");
    body["colour"] = json!("red");
    body["category"] = fetched["category"]["id"].clone();
    for relation in ["tags", "options"] {
        body[relation] = json!(
            fetched[relation]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].clone())
                .collect::<Vec<_>>()
        );
    }
    let path = format!("/api/admin/properties/{id}/");
    let (status, updated) = admin.json(Method::PUT, &path, body.clone()).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["id"], id);
    assert_eq!(updated["title"], "Sent back as fetched");
    assert_eq!(updated["created_at"], fetched["created_at"]);
    let (status, created) = admin
        .json(
            Method::POST,
            "/api/admin/tags/",
            json!({"id": 1, "name": "Garden", "created_at": "yesterday", "colour": "red"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], "Garden");

    // `page_size`: 0, negative or garbage is the default; past the maximum, the maximum.
    for bad in ["0", "-3", "abc", "2.5"] {
        let list = admin
            .ok(&format!("/api/admin/properties/?page_size={bad}"))
            .await;
        assert_eq!(list["results"].as_array().unwrap().len(), 20, "{bad}");
    }

    // With `api.strict_input`, unknown fields are refused; read-only ones are still ignored.
    let strict = server_with(
        &site,
        &[
            ("STRATA_API__STRICT_INPUT", "true"),
            ("STRATA_API__MAX_PAGE_SIZE", "25"),
        ],
    );
    let strict_admin = Api::new(&strict, Some(&token));
    let (status, errors) = strict_admin.json(Method::PUT, &path, body.clone()).await;
    assert_eq!(status, 400, "{errors}");
    assert_eq!(errors, json!({"colour": ["This field is not allowed."]}));
    body.as_object_mut().unwrap().remove("colour");
    let (status, updated) = strict_admin.json(Method::PUT, &path, body).await;
    assert_eq!(status, 200, "{updated}");
    let list = strict_admin
        .ok("/api/admin/properties/?page_size=1000")
        .await;
    assert_eq!(list["results"].as_array().unwrap().len(), 25);

    // APPEND_SLASH: GET and HEAD are redirected with the query; other methods are told.
    let (status, location, _) =
        unfollowed(&server, Method::GET, "/api/properties?page=2&city=Shiraz").await;
    assert_eq!(
        (status, location.as_str()),
        (301, "/api/properties/?page=2&city=Shiraz")
    );
    let (status, location, _) = unfollowed(&server, Method::HEAD, "/api/properties").await;
    assert_eq!((status, location.as_str()), (301, "/api/properties/"));
    let (status, location, _) = unfollowed(&server, Method::GET, "/properties").await;
    assert_eq!((status, location.as_str()), (301, "/properties/"));
    // Still the site's own redirect.
    let (status, location, _) = unfollowed(&server, Method::GET, "/en").await;
    assert_eq!((status, location.as_str()), (308, "/en/"));
    let (status, detail) = admin
        .json(Method::POST, "/api/admin/tags", json!({"name": "x"}))
        .await;
    assert_eq!(status, 404);
    let detail = detail["detail"].as_str().unwrap();
    assert!(
        detail.contains("trailing slash") && detail.contains("/api/admin/tags/"),
        "{detail}"
    );
    // A path that would still 404 is not redirected, nor one a browser reads as another host.
    for path in [
        "/api/nothing",
        "/nothing",
        "//evil.example",
        "/media/nothing.png",
    ] {
        let (status, location, _) = unfollowed(&server, Method::GET, path).await;
        assert_eq!((status, location.as_str()), (404, ""), "{path}");
    }
}

async fn deleting_a_term_in_use(backend: Backend) {
    let Some(site) = seeded(backend, "term_in_use").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let public = Api::new(&server, None);
    let categories = public.ok("/api/categories/?app=real_estate").await;
    let by_slug = |slug: &str| -> i64 {
        categories
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["slug"] == slug)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (apartment, penthouse, villa) =
        (by_slug("apartment"), by_slug("penthouse"), by_slug("villa"));
    let in_apartment = public
        .ok("/api/properties/?category=apartment&page_size=100")
        .await;
    let moved: Vec<i64> = in_apartment["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["category"]["slug"] == "apartment")
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert!(!moved.is_empty(), "{in_apartment}");
    let one = format!("/api/properties/{}/", moved[0]);
    assert_eq!(public.ok(&one).await["category"]["slug"], "apartment"); // now cached

    // Refused, saying how many rows use it and what to pass; nothing changes.
    let path = format!("/api/admin/categories/{apartment}/");
    let (status, refused) = Api::send(admin.request(Method::DELETE, &path)).await;
    assert_eq!(status, 409, "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    let direct = admin
        .ok(&format!(
            "/api/admin/properties/?category={apartment}&page_size=100"
        ))
        .await["count"]
        .as_u64()
        .unwrap();
    assert!(
        detail.contains(&format!("{direct} properties"))
            && detail.contains("1 child category")
            && detail.contains("reassign_to"),
        "{detail}"
    );
    assert_eq!(public.ok(&one).await["category"]["slug"], "apartment");

    // A bad target is a 400 on the parameter: itself, its child, not an id.
    for target in [apartment.to_string(), penthouse.to_string(), "x".to_owned()] {
        let (status, errors) =
            Api::send(admin.request(Method::DELETE, &format!("{path}?reassign_to={target}"))).await;
        assert_eq!(status, 400, "{target}: {errors}");
        assert!(errors["reassign_to"].is_array(), "{errors}");
    }

    // Reassigned: properties and the child move in the same transaction, caches follow.
    let status = admin.delete(&format!("{path}?reassign_to={villa}")).await;
    assert_eq!(status, 204);
    assert_eq!(public.ok(&one).await["category"]["slug"], "villa");
    let child = admin
        .ok(&format!("/api/admin/categories/{penthouse}/"))
        .await;
    assert_eq!(child["parent"], villa);
    assert_eq!(
        admin
            .get(&format!("/api/admin/categories/{apartment}/"))
            .await
            .0,
        404
    );

    // A tag in use: refused with the count, removed from its properties with `force=true`.
    let tagged = public.ok("/api/properties/?tag=luxury&page_size=100").await;
    let count = tagged["count"].as_u64().unwrap();
    assert!(count > 0, "{tagged}");
    let tag_id = tagged["results"][0]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "luxury")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let one = format!("/api/properties/{}/", tagged["results"][0]["id"]);
    let has_luxury = |p: &Value| {
        p["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["slug"] == "luxury")
    };
    assert!(has_luxury(&public.ok(&one).await));
    let path = format!("/api/admin/tags/{tag_id}/");
    let (status, refused) = Api::send(admin.request(Method::DELETE, &path)).await;
    assert_eq!(status, 409, "{refused}");
    // Drafts count too: at least the published ones the public list shows.
    let detail = refused["detail"].as_str().unwrap();
    let used: u64 = detail
        .split("used by ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{detail}"));
    assert!(used >= count && detail.contains("force=true"), "{detail}");
    assert_eq!(admin.delete(&format!("{path}?force=true")).await, 204);
    assert!(!has_luxury(&public.ok(&one).await));

    // A term nothing uses is deleted as before.
    let (_, unused) = admin
        .json(
            Method::POST,
            "/api/admin/options/",
            json!({"name": "Sauna"}),
        )
        .await;
    let status = admin
        .delete(&format!("/api/admin/options/{}/", unused["id"]))
        .await;
    assert_eq!(status, 204);

    // The instruction is documented on each destroy operation.
    let schema = public.ok("/api/schema/").await;
    let parameter = |path: &str| -> Vec<String> {
        schema["paths"][path]["delete"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(parameter("/api/admin/categories/{id}/").contains(&"reassign_to".to_owned()));
    assert!(parameter("/api/admin/tags/{id}/").contains(&"force".to_owned()));
    assert!(!parameter("/api/admin/properties/{id}/").contains(&"force".to_owned()));
}

/// Item 8 of the issue, on the embedded default.
#[tokio::test]
async fn small_things_a_new_user_meets() {
    let site = Site::new(Backend::Embedded, "small_things").await.unwrap();
    // The first command on a fresh SQLite database migrates it, quietly.
    let out = site.run(&["seed", "--demo", "--properties", "3"]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        !err.contains("--posts") && !err.contains("sea_orm_migration") && !err.contains("Applying"),
        "{err}"
    );
    let out = site.run(&["seed", "--demo", "--properties", "3", "--posts", "2"]);
    assert!(stderr(&out).contains("--posts is ignored"));
    let token = site.token("admin1", "admin");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let id = admin.ok("/api/admin/properties/").await["results"][0]["id"].clone();
    let images = format!("/api/admin/properties/{id}/images/");

    // The upload's 415 names the content type sent, in DRF's words.
    let (status, body) = admin
        .json(Method::POST, &images, json!({"file": "x"}))
        .await;
    assert_eq!(status, 415);
    assert_eq!(
        body,
        json!({"detail": "Unsupported media type \"application/json\" in request."})
    );

    // Media: files cached for a year (their names are random and never reused), 404s say so.
    let (status, image) = admin.upload(&images, PNG, "a.png").await;
    assert_eq!(status, 201, "{image}");
    let url = image["url"].as_str().unwrap();
    let path = url.find("/media/").map(|at| &url[at..]).unwrap();
    let response = reqwest::get(server.url(path)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let response = reqwest::get(server.url("/media/images/property/missing.png"))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert!(response.headers().get("cache-control").is_none());
    assert_eq!(response.text().await.unwrap(), "Not found.");

    // Browsers ask for the icon on every page.
    let response = reqwest::get(server.url("/favicon.ico")).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "image/x-icon");
    assert!(!response.bytes().await.unwrap().is_empty());
}
