//! `GET /api/properties/` and `/api/properties/{id}/`: published properties only.

use axum::extract::State;
use strata_api::lang::{LANG_PARAM, LangCode};
use strata_api::{
    ApiResult, Ctx, Detail, FieldErrors, Id, JsonBody, Lang, Page, PageRequest, Paginated, UrlQuery,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::filters::{self, PUBLIC_ORDERING};
use crate::serializers::{Deal, PropertyDetail, PropertyListItem};
use crate::services::public;

strata_api::choice_schema!(
    /// `?ordering=` of the public list: one of [`PUBLIC_ORDERING`].
    PropertyOrdering = PUBLIC_ORDERING
);

pub fn router() -> OpenApiRouter<Ctx> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(detail))
}

/// Published properties, filtered. Unknown parameters are ignored (and never split the cache).
#[utoipa::path(
    get, path = "/api/properties/", tag = "properties", operation_id = "properties_list",
    summary = "List properties",
    params(
        ("category" = Option<String>, Query, description = "Category slug (its subcategories included)"),
        ("city" = Option<String>, Query, description = "A city's name in either language (case and Persian spelling variants ignored)"), ("deal" = inline(Option<Deal>), Query),
        ("min_price" = Option<String>, Query, description = "Decimal"), ("max_price" = Option<String>, Query, description = "Decimal"),
        ("rooms" = Option<u32>, Query), ("q" = Option<String>, Query, description = "Title, city or district contains, in either language"),
        ("tag" = Option<String>, Query, description = "Tag slug"), ("featured" = Option<bool>, Query),
        ("ordering" = inline(Option<PropertyOrdering>), Query, description = "Default `-published_at`"),
        ("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query, description = "At most 100"),
        ("lang" = inline(Option<LangCode>), Query, description = LANG_PARAM),
    ),
    responses(
        (status = 200, body = Paginated<PropertyListItem>, description = "One page"),
        (status = 400, body = FieldErrors, description = "A bad filter value"),
        (status = 404, body = Detail, description = "Invalid page"),
    )
)]
async fn list(State(ctx): State<Ctx>, lang: Lang, query: UrlQuery) -> ApiResult<JsonBody> {
    let filter = filters::public(&query, lang)?;
    let page = PageRequest::from_query(&query, ctx.settings.page_size, ctx.settings.max_page_size)?;
    let cached = public::list_json(&ctx, &filter, page).await?;
    Ok(JsonBody(Page::respond_json(&cached, page, &query)?))
}

#[utoipa::path(
    get, path = "/api/properties/{id}/", tag = "properties", operation_id = "properties_retrieve",
    summary = "Retrieve a property",
    params(("id" = i64, Path), ("lang" = inline(Option<LangCode>), Query, description = LANG_PARAM)),
    responses(
        (status = 200, body = PropertyDetail, description = "A published property"),
        (status = 404, body = Detail, description = "No published property has this id"),
    )
)]
async fn detail(State(ctx): State<Ctx>, Id(id): Id, lang: Lang) -> ApiResult<JsonBody> {
    Ok(public::detail_json(&ctx, id, lang).await?.into())
}
