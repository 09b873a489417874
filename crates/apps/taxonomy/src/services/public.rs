//! Public taxonomy reads: `public:taxonomy:{category,tag,option}:all` (Persian; `all_en` in
//! English). The `_json` reads hand the cached bytes to the API as they are.

use strata_api::{ApiError, Ctx, Lang, decoded};
use strata_cache::Json;

use crate::cache::public::{self as cache, CATEGORIES, OPTIONS, TAGS};
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
