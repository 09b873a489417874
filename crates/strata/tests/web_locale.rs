//! The site speaks as an Iranian listing site does, on both deployments: prices carry their
//! unit (tomans by default, rials when `web.irr_unit` says so) and the site's price filters take
//! the unit shown; every Persian page writes its numbers in Persian digits (an English fallback
//! keeps its own); Persian term lists and title orderings follow the Persian alphabet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::api::Api;
use common::web::{get, ok};
use common::{Backend, Site};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(prices_carry_their_unit_and_filters_take_it);
on_both_backends!(persian_pages_write_persian_digits);
on_both_backends!(persian_lists_follow_the_alphabet);

async fn seeded(backend: Backend, test: &str) -> Option<Site> {
    let site = Site::new(backend, test).await?;
    let out = site.run(&["seed", "--demo", "--properties", "30"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    Some(site)
}

async fn create(admin: &Api, body: Value) -> Value {
    let (status, created) = admin
        .json(Method::POST, "/api/admin/properties/", body)
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn prices_carry_their_unit_and_filters_take_it(backend: Backend) {
    let Some(mut site) = seeded(backend, "web_locale_prices").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let public = Api::new(&server, None);
    // 125,000,000 rials a month: 12,500,000 tomans.
    create(
        &admin,
        json!({
            "title_fa": "آپارتمان اجاره‌ای", "title_en": "Flat to let", "slug": "flat-to-let",
            "deal": "rent", "price": "125000000", "deposit": "3000000000", "area": "80",
            "rooms": 2, "city": "Tehran", "status": "published",
        }),
    )
    .await;

    let fa = ok(&server, "/properties/flat-to-let/").await.body;
    assert!(fa.contains("۱۲٬۵۰۰٬۰۰۰ تومان در ماه"), "{fa}");
    assert!(fa.contains("۳۰۰٬۰۰۰٬۰۰۰ تومان"), "{fa}");
    let en = ok(&server, "/en/properties/flat-to-let/").await.body;
    assert!(en.contains("12,500,000 toman a month"), "{en}");
    // JSON-LD keeps the stored amount and its ISO code.
    assert!(
        en.contains(r#""price":"125000000.00","priceCurrency":"IRR""#),
        "{en}"
    );

    // Cards, and the filters' labels, say the unit; the site's filters take it (12–13 million
    // tomans finds 125 million rials; in rials it would find nothing).
    let list = ok(
        &server,
        "/properties/?min_price=12000000&max_price=13000000",
    )
    .await
    .body;
    assert!(list.contains("کمترین قیمت (تومان)"), "{list}");
    assert!(list.contains(r#"<p class="count">۱ آگهی</p>"#), "{list}");
    assert!(list.contains("/properties/flat-to-let/"), "{list}");
    assert!(list.contains("۱۲٬۵۰۰٬۰۰۰ تومان در ماه"), "{list}");
    let english = ok(&server, "/en/properties/?max_price=13000000&deal=rent")
        .await
        .body;
    assert!(english.contains("Max price (toman)"), "{english}");
    assert!(english.contains("12,500,000 toman a month"), "{english}");
    // The API's filters stay in stored units.
    let api = public
        .ok("/api/properties/?min_price=12000000&max_price=13000000")
        .await;
    assert_eq!(api["count"], 0, "{api}");

    // The API documents the currency, for people and for the admin SPA.
    let schema = public.ok("/api/schema/").await;
    assert_eq!(
        schema["info"]["x-strata-currency"],
        json!({"code": "IRR", "display_unit": "toman", "display_divisor": 10})
    );
    let description = schema["info"]["description"].as_str().unwrap();
    assert!(description.contains("in IRR"), "{description}");

    // The demo's prices are what listings in Iran ask, in rials (per square metre: tens of
    // millions of tomans to buy; a few hundred thousand a month to rent).
    let demo = public.ok("/api/properties/?page_size=100").await;
    let mut seen = 0;
    for p in demo["results"].as_array().unwrap() {
        if !p["slug"].as_str().unwrap().starts_with("demo-") {
            continue;
        }
        seen += 1;
        let per_m2 = p["price"].as_str().unwrap().parse::<f64>().unwrap()
            / p["area"].as_str().unwrap().parse::<f64>().unwrap();
        let range = if p["deal"] == "sale" {
            2e8..4e9
        } else {
            5e5..1e7
        };
        assert!(range.contains(&per_m2), "{p}: {per_m2} rials per m²");
    }
    assert!(seen > 10);
    drop(server);

    // Rials when the deployment says so.
    site.env
        .push(("STRATA_WEB__IRR_UNIT".into(), "rial".into()));
    let server = site.serve();
    let fa = ok(&server, "/properties/flat-to-let/").await.body;
    assert!(fa.contains("۱۲۵٬۰۰۰٬۰۰۰ ریال در ماه"), "{fa}");
    let en = ok(&server, "/en/properties/?min_price=124000000&deal=rent")
        .await
        .body;
    assert!(en.contains("125,000,000 rials a month"), "{en}");
    assert!(en.contains("Min price (rials)"), "{en}");
    let schema = Api::new(&server, None).ok("/api/schema/").await;
    assert_eq!(schema["info"]["x-strata-currency"]["display_divisor"], 1);
}

async fn persian_pages_write_persian_digits(backend: Backend) {
    let Some(site) = seeded(backend, "web_locale_digits").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let public = Api::new(&server, None);
    // Written only in English: on the Persian site it is marked English and keeps its digits.
    create(
        &admin,
        json!({
            "title_en": "Loft 42 by the park", "slug": "loft-42", "deal": "sale",
            "price": "52000000000", "area": "120", "rooms": 3, "city_en": "Tehran",
            "status": "published",
        }),
    )
    .await;
    let detail = public
        .ok("/api/properties/?ordering=-published_at&page_size=40")
        .await;
    let with_rooms = detail["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["rooms"].as_i64().unwrap() > 1 && p["slug"] != "loft-42")
        .unwrap()["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let tag = public.ok("/api/tags/").await[0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();

    let pages = [
        ("/".to_owned(), 200),
        ("/properties/".to_owned(), 200),
        ("/properties/?page=2".to_owned(), 200),
        (
            "/properties/?min_price=1000&ordering=-price".to_owned(),
            200,
        ),
        (format!("/properties/{with_rooms}/"), 200),
        ("/properties/loft-42/".to_owned(), 200),
        ("/categories/apartment/".to_owned(), 200),
        (format!("/tags/{tag}/"), 200),
        ("/properties/no-such-listing/".to_owned(), 404),
        ("/properties/?deal=x&rooms=many".to_owned(), 400),
    ];
    for (path, status) in &pages {
        let page = get(&server, path).await;
        assert_eq!(page.status, *status, "{path}");
        let text = persian_text(&page.body);
        let latin: Vec<&str> = text
            .split_whitespace()
            .filter(|word| word.chars().any(|c| c.is_ascii_digit()))
            .collect();
        assert!(latin.is_empty(), "Latin digits on {path}: {latin:?}");
        assert!(
            text.chars().any(|c| ('۰'..='۹').contains(&c)) || *status != 200,
            "no number at all on {path}?"
        );
    }
    // What the check saw: counts and pagination in Persian digits, the fallback kept apart.
    let list = ok(&server, "/properties/").await.body;
    assert!(list.contains("صفحه ۱ / ۳"), "{list}");
    assert!(list.contains(r#"<h3 lang="en" dir="ltr">Loft 42 by the park</h3>"#));
    let count = public.ok("/api/properties/").await["count"]
        .as_u64()
        .unwrap();
    assert!(count > 24, "{count}");
    let digits: String = count
        .to_string()
        .chars()
        .map(|c| char::from_u32('۰' as u32 + c.to_digit(10).unwrap()).unwrap())
        .collect();
    assert!(
        list.contains(&format!("<p class=\"count\">{digits} آگهی</p>")),
        "{list}"
    );
    // The English site keeps Latin digits.
    let english = ok(&server, "/en/properties/").await.body;
    assert!(english.contains("Page 1 / 3"), "{english}");
}

async fn persian_lists_follow_the_alphabet(backend: Backend) {
    let Some(site) = seeded(backend, "web_locale_order").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let public = Api::new(&server, None);
    // Arabic kaf and yeh sort as the Persian letters; ZWNJ is no letter.
    for (fa, en, slug) in [
        ("كلبه", "Cabin", "cabin"),
        ("يخچال‌دار", "", "fridge"),
        ("گلخانه", "Greenhouse", "greenhouse"),
    ] {
        let (status, body) = admin
            .json(
                Method::POST,
                "/api/admin/tags/",
                json!({"name_fa": fa, "name_en": en, "slug": slug}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&public.ok("/api/tags/").await),
        [
            "آرام",
            "بازسازی‌شده",
            "چشم‌انداز دریا",
            "كلبه",
            "گلخانه",
            "لوکس",
            "نزدیک مترو",
            "نوساز",
            "يخچال‌دار",
        ]
    );
    // English by the English alphabet, case folded; a name only in Persian comes after.
    assert_eq!(
        names(&public.ok("/api/tags/?lang=en").await),
        [
            "Cabin",
            "Greenhouse",
            "Luxury",
            "Near the metro",
            "New build",
            "Quiet",
            "Renovated",
            "Sea view",
            "يخچال‌دار",
        ]
    );

    // Categories at the same position: by name, as the site's filter shows them.
    for (fa, slug) in [("ویلای ساحلی", "beach-villa"), ("پارکینگ", "garage")] {
        let (status, body) = admin
            .json(
                Method::POST,
                "/api/admin/categories/",
                json!({"name_fa": fa, "slug": slug, "app": "real_estate", "position": 9}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let list = ok(&server, "/properties/").await.body;
    let garage = list.find(r#"value="garage""#).unwrap();
    let beach = list.find(r#"value="beach-villa""#).unwrap();
    assert!(garage < beach, "پارکینگ after ویلای ساحلی");
}

/// The text of `html`'s body a visitor reads as Persian: outside scripts and styles, outside
/// any element whose `lang` is not `fa`, character references decoded. (Attributes — URLs,
/// input values — are not text.)
fn persian_text(html: &str) -> String {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    ];
    let body = &html[html.find("<body").expect("a body")..];
    let mut text = String::new();
    // Open elements: (name, is in another language or not text at all).
    let mut open: Vec<(String, bool)> = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->").map_or(after.len(), |i| i + 3)..];
            continue;
        }
        if rest.starts_with('<') {
            let end = rest.find('>').expect("a closed tag");
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                if let Some(at) = open.iter().rposition(|(n, _)| *n == name) {
                    open.truncate(at);
                }
                continue;
            }
            let name: String = tag
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '/')
                .collect::<String>()
                .to_ascii_lowercase();
            if VOID.contains(&name.as_str()) || tag.ends_with('/') {
                continue;
            }
            let foreign = tag
                .split_whitespace()
                .filter_map(|attr| attr.strip_prefix("lang=\""))
                .any(|value| !value.starts_with("fa\""));
            let hidden = matches!(name.as_str(), "script" | "style" | "template");
            open.push((name, foreign || hidden));
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        if !open.iter().any(|(_, skip)| *skip) {
            text.push_str(&decode(&rest[..end]));
            text.push(' ');
        }
        rest = &rest[end..];
    }
    text
}

/// Numeric character references (`&#60;`) and the usual named ones as characters.
fn decode(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(end) = after.find(';') else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_text_check_sees_what_a_visitor_reads() {
    let html = r#"<html><head><title>1</title></head><body><p>صفحه ۱ / 72</p>
        <a href="/p/?page=2">بعدی</a><h3 lang="en" dir="ltr">Loft 42</h3><img alt="3" src="/4.png">
        <script>var x = 5;</script><p>&#60;b&#62; &#55;</p><span lang="fa">8</span></body></html>"#;
    let text = persian_text(html);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(digits, "7278");
}
