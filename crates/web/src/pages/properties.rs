//! `/properties/` (filters and pagination in crawlable query URLs) and `/properties/{slug}/`.

use askama::Template;
use axum::http::StatusCode;
use serde_json::json;
use strata_api::{ApiError, FieldErrors, PageRequest, UrlQuery};
use strata_real_estate::catalog::{PROPERTIES_TAG, PROPERTY_PAGE};
use strata_real_estate::filters::{self, PublicFilter};
use strata_real_estate::serializers::PropertyDetail;
use strata_real_estate::services::public as properties;
use strata_taxonomy::catalog::{CATEGORIES_TAG, CATEGORY_PAGE, OPTIONS_TAG, TAG_PAGE};
use strata_taxonomy::serializers::{CategoryOut, OptionSummary};
use strata_taxonomy::services::public as taxonomy;

use super::{
    Card, Meta, PAGE_SIZE, PageError, Pager, Place, Shot, Shown, deal_word, html, json_ld,
    moved_permanently, place_comma, plain_text, property_url, segment,
};
use crate::Site;
use crate::i18n::{INVALID_QUERY, Lang, SiteLang};
use crate::isr::Rendered;

/// The list's parameters, in the order canonical URLs spell them.
const PARAMS: [&str; 10] = [
    "category",
    "city",
    "deal",
    "min_price",
    "max_price",
    "rooms",
    "q",
    "tag",
    "featured",
    "ordering",
];

/// A validated list request: the filters, and the parameters they came from.
#[derive(Clone, Debug)]
pub struct ListQuery {
    pub filter: PublicFilter,
    pub params: Vec<(&'static str, String)>,
    pub page: u64,
}

impl ListQuery {
    /// The canonical query string for `page` of this list (`""` when there is none).
    pub fn query_string(&self, page: u64) -> String {
        let mut pairs: Vec<(&str, String)> =
            self.params.iter().map(|(k, v)| (*k, v.clone())).collect();
        if page != 1 {
            pairs.push(("page", page.to_string()));
        }
        if pairs.is_empty() {
            return String::new();
        }
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", segment(v)))
            .collect();
        format!("?{}", encoded.join("&"))
    }

    fn value(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Validates the query as the API does (a bad value is a 400, unknown parameters are dropped).
/// Unlike the API's, the page's `min_price` and `max_price` are in the unit the page shows
/// prices in (tomans by default), as a visitor reads and types them.
pub fn list_page(site: &Site, lang: Lang, query: &UrlQuery) -> Result<super::Page, FieldErrors> {
    let mut filter = match filters::public(query, lang) {
        Ok(filter) => filter,
        Err(ApiError::Invalid(errors)) => return Err(errors),
        Err(_) => return Err(FieldErrors::single(FieldErrors::NON_FIELD, INVALID_QUERY)),
    };
    let factor = site.settings.currency.factor();
    for bound in [&mut filter.min_price, &mut filter.max_price] {
        *bound = bound.map(|amount| amount.saturating_mul(factor));
    }
    let params = PARAMS
        .iter()
        .filter_map(|name| query.text(name).map(|value| (*name, value)))
        .collect();
    Ok(super::Page::Properties(
        lang,
        ListQuery {
            filter,
            params,
            page: super::page_number(query),
        },
    ))
}

#[derive(Template)]
#[template(path = "properties.html")]
struct ListView<'a> {
    meta: Meta,
    heading: String,
    /// "859 listings".
    count: String,
    cards: Vec<Card>,
    pager: Pager,
    categories: &'a [CategoryOut],
    query: &'a ListQuery,
}

impl ListView<'_> {
    fn value(&self, name: &str) -> &str {
        self.query.value(name)
    }
}

pub async fn list(site: &Site, lang: Lang, query: &ListQuery) -> Result<Rendered, PageError> {
    // Page 0 or one past what the database can address is "Invalid page.", the 404 page.
    let request = PageRequest::new(query.page, PAGE_SIZE)?;
    let page = properties::list(&site.ctx, &query.filter, request).await?;
    if page.results.is_empty() && query.page > 1 {
        return Err(ApiError::InvalidPage.into());
    }
    let categories = taxonomy::categories(&site.ctx, lang, Some("real_estate")).await?;
    let w = lang.words();
    let path = format!("/properties/{}", query.query_string(query.page));
    let mut meta = Meta::new(
        site,
        lang,
        &path,
        format!("{} — {}", w.properties, site.settings.site_name),
        w.tagline.to_owned(),
    );
    meta.json_ld = Some(item_list(
        &meta,
        lang,
        page.results.iter().map(|p| (&p.title, &p.slug)),
    ));
    let prefix = lang.prefix();
    let view = ListView {
        heading: w.properties.to_owned(),
        count: super::count_text(lang, page.count),
        cards: page
            .results
            .iter()
            .map(|p| Card::new(site, lang, p))
            .collect(),
        pager: Pager::new(lang, query.page, page.count, |n| {
            format!("{prefix}/properties/{}", query.query_string(n))
        }),
        categories: &categories,
        query,
        meta,
    };
    Ok(html(
        StatusCode::OK,
        view.render()?,
        vec![PROPERTIES_TAG.tag(), CATEGORIES_TAG.tag()],
    ))
}

/// schema.org `ItemList` of the listings on a page.
pub fn item_list<'a>(
    meta: &Meta,
    lang: Lang,
    items: impl Iterator<Item = (&'a String, &'a String)>,
) -> String {
    let elements: Vec<_> = items
        .enumerate()
        .map(|(i, (name, slug))| json!({"@type": "ListItem", "position": i + 1, "name": name, "url": meta.absolute(&property_url(lang, slug))}))
        .collect();
    json_ld(
        &json!({"@context": "https://schema.org", "@type": "ItemList", "itemListElement": elements}),
    )
}

#[derive(Template)]
#[template(path = "property.html")]
struct DetailView<'a> {
    meta: Meta,
    p: &'a PropertyDetail,
    title: Shown,
    /// Sanitized HTML.
    description: Shown,
    address: Shown,
    price: String,
    deposit: Option<String>,
    area: String,
    rooms: String,
    deal: &'static str,
    place: Place,
    category: Option<Shown>,
    category_url: Option<String>,
    /// The options under their group's label (none for options without a group label).
    options: Vec<(Option<Shown>, Vec<Shown>)>,
    tag_urls: Vec<(String, Shown)>,
    /// Each photo with its thumbnail's label ("Photo 2 of 5").
    gallery: Vec<(Shot, String)>,
    gallery_script: &'static str,
}

/// A property's options by group, in the API's order (grouped already), each group with its
/// label in the page's language (else the other's, marked as written in it).
fn option_groups(lang: Lang, options: &[OptionSummary]) -> Vec<(Option<Shown>, Vec<Shown>)> {
    let mut groups: Vec<(&str, Option<Shown>, Vec<Shown>)> = Vec::new();
    for o in options {
        let option = Shown::written_in(lang, &o.name, o.lang);
        match groups.last_mut() {
            Some((group, _, list)) if *group == o.group => list.push(option),
            _ => {
                // The summary carries the label, not its language: a label is Persian when it
                // has a Persian letter (an empty one in the page's language fell back).
                let label = (!o.group_name.is_empty())
                    .then(|| Shown::written_in(lang, &o.group_name, Lang::of_text(&o.group_name)));
                groups.push((&o.group, label, vec![option]));
            }
        }
    }
    groups
        .into_iter()
        .map(|(_, label, list)| (label, list))
        .collect()
}

pub async fn detail(site: &Site, lang: Lang, slug: &str) -> Result<Rendered, PageError> {
    let p = match properties::detail_by_slug(&site.ctx, slug, lang).await {
        // An old slug of a renamed property: one hop to its page now.
        Err(ApiError::NotFound) => {
            let (id, current) = properties::moved(&site.ctx, slug)
                .await?
                .ok_or(ApiError::NotFound)?;
            let path = property_url(lang, &current);
            return Ok(moved_permanently(
                path,
                vec![PROPERTY_PAGE.of(id), PROPERTIES_TAG.tag()],
            ));
        }
        found => found?,
    };
    let w = lang.words();
    let prefix = lang.prefix();
    let description = plain_text(&p.description, 160);
    let mut meta = Meta::new(
        site,
        lang,
        &format!("/properties/{}/", segment(&p.slug)),
        format!("{} — {}", p.title, site.settings.site_name),
        if description.is_empty() {
            w.tagline.to_owned()
        } else {
            description
        },
    );
    meta.og_type = "article";
    meta.og_image = p.images.first().map(|i| meta.absolute(&i.url));
    let images: Vec<String> = p.images.iter().map(|i| meta.absolute(&i.url)).collect();
    meta.json_ld = Some(json_ld(&json!({
        "@context": "https://schema.org",
        "@type": "RealEstateListing",
        "name": p.title,
        "description": meta.description,
        "url": meta.canonical,
        "datePosted": p.published_at,
        "image": images,
        "offers": {"@type": "Offer", "price": p.price, "priceCurrency": site.settings.currency.code, "businessFunction": if p.deal == "rent" { "http://purl.org/goodrelations/v1#LeaseOut" } else { "http://purl.org/goodrelations/v1#Sell" }},
        "floorSize": {"@type": "QuantitativeValue", "value": p.area, "unitCode": "MTK"},
        "numberOfRooms": p.rooms,
    })));
    let mut tags = vec![PROPERTY_PAGE.of(p.id)];
    tags.extend(p.category.iter().map(|c| CATEGORY_PAGE.of(&c.slug)));
    tags.extend(p.tags.iter().map(|t| TAG_PAGE.of(&t.slug)));
    if !p.options.is_empty() {
        tags.push(OPTIONS_TAG.tag());
    }
    let shown = |field: &str, text: &str| Shown::new(lang, text, p.lang, &p.fallback, field);
    let term = |name: &str, written| Shown::written_in(lang, name, written);
    let view = DetailView {
        title: shown("title", &p.title),
        // Sanitized when saved; cleaned again here, so the page never depends on that.
        description: shown("description", &ammonia::clean(&p.description)),
        address: shown("address", &p.address),
        price: site.settings.currency.show(lang, &p.price),
        deposit: p
            .deposit
            .as_deref()
            .map(|d| site.settings.currency.show(lang, d)),
        area: lang.number(&p.area),
        rooms: lang.digits(&p.rooms.to_string()),
        deal: deal_word(lang, &p.deal),
        place: Place {
            city: shown("city", &p.city),
            district: shown("district", &p.district),
            comma: place_comma(lang),
        },
        category: p.category.as_ref().map(|c| term(&c.name, c.lang)),
        options: option_groups(lang, &p.options),
        category_url: p
            .category
            .as_ref()
            .map(|c| format!("{prefix}/categories/{}/", segment(&c.slug))),
        tag_urls: p
            .tags
            .iter()
            .map(|t| {
                (
                    format!("{prefix}/tags/{}/", segment(&t.slug)),
                    term(&t.name, t.lang),
                )
            })
            .collect(),
        gallery: p
            .images
            .iter()
            .enumerate()
            .map(|(i, image)| {
                let label = format!(
                    "{} {} {} {}",
                    w.photo,
                    lang.digits(&(i + 1).to_string()),
                    w.of,
                    lang.digits(&p.images.len().to_string())
                );
                (Shot::new(image, &p.title), label)
            })
            .collect(),
        gallery_script: crate::assets::gallery_script_url(),
        meta,
        p: &p,
    };
    Ok(html(StatusCode::OK, view.render()?, tags))
}
