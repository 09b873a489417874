//! Public taxonomy reads: `public:taxonomy:{category,tag,option}:all` (Persian; `all_en` in
//! English). The `_json` reads hand the cached bytes to the API as they are.

use strata_api::{ApiError, Ctx, Lang, decoded, slugs};
use strata_cache::Json;

use crate::cache::public::{self as cache, CATEGORIES, OPTIONS, TAGS};
use crate::catalog::{CATEGORY, TAG};
use crate::selectors;
use crate::serializers::{CategoryOut, OptionOut, TagOut};

/// Every category, or one app's: the filter runs on the one cached list.
pub async fn categories_json(
    ctx: &Ctx,
    lang: Lang,
    app: Option<&str>,
) -> Result<Json<Vec<CategoryOut>>, ApiError> {
    let all = cache::all(&ctx.cache, &CATEGORIES, lang, || async {
        Ok(selectors::all_categories(&ctx.db, lang).await?)
    })
    .await?;
    let Some(app) = app else {
        return Ok(all);
    };
    let mut some = decoded(&all)?;
    some.retain(|category| category.app == app);
    Json::encode(&some).map_err(ApiError::internal)
}

pub async fn categories(
    ctx: &Ctx,
    lang: Lang,
    app: Option<&str>,
) -> Result<Vec<CategoryOut>, ApiError> {
    decoded(&categories_json(ctx, lang, app).await?)
}

pub async fn tags_json(ctx: &Ctx, lang: Lang) -> Result<Json<Vec<TagOut>>, ApiError> {
    cache::all(&ctx.cache, &TAGS, lang, || async {
        Ok(selectors::all_tags(&ctx.db, lang).await?)
    })
    .await
}

pub async fn tags(ctx: &Ctx, lang: Lang) -> Result<Vec<TagOut>, ApiError> {
    decoded(&tags_json(ctx, lang).await?)
}

pub async fn options_json(ctx: &Ctx, lang: Lang) -> Result<Json<Vec<OptionOut>>, ApiError> {
    cache::all(&ctx.cache, &OPTIONS, lang, || async {
        Ok(selectors::all_options(&ctx.db, lang).await?)
    })
    .await
}

pub async fn options(ctx: &Ctx, lang: Lang) -> Result<Vec<OptionOut>, ApiError> {
    decoded(&options_json(ctx, lang).await?)
}

/// The slug now of `app`'s category that an old slug names since a rename.
pub async fn moved_category(
    ctx: &Ctx,
    lang: Lang,
    app: &str,
    slug: &str,
) -> Result<Option<String>, ApiError> {
    let Some(id) = slugs::moved(&ctx.db, CATEGORY, slug).await? else {
        return Ok(None);
    };
    let categories = categories(ctx, lang, Some(app)).await?;
    Ok(categories.into_iter().find(|c| c.id == id).map(|c| c.slug))
}

/// The slug now of the tag that an old slug names since a rename.
pub async fn moved_tag(ctx: &Ctx, lang: Lang, slug: &str) -> Result<Option<String>, ApiError> {
    let Some(id) = slugs::moved(&ctx.db, TAG, slug).await? else {
        return Ok(None);
    };
    let tags = tags(ctx, lang).await?;
    Ok(tags.into_iter().find(|t| t.id == id).map(|t| t.slug))
}
