//! `/api/admin/properties/`: list (cached 30 s), CRUD, status, bulk and media. Editors and
//! admins only; every write is published to the invalidation map.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use strata_api::{
    ApiError, ApiResult, Ctx, Detail, Entity, FieldErrors, Id, JsonObject, Mode, PageRequest,
    Paginated, UrlQuery,
};
use strata_media::ImageOut;
use strata_media::upload::read_image_upload;
use strata_users::auth::Editor;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::filters;
use crate::serializers::{self, PropertyDetail, PropertyInput, PropertyListItem};
use crate::services::admin::{self, BulkResult};

/// Every write endpoint of this app and the model its changes are published for; the binary's
/// test checks that each mutation in the OpenAPI document is listed here.
pub const MUTATIONS: &[(&str, Entity)] = &[
    ("admin_properties_create", Entity::Property),
    ("admin_properties_update", Entity::Property),
    ("admin_properties_partial_update", Entity::Property),
    ("admin_properties_destroy", Entity::Property),
    ("admin_properties_status", Entity::Property),
    ("admin_properties_bulk", Entity::Property),
    ("admin_properties_images_create", Entity::Property),
    ("admin_properties_images_reorder", Entity::Property),
    ("admin_properties_images_destroy", Entity::Property),
];

pub fn router() -> OpenApiRouter<Ctx> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, partial_update, destroy))
        .routes(routes!(status))
        .routes(routes!(bulk))
        .routes(routes!(image_create))
        .routes(routes!(image_reorder))
        .routes(routes!(image_destroy))
}

#[utoipa::path(
    get, path = "/api/admin/properties/", tag = "admin: properties", operation_id = "admin_properties_list",
    params(
        ("status" = Option<String>, Query, description = "draft, published or archived"), ("deal" = Option<String>, Query),
        ("category" = Option<i64>, Query), ("featured" = Option<bool>, Query), ("q" = Option<String>, Query),
        ("ordering" = Option<String>, Query, description = "-updated_at (default), price, title, -published_at…"),
        ("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query),
    ),
    responses(
        (status = 200, body = Paginated<PropertyListItem>), (status = 400, body = FieldErrors),
        (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail, description = "Invalid page"),
    )
)]
async fn list(
    State(ctx): State<Ctx>,
    _: Editor,
    query: UrlQuery,
) -> ApiResult<Json<Paginated<PropertyListItem>>> {
    let filter = filters::admin(&query)?;
    let page = PageRequest::from_query(&query, ctx.settings.page_size, ctx.settings.max_page_size)?;
    Ok(Json(
        admin::list(&ctx, &filter, page)
            .await?
            .respond(page, &query)?,
    ))
}

#[utoipa::path(
    post, path = "/api/admin/properties/", tag = "admin: properties", operation_id = "admin_properties_create",
    request_body = PropertyInput,
    responses((status = 201, body = PropertyDetail), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail))
)]
async fn create(
    State(ctx): State<Ctx>,
    _: Editor,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<PropertyDetail>)> {
    let input = serializers::property_input(body, Mode::Create)?;
    let out = ctx.publish(admin::create(&ctx, input).await?).await;
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(
    get, path = "/api/admin/properties/{id}/", tag = "admin: properties", operation_id = "admin_properties_retrieve",
    params(("id" = i64, Path)),
    responses((status = 200, body = PropertyDetail), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn retrieve(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
) -> ApiResult<Json<PropertyDetail>> {
    Ok(Json(admin::retrieve(&ctx, id).await?))
}

#[utoipa::path(
    put, path = "/api/admin/properties/{id}/", tag = "admin: properties", operation_id = "admin_properties_update",
    params(("id" = i64, Path)), request_body = PropertyInput,
    responses((status = 200, body = PropertyDetail), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn update(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<PropertyDetail>> {
    write(ctx, id, body, Mode::Replace).await
}

#[utoipa::path(
    patch, path = "/api/admin/properties/{id}/", tag = "admin: properties", operation_id = "admin_properties_partial_update",
    params(("id" = i64, Path)), request_body = PropertyInput,
    responses((status = 200, body = PropertyDetail), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn partial_update(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<PropertyDetail>> {
    write(ctx, id, body, Mode::Patch).await
}

async fn write(ctx: Ctx, id: i64, body: JsonObject, mode: Mode) -> ApiResult<Json<PropertyDetail>> {
    let input = serializers::property_input(body, mode)?;
    Ok(Json(
        ctx.publish(admin::update(&ctx, id, input).await?).await,
    ))
}

#[utoipa::path(
    delete, path = "/api/admin/properties/{id}/", tag = "admin: properties", operation_id = "admin_properties_destroy",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn destroy(State(ctx): State<Ctx>, _: Editor, Id(id): Id) -> ApiResult<StatusCode> {
    ctx.publish(admin::delete(&ctx, id).await?).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Body: `{"status": "draft" | "published" | "archived"}`.
#[utoipa::path(
    post, path = "/api/admin/properties/{id}/status/", tag = "admin: properties", operation_id = "admin_properties_status",
    params(("id" = i64, Path)), request_body = Object,
    responses((status = 200, body = PropertyDetail), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn status(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<PropertyDetail>> {
    let status = serializers::status_input(body)?;
    Ok(Json(
        ctx.publish(admin::set_status(&ctx, id, status).await?)
            .await,
    ))
}

/// Body: `{"action": "status", "status": "archived", "ids": [1, 2]}` or
/// `{"action": "delete", "ids": [1, 2]}`. All or nothing.
#[utoipa::path(
    post, path = "/api/admin/properties/bulk/", tag = "admin: properties", operation_id = "admin_properties_bulk",
    request_body = Object,
    responses((status = 200, body = BulkResult), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail))
)]
async fn bulk(State(ctx): State<Ctx>, _: Editor, body: JsonObject) -> ApiResult<Json<BulkResult>> {
    let input = serializers::bulk_input(body)?;
    Ok(Json(ctx.publish(admin::bulk(&ctx, input).await?).await))
}

/// Multipart form: `file` (PNG, JPEG, GIF or WebP) and optional `alt`.
#[utoipa::path(
    post, path = "/api/admin/properties/{id}/images/", tag = "admin: properties", operation_id = "admin_properties_images_create",
    params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", content = Object),
    responses(
        (status = 201, body = ImageOut), (status = 400, body = FieldErrors), (status = 401, body = Detail),
        (status = 403, body = Detail), (status = 404, body = Detail), (status = 413, body = Detail), (status = 415, body = Detail),
    )
)]
async fn image_create(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<ImageOut>)> {
    let multipart = multipart.map_err(|e| ApiError::UnsupportedMediaType(e.body_text()))?;
    let upload = read_image_upload(multipart, ctx.settings.upload_max_bytes).await?;
    let image = ctx.publish(admin::add_image(&ctx, id, upload).await?).await;
    Ok((StatusCode::CREATED, Json(image)))
}

/// Body: `{"ids": [3, 1, 2]}`, every image of the property exactly once.
#[utoipa::path(
    post, path = "/api/admin/properties/{id}/images/reorder/", tag = "admin: properties", operation_id = "admin_properties_images_reorder",
    params(("id" = i64, Path)), request_body = Object,
    responses((status = 200, body = Vec<ImageOut>), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn image_reorder(
    State(ctx): State<Ctx>,
    _: Editor,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<Vec<ImageOut>>> {
    let ids = serializers::reorder_input(body)?;
    Ok(Json(
        ctx.publish(admin::reorder_images(&ctx, id, ids).await?)
            .await,
    ))
}

#[utoipa::path(
    delete, path = "/api/admin/properties/{id}/images/{image_id}/", tag = "admin: properties", operation_id = "admin_properties_images_destroy",
    params(("id" = i64, Path), ("image_id" = i64, Path)),
    responses((status = 204), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn image_destroy(
    State(ctx): State<Ctx>,
    _: Editor,
    Path((id, image_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (Ok(id), Ok(image_id)) = (id.parse::<i64>(), image_id.parse::<i64>()) else {
        return Err(ApiError::NotFound);
    };
    ctx.publish(admin::delete_image(&ctx, id, image_id).await?)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
