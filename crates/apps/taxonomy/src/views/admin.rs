//! `/api/admin/{categories,tags,options}/`: list (cached 30 s), create, retrieve, update,
//! delete. Editors and admins only; every write is published to the invalidation map.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use strata_api::{
    ApiResult, Ctx, Detail, Entity, FieldErrors, Id, JsonObject, Mode, PageRequest, Paginated,
    UrlQuery,
};
use strata_users::auth::Editor;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::selectors::ListFilter;
use crate::serializers::{
    self, CATEGORY_APPS, CategoryInput, CategoryOut, OptionInput, OptionOut, TagInput, TagOut,
};
use crate::services::admin;

/// Every write endpoint of this app and the model its changes are published for; the binary's
/// test checks that each mutation in the OpenAPI document is listed here.
pub const MUTATIONS: &[(&str, Entity)] = &[
    ("admin_categories_create", Entity::Category),
    ("admin_categories_update", Entity::Category),
    ("admin_categories_partial_update", Entity::Category),
    ("admin_categories_destroy", Entity::Category),
    ("admin_tags_create", Entity::Tag),
    ("admin_tags_update", Entity::Tag),
    ("admin_tags_partial_update", Entity::Tag),
    ("admin_tags_destroy", Entity::Tag),
    ("admin_options_create", Entity::Option),
    ("admin_options_update", Entity::Option),
    ("admin_options_partial_update", Entity::Option),
    ("admin_options_destroy", Entity::Option),
];

pub fn router() -> OpenApiRouter<Ctx> {
    OpenApiRouter::new()
        .routes(routes!(category_list, category_create))
        .routes(routes!(
            category_retrieve,
            category_update,
            category_partial_update,
            category_destroy
        ))
        .routes(routes!(tag_list, tag_create))
        .routes(routes!(
            tag_retrieve,
            tag_update,
            tag_partial_update,
            tag_destroy
        ))
        .routes(routes!(option_list, option_create))
        .routes(routes!(
            option_retrieve,
            option_update,
            option_partial_update,
            option_destroy
        ))
}

/// `?q=&ordering=&page=&page_size=` (and `app` for categories).
fn list_request(
    ctx: &Ctx,
    query: &UrlQuery,
    orderings: &[&'static str],
    with_app: bool,
) -> ApiResult<(ListFilter, PageRequest)> {
    let app = if with_app {
        query.choice("app", CATEGORY_APPS)?
    } else {
        None
    };
    let filter = ListFilter {
        app,
        q: query.text("q"),
        ordering: query.choice("ordering", orderings)?.unwrap_or("id"),
    };
    let page = PageRequest::from_query(query, ctx.settings.page_size, ctx.settings.max_page_size)?;
    Ok((filter, page))
}

const CATEGORY_ORDERING: &[&str] = &["id", "-id", "name", "-name", "position", "-position"];
const TAG_ORDERING: &[&str] = &["id", "-id", "name", "-name"];
const OPTION_ORDERING: &[&str] = &[
    "id",
    "-id",
    "name",
    "-name",
    "group",
    "-group",
    "position",
    "-position",
];

#[utoipa::path(
    get, path = "/api/admin/categories/", tag = "admin: taxonomy", operation_id = "admin_categories_list",
    params(
        ("app" = Option<String>, Query), ("q" = Option<String>, Query, description = "Name contains"),
        ("ordering" = Option<String>, Query), ("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query),
    ),
    responses(
        (status = 200, body = Paginated<CategoryOut>), (status = 400, body = FieldErrors),
        (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail, description = "Invalid page"),
    )
)]
async fn category_list(
    State(ctx): State<Ctx>,
    _: Editor,
    query: UrlQuery,
) -> ApiResult<Json<Paginated<CategoryOut>>> {
    let (filter, page) = list_request(&ctx, &query, CATEGORY_ORDERING, true)?;
    Ok(Json(
        admin::category_list(&ctx, &filter, page)
            .await?
            .respond(page, &query)?,
    ))
}

#[utoipa::path(
    post, path = "/api/admin/categories/", tag = "admin: taxonomy", operation_id = "admin_categories_create",
    request_body = CategoryInput,
    responses((status = 201, body = CategoryOut), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail))
)]
async fn category_create(
    State(ctx): State<Ctx>,
    _: Editor,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<CategoryOut>)> {
    let input = serializers::category_input(body, Mode::Create)?;
    let out = ctx
        .publish(admin::create_category(&ctx, input).await?)
        .await;
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(
    get, path = "/api/admin/categories/{id}/", tag = "admin: taxonomy", operation_id = "admin_categories_retrieve",
    params(("id" = i64, Path)),
    responses((status = 200, body = CategoryOut), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn category_retrieve(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
) -> ApiResult<Json<CategoryOut>> {
    Ok(Json(admin::category(&ctx, id).await?))
}

#[utoipa::path(
    put, path = "/api/admin/categories/{id}/", tag = "admin: taxonomy", operation_id = "admin_categories_update",
    params(("id" = i64, Path)), request_body = CategoryInput,
    responses((status = 200, body = CategoryOut), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn category_update(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<CategoryOut>> {
    category_write(ctx, id, body, Mode::Replace).await
}

#[utoipa::path(
    patch, path = "/api/admin/categories/{id}/", tag = "admin: taxonomy", operation_id = "admin_categories_partial_update",
    params(("id" = i64, Path)), request_body = CategoryInput,
    responses((status = 200, body = CategoryOut), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn category_partial_update(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<CategoryOut>> {
    category_write(ctx, id, body, Mode::Patch).await
}

async fn category_write(
    ctx: Ctx,
    id: i64,
    body: JsonObject,
    mode: Mode,
) -> ApiResult<Json<CategoryOut>> {
    let input: CategoryInput = serializers::category_input(body, mode)?;
    Ok(Json(
        ctx.publish(admin::update_category(&ctx, id, input).await?)
            .await,
    ))
}

#[utoipa::path(
    delete, path = "/api/admin/categories/{id}/", tag = "admin: taxonomy", operation_id = "admin_categories_destroy",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn category_destroy(State(ctx): State<Ctx>, _: Editor, Id(id): Id) -> ApiResult<StatusCode> {
    ctx.publish(admin::delete_category(&ctx, id).await?).await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/admin/tags/", tag = "admin: taxonomy", operation_id = "admin_tags_list",
    params(("q" = Option<String>, Query), ("ordering" = Option<String>, Query), ("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query)),
    responses(
        (status = 200, body = Paginated<TagOut>), (status = 400, body = FieldErrors),
        (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail, description = "Invalid page"),
    )
)]
async fn tag_list(
    State(ctx): State<Ctx>,
    _: Editor,
    query: UrlQuery,
) -> ApiResult<Json<Paginated<TagOut>>> {
    let (filter, page) = list_request(&ctx, &query, TAG_ORDERING, false)?;
    Ok(Json(
        admin::tag_list(&ctx, &filter, page)
            .await?
            .respond(page, &query)?,
    ))
}

#[utoipa::path(
    post, path = "/api/admin/tags/", tag = "admin: taxonomy", operation_id = "admin_tags_create",
    request_body = TagInput,
    responses((status = 201, body = TagOut), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail))
)]
async fn tag_create(
    State(ctx): State<Ctx>,
    _: Editor,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<TagOut>)> {
    let input = serializers::tag_input(body, Mode::Create)?;
    let out = ctx.publish(admin::create_tag(&ctx, input).await?).await;
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(
    get, path = "/api/admin/tags/{id}/", tag = "admin: taxonomy", operation_id = "admin_tags_retrieve",
    params(("id" = i64, Path)),
    responses((status = 200, body = TagOut), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn tag_retrieve(State(ctx): State<Ctx>, _: Editor, Id(id): Id) -> ApiResult<Json<TagOut>> {
    Ok(Json(admin::tag(&ctx, id).await?))
}

#[utoipa::path(
    put, path = "/api/admin/tags/{id}/", tag = "admin: taxonomy", operation_id = "admin_tags_update",
    params(("id" = i64, Path)), request_body = TagInput,
    responses((status = 200, body = TagOut), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn tag_update(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<TagOut>> {
    tag_write(ctx, id, body, Mode::Replace).await
}

#[utoipa::path(
    patch, path = "/api/admin/tags/{id}/", tag = "admin: taxonomy", operation_id = "admin_tags_partial_update",
    params(("id" = i64, Path)), request_body = TagInput,
    responses((status = 200, body = TagOut), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn tag_partial_update(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<TagOut>> {
    tag_write(ctx, id, body, Mode::Patch).await
}

async fn tag_write(ctx: Ctx, id: i64, body: JsonObject, mode: Mode) -> ApiResult<Json<TagOut>> {
    let input: TagInput = serializers::tag_input(body, mode)?;
    Ok(Json(
        ctx.publish(admin::update_tag(&ctx, id, input).await?).await,
    ))
}

#[utoipa::path(
    delete, path = "/api/admin/tags/{id}/", tag = "admin: taxonomy", operation_id = "admin_tags_destroy",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn tag_destroy(State(ctx): State<Ctx>, _: Editor, Id(id): Id) -> ApiResult<StatusCode> {
    ctx.publish(admin::delete_tag(&ctx, id).await?).await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/admin/options/", tag = "admin: taxonomy", operation_id = "admin_options_list",
    params(("q" = Option<String>, Query), ("ordering" = Option<String>, Query), ("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query)),
    responses(
        (status = 200, body = Paginated<OptionOut>), (status = 400, body = FieldErrors),
        (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail, description = "Invalid page"),
    )
)]
async fn option_list(
    State(ctx): State<Ctx>,
    _: Editor,
    query: UrlQuery,
) -> ApiResult<Json<Paginated<OptionOut>>> {
    let (filter, page) = list_request(&ctx, &query, OPTION_ORDERING, false)?;
    Ok(Json(
        admin::option_list(&ctx, &filter, page)
            .await?
            .respond(page, &query)?,
    ))
}

#[utoipa::path(
    post, path = "/api/admin/options/", tag = "admin: taxonomy", operation_id = "admin_options_create",
    request_body = OptionInput,
    responses((status = 201, body = OptionOut), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail))
)]
async fn option_create(
    State(ctx): State<Ctx>,
    _: Editor,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<OptionOut>)> {
    let input = serializers::option_input(body, Mode::Create)?;
    let out = ctx.publish(admin::create_option(&ctx, input).await?).await;
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(
    get, path = "/api/admin/options/{id}/", tag = "admin: taxonomy", operation_id = "admin_options_retrieve",
    params(("id" = i64, Path)),
    responses((status = 200, body = OptionOut), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn option_retrieve(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
) -> ApiResult<Json<OptionOut>> {
    Ok(Json(admin::option(&ctx, id).await?))
}

#[utoipa::path(
    put, path = "/api/admin/options/{id}/", tag = "admin: taxonomy", operation_id = "admin_options_update",
    params(("id" = i64, Path)), request_body = OptionInput,
    responses((status = 200, body = OptionOut), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn option_update(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<OptionOut>> {
    option_write(ctx, id, body, Mode::Replace).await
}

#[utoipa::path(
    patch, path = "/api/admin/options/{id}/", tag = "admin: taxonomy", operation_id = "admin_options_partial_update",
    params(("id" = i64, Path)), request_body = OptionInput,
    responses((status = 200, body = OptionOut), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn option_partial_update(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<OptionOut>> {
    option_write(ctx, id, body, Mode::Patch).await
}

async fn option_write(
    ctx: Ctx,
    id: i64,
    body: JsonObject,
    mode: Mode,
) -> ApiResult<Json<OptionOut>> {
    let input: OptionInput = serializers::option_input(body, mode)?;
    Ok(Json(
        ctx.publish(admin::update_option(&ctx, id, input).await?)
            .await,
    ))
}

#[utoipa::path(
    delete, path = "/api/admin/options/{id}/", tag = "admin: taxonomy", operation_id = "admin_options_destroy",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn option_destroy(State(ctx): State<Ctx>, _: Editor, Id(id): Id) -> ApiResult<StatusCode> {
    ctx.publish(admin::delete_option(&ctx, id).await?).await;
    Ok(StatusCode::NO_CONTENT)
}
