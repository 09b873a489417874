//! `/sitemap.xml` and `/robots.txt`.

use askama::Template;
use axum::http::StatusCode;
use bytes::Bytes;
use strata_api::PageRequest;
use strata_real_estate::catalog::PROPERTIES_TAG;
use strata_real_estate::filters::PublicFilter;
use strata_real_estate::services::public as properties;
use strata_taxonomy::catalog::{CATEGORIES_TAG, TAGS_TAG};
use strata_taxonomy::services::public as taxonomy;

use super::{PageError, property_url, segment};
use crate::Site;
use crate::i18n::{Lang, SiteLang};
use crate::isr::Rendered;

/// The sitemap protocol's limit per file.
const MAX_URLS: usize = 50_000;
/// Read through the cached public list, at the API's largest page size.
const BATCH: u64 = 100;

pub struct SitemapUrl {
    /// Site-relative, without the language prefix.
    pub path: String,
    pub lastmod: Option<String>,
}

#[derive(Template)]
#[template(path = "sitemap.xml")]
struct SitemapView {
    base: String,
    urls: Vec<SitemapUrl>,
    langs: [Lang; 2],
}

pub async fn sitemap(site: &Site) -> Result<Rendered, PageError> {
    let mut urls = vec![
        SitemapUrl {
            path: "/".into(),
            lastmod: None,
        },
        SitemapUrl {
            path: "/properties/".into(),
            lastmod: None,
        },
    ];
    for category in taxonomy::categories(&site.ctx, Lang::Fa, Some("real_estate")).await? {
        urls.push(SitemapUrl {
            path: format!("/categories/{}/", segment(&category.slug)),
            lastmod: None,
        });
    }
    for tag in taxonomy::tags(&site.ctx, Lang::Fa).await? {
        urls.push(SitemapUrl {
            path: format!("/tags/{}/", segment(&tag.slug)),
            lastmod: None,
        });
    }
    let newest = PublicFilter {
        ordering: "-published_at",
        ..PublicFilter::default()
    };
    let mut page = 1;
    // Two URLs (fa, en) per entry.
    while urls.len() * 2 < MAX_URLS {
        let batch = properties::list(
            &site.ctx,
            &newest,
            PageRequest {
                page,
                page_size: BATCH,
            },
        )
        .await?;
        for p in &batch.results {
            urls.push(SitemapUrl {
                path: property_url(Lang::Fa, &p.slug),
                lastmod: Some(p.updated_at.clone()),
            });
        }
        if page * BATCH >= batch.count || batch.results.is_empty() {
            break;
        }
        page += 1;
    }
    urls.truncate(MAX_URLS / 2);
    let view = SitemapView {
        base: site.settings.site_url.trim_end_matches('/').to_owned(),
        urls,
        langs: Lang::ALL,
    };
    Ok(Rendered {
        status: StatusCode::OK,
        content_type: "application/xml; charset=utf-8",
        body: Bytes::from(view.render()?),
        tags: vec![PROPERTIES_TAG.tag(), CATEGORIES_TAG.tag(), TAGS_TAG.tag()],
        location: None,
    })
}

pub fn robots(site: &Site) -> Rendered {
    let base = site.settings.site_url.trim_end_matches('/');
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /admin/\nDisallow: /api/\n\nSitemap: {base}/sitemap.xml\n"
    );
    Rendered {
        status: StatusCode::OK,
        content_type: "text/plain; charset=utf-8",
        body: Bytes::from(body),
        tags: Vec::new(),
        location: None,
    }
}
