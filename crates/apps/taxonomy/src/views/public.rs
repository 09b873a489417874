//! `GET /api/categories/`, `/api/tags/`, `/api/options/`: whole lists, not paginated (the
//! policy caches each as one `…:all` key).

use axum::extract::State;
use strata_api::lang::{LANG_PARAM, LangCode};
use strata_api::{ApiResult, Ctx, FieldErrors, JsonBody, Lang, UrlQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::serializers::{CATEGORY_APPS, CategoryApp, CategoryOut, OptionOut, TagOut};
use crate::services::public;

pub fn router() -> OpenApiRouter<Ctx> {
    OpenApiRouter::new()
        .routes(routes!(categories))
        .routes(routes!(tags))
        .routes(routes!(options))
}

/// Every category, optionally of one app.
#[utoipa::path(
    get, path = "/api/categories/", tag = "taxonomy", operation_id = "categories_list",
    summary = "List categories",
    params(
        ("app" = inline(Option<CategoryApp>), Query, description = "Only this app's categories"),
        ("lang" = inline(Option<LangCode>), Query, description = LANG_PARAM),
    ),
    responses(
        (status = 200, body = Vec<CategoryOut>, description = "Every category"),
        (status = 400, body = FieldErrors, description = "Unknown app"),
    )
)]
async fn categories(State(ctx): State<Ctx>, lang: Lang, query: UrlQuery) -> ApiResult<JsonBody> {
    let app = query.choice("app", CATEGORY_APPS)?;
    Ok(public::categories_json(&ctx, lang, app).await?.into())
}

#[utoipa::path(
    get, path = "/api/tags/", tag = "taxonomy", operation_id = "tags_list",
    summary = "List tags",
    params(("lang" = inline(Option<LangCode>), Query, description = LANG_PARAM)),
    responses((status = 200, body = Vec<TagOut>, description = "Every tag"))
)]
async fn tags(State(ctx): State<Ctx>, lang: Lang) -> ApiResult<JsonBody> {
    Ok(public::tags_json(&ctx, lang).await?.into())
}

#[utoipa::path(
    get, path = "/api/options/", tag = "taxonomy", operation_id = "options_list",
    summary = "List options",
    params(("lang" = inline(Option<LangCode>), Query, description = LANG_PARAM)),
    responses((status = 200, body = Vec<OptionOut>, description = "Every option"))
)]
async fn options(State(ctx): State<Ctx>, lang: Lang) -> ApiResult<JsonBody> {
    Ok(public::options_json(&ctx, lang).await?.into())
}
