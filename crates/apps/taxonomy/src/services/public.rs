//! Public taxonomy reads: `public:taxonomy:{category,tag,option}:all` (Persian; `all_en` in
//! English).

use strata_api::{ApiError, Ctx, Lang};

use crate::cache::public::{self as cache, CATEGORIES, OPTIONS, TAGS};
use crate::selectors;
use crate::serializers::{CategoryOut, OptionOut, TagOut};

/// Every category, or one app's: the filter runs on the one cached list.
pub async fn categories(
    ctx: &Ctx,
    lang: Lang,
    app: Option<&str>,
) -> Result<Vec<CategoryOut>, ApiError> {
    let all = cache::all(&ctx.cache, &CATEGORIES, lang, || async {
        Ok(selectors::all_categories(&ctx.db, lang).await?)
    })
    .await?;
    Ok(match app {
        Some(app) => all.into_iter().filter(|c| c.app == app).collect(),
        None => all,
    })
}

pub async fn tags(ctx: &Ctx, lang: Lang) -> Result<Vec<TagOut>, ApiError> {
    cache::all(&ctx.cache, &TAGS, lang, || async {
        Ok(selectors::all_tags(&ctx.db, lang).await?)
    })
    .await
}

pub async fn options(ctx: &Ctx, lang: Lang) -> Result<Vec<OptionOut>, ApiError> {
    cache::all(&ctx.cache, &OPTIONS, lang, || async {
        Ok(selectors::all_options(&ctx.db, lang).await?)
    })
    .await
}
