//! `GET /api/categories/`, `/api/tags/`, `/api/options/`: whole lists, not paginated (the
//! policy caches each as one `…:all` key).

use axum::Json;
use axum::extract::State;
use strata_api::{ApiResult, Ctx, Detail, FieldErrors, UrlQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::serializers::{CATEGORY_APPS, CategoryOut, OptionOut, TagOut};
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
    params(("app" = Option<String>, Query, description = "real_estate, blog or portfolio")),
    responses(
        (status = 200, body = Vec<CategoryOut>),
        (status = 400, body = FieldErrors, description = "Unknown app"),
    )
)]
async fn categories(State(ctx): State<Ctx>, query: UrlQuery) -> ApiResult<Json<Vec<CategoryOut>>> {
    let app = query.choice("app", CATEGORY_APPS)?;
    Ok(Json(public::categories(&ctx, app).await?))
}

#[utoipa::path(
    get, path = "/api/tags/", tag = "taxonomy", operation_id = "tags_list",
    responses((status = 200, body = Vec<TagOut>), (status = 500, body = Detail))
)]
async fn tags(State(ctx): State<Ctx>) -> ApiResult<Json<Vec<TagOut>>> {
    Ok(Json(public::tags(&ctx).await?))
}

#[utoipa::path(
    get, path = "/api/options/", tag = "taxonomy", operation_id = "options_list",
    responses((status = 200, body = Vec<OptionOut>), (status = 500, body = Detail))
)]
async fn options(State(ctx): State<Ctx>) -> ApiResult<Json<Vec<OptionOut>>> {
    Ok(Json(public::options(&ctx).await?))
}
