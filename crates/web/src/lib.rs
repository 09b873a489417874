//! The public web tier (the policy's §8, natively): server-rendered pages read through the
//! apps' services, an ISR-style HTML cache revalidated by tag on every instance, and the
//! Next.js revalidate endpoint.
//!
//! - `isr`: the HTML cache (revalidate seconds, tags, stale-while-revalidate, no stale fill).
//! - `coherence`: tag revalidations across instances over the data cache's bus.
//! - `pages`: what each route renders and with which tags; `templates/` holds the HTML.
//! - `http`: ETag / 304, `Cache-Control`, `Surrogate-Key` and `Cache-Tag` headers.
//! - `revalidate`: `POST /api/revalidate`, the Next.js protocol.

mod assets;
pub mod coherence;
pub mod http;
pub mod i18n;
pub mod isr;
pub mod money;
mod pages;
mod revalidate;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use strata_api::{ApiError, Ctx, UrlQuery};

use crate::coherence::Coherence;
use crate::i18n::{Lang, SiteLang};
use crate::isr::HtmlCache;
use crate::pages::Page;

pub use crate::pages::first_lists;

/// The web tier's settings (`[web]` in `strata.toml`).
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// The public origin, for canonical links, Open Graph and the sitemap (never the request's
    /// `Host`, which a cached page must not depend on).
    pub site_url: String,
    pub site_name: String,
    /// `REVALIDATE_SECRET`; without it `POST /api/revalidate` refuses every call.
    pub revalidate_secret: Option<String>,
    /// Calls to `/api/revalidate` allowed per client address per minute.
    pub revalidate_per_minute: u32,
    /// `stale-while-revalidate` told to CDNs.
    pub stale_while_revalidate: Duration,
    pub html_cache_bytes: u64,
    /// How long a request waits for bus notices this instance has not applied yet.
    pub bus_wait: Duration,
    /// The stored amounts' currency (ISO 4217, in JSON-LD) and the unit pages show them in.
    pub currency: money::Currency,
    /// What CDNs in front are told: their TTL and the site's key.
    pub surrogates: http::Surrogates,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            site_url: "http://127.0.0.1:8000".to_owned(),
            site_name: "Strata".to_owned(),
            revalidate_secret: None,
            revalidate_per_minute: 60,
            stale_while_revalidate: Duration::from_secs(86_400),
            html_cache_bytes: 64 * 1024 * 1024,
            bus_wait: Duration::from_millis(200),
            currency: money::Currency::default(),
            surrogates: http::Surrogates::default(),
        }
    }
}

/// Everything the web routes share. Cloned per request (axum's state, the render task), so
/// one reference count: a profile of the cached page showed cloning and dropping each field's
/// handles at 3.5 % of the hit path.
#[derive(Clone)]
pub struct Site(Arc<Shared>);

/// What a [`Site`] holds.
pub struct Shared {
    ctx: Ctx,
    html: HtmlCache,
    coherence: Arc<Coherence>,
    settings: WebSettings,
    limiter: strata_api::WindowLimit<std::net::IpAddr>,
}

impl std::ops::Deref for Site {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Site {
    /// The site over `coherence`'s HTML cache (started first: the invalidation map, which
    /// `ctx` carries, revalidates through it).
    pub fn new(ctx: Ctx, coherence: Arc<Coherence>, settings: WebSettings) -> Self {
        Site(Arc::new(Shared {
            ctx,
            html: coherence.html().clone(),
            coherence,
            limiter: revalidate::limiter(settings.revalidate_per_minute),
            settings,
        }))
    }

    pub fn settings(&self) -> &WebSettings {
        &self.settings
    }

    /// This instance's HTML cache (the admin's cache dashboard reads its numbers).
    pub fn html(&self) -> &HtmlCache {
        &self.html
    }

    /// Expires the pages carrying `tags` here and on every other instance.
    pub async fn revalidate(&self, tags: &BTreeSet<String>) {
        self.coherence.revalidate(tags).await;
    }

    /// The site's 404 page for a path no route matched (never cached).
    pub fn missing_page(&self, path: &str) -> Response {
        let lang = if path.starts_with("/en/") {
            Lang::En
        } else {
            Lang::Fa
        };
        pages::missing(self, lang)
    }

    async fn serve(&self, headers: &HeaderMap, page: Page) -> Response {
        self.coherence.catch_up().await;
        let key = page.key();
        let revalidate = page.revalidate();
        let lang = page.lang();
        let site = self.clone();
        let served = self
            .html
            .serve(&key, revalidate, move || {
                let (site, page) = (site.clone(), page.clone());
                async move { page.render(&site).await }
            })
            .await;
        match served {
            Ok((entry, outcome)) => http::cached(
                &entry,
                outcome,
                headers,
                self.settings.stale_while_revalidate,
                &self.settings.surrogates,
            ),
            Err(error) => {
                tracing::error!(%error, key, "page render failed");
                pages::error_page(self, lang, &error)
            }
        }
    }
}

/// The public site's routes and `POST /api/revalidate`.
pub fn router(site: Site) -> Router {
    let mut router = Router::new()
        .route(
            "/sitemap.xml",
            get(|State(site): State<Site>, headers: HeaderMap| async move {
                site.serve(&headers, Page::Sitemap).await
            }),
        )
        .route(
            "/robots.txt",
            get(|State(site): State<Site>, headers: HeaderMap| async move {
                site.serve(&headers, Page::Robots).await
            }),
        )
        .route(assets::STYLESHEET_PATH, get(assets::stylesheet))
        .route(assets::GALLERY_SCRIPT_PATH, get(assets::gallery_script))
        .route(assets::FAVICON_PATH, get(assets::favicon))
        .route("/api/revalidate", post(revalidate::revalidate))
        .route("/en", get(|| async { Redirect::permanent("/en/") }));
    for lang in Lang::ALL {
        router = router.merge(language_routes(lang));
    }
    router.with_state(site)
}

fn language_routes(lang: Lang) -> Router<Site> {
    let p = lang.prefix();
    Router::new()
        .route(
            &format!("{p}/"),
            get(move |State(site): State<Site>, headers: HeaderMap| async move {
                site.serve(&headers, Page::Home(lang)).await
            }),
        )
        .route(
            &format!("{p}/properties/"),
            get(move |State(site): State<Site>, headers: HeaderMap, uri: Uri, query: Result<UrlQuery, ApiError>| async move {
                let query = match query {
                    Ok(query) => query,
                    Err(error) => return pages::bad_query(&site, lang, &uri, error),
                };
                match pages::properties::list_page(&site, lang, &query) {
                    Ok(page) => site.serve(&headers, page).await,
                    Err(errors) => pages::bad_request(&site, lang, &uri, &errors),
                }
            }),
        )
        .route(
            &format!("{p}/properties/{{slug}}/"),
            get(move |State(site): State<Site>, headers: HeaderMap, Path(slug): Path<String>| async move {
                site.serve(&headers, Page::Property(lang, slug)).await
            }),
        )
        .route(
            &format!("{p}/categories/{{slug}}/"),
            get(move |State(site): State<Site>, headers: HeaderMap, Path(slug): Path<String>, uri: Uri, query: Result<UrlQuery, ApiError>| async move {
                let number = match query {
                    Ok(query) => pages::page_number(&query),
                    Err(error) => return pages::bad_query(&site, lang, &uri, error),
                };
                site.serve(&headers, Page::Category(lang, slug, number)).await
            }),
        )
        .route(
            &format!("{p}/tags/{{slug}}/"),
            get(move |State(site): State<Site>, headers: HeaderMap, Path(slug): Path<String>, uri: Uri, query: Result<UrlQuery, ApiError>| async move {
                let number = match query {
                    Ok(query) => pages::page_number(&query),
                    Err(error) => return pages::bad_query(&site, lang, &uri, error),
                };
                site.serve(&headers, Page::Tag(lang, slug, number)).await
            }),
        )
}
