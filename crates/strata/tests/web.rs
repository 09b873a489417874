//! The public site end to end on both deployments: pages and SEO, escaping, the HTML cache's
//! HTTP behaviour, freshness after every kind of mutation, `POST /api/revalidate`, and the
//! outbox to an external Next.js target (a stand-in server in this test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::api::{Api, PNG};
use common::web::{get, get_with, ok};
use common::{Backend, Server, Site};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(pages_seo_escaping_and_http_caching);
on_both_backends!(pages_are_fresh_after_every_kind_of_mutation);
on_both_backends!(revalidate_endpoint);
on_both_backends!(nextjs_targets_get_every_tag_even_after_an_outage);
on_both_backends!(demo_photos_and_the_gallery);
on_both_backends!(old_slugs_redirect_in_one_hop);

const SITE_URL: &str = "https://example.test";
const SECRET: &str = "s3cret-for-tests";

async fn seeded(backend: Backend, test: &str, extra: &[(&str, &str)]) -> Option<Site> {
    let mut site = Site::new(backend, test).await?;
    site.env
        .push(("STRATA_WEB__SITE_URL".into(), SITE_URL.into()));
    site.env.push(("REVALIDATE_SECRET".into(), SECRET.into()));
    for (k, v) in extra {
        site.env.push(((*k).into(), (*v).into()));
    }
    assert!(
        site.run(&["seed", "--demo", "--properties", "30"])
            .status
            .success()
    );
    Some(site)
}

/// A seeded site on one instance, with an editor's API client and an anonymous one.
async fn serving(backend: Backend, test: &str) -> Option<(Site, Server, Api, Api)> {
    let site = seeded(backend, test, &[]).await?;
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let public = Api::new(&server, None);
    Some((site, server, admin, public))
}

async fn create(admin: &Api, body: Value) -> Value {
    let (status, created) = admin
        .json(Method::POST, "/api/admin/properties/", body)
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn pages_seo_escaping_and_http_caching(backend: Backend) {
    let Some((_site, server, admin, public)) = serving(backend, "web_pages").await else {
        return;
    };
    let category = public.ok("/api/categories/?app=real_estate").await[0].clone();
    let created = create(
        &admin,
        json!({
            "title": "<script>alert(1)</script> Villa & Garden", "slug": "escaped-villa",
            "deal": "rent", "price": "1250000.00", "deposit": "50000000", "area": "210",
            "rooms": 4, "city": "Shiraz", "status": "published",
            "description": "<p>Sunny <b>rooms</b></p><img src=x onerror=alert(2)><script>bad()</script>",
            "category": category["id"],
        }),
    )
    .await;
    let id = created["id"].as_i64().unwrap();

    // Home, both languages.
    let home = ok(&server, "/").await;
    assert!(
        home.body.contains(r#"<html lang="fa" dir="rtl">"#),
        "{}",
        home.body
    );
    assert!(
        home.body
            .contains(&format!(r#"<link rel="canonical" href="{SITE_URL}/">"#))
    );
    assert!(
        home.body
            .contains(&format!(r#"hreflang="en" href="{SITE_URL}/en/""#))
    );
    let english = ok(&server, "/en/").await;
    assert!(english.body.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(english.body.contains("Latest listings"));
    assert_eq!(get(&server, "/en").await.status, 200, "redirected to /en/");

    // The listing page: the title is text, the rich text sanitized, SEO tags and JSON-LD.
    let path = "/properties/escaped-villa/";
    let detail = ok(&server, path).await;
    let body = &detail.body;
    assert!(
        body.contains("&#60;script&#62;alert(1)&#60;/script&#62; Villa &#38; Garden")
            || body.contains("&lt;script&gt;alert(1)&lt;/script&gt; Villa &amp; Garden"),
        "{body}"
    );
    assert!(!body.contains("<script>alert(1)"));
    assert!(body.contains("<p>Sunny <b>rooms</b></p>"));
    assert!(!body.contains("bad()") && !body.contains("onerror"));
    assert!(
        body.contains(r#"<meta name="description" content="Sunny rooms">"#),
        "{body}"
    );
    assert!(body.contains(&format!(
        r#"<link rel="canonical" href="{SITE_URL}/properties/escaped-villa/">"#
    )));
    assert!(body.contains(r#"<meta property="og:type" content="article">"#));
    assert!(body.contains(r#"<meta property="og:title""#));
    let ld_start = body.find(r#"<script type="application/ld+json">"#).unwrap();
    let ld = &body[ld_start + 35..];
    let ld: Value = serde_json::from_str(&ld[..ld.find("</script>").unwrap()]).unwrap();
    assert_eq!(ld["@type"], "RealEstateListing");
    assert_eq!(ld["name"], "<script>alert(1)</script> Villa & Garden");
    assert_eq!(ld["offers"]["price"], "1250000.00");
    assert!(
        !body[ld_start..].contains("</script> Villa"),
        "JSON-LD cannot close its script"
    );

    // Cache headers, a hit, a conditional request, HEAD.
    assert_eq!(detail.cache(), "MISS");
    assert!(
        detail.header("cache-control").contains("s-maxage=300"),
        "{:?}",
        detail.headers
    );
    assert!(
        detail
            .header("cache-control")
            .contains("stale-while-revalidate=")
    );
    assert!(
        detail
            .header("surrogate-key")
            .split(' ')
            .any(|t| t == format!("property:{id}"))
    );
    assert!(
        detail
            .header("cache-tag")
            .split(',')
            .any(|t| t == format!("property:{id}"))
    );
    let etag = detail.header("etag").to_owned();
    assert!(etag.starts_with("W/\""));
    let again = ok(&server, path).await;
    assert_eq!(
        (again.cache(), again.header("etag")),
        ("HIT", etag.as_str())
    );
    let unchanged = get_with(&server, path, &[("if-none-match", &etag)]).await;
    assert_eq!((unchanged.status, unchanged.body.as_str()), (304, ""));
    let head = reqwest::Client::new()
        .head(server.url(path))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    let post = reqwest::Client::new()
        .post(server.url(path))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405, "only GET and HEAD");

    // The list: utm_* never splits the cache; a bad filter is an uncached 400.
    assert_eq!(
        ok(&server, "/properties/?city=Shiraz").await.cache(),
        "MISS"
    );
    let tracked = ok(&server, "/properties/?utm_source=mail&city=Shiraz&fbclid=x").await;
    assert_eq!(tracked.cache(), "HIT");
    assert!(tracked.body.contains("escaped-villa"));
    let bad = get(&server, "/properties/?min_price=lots").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.header("cache-control"), "no-store");
    // Named by its label (tests/web_errors.rs checks the page in full).
    assert!(bad.body.contains("<strong>کمترین قیمت (تومان)</strong>"));
    let listing = ok(&server, "/properties/?ordering=price").await;
    assert!(
        listing.body.contains(r#"rel="next""#),
        "12 per page, 31 listings"
    );
    assert!(
        listing
            .body
            .contains(r#"href="/properties/?ordering=price&amp;page=2""#)
            || listing
                .body
                .contains(r#"href="/properties/?ordering=price&#38;page=2""#),
        "{}",
        listing.body
    );
    assert_eq!(get(&server, "/properties/?page=99").await.status, 404);

    // Landing pages, unknown pages.
    let slug = category["slug"].as_str().unwrap();
    let landing = ok(&server, &format!("/categories/{slug}/")).await;
    assert!(landing.body.contains(category["name"].as_str().unwrap()));
    assert!(
        landing
            .header("surrogate-key")
            .contains(&format!("category:{slug}"))
            || !slug.is_ascii()
    );
    assert_eq!(
        get(&server, "/properties/no-such-listing/").await.status,
        404
    );
    assert_eq!(
        get(&server, "/categories/no-such-category/").await.status,
        404
    );

    // Sitemap (well-formed XML naming every published listing) and robots.txt.
    let sitemap = ok(&server, "/sitemap.xml").await;
    assert!(
        sitemap
            .header("content-type")
            .starts_with("application/xml")
    );
    let xml = roxmltree::Document::parse(&sitemap.body).unwrap();
    let locs: Vec<&str> = xml
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    assert!(locs.contains(&"https://example.test/properties/escaped-villa/"));
    assert!(locs.contains(&"https://example.test/en/properties/escaped-villa/"));
    assert!(locs.len() >= 2 * 31, "{}", locs.len());
    let robots = ok(&server, "/robots.txt").await;
    assert!(
        robots
            .body
            .contains("Sitemap: https://example.test/sitemap.xml")
    );
    assert!(robots.body.contains("Disallow: /admin/"));
    assert!(
        ok(&server, "/static/site.css")
            .await
            .header("cache-control")
            .contains("immutable")
    );
}

async fn pages_are_fresh_after_every_kind_of_mutation(backend: Backend) {
    let Some((_site, server, admin, public)) = serving(backend, "web_freshness").await else {
        return;
    };
    let category = public.ok("/api/categories/?app=real_estate").await[0].clone();
    let tag = public.ok("/api/tags/").await[0].clone();
    let option = public.ok("/api/options/").await[0].clone();
    let created = create(
        &admin,
        json!({
            "title": "Fresh villa", "slug": "fresh-villa", "deal": "sale", "price": "900",
            "area": "100", "rooms": 3, "city": "Yazd", "status": "published",
            "category": category["id"], "tags": [tag["id"]], "options": [option["id"]],
        }),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let detail = "/properties/fresh-villa/";
    let category_page = format!("/categories/{}/", category["slug"].as_str().unwrap());
    let pages = [
        "/",
        "/properties/",
        detail,
        category_page.as_str(),
        "/en/properties/",
    ];
    // Every page cached before each mutation, so a stale copy would be there to serve.
    let warm = || async {
        for path in pages {
            ok(&server, path).await;
            assert_eq!(ok(&server, path).await.cache(), "HIT", "{path}");
        }
    };

    warm().await;
    let (status, _) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{id}/"),
            json!({"title": "Renamed villa"}),
        )
        .await;
    assert_eq!(status, 200);
    for path in [
        "/",
        "/properties/",
        detail,
        category_page.as_str(),
        "/en/properties/",
    ] {
        let page = ok(&server, path).await;
        assert!(
            page.body.contains("Renamed villa"),
            "{path}: first request after an update"
        );
    }

    warm().await;
    let status_path = format!("/api/admin/properties/{id}/status/");
    admin
        .json(Method::POST, &status_path, json!({"status": "draft"}))
        .await;
    assert_eq!(get(&server, detail).await.status, 404);
    assert!(
        !ok(&server, "/properties/")
            .await
            .body
            .contains("Renamed villa")
    );
    admin
        .json(Method::POST, &status_path, json!({"status": "published"}))
        .await;
    assert_eq!(
        get(&server, detail).await.status,
        200,
        "its cached 404 is gone too"
    );

    warm().await;
    admin
        .json(
            Method::PATCH,
            &format!("/api/admin/categories/{}/", category["id"]),
            json!({"name": "Renamed category"}),
        )
        .await;
    assert!(ok(&server, detail).await.body.contains("Renamed category"));
    assert!(
        ok(&server, &category_page)
            .await
            .body
            .contains("Renamed category")
    );
    assert!(
        ok(&server, "/properties/")
            .await
            .body
            .contains("Renamed category"),
        "the filter form"
    );

    warm().await;
    admin
        .json(
            Method::PATCH,
            &format!("/api/admin/tags/{}/", tag["id"]),
            json!({"name": "Renamed tag"}),
        )
        .await;
    assert!(ok(&server, detail).await.body.contains("Renamed tag"));
    admin
        .json(
            Method::PATCH,
            &format!("/api/admin/options/{}/", option["id"]),
            json!({"name": "Renamed option"}),
        )
        .await;
    assert!(ok(&server, detail).await.body.contains("Renamed option"));

    warm().await;
    let (status, image) = admin
        .upload(&format!("/api/admin/properties/{id}/images/"), PNG, "a.png")
        .await;
    assert_eq!(status, 201, "{image}");
    let url = image["url"].as_str().unwrap();
    assert!(ok(&server, detail).await.body.contains(url));
    assert!(
        ok(&server, "/properties/").await.body.contains(url),
        "the cover"
    );

    warm().await;
    let (status, _) = admin
        .json(
            Method::POST,
            "/api/admin/properties/bulk/",
            json!({"action": "status", "status": "archived", "ids": [id]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(get(&server, detail).await.status, 404);
    admin
        .json(Method::POST, &status_path, json!({"status": "published"}))
        .await;

    warm().await;
    assert_eq!(
        admin.delete(&format!("/api/admin/properties/{id}/")).await,
        204
    );
    assert_eq!(get(&server, detail).await.status, 404);
    assert!(!ok(&server, "/").await.body.contains("Renamed villa"));
}

async fn revalidate_endpoint(backend: Backend) {
    let Some(site) = seeded(
        backend,
        "web_revalidate",
        &[("STRATA_WEB__REVALIDATE_PER_MINUTE", "7")],
    )
    .await
    else {
        return;
    };
    let server = site.serve();
    let client = reqwest::Client::new();
    let call = |body: String| {
        let request = client
            .post(server.url("/api/revalidate"))
            .header("content-type", "application/json")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let first = ok(&server, "/properties/").await;
    assert_eq!(first.cache(), "MISS");
    assert_eq!(ok(&server, "/properties/").await.cache(), "HIT");

    assert_eq!(
        call(json!({"tag": "properties", "secret": "wrong"}).to_string()).await,
        (401, json!({"error": "unauthorized"}))
    );
    assert_eq!(call(json!({"tag": "properties"}).to_string()).await.0, 401);
    assert_eq!(call("{not json".to_owned()).await.0, 400);
    assert_eq!(call(json!({"secret": SECRET}).to_string()).await.0, 400);
    assert_eq!(
        ok(&server, "/properties/").await.cache(),
        "HIT",
        "refused calls change nothing"
    );

    let (status, body) = call(json!({"tag": "no-such-tag", "secret": SECRET}).to_string()).await;
    assert_eq!((status, &body["revalidated"]), (200, &json!(true)));
    assert!(body["now"].as_u64().unwrap() > 1_700_000_000_000);
    assert_eq!(
        ok(&server, "/properties/").await.cache(),
        "HIT",
        "an unknown tag is harmless"
    );

    let (status, _) = call(json!({"tag": "properties", "secret": SECRET}).to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(
        ok(&server, "/properties/").await.cache(),
        "MISS",
        "the tag expired the page"
    );

    // 7 calls a minute per client: this is the 7th.
    assert_eq!(
        call(json!({"tag": "x", "secret": SECRET}).to_string())
            .await
            .0,
        200
    );
    let response = client
        .post(server.url("/api/revalidate"))
        .json(&json!({"tag": "x", "secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}

/// A stand-in for a Next.js front end's `/api/revalidate`: records what it is sent, and
/// answers 503 while "down".
#[derive(Clone, Default)]
struct NextJs {
    received: Arc<Mutex<Vec<Value>>>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl NextJs {
    async fn start(&self) -> String {
        let this = self.clone();
        let app = axum::Router::new().route(
            "/api/revalidate",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                let this = this.clone();
                async move {
                    if this.down.load(std::sync::atomic::Ordering::SeqCst) {
                        return (
                            axum::http::StatusCode::SERVICE_UNAVAILABLE,
                            axum::Json(json!({})),
                        );
                    }
                    this.received.lock().unwrap().push(body);
                    (
                        axum::http::StatusCode::OK,
                        axum::Json(json!({"revalidated": true})),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/api/revalidate")
    }

    fn tags(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["tag"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn wait_for(&self, tag: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.tags().iter().any(|t| t == tag) {
            assert!(
                Instant::now() < deadline,
                "{tag} never arrived; got {:?}",
                self.tags()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn nextjs_targets_get_every_tag_even_after_an_outage(backend: Backend) {
    let nextjs = NextJs::default();
    let url = nextjs.start().await;
    let Some(site) = seeded(backend, "web_outbox", &[("NEXTJS_URL", url.as_str())]).await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let mut server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let created = create(
        &admin,
        json!({"title": "Outbox villa", "deal": "sale", "price": "1", "area": "1", "rooms": 1, "city": "Qom", "status": "published"}),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    nextjs
        .wait_for(&format!("property:{id}"), Duration::from_secs(10))
        .await;
    nextjs.wait_for("properties", Duration::from_secs(10)).await;
    assert!(
        nextjs
            .received
            .lock()
            .unwrap()
            .iter()
            .all(|b| b["secret"] == SECRET)
    );

    // The target goes down; a mutation is made; Strata itself restarts; the target comes back.
    nextjs.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let before_outage = nextjs.tags().len();
    let (status, _) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{id}/"),
            json!({"slug": "renamed-outbox-villa"}),
        )
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        nextjs.tags().len(),
        before_outage,
        "nothing was delivered while down"
    );
    drop(server);
    server = site.serve();
    nextjs
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    // Backoff after the first failure is 2 s.
    let before = nextjs.tags().len();
    let deadline = Instant::now() + Duration::from_secs(15);
    while nextjs.tags().len() < before + 2 {
        assert!(
            Instant::now() < deadline,
            "the outbox never replayed: {:?}",
            nextjs.tags()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let replayed = nextjs.tags()[before..].to_vec();
    assert!(replayed.contains(&"properties".to_owned()), "{replayed:?}");
    assert!(replayed.contains(&format!("property:{id}")), "{replayed:?}");
    drop(server);
}

/// A renamed property's old URLs answer a 301 to its page now, in one hop from any slug it
/// had, never the page cached under the old URL; a new property that takes an old slug wins.
async fn old_slugs_redirect_in_one_hop(backend: Backend) {
    let Some(site) = Site::new(backend, "web_slug_history").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let created = create(
        &admin,
        json!({"title": "Slug villa", "slug": "first", "deal": "sale", "price": "1", "area": "1", "city": "Qom", "status": "published"}),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        ok(&server, "/properties/first/").await.status,
        200,
        "cached under the old URL"
    );
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let location_of = |path: &str| {
        let request = no_redirects.get(server.url(path));
        async move {
            let response = request.send().await.unwrap();
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            (response.status().as_u16(), location)
        }
    };
    for slug in ["second", "third"] {
        let (status, body) = admin
            .json(
                Method::PATCH,
                &format!("/api/admin/properties/{id}/"),
                json!({"slug": slug}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    for old in ["/properties/first/", "/properties/second/"] {
        assert_eq!(
            location_of(old).await,
            (301, Some("/properties/third/".to_owned())),
            "{old}"
        );
    }
    assert_eq!(
        location_of("/en/properties/first/").await,
        (301, Some("/en/properties/third/".to_owned()))
    );
    assert_eq!(ok(&server, "/properties/third/").await.status, 200);
    // Taking a slug back: the property itself, then another property.
    let (status, _) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{id}/"),
            json!({"slug": "first"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        location_of("/properties/third/").await,
        (301, Some("/properties/first/".to_owned()))
    );
    assert_eq!(location_of("/properties/first/").await, (200, None));
    let other = create(
        &admin,
        json!({"title": "Newcomer", "slug": "second", "deal": "rent", "price": "2", "area": "2", "city": "Qom", "status": "published"}),
    )
    .await;
    let newcomer = ok(&server, "/properties/second/").await;
    assert!(
        newcomer.body.contains("Newcomer"),
        "the new property wins the old slug"
    );
    // Withdrawn or deleted: the old URLs are 404s again.
    let (status, _) = admin
        .json(
            Method::POST,
            &format!("/api/admin/properties/{id}/status/"),
            json!({"status": "draft"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(location_of("/properties/third/").await.0, 404);
    assert_eq!(
        admin.delete(&format!("/api/admin/properties/{id}/")).await,
        204
    );
    assert_eq!(location_of("/properties/third/").await.0, 404);
    assert_eq!(other["slug"], "second");
    // Categories and tags keep their old slugs too, page numbers included.
    for (path, body) in [
        (
            "/api/admin/categories/",
            json!({"name_fa": "ویلا", "slug": "old-category", "app": "real_estate"}),
        ),
        (
            "/api/admin/tags/",
            json!({"name_fa": "دنج", "slug": "old-tag"}),
        ),
    ] {
        let (status, term) = admin.json(Method::POST, path, body).await;
        assert_eq!(status, 201, "{term}");
        let old = term["slug"].as_str().unwrap().to_owned();
        let page = format!("/{}/{old}/", path.split('/').nth(3).unwrap());
        assert_eq!(location_of(&page).await.0, 200, "{page}");
        let renamed = format!("new-{old}");
        let (status, _) = admin
            .json(
                Method::PATCH,
                &format!("{path}{}/", term["id"]),
                json!({"slug": renamed}),
            )
            .await;
        assert_eq!(status, 200);
        let now = page.replace(&old, &renamed);
        assert_eq!(location_of(&page).await, (301, Some(now.clone())), "{page}");
        assert_eq!(
            location_of(&format!("/en{page}?page=2")).await,
            (301, Some(format!("/en{now}?page=2")))
        );
    }
}

/// The `<img …>` tags of a page, each without its closing `>`.
fn img_tags(html: &str) -> Vec<&str> {
    html.split("<img")
        .skip(1)
        .map(|tag| &tag[..tag.find('>').unwrap()])
        .collect()
}

/// `seed --demo` attaches drawn JPEG photos to the first properties, once; the detail page shows
/// them as a gallery (the first large, thumbnails linking to every photo) whose script is served
/// by Strata and allowed by the page's CSP; every image has its dimensions.
async fn demo_photos_and_the_gallery(backend: Backend) {
    let Some(site) = Site::new(backend, "web_demo_photos").await else {
        return;
    };
    let seed = || site.run(&["seed", "--demo", "--properties", "5"]);
    let first = seed();
    assert!(first.status.success(), "{}", common::stderr(&first));
    assert!(
        !common::stdout(&first).contains(", 0 photos added"),
        "{}",
        common::stdout(&first)
    );
    let again = seed();
    assert!(again.status.success(), "{}", common::stderr(&again));
    assert!(
        common::stdout(&again).contains(", 0 photos added"),
        "{}",
        common::stdout(&again)
    );
    let server = site.serve();
    let public = Api::new(&server, None);
    let list = public.ok("/api/properties/?page_size=50").await;
    let results = list["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let client = reqwest::Client::new();
    let mut slug = String::new();
    for item in results {
        let detail = public.ok(&format!("/api/properties/{}/", item["id"])).await;
        let images = detail["images"].as_array().unwrap();
        assert!((2..=3).contains(&images.len()), "{detail}");
        assert_eq!(item["cover"]["url"], images[0]["url"]);
        for image in images {
            assert_eq!(
                (image["width"].as_i64(), image["height"].as_i64()),
                (Some(1200), Some(800))
            );
            // Renditions, made by the seed before it returns: 320 and 640 wide, WebP and JPEG.
            let variants: Vec<(i64, &str)> = image["variants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| (v["width"].as_i64().unwrap(), v["format"].as_str().unwrap()))
                .collect();
            assert_eq!(variants.len(), 4, "{image}");
            for width in [320, 640] {
                for format in ["image/webp", "image/jpeg"] {
                    assert!(variants.contains(&(width, format)), "{image}");
                }
            }
            let response = client
                .get(server.url(image["url"].as_str().unwrap()))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["content-type"], "image/jpeg");
            let bytes = response.bytes().await.unwrap();
            let decoded =
                image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (1200, 800));
        }
        slug = detail["slug"].as_str().unwrap().to_owned();
    }

    for prefix in ["", "/en"] {
        let home = ok(&server, &format!("{prefix}/")).await;
        let covers = img_tags(&home.body);
        assert!(!covers.is_empty(), "{}", home.body);
        for tag in covers {
            assert!(tag.contains(r#" width="1200" height="800""#), "{tag}");
            assert!(tag.contains(r#"loading="lazy""#), "{tag}");
            assert!(tag.contains(" 320w, ") && tag.contains(" 640w, "), "{tag}");
        }

        let page = ok(&server, &format!("{prefix}/properties/{slug}/")).await;
        let body = &page.body;
        assert!(body.contains("data-gallery"), "{body}");
        let tags = img_tags(body);
        for tag in &tags {
            assert!(tag.contains(r#" width="1200" height="800""#), "{tag}");
        }
        // The large photo loads at once; the thumbnails, one per photo, lazily, each a link to
        // its photo (reachable without the script).
        assert!(body.find(r#"<a class="gallery-main""#) < body.find("<img"));
        assert!(!tags[0].contains("loading="), "{}", tags[0]);
        let thumbs = body
            .matches(r#"<a class="gallery-thumb" href="/media/"#)
            .count();
        assert!((2..=3).contains(&thumbs), "{body}");
        assert_eq!(tags.len(), thumbs + 1);
        assert!(
            tags[1..]
                .iter()
                .all(|tag| tag.contains(r#"loading="lazy""#))
        );

        // The script: linked with its content hash, served as JavaScript, allowed by the CSP.
        let start = body.find(r#"<script src=""#).expect("the gallery script") + 13;
        let src = &body[start..start + body[start..].find('"').unwrap()];
        assert!(src.starts_with("/static/gallery.js?v="), "{src}");
        let policy = page.header("content-security-policy");
        let script_sources = policy
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .or_else(|| {
                policy
                    .split(';')
                    .map(str::trim)
                    .find(|d| d.starts_with("default-src"))
            })
            .unwrap();
        assert!(script_sources.split(' ').any(|s| s == "'self'"), "{policy}");
        let script = ok(&server, src).await;
        assert_eq!(
            script.header("content-type"),
            "text/javascript; charset=utf-8"
        );
        assert!(script.header("cache-control").contains("immutable"));
        assert!(script.body.contains("ArrowLeft") && script.body.contains("Home"));
    }
}

/// Every card on the first pages a visitor sees has a photo, for `seed --demo`'s 50 properties
/// and `serve --demo`'s 1,000 (the same seed, grown): the home page, the listing's first two
/// pages and each category's first page, in both languages. On the embedded default only: the
/// seed picks the properties through the same queries on both backends (its PostgreSQL path is
/// `demo_photos_and_the_gallery::production`), and drawing its ~280 photos costs a minute.
#[tokio::test]
async fn demo_first_pages_show_photos() {
    let Some(site) = Site::new(Backend::Embedded, "web_demo_first_pages").await else {
        return;
    };
    let mut paths = vec![
        "/".to_owned(),
        "/properties/".into(),
        "/properties/?page=2".into(),
    ];
    paths.extend(
        ["apartment", "penthouse", "villa", "office", "shop", "land"]
            .iter()
            .map(|slug| format!("/categories/{slug}/")),
    );
    for properties in ["50", "1000"] {
        let seeded = site.run(&["seed", "--demo", "--properties", properties]);
        assert!(seeded.status.success(), "{}", common::stderr(&seeded));
        let again = site.run(&["seed", "--demo", "--properties", properties]);
        assert!(
            common::stdout(&again).contains(", 0 photos added"),
            "{}",
            common::stdout(&again)
        );
        let server = site.serve();
        for prefix in ["", "/en"] {
            for path in &paths {
                let body = ok(&server, &format!("{prefix}{path}")).await.body;
                let cards = body.matches(r#"<article class="card"#).count();
                assert!(cards > 0, "{properties}: {prefix}{path} has no cards");
                assert!(
                    !body.contains(r#"class="no-image""#),
                    "{properties}: a card without a photo on {prefix}{path}"
                );
            }
        }
    }
}
