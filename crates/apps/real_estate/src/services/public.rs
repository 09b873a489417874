//! Public reads: published properties only.

use strata_api::{ApiError, Ctx, Lang, Page, PageRequest, decoded, slugs};
use strata_cache::Json;

use crate::cache::public as cache;
use crate::catalog::PROPERTY;
use crate::selectors::{self, PublicFilter};
use crate::serializers::{PropertyDetail, PropertyListItem};

/// One page of published properties, as the cache holds it: the API sends it without decoding.
pub async fn list_json(
    ctx: &Ctx,
    filter: &PublicFilter,
    page: PageRequest,
) -> Result<Json<Page<PropertyListItem>>, ApiError> {
    cache::list(&ctx.cache, filter, page, || async {
        Ok(selectors::published_page(&ctx.db, filter, page).await?)
    })
    .await
}

pub async fn list(
    ctx: &Ctx,
    filter: &PublicFilter,
    page: PageRequest,
) -> Result<Page<PropertyListItem>, ApiError> {
    decoded(&list_json(ctx, filter, page).await?)
}

/// A published property, as the cache holds it.
pub async fn detail_json(ctx: &Ctx, id: i64, lang: Lang) -> Result<Json<PropertyDetail>, ApiError> {
    cache::detail(&ctx.cache, id, lang, || async {
        Ok(selectors::detail_of(&ctx.db, id, lang).await?)
    })
    .await?
    .transpose()
    .ok_or(ApiError::NotFound)
}

pub async fn detail(ctx: &Ctx, id: i64, lang: Lang) -> Result<PropertyDetail, ApiError> {
    decoded(&detail_json(ctx, id, lang).await?)
}

/// The published property with this slug, for slug URLs (the web tier's detail page). The
/// slug lookup is one indexed read; the detail itself comes from its cached key.
pub async fn detail_by_slug(ctx: &Ctx, slug: &str, lang: Lang) -> Result<PropertyDetail, ApiError> {
    let id = selectors::published_id(&ctx.db, slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    detail(ctx, id, lang).await
}

/// The public property an old slug names since a rename, with its slug now.
pub async fn moved(ctx: &Ctx, slug: &str) -> Result<Option<(i64, String)>, ApiError> {
    let Some(id) = slugs::moved(&ctx.db, PROPERTY, slug).await? else {
        return Ok(None);
    };
    Ok(selectors::published_slug(&ctx.db, id)
        .await?
        .map(|current| (id, current)))
}
