//! `/`: featured and latest listings.

use askama::Template;
use axum::http::StatusCode;
use strata_api::PageRequest;
use strata_real_estate::catalog::PROPERTIES_TAG;
use strata_real_estate::filters::PublicFilter;
use strata_real_estate::services::public as properties;

use super::{Card, Meta, PageError, html};
use crate::Site;
use crate::i18n::{Lang, SiteLang};
use crate::isr::Rendered;

const SHOWN: u64 = 6;

#[derive(Template)]
#[template(path = "home.html")]
struct HomeView {
    meta: Meta,
    featured: Vec<Card>,
    latest: Vec<Card>,
}

/// The home page's lists: the newest featured properties and the newest, [`SHOWN`] of each.
pub fn lists(lang: Lang) -> [(PublicFilter, PageRequest); 2] {
    let first = PageRequest {
        page: 1,
        page_size: SHOWN,
    };
    let newest = PublicFilter {
        ordering: "-published_at",
        lang,
        ..PublicFilter::default()
    };
    let featured = PublicFilter {
        featured: Some(true),
        ..newest.clone()
    };
    [(featured, first), (newest, first)]
}

pub async fn render(site: &Site, lang: Lang) -> Result<Rendered, PageError> {
    let [(featured, first), (newest, _)] = lists(lang);
    let featured = properties::list(&site.ctx, &featured, first).await?;
    let latest = properties::list(&site.ctx, &newest, first).await?;
    let w = lang.words();
    let meta = Meta::new(
        site,
        lang,
        "/",
        format!("{} — {}", site.settings.site_name, w.tagline),
        w.tagline.to_owned(),
    );
    let view = HomeView {
        featured: featured
            .results
            .iter()
            .map(|p| Card::new(site, lang, p))
            .collect(),
        latest: latest
            .results
            .iter()
            .map(|p| Card::new(site, lang, p))
            .collect(),
        meta,
    };
    Ok(html(
        StatusCode::OK,
        view.render()?,
        vec![PROPERTIES_TAG.tag()],
    ))
}
