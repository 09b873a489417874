//! Bilingual content end to end on both deployments: the API's language selection and
//! fallback, separate cache entries per language, the admin's two values, search and the city
//! filter across languages with Persian normalisation, and the pages of both sites.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::api::Api;
use common::{Backend, Site};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(languages_fallback_and_cache_separation);
on_both_backends!(search_and_city_match_either_language);
on_both_backends!(option_groups_are_labelled_in_both_languages);

const TITLE_FA: &str = "ویلای دلباز در تهران";
const TITLE_EN: &str = "Spacious villa in Tehran";

fn ids(list: &Value) -> Vec<i64> {
    list["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

async fn create(admin: &Api, body: Value) -> Value {
    let (status, created) = admin
        .json(Method::POST, "/api/admin/properties/", body)
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn languages_fallback_and_cache_separation(backend: Backend) {
    let Some(site) = Site::new(backend, "bilingual_languages").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let public = Api::new(&server, None);
    let admin = Api::new(&server, Some(&token));

    // At least one language of a required text.
    let (status, body) = admin
        .json(
            Method::POST,
            "/api/admin/properties/",
            json!({"deal": "sale", "price": "1", "area": "1", "city_en": "Tehran"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["title"].is_array(), "{body}");

    // The district only in English: the Persian side falls back to it.
    let created = create(
        &admin,
        json!({
            "title_fa": TITLE_FA, "title_en": TITLE_EN, "slug": "villa-tehran",
            "description_fa": "<p>ویلایی آرام</p>", "description_en": "<p>A quiet villa</p>",
            "city_fa": "تهران", "city_en": "Tehran", "district_en": "Niavaran",
            "deal": "sale", "price": "100", "area": "200", "status": "published",
        }),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["title_fa"], TITLE_FA);
    assert_eq!(created["title_en"], TITLE_EN);
    assert_eq!(created["district_fa"], "");
    assert_eq!(
        created["title"], TITLE_FA,
        "the admin's plain fields: the default language"
    );
    // A plain field is the default language's, as django-modeltranslation maps it.
    let (status, plain) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{}/", created["id"]),
            json!({"title": "ویلای نورگیر"}),
        )
        .await;
    assert_eq!(status, 200, "{plain}");
    assert_eq!(
        (&plain["title_fa"], &plain["title_en"]),
        (&json!("ویلای نورگیر"), &json!(TITLE_EN))
    );
    let (status, _) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{}/", created["id"]),
            json!({"title_fa": TITLE_FA}),
        )
        .await;
    assert_eq!(status, 200);

    let detail = format!("/api/properties/{id}/");
    let fa = public.ok(&detail).await;
    assert_eq!(fa["title"], TITLE_FA);
    assert_eq!(fa["city"], "تهران");
    assert_eq!(fa["lang"], "fa");
    assert_eq!(fa["district"], "Niavaran");
    assert_eq!(fa["fallback"], json!(["district"]));
    // Each language has its own cache entry: asked second, English is not the cached Persian.
    let en = public.ok(&format!("{detail}?lang=en")).await;
    assert_eq!(en["title"], TITLE_EN);
    assert_eq!(en["description"], "<p>A quiet villa</p>");
    assert_eq!(en["fallback"], json!([]));
    assert_eq!(
        public.ok(&detail).await["title"],
        TITLE_FA,
        "cached Persian"
    );
    assert_eq!(
        public.ok(&format!("{detail}?lang=en")).await["title"],
        TITLE_EN
    );

    // Accept-Language when there is no `?lang=`; `?lang=` wins; an unknown one is a 400.
    let with_header = |value: &'static str, path: String| {
        let request = public
            .request(Method::GET, &path)
            .header("accept-language", value);
        Api::send(request)
    };
    let (status, body) = with_header("de-DE, en;q=0.8, fa;q=0.5", detail.clone()).await;
    assert_eq!((status, body["title"].clone()), (200, json!(TITLE_EN)));
    let (_, body) = with_header("en", format!("{detail}?lang=fa")).await;
    assert_eq!(body["title"], TITLE_FA);
    let (status, body) = public.get(&format!("{detail}?lang=de")).await;
    assert_eq!(status, 400, "{body}");
    let response = common::web::get(&server, &detail).await;
    assert!(response.header("vary").contains("accept-language"));

    // Lists too, each language under its own key.
    let list_fa = public.ok("/api/properties/").await;
    let list_en = public.ok("/api/properties/?lang=en").await;
    assert_eq!(list_fa["results"][0]["title"], TITLE_FA);
    assert_eq!(list_en["results"][0]["title"], TITLE_EN);
    assert_eq!(list_en["results"][0]["district"], "Niavaran");

    // Terms: the name in the requested language, with the language it is written in.
    let (status, tag) = admin
        .json(
            Method::POST,
            "/api/admin/tags/",
            json!({"name_fa": "لوکس", "name_en": "Luxury"}),
        )
        .await;
    assert_eq!(status, 201, "{tag}");
    assert_eq!(tag["slug"], "luxury", "slugged from the English name");
    let (status, only_en) = admin
        .json(
            Method::POST,
            "/api/admin/tags/",
            json!({"name_en": "Quiet"}),
        )
        .await;
    assert_eq!(status, 201, "{only_en}");
    assert_eq!(
        (&only_en["name_en"], &only_en["name_fa"]),
        (&json!("Quiet"), &json!(""))
    );
    let tags = public.ok("/api/tags/").await;
    let names: Vec<(&str, &str)> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["lang"].as_str().unwrap()))
        .collect();
    assert!(names.contains(&("لوکس", "fa")), "{tags}");
    assert!(names.contains(&("Quiet", "en")), "{tags}");
    let tags_en = public.ok("/api/tags/?lang=en").await;
    assert!(
        tags_en
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Luxury")
    );

    // Pages: the Persian site shows Persian, the fallback marked with its language.
    let page = common::web::ok(&server, "/properties/villa-tehran/").await;
    assert!(
        page.body.contains(&format!("<h1>{TITLE_FA}</h1>")),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<span lang="en" dir="ltr">Niavaran</span>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"<html lang="fa" dir="rtl">"#));
    let page_en = common::web::ok(&server, "/en/properties/villa-tehran/").await;
    assert!(
        page_en.body.contains(&format!("<h1>{TITLE_EN}</h1>")),
        "{}",
        page_en.body
    );
    assert!(
        page_en.body.contains(&format!("<title>{TITLE_EN}")),
        "{}",
        page_en.body
    );
    assert!(
        !page_en.body.contains(TITLE_FA),
        "no Persian title on the English page"
    );

    // The admin edits one language: both languages' API details and pages are fresh.
    let (status, patched) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{id}/"),
            json!({"title_en": "Bright villa in Tehran", "district_fa": "نیاوران"}),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["title_fa"], TITLE_FA, "the other language is kept");
    let en = public.ok(&format!("{detail}?lang=en")).await;
    assert_eq!(en["title"], "Bright villa in Tehran");
    let fa = public.ok(&detail).await;
    assert_eq!(fa["district"], "نیاوران");
    assert_eq!(fa["fallback"], json!([]));
    let page = common::web::ok(&server, "/properties/villa-tehran/").await;
    assert!(page.body.contains("<span>نیاوران</span>"), "{}", page.body);
    let page_en = common::web::ok(&server, "/en/properties/villa-tehran/").await;
    assert!(
        page_en.body.contains("<h1>Bright villa in Tehran</h1>"),
        "{}",
        page_en.body
    );

    // Blanking the last language of a required text is refused.
    let (status, body) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{id}/"),
            json!({"city_fa": "", "city_en": ""}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["city"].is_array(), "{body}");
}

async fn search_and_city_match_either_language(backend: Backend) {
    let Some(site) = Site::new(backend, "bilingual_search").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let public = Api::new(&server, None);
    let admin = Api::new(&server, Some(&token));
    let base = json!({"deal": "sale", "price": "1", "area": "1", "status": "published"});
    let with = |fields: Value| {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        body
    };
    let tehran = create(
        &admin,
        with(
            json!({"title_fa": "آپارتمان ۱۲۰ متری", "title_en": "Flat of 120 m²",
            "city_fa": "تهران", "city_en": "Tehran", "slug": "t"}),
        ),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    // Persian letters ی and ک, a ZWNJ in the title.
    let kish = create(
        &admin,
        with(
            json!({"title_fa": "پنت\u{200c}هاوس کنار دریا", "city_fa": "کیش",
            "city_en": "Kish", "slug": "k"}),
        ),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    // Only in English.
    let shiraz = create(
        &admin,
        with(json!({"title_en": "House in Shiraz", "city_en": "Shiraz", "slug": "s"})),
    )
    .await["id"]
        .as_i64()
        .unwrap();

    let found = |query: &'static str| {
        let public = &public;
        async move { ids(&public.ok(&format!("/api/properties/?{query}")).await) }
    };
    for query in [
        "city=تهران",
        "city=tehran",
        "city=Tehran",
        "city=%20TEHRAN%20",
    ] {
        assert_eq!(found(query).await, vec![tehran], "{query}");
    }
    // Arabic ي and ك find the Persian ی and ک.
    assert_eq!(found("city=%D9%83%D9%8A%D8%B4").await, vec![kish], "كيش");
    // The admin's search is normalised the same way.
    let admin_found = ids(&admin
        .ok("/api/admin/properties/?q=%D9%83%D9%8A%D8%B4")
        .await);
    assert_eq!(admin_found, vec![kish], "admin q=كيش");
    assert_eq!(found("city=shiraz").await, vec![shiraz]);
    assert_eq!(
        found("city=Teh").await,
        Vec::<i64>::new(),
        "a city is matched whole"
    );
    // Shiraz has no Persian city name: a value that normalises to nothing must not find it.
    assert_eq!(
        found("city=%E2%80%8C").await,
        Vec::<i64>::new(),
        "city=ZWNJ"
    );
    // Digits: Persian in the title, ASCII or Arabic-Indic in the query (and the reverse).
    assert_eq!(found("q=120").await, vec![tehran]);
    assert_eq!(found("q=%D9%A1%D9%A2%D9%A0").await, vec![tehran], "١٢٠");
    // ZWNJ as a space, either side; case-insensitive in English.
    assert_eq!(
        found("q=%D9%BE%D9%86%D8%AA%20%D9%87%D8%A7%D9%88%D8%B3").await,
        vec![kish]
    );
    assert_eq!(
        found("q=%D9%BE%D9%86%D8%AA%E2%80%8C%D9%87%D8%A7%D9%88%D8%B3").await,
        vec![kish]
    );
    assert_eq!(found("q=FLAT").await, vec![tehran]);
    assert_eq!(
        found("q=kish").await,
        vec![kish],
        "the city is searched too"
    );
    assert_eq!(found("q=50%25").await, Vec::<i64>::new(), "% is literal");
}

/// Option groups have a stable key and a label per language: the admin writes the labels (the
/// key is made from them), the API and the property's page show the label in the page's
/// language, else the other's marked with its language.
async fn option_groups_are_labelled_in_both_languages(backend: Backend) {
    let Some(site) = Site::new(backend, "bilingual_option_groups").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let public = Api::new(&server, None);
    let admin = Api::new(&server, Some(&token));
    let mut ids = Vec::new();
    for body in [
        json!({"name_fa": "استخر", "name_en": "Pool", "group_fa": "فضای باز", "group_en": "Outdoors"}),
        json!({"name_fa": "آسانسور", "name_en": "Lift", "group_fa": "امکانات"}),
    ] {
        let (status, option) = admin.json(Method::POST, "/api/admin/options/", body).await;
        assert_eq!(status, 201, "{option}");
        ids.push(option["id"].as_i64().unwrap());
    }
    let pool = admin.ok(&format!("/api/admin/options/{}/", ids[0])).await;
    assert_eq!(
        [
            &pool["group"],
            &pool["group_name"],
            &pool["group_fa"],
            &pool["group_en"]
        ],
        [
            &json!("outdoors"),
            &json!("فضای باز"),
            &json!("فضای باز"),
            &json!("Outdoors")
        ]
    );
    let (status, refused) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/options/{}/", ids[0]),
            json!({"group": "free text"}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused["group"].is_array(), "{refused}");

    let id = create(
        &admin,
        json!({
            "title_fa": TITLE_FA, "title_en": TITLE_EN, "slug": "villa-options",
            "city": "تهران", "deal": "sale", "price": "100", "area": "200",
            "status": "published", "options": ids,
        }),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let groups = |detail: &Value| -> Vec<(String, String)> {
        detail["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["group"].as_str().unwrap().to_owned(),
                    o["group_name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let fa = public.ok(&format!("/api/properties/{id}/")).await;
    let en = public.ok(&format!("/api/properties/{id}/?lang=en")).await;
    let mut want_fa = vec![
        ("امکانات".to_owned(), "امکانات".to_owned()),
        ("outdoors".to_owned(), "فضای باز".to_owned()),
    ];
    want_fa.sort();
    let mut got_fa = groups(&fa);
    got_fa.sort();
    assert_eq!(got_fa, want_fa, "{fa}");
    let mut got_en = groups(&en);
    got_en.sort();
    // No English label: the Persian one.
    assert_eq!(
        got_en,
        [
            ("outdoors".to_owned(), "Outdoors".to_owned()),
            ("امکانات".to_owned(), "امکانات".to_owned()),
        ],
        "{en}"
    );
    let options_en = public.ok("/api/options/?lang=en").await;
    assert!(
        options_en
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["slug"] == "pool" && o["group_name"] == "Outdoors"),
        "{options_en}"
    );

    // The pages head each group with its label in their language.
    let page = common::web::ok(&server, "/properties/villa-options/")
        .await
        .body;
    assert!(
        page.contains(r#"<h3 class="option-group">فضای باز</h3>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<h3 class="option-group">امکانات</h3>"#),
        "{page}"
    );
    let page_en = common::web::ok(&server, "/en/properties/villa-options/")
        .await
        .body;
    assert!(
        page_en.contains(r#"<h3 class="option-group">Outdoors</h3>"#),
        "{page_en}"
    );
    assert!(
        page_en.contains(r#"<h3 class="option-group" lang="fa" dir="rtl">امکانات</h3>"#),
        "{page_en}"
    );
}
