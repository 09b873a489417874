//! Public taxonomy reads: `public:taxonomy:{category,tag,option}:all`.

use strata_api::{ApiError, Ctx};

use crate::cache::public::{self as cache, CATEGORIES, OPTIONS, TAGS};
use crate::selectors;
use crate::serializers::{CategoryOut, OptionOut, TagOut};

/// Every category, or one app's: the filter runs on the one cached list.
pub async fn categories(ctx: &Ctx, app: Option<&str>) -> Result<Vec<CategoryOut>, ApiError> {
    let all = cache::all(&ctx.cache, &CATEGORIES, || async {
        Ok(selectors::all_categories(&ctx.db).await?)
    })
    .await?;
    Ok(match app {
        Some(app) => all.into_iter().filter(|c| c.app == app).collect(),
        None => all,
    })
}

pub async fn tags(ctx: &Ctx) -> Result<Vec<TagOut>, ApiError> {
    cache::all(&ctx.cache, &TAGS, || async {
        Ok(selectors::all_tags(&ctx.db).await?)
    })
    .await
}

pub async fn options(ctx: &Ctx) -> Result<Vec<OptionOut>, ApiError> {
    cache::all(&ctx.cache, &OPTIONS, || async {
        Ok(selectors::all_options(&ctx.db).await?)
    })
    .await
}
