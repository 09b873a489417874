//! `/categories/{slug}/` and `/tags/{slug}/`: landing pages listing a term's properties.

use askama::Template;
use axum::http::StatusCode;
use strata_api::catalog::{Collection, PerSlug};
use strata_api::{ApiError, PageRequest};
use strata_real_estate::catalog::PROPERTIES_TAG;
use strata_real_estate::filters::PublicFilter;
use strata_real_estate::services::public as properties;
use strata_taxonomy::catalog::{CATEGORIES_TAG, CATEGORY_PAGE, TAG_PAGE, TAGS_TAG};
use strata_taxonomy::services::public as taxonomy;

use strata_taxonomy::serializers::Name;

use super::{
    Card, Meta, PAGE_SIZE, PageError, Pager, Shown, html, moved_permanently, page_query, segment,
};
use crate::Site;
use crate::i18n::{Lang, SiteLang, Words};
use crate::isr::Rendered;

/// Which kind of term a landing page is for.
struct Kind {
    /// The path segment (`categories`, `tags`).
    plural: &'static str,
    /// The tag of every page listing terms of this kind, and of one term's pages.
    all: Collection,
    one: PerSlug,
    /// The heading before the term's name.
    heading: fn(&Words) -> &'static str,
}

const CATEGORY: Kind = Kind {
    plural: "categories",
    all: CATEGORIES_TAG,
    one: CATEGORY_PAGE,
    heading: |w| w.properties_in,
};
const TAG: Kind = Kind {
    plural: "tags",
    all: TAGS_TAG,
    one: TAG_PAGE,
    heading: |w| w.tagged,
};

#[derive(Template)]
#[template(path = "term.html")]
struct TermView {
    meta: Meta,
    heading: String,
    name: Shown,
    /// "12 listings".
    count: String,
    cards: Vec<Card>,
    pager: Pager,
}

pub async fn category(
    site: &Site,
    lang: Lang,
    slug: &str,
    page: u64,
) -> Result<Rendered, PageError> {
    let categories = taxonomy::categories(&site.ctx, lang, Some("real_estate")).await?;
    let name = categories
        .into_iter()
        .find(|c| c.slug == slug)
        .map(|c| c.label);
    if name.is_none()
        && let Some(current) =
            taxonomy::moved_category(&site.ctx, lang, "real_estate", slug).await?
    {
        return Ok(moved(lang, &CATEGORY, &current, page));
    }
    let filter = category_filter(lang, slug);
    landing(site, lang, &CATEGORY, slug, name, filter, page).await
}

/// The same page of a renamed term, under its slug now. Tagged with every page of its kind:
/// any change to a term of that kind may change where it should point.
fn moved(lang: Lang, kind: &Kind, current: &str, page: u64) -> Rendered {
    let path = format!(
        "{}/{}/{}/{}",
        lang.prefix(),
        kind.plural,
        segment(current),
        page_query(page)
    );
    moved_permanently(path, vec![kind.all.tag()])
}

/// A category page's list: the category's properties (and its descendants'), newest first.
pub fn category_filter(lang: Lang, slug: &str) -> PublicFilter {
    landing_filter(
        lang,
        PublicFilter {
            category: Some(slug.to_owned()),
            ..PublicFilter::default()
        },
    )
}

/// A landing page's list: `filter` (its term), newest first, in `lang`.
fn landing_filter(lang: Lang, filter: PublicFilter) -> PublicFilter {
    PublicFilter {
        ordering: "-published_at",
        lang,
        ..filter
    }
}

pub async fn tag(site: &Site, lang: Lang, slug: &str, page: u64) -> Result<Rendered, PageError> {
    let tags = taxonomy::tags(&site.ctx, lang).await?;
    let name = tags.into_iter().find(|t| t.slug == slug).map(|t| t.label);
    if name.is_none()
        && let Some(current) = taxonomy::moved_tag(&site.ctx, lang, slug).await?
    {
        return Ok(moved(lang, &TAG, &current, page));
    }
    let filter = landing_filter(
        lang,
        PublicFilter {
            tag: Some(slug.to_owned()),
            ..PublicFilter::default()
        },
    );
    landing(site, lang, &TAG, slug, name, filter, page).await
}

async fn landing(
    site: &Site,
    lang: Lang,
    kind: &Kind,
    slug: &str,
    name: Option<Name>,
    filter: PublicFilter,
    page: u64,
) -> Result<Rendered, PageError> {
    let name = name.ok_or(ApiError::NotFound)?;
    // Page 0 or one past what the database can address is "Invalid page.", the 404 page.
    let request = PageRequest::new(page, PAGE_SIZE)?;
    let list = properties::list(&site.ctx, &filter, request).await?;
    if list.results.is_empty() && page > 1 {
        return Err(ApiError::InvalidPage.into());
    }
    let path = format!("/{}/{}/", kind.plural, segment(slug));
    let heading = (kind.heading)(lang.words()).to_owned();
    let title = format!("{heading} «{}»", name.name);
    let name = Shown::written_in(lang, &name.name, name.lang);
    let mut meta = Meta::new(
        site,
        lang,
        &format!("{path}{}", page_query(page)),
        format!("{title} — {}", site.settings.site_name),
        title,
    );
    meta.json_ld = Some(super::properties::item_list(
        &meta,
        lang,
        list.results.iter().map(|p| (&p.title, &p.slug)),
    ));
    let prefix = lang.prefix();
    let view = TermView {
        heading,
        name,
        count: super::count_text(lang, list.count),
        cards: list
            .results
            .iter()
            .map(|p| Card::new(site, lang, p))
            .collect(),
        pager: Pager::new(lang, page, list.count, |n| {
            format!("{prefix}{path}{}", page_query(n))
        }),
        meta,
    };
    let tags = vec![PROPERTIES_TAG.tag(), kind.all.tag(), kind.one.of(slug)];
    Ok(html(StatusCode::OK, view.render()?, tags))
}
