//! What each route renders, the tags it carries and how long it stays fresh (`revalidate`,
//! as a Next.js route segment declares it). Data comes only from the apps' services, so the
//! data cache stays the source of truth and the HTML cache only holds what it rendered.

pub mod home;
pub mod properties;
pub mod seo;
pub mod terms;

use std::time::Duration;

use askama::Template;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use strata_api::{ApiError, FieldErrors, PageRequest, UrlQuery};
use strata_real_estate::catalog::PROPERTIES_TAG;
use strata_real_estate::filters::PublicFilter;
use strata_real_estate::serializers::PropertyListItem;
use strata_taxonomy::catalog::{CATEGORIES_TAG, TAGS_TAG};

use crate::http;
use crate::i18n::{INVALID_QUERY, Lang, Said, SiteLang, Words};
use crate::isr::Rendered;
use crate::{Site, assets};

/// Listings per page on the site.
pub const PAGE_SIZE: u64 = 12;

/// The property lists a visitor meets first, as their pages ask for them: the home page's two,
/// the first two pages of `/properties/` in its default order, and the first page of each
/// category in `categories` (slugs). What `seed --demo` gives photos to.
pub fn first_lists(lang: Lang, categories: &[String]) -> Vec<(PublicFilter, PageRequest)> {
    let mut lists = home::lists(lang).to_vec();
    let listing = PublicFilter {
        ordering: strata_real_estate::filters::DEFAULT_ORDERING,
        lang,
        ..PublicFilter::default()
    };
    lists.extend((1..=2).map(|page| {
        (
            listing.clone(),
            PageRequest {
                page,
                page_size: PAGE_SIZE,
            },
        )
    }));
    lists.extend(categories.iter().map(|slug| {
        let first = PageRequest {
            page: 1,
            page_size: PAGE_SIZE,
        };
        (terms::category_filter(lang, slug), first)
    }));
    lists
}

#[derive(Clone, Debug)]
pub enum Page {
    Home(Lang),
    Properties(Lang, properties::ListQuery),
    Property(Lang, String),
    Category(Lang, String, u64),
    Tag(Lang, String, u64),
    Sitemap,
    Robots,
}

impl Page {
    /// The cache key: the canonical path and query (only parameters the route knows, in a fixed
    /// order, so `utm_*` and friends never split the cache).
    pub fn key(&self) -> String {
        match self {
            Page::Home(lang) => format!("{}/", lang.prefix()),
            Page::Properties(lang, query) => format!(
                "{}/properties/{}",
                lang.prefix(),
                query.query_string(query.page)
            ),
            Page::Property(lang, slug) => {
                format!("{}/properties/{}/", lang.prefix(), segment(slug))
            }
            Page::Category(lang, slug, page) => format!(
                "{}/categories/{}/{}",
                lang.prefix(),
                segment(slug),
                page_query(*page)
            ),
            Page::Tag(lang, slug, page) => format!(
                "{}/tags/{}/{}",
                lang.prefix(),
                segment(slug),
                page_query(*page)
            ),
            Page::Sitemap => "/sitemap.xml".to_owned(),
            Page::Robots => "/robots.txt".to_owned(),
        }
    }

    pub fn revalidate(&self) -> Duration {
        Duration::from_secs(match self {
            Page::Home(_) | Page::Properties(..) => 60,
            Page::Property(..) | Page::Category(..) | Page::Tag(..) => 300,
            Page::Sitemap => 3600,
            Page::Robots => 86_400,
        })
    }

    pub fn lang(&self) -> Lang {
        match self {
            Page::Home(lang)
            | Page::Properties(lang, _)
            | Page::Property(lang, _)
            | Page::Category(lang, ..)
            | Page::Tag(lang, ..) => *lang,
            Page::Sitemap | Page::Robots => Lang::Fa,
        }
    }

    pub async fn render(&self, site: &Site) -> Result<Rendered, PageError> {
        let result = match self {
            // A slug with a control character names nothing, and must not reach the database
            // (PostgreSQL refuses NUL in text: a 500).
            Page::Property(_, slug) | Page::Category(_, slug, _) | Page::Tag(_, slug, _)
                if strata_api::text::check_segment(slug).is_err() =>
            {
                Err(ApiError::NotFound.into())
            }
            Page::Home(lang) => home::render(site, *lang).await,
            Page::Properties(lang, query) => properties::list(site, *lang, query).await,
            Page::Property(lang, slug) => properties::detail(site, *lang, slug).await,
            Page::Category(lang, slug, page) => terms::category(site, *lang, slug, *page).await,
            Page::Tag(lang, slug, page) => terms::tag(site, *lang, slug, *page).await,
            Page::Sitemap => seo::sitemap(site).await,
            Page::Robots => Ok(seo::robots(site)),
        };
        match result {
            Err(PageError::Data(ApiError::NotFound | ApiError::InvalidPage)) => {
                not_found(site, self.lang(), self.not_found_tags())
            }
            other => other,
        }
    }

    /// What could make a missing page exist: any new property, category or tag.
    fn not_found_tags(&self) -> Vec<String> {
        let tag = match self {
            Page::Category(..) => CATEGORIES_TAG,
            Page::Tag(..) => TAGS_TAG,
            _ => PROPERTIES_TAG,
        };
        vec![tag.tag()]
    }
}

#[derive(Debug)]
pub enum PageError {
    Data(ApiError),
    Template(askama::Error),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::Data(e) => write!(f, "loading the page's data failed: {e:?}"),
            PageError::Template(e) => write!(f, "rendering the template failed: {e}"),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Data(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Template(e)
    }
}

/// What the base layout shows around every page.
pub struct Meta {
    pub lang: Lang,
    pub w: &'static Words,
    pub site_name: String,
    pub title: String,
    pub description: String,
    /// Absolute.
    pub canonical: String,
    /// This page in the other language (absolute), for `hreflang` and the language switch (on
    /// a page without a canonical URL — an error — only the switch).
    pub alternate: String,
    pub og_type: &'static str,
    pub og_image: Option<String>,
    /// JSON-LD, already made safe to embed in a `<script>`.
    pub json_ld: Option<String>,
    pub stylesheet: &'static str,
    /// The unit prices are shown in, in this language (`تومان`, `toman`).
    pub price_unit: String,
    /// `/` or `/en`-prefixed links to the home page and the listing.
    pub home_url: String,
    pub properties_url: String,
    /// The site's origin, without a trailing slash.
    base: String,
}

impl Meta {
    /// `path` is the page's path without the language prefix (`/properties/`).
    pub fn new(site: &Site, lang: Lang, path: &str, title: String, description: String) -> Self {
        let base = site.settings.site_url.trim_end_matches('/');
        Meta {
            lang,
            w: lang.words(),
            site_name: site.settings.site_name.clone(),
            title,
            description,
            canonical: format!("{base}{}{path}", lang.prefix()),
            alternate: format!("{base}{}{path}", lang.other().prefix()),
            og_type: "website",
            og_image: None,
            json_ld: None,
            stylesheet: assets::stylesheet_url(),
            price_unit: site.settings.currency.unit(lang).to_owned(),
            home_url: format!("{}/", lang.prefix()),
            properties_url: format!("{}/properties/", lang.prefix()),
            base: base.to_owned(),
        }
    }

    pub fn other_lang(&self) -> Lang {
        self.lang.other()
    }

    pub fn absolute(&self, site_path: &str) -> String {
        format!("{}{site_path}", self.base)
    }
}

/// A listing as a card shows it.
pub struct Card {
    pub url: String,
    pub title: Shown,
    pub price: String,
    pub deal: &'static str,
    /// A rental: its price is per month.
    pub rent: bool,
    pub area: String,
    pub rooms: i32,
    /// Written in the page's digits.
    pub rooms_text: String,
    pub place: Place,
    pub cover: Option<Shot>,
    pub featured: bool,
}

/// An image as a page shows it, with its size (so the page does not shift as it loads) and an
/// alternative text that falls back to the listing's title when the image has none.
pub struct Shot {
    pub url: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
    /// `srcset` over the renditions in the original's format and the original itself (`url
    /// 640w, …`); empty until the renditions are made, and then the page uses `src` alone.
    pub srcset: String,
    /// A landscape photo near the gallery frame's 3:2 (4:3 to 16:9, a 16:10 upload say): it
    /// fills the frame, a little cropped, rather than being letterboxed. Others (a portrait, a
    /// panorama) are shown whole.
    pub fill: bool,
}

impl Shot {
    pub fn new(image: &strata_media::ImageOut, title: &str) -> Self {
        Shot {
            url: image.url.clone(),
            width: image.width,
            height: image.height,
            alt: if image.alt.is_empty() {
                title.to_owned()
            } else {
                image.alt.clone()
            },
            srcset: srcset(image),
            fill: fills_frame(image.width, image.height),
        }
    }
}

/// Whether a `width`×`height` photo fills a 3:2 frame (see [`Shot::fill`]).
fn fills_frame(width: i32, height: i32) -> bool {
    // 4:3 ≤ width / height ≤ 16:9, in integers.
    let (w, h) = (i64::from(width), i64::from(height));
    h > 0 && 3 * w >= 4 * h && 9 * w <= 16 * h
}

/// The candidates a browser picks from by width: renditions in the original's format (every
/// browser decodes them; a WebP copy would need `<picture>`), then the original.
fn srcset(image: &strata_media::ImageOut) -> String {
    let original = image.url.rsplit('.').next().unwrap_or_default();
    let mut candidates: Vec<String> = image
        .variants
        .iter()
        .filter(|v| v.url.rsplit('.').next() == Some(original) && v.width < image.width)
        .map(|v| format!("{} {}w", v.url, v.width))
        .collect();
    if candidates.is_empty() {
        return String::new();
    }
    candidates.push(format!("{} {}w", image.url, image.width));
    candidates.join(", ")
}

impl Card {
    pub fn new(site: &Site, lang: Lang, item: &PropertyListItem) -> Self {
        let shown =
            |field: &str, text: &str| Shown::new(lang, text, item.lang, &item.fallback, field);
        Card {
            url: property_url(lang, &item.slug),
            title: shown("title", &item.title),
            price: site.settings.currency.show(lang, &item.price),
            deal: deal_word(lang, &item.deal),
            rent: item.deal == "rent",
            area: lang.number(&item.area),
            rooms: item.rooms,
            rooms_text: lang.digits(&item.rooms.to_string()),
            place: Place {
                city: shown("city", &item.city),
                district: shown("district", &item.district),
                comma: place_comma(lang),
            },
            cover: item.cover.as_ref().map(|c| Shot::new(c, &item.title)),
            featured: item.featured,
        }
    }
}

pub fn property_url(lang: Lang, slug: &str) -> String {
    format!("{}/properties/{}/", lang.prefix(), segment(slug))
}

pub fn deal_word(lang: Lang, deal: &str) -> &'static str {
    let w = lang.words();
    if deal == "rent" { w.rent } else { w.sale }
}

/// The interface language's comma, between a city and its district.
pub fn place_comma(lang: Lang) -> &'static str {
    match lang {
        Lang::Fa => "، ",
        Lang::En => ", ",
    }
}

/// A content text on a page of language `page`: when it is written in another language (the
/// page's was empty and the API fell back), its element carries that language's `lang` and
/// `dir`, so a browser shapes and orders it right.
#[derive(Clone, Debug)]
pub struct Shown {
    pub text: String,
    pub written: Option<Lang>,
}

impl Shown {
    /// `field` of an object whose texts are in `lang` except those listed in `fallback`.
    pub fn new(
        page: Lang,
        text: &str,
        lang: strata_api::Lang,
        fallback: &[String],
        field: &str,
    ) -> Self {
        let mut written = lang;
        if fallback.iter().any(|f| f == field) {
            written = written.other();
        }
        Shown::written_in(page, text, written)
    }

    /// A text written in `written`.
    pub fn written_in(page: Lang, text: &str, written: Lang) -> Self {
        Shown {
            text: text.to_owned(),
            written: (written != page).then_some(written),
        }
    }

    /// ` lang="en" dir="ltr"` for a text in another language than the page's, else nothing
    /// (fixed ASCII, safe in a tag).
    pub fn attrs(&self) -> String {
        self.written
            .map(|l| format!(" lang=\"{}\" dir=\"{}\"", l.code(), l.dir()))
            .unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// "City, District", each marked with its own language.
#[derive(Clone, Debug)]
pub struct Place {
    pub city: Shown,
    pub district: Shown,
    pub comma: &'static str,
}

/// A path segment percent-encoded (slugs may be Persian), as links and canonical URLs need.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `?page=N` for pages after the first.
pub fn page_query(page: u64) -> String {
    if page == 1 {
        String::new()
    } else {
        format!("?page={page}")
    }
}

/// The `page` parameter: 1 when absent, 0 (a page that does not exist) when not a number.
pub fn page_number(query: &UrlQuery) -> u64 {
    match query.get("page") {
        None | Some("") => 1,
        Some(text) => text.parse().unwrap_or(0),
    }
}

/// Pagination links for a list page.
pub struct Pager {
    pub pages: u64,
    /// "2 / 72" in the page's digits.
    pub position: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn new(lang: Lang, page: u64, count: u64, link: impl Fn(u64) -> String) -> Self {
        let pages = count.div_ceil(PAGE_SIZE).max(1);
        Pager {
            pages,
            position: lang.digits(&format!("{page} / {pages}")),
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// "859 listings" in the page's words and digits.
pub fn count_text(lang: Lang, count: u64) -> String {
    format!(
        "{} {}",
        lang.number(&count.to_string()),
        lang.words().results
    )
}

/// JSON for a `<script type="application/ld+json">`: `<`, `>` and `&` escaped so the data
/// cannot close the script element.
pub fn json_ld(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Rich text reduced to plain text for meta descriptions, at most `max` characters.
pub fn plain_text(html: &str, max: usize) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = words.join(" ");
    if out.chars().count() > max {
        out = out.chars().take(max.saturating_sub(1)).collect::<String>() + "…";
    }
    out
}

pub fn html(status: StatusCode, body: String, tags: Vec<String>) -> Rendered {
    Rendered {
        status,
        content_type: "text/html; charset=utf-8",
        body: Bytes::from(body),
        tags,
        location: None,
    }
}

/// A permanent redirect to `path` (a renamed object's page), cached with `tags`: whatever
/// could change where it should point. `path` is built of [`segment`]s, so it needs no escaping.
pub fn moved_permanently(path: String, tags: Vec<String>) -> Rendered {
    let body = format!("<!doctype html><title>Moved</title><a href=\"{path}\">{path}</a>\n");
    Rendered {
        location: Some(path),
        ..html(StatusCode::MOVED_PERMANENTLY, body, tags)
    }
}

/// A field's label in the interface's words.
type Label = fn(&Words) -> &'static str;

/// The parameters the site reads, in the order the filter form shows them, with the labels it
/// shows: a 400 page names a field as the visitor saw it, never by its parameter name.
const FIELDS: [(&str, Label); 11] = [
    ("q", |w| w.search),
    ("category", |w| w.category),
    ("deal", |w| w.deal),
    ("city", |w| w.city),
    ("min_price", |w| w.min_price),
    ("max_price", |w| w.max_price),
    ("rooms", |w| w.rooms),
    ("ordering", |w| w.ordering),
    ("tag", |w| w.tag),
    ("featured", |w| w.featured),
    ("page", |w| w.page),
];

/// One error, as the 400 page lists it.
struct Problem {
    /// `None` for the query as a whole, or a parameter the site does not read.
    label: Option<String>,
    said: Said,
}

/// Every message of `errors` in `lang`, in the filter form's order (the API's is alphabetical
/// by parameter name), each field labelled as the form labels it (prices with their unit).
fn problems(site: &Site, lang: Lang, errors: &FieldErrors) -> Vec<Problem> {
    let w = lang.words();
    let unit = site.settings.currency.unit(lang);
    let mut listed: Vec<(usize, Problem)> = errors
        .iter()
        .flat_map(|(field, messages)| {
            let (order, label) = FIELDS
                .iter()
                .enumerate()
                .find(|(_, (name, _))| *name == field)
                .map_or((FIELDS.len(), None), |(i, (name, label))| {
                    let label = label(w);
                    let label = if name.ends_with("_price") {
                        format!("{label} ({unit})")
                    } else {
                        label.to_owned()
                    };
                    (i, Some(label))
                });
            messages.iter().map(move |text| {
                let said = lang.said(text);
                let label = label.clone();
                (order, Problem { label, said })
            })
        })
        .collect();
    listed.sort_by_key(|(order, _)| *order);
    listed.into_iter().map(|(_, problem)| problem).collect()
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessageView {
    meta: Meta,
    heading: &'static str,
    text: String,
    problems: Vec<Problem>,
}

/// A page that only says something (404, 400, 500, 503), in the visitor's language. Its
/// language switch leads to `switch_path` (without a language prefix) in the other language.
fn message(
    site: &Site,
    lang: Lang,
    heading: &'static str,
    text: String,
    problems: Vec<Problem>,
    switch_path: &str,
) -> Result<String, askama::Error> {
    let mut meta = Meta::new(site, lang, switch_path, heading.to_owned(), text.clone());
    meta.canonical.clear();
    MessageView {
        meta,
        heading,
        text,
        problems,
    }
    .render()
}

fn not_found_body(site: &Site, lang: Lang) -> Result<String, askama::Error> {
    let w = lang.words();
    message(
        site,
        lang,
        w.not_found,
        w.not_found_text.to_owned(),
        Vec::new(),
        "/",
    )
}

fn not_found(site: &Site, lang: Lang, tags: Vec<String>) -> Result<Rendered, PageError> {
    Ok(html(
        StatusCode::NOT_FOUND,
        not_found_body(site, lang)?,
        tags,
    ))
}

/// No route matched: the 404 page, uncached.
pub fn missing(site: &Site, lang: Lang) -> Response {
    let body = not_found_body(site, lang).unwrap_or_default();
    http::uncached(StatusCode::NOT_FOUND, body)
}

/// A query string the API's extractor refused (a control character, say): the site's 400 page
/// rather than the API's JSON error.
pub fn bad_query(site: &Site, lang: Lang, uri: &Uri, error: ApiError) -> Response {
    let errors = match error {
        ApiError::Invalid(errors) => errors,
        _ => FieldErrors::single(FieldErrors::NON_FIELD, INVALID_QUERY),
    };
    bad_request(site, lang, uri, &errors)
}

/// A bad filter value: a 400 page listing each error by the field's label, never cached. Its
/// language switch asks the same (the errors, in the other language).
pub fn bad_request(site: &Site, lang: Lang, uri: &Uri, errors: &FieldErrors) -> Response {
    let w = lang.words();
    let path = uri.path();
    let path = path.strip_prefix(lang.prefix()).unwrap_or(path);
    let same = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let body = message(
        site,
        lang,
        w.bad_request,
        w.bad_request_text.to_owned(),
        problems(site, lang, errors),
        &same,
    )
    .unwrap_or_default();
    http::uncached(StatusCode::BAD_REQUEST, body)
}

/// A render failed and no earlier page exists: never cached. A database known to be down is a
/// 503 with `Retry-After` (as the API answers) and the page says how long, anything else a
/// plain 500.
pub fn error_page(site: &Site, lang: Lang, error: &PageError) -> Response {
    let w = lang.words();
    match error {
        PageError::Data(ApiError::Unavailable { retry_after }) => {
            let seconds = retry_after.as_secs().max(1);
            let text = format!("{} {}", w.unavailable_text, lang.try_again_in(seconds));
            let body =
                message(site, lang, w.unavailable, text, Vec::new(), "/").unwrap_or_default();
            let mut response = http::uncached(StatusCode::SERVICE_UNAVAILABLE, body);
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
            response
        }
        _ => {
            let text = w.error_text.to_owned();
            let body = message(site, lang, w.error, text, Vec::new(), "/").unwrap_or_default();
            http::uncached(StatusCode::INTERNAL_SERVER_ERROR, body)
        }
    }
}
