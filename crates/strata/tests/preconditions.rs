//! No lost edits: every admin resource's detail carries its row's version (`ETag` and
//! `version`), and `PUT`, `PATCH`, `DELETE` and `status` honour `If-Match` — a stale one is a
//! `412` with the current object and nothing written, a current one writes and moves the
//! version on, none behaves as DRF (last write wins). On both backends, through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::Backend;
use common::Site;
use common::api::Api;
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(every_resource_honours_if_match);
on_both_backends!(two_editors_of_one_property_never_overwrite_each_other);

/// A write with an optional `If-Match`; the status, the `ETag` and the body.
async fn write(
    api: &Api,
    method: Method,
    path: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut request = api.request(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, etag, value)
}

/// The detail's `ETag`, checked against its `version`.
async fn etag(api: &Api, path: &str) -> (String, Value) {
    let (status, etag, body) = write(api, Method::GET, path, None, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    let etag = etag.expect("the admin detail has an ETag");
    assert_eq!(etag, format!("\"{}\"", body["version"]), "{body}");
    (etag, body)
}

async fn create(api: &Api, plural: &str, body: Value) -> (String, String) {
    let path = format!("/api/admin/{plural}/");
    let (status, etag, created) = write(api, Method::POST, &path, Some(body), None).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["version"], 1, "{created}");
    assert_eq!(etag.as_deref(), Some("\"1\""));
    (format!("{path}{}/", created["id"]), "\"1\"".to_owned())
}

/// One resource through every conditional write: for each method a stale precondition
/// (refused: 412, the current object, nothing written), a current one (written, version + 1),
/// and none (written). `change` makes a body that changes a field to the given text, `field`
/// reads that field back.
async fn exercise(api: &Api, path: &str, full: Value, change: impl Fn(&str) -> Value, field: &str) {
    let (first, _) = etag(api, path).await;
    let mut version: i64 = first.trim_matches('"').parse().unwrap();
    for (method, base) in [(Method::PATCH, None), (Method::PUT, Some(&full))] {
        let body = |text: &str| -> Value {
            let mut body = base.cloned().unwrap_or_else(|| json!({}));
            for (k, v) in change(text).as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let stale = format!("\"{}\"", version - 1);
        let (status, tag, current) = write(
            api,
            method.clone(),
            path,
            Some(body("stale-write")),
            Some(&stale),
        )
        .await;
        assert_eq!(status, 412, "{method} {path} with {stale}: {current}");
        assert_eq!(tag, Some(format!("\"{version}\"")), "the 412's ETag");
        assert_eq!(
            current["version"], version,
            "the 412 shows the current object"
        );
        assert_ne!(current[field], "stale-write");
        assert_ne!(
            etag(api, path).await.1[field],
            "stale-write",
            "a refused write wrote nothing"
        );

        let now = format!("\"{version}\"");
        let (status, tag, written) = write(
            api,
            method.clone(),
            path,
            Some(body("current-write")),
            Some(&now),
        )
        .await;
        assert_eq!(status, 200, "{method} {path} with {now}: {written}");
        version += 1;
        assert_eq!(written["version"], version);
        assert_eq!(tag, Some(format!("\"{version}\"")));
        assert_eq!(written[field], "current-write");

        // Several tags, one of them current: written.
        let listed = format!("\"{}\", \"{version}\"", version + 5);
        let (status, _, written) = write(
            api,
            method.clone(),
            path,
            Some(body("listed-write")),
            Some(&listed),
        )
        .await;
        assert_eq!(status, 200, "{written}");
        version += 1;

        // No precondition: DRF's behaviour, the write goes through.
        let (status, _, written) =
            write(api, method.clone(), path, Some(body("blind-write")), None).await;
        assert_eq!(status, 200, "{written}");
        version += 1;
        assert_eq!(written["version"], version);
        assert_eq!(written[field], "blind-write");
    }

    // A weak tag never matches (If-Match compares strongly), `*` always does.
    let weak = format!("W/\"{version}\"");
    let (status, _, _) = write(api, Method::PATCH, path, Some(change("weak")), Some(&weak)).await;
    assert_eq!(status, 412);
    let (status, _, written) =
        write(api, Method::PATCH, path, Some(change("any")), Some("*")).await;
    assert_eq!(status, 200, "{written}");
    version += 1;

    // DELETE: stale refused (the row stays), current deletes.
    let stale = format!("\"{}\"", version - 1);
    let (status, _, current) = write(api, Method::DELETE, path, None, Some(&stale)).await;
    assert_eq!(status, 412, "{current}");
    assert_eq!(current["version"], version);
    etag(api, path).await;
    let now = format!("\"{version}\"");
    let (status, _, _) = write(api, Method::DELETE, path, None, Some(&now)).await;
    assert_eq!(status, 204);
    let (status, _, _) = write(api, Method::GET, path, None, None).await;
    assert_eq!(status, 404);
    // A precondition on a row that is gone: 404, as without one.
    let (status, _, _) = write(api, Method::PATCH, path, Some(change("late")), Some(&now)).await;
    assert_eq!(status, 404);
}

async fn every_resource_honours_if_match(backend: Backend) {
    let Some(site) = Site::new(backend, "if_match_resources").await else {
        return;
    };
    let token = site.token("root", "admin");
    let server = site.serve_logged();
    let admin = Api::new(&server, Some(&token));

    let (tag, _) = create(&admin, "tags", json!({"name_en": "Quiet"})).await;
    exercise(
        &admin,
        &tag,
        json!({"name_en": "Quiet", "name_fa": "آرام"}),
        |text| json!({"name_en": text}),
        "name_en",
    )
    .await;
    let (option, _) = create(&admin, "options", json!({"name_en": "Sauna"})).await;
    exercise(
        &admin,
        &option,
        json!({"name_en": "Sauna", "name_fa": "سونا"}),
        |text| json!({"name_en": text}),
        "name_en",
    )
    .await;
    let category = json!({"app": "real_estate", "name_en": "Villas", "name_fa": "ویلا"});
    let (villas, _) = create(&admin, "categories", category.clone()).await;
    exercise(
        &admin,
        &villas,
        category,
        |text| json!({"name_en": text}),
        "name_en",
    )
    .await;
    let user = json!({"username": "mina", "role": "editor", "email": "mina@example.com"});
    let (mina, _) = create(
        &admin,
        "users",
        json!({"username": "mina", "role": "editor", "password": "a long unusual passphrase 42"}),
    )
    .await;
    exercise(
        &admin,
        &mina,
        user,
        |text| json!({"username": text}),
        "username",
    )
    .await;

    // Properties: the same, and `status/` too.
    let property = json!({
        "title_en": "Villa", "title_fa": "ویلا", "city_en": "Tehran", "city_fa": "تهران",
        "slug": "villa", "deal": "sale", "price": "100", "area": "200",
    });
    let (villa, _) = create(&admin, "properties", property.clone()).await;
    let status_path = format!("{villa}status/");
    let (status, _, current) = write(
        &admin,
        Method::POST,
        &status_path,
        Some(json!({"status": "published"})),
        Some("\"0\""),
    )
    .await;
    assert_eq!(status, 412, "{current}");
    assert_eq!(current["status"], "draft", "nothing written");
    let (status, tag, published) = write(
        &admin,
        Method::POST,
        &status_path,
        Some(json!({"status": "published"})),
        Some("\"1\""),
    )
    .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(
        (published["status"].clone(), published["version"].clone()),
        (json!("published"), json!(2))
    );
    assert_eq!(tag.as_deref(), Some("\"2\""));
    let (status, _, _) = write(
        &admin,
        Method::POST,
        &status_path,
        Some(json!({"status": "archived"})),
        None,
    )
    .await;
    assert_eq!(status, 200, "no precondition: written");

    // A change of a related row does not move a property's version: the precondition
    // protects the property's own fields.
    let (homes, _) = create(
        &admin,
        "categories",
        json!({"app": "real_estate", "name_en": "Homes"}),
    )
    .await;
    let homes_id: i64 = homes.split('/').nth(4).unwrap().parse().unwrap();
    let (status, _, linked) = write(
        &admin,
        Method::PATCH,
        &villa,
        Some(json!({"category": homes_id})),
        None,
    )
    .await;
    assert_eq!(status, 200, "{linked}");
    let before = linked["version"].clone();
    let (status, _, _) = write(
        &admin,
        Method::PATCH,
        &homes,
        Some(json!({"name_en": "Houses"})),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, after) = etag(&admin, &villa).await;
    assert_eq!(
        after["version"], before,
        "a category rename bumped the property"
    );
    assert_eq!(after["category"]["name"], "Houses", "{after}");

    exercise(
        &admin,
        &villa,
        property,
        |text| json!({"title_en": text}),
        "title_en",
    )
    .await;

    let log = server.log();
    assert!(!log.contains("panicked at"), "the server panicked:\n{log}");
}

/// QA's reproduction, at the API: two editors open the same property; A saves a new title;
/// B, still holding the old version, saves only the price — refused with A's title in the
/// answer, so B's client can show it; B saves again on A's version and both edits stand.
/// Then many editors race on one version: exactly one wins.
async fn two_editors_of_one_property_never_overwrite_each_other(backend: Backend) {
    let Some(site) = Site::new(backend, "if_match_editors").await else {
        return;
    };
    let a_token = site.token("editor_a", "editor");
    let b_token = site.token("editor_b", "editor");
    let server = site.serve_logged();
    let a = Api::new(&server, Some(&a_token));
    let b = Api::new(&server, Some(&b_token));
    let (villa, _) = create(
        &a,
        "properties",
        json!({
            "title_fa": "ویلای قدیمی", "title_en": "Old villa", "city_en": "Tehran",
            "slug": "contested", "deal": "sale", "price": "100", "area": "200",
            "status": "published",
        }),
    )
    .await;
    let (a_read, _) = etag(&a, &villa).await;
    let (b_read, _) = etag(&b, &villa).await;

    let (status, _, saved) = write(
        &a,
        Method::PATCH,
        &villa,
        Some(json!({"title_fa": "ویلای نو"})),
        Some(&a_read),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (status, _, theirs) = write(
        &b,
        Method::PATCH,
        &villa,
        Some(json!({"price": "250"})),
        Some(&b_read),
    )
    .await;
    assert_eq!(status, 412, "{theirs}");
    assert_eq!(theirs["title_fa"], "ویلای نو", "B sees A's title");
    assert_eq!(theirs["price"], "100.00", "B's price was not written");
    let again = format!("\"{}\"", theirs["version"]);
    let (status, _, merged) = write(
        &b,
        Method::PATCH,
        &villa,
        Some(json!({"price": "250"})),
        Some(&again),
    )
    .await;
    assert_eq!(status, 200, "{merged}");
    let public = Api::new(&server, None);
    let id = villa.split('/').nth(4).unwrap();
    let shown = public.ok(&format!("/api/properties/{id}/")).await;
    assert_eq!(
        (shown["title"].clone(), shown["price"].clone()),
        (json!("ویلای نو"), json!("250.00")),
        "both edits stand"
    );

    // Eight editors save at once on the same version: one wins, seven are told.
    let (read, _) = etag(&a, &villa).await;
    let mut racers = tokio::task::JoinSet::new();
    for n in 0..8 {
        let (api, villa, read) = (
            Api::new(&server, Some(&a_token)),
            villa.clone(),
            read.clone(),
        );
        racers.spawn(async move {
            let body = json!({"title_en": format!("Racer {n}")});
            write(&api, Method::PATCH, &villa, Some(body), Some(&read))
                .await
                .0
        });
    }
    let mut statuses = racers.join_all().await;
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
}
