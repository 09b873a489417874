//! `/api/admin/properties/`: list (cached 30 s), CRUD, status and bulk from the resource's one
//! declaration (`services::admin::Properties`), plus the property's images. The binary mounts
//! this router behind the content roles' guard.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use strata_api::admin::{publishable_routes, routes};
use strata_api::{ApiError, ApiResult, Ctx, Detail, FieldErrors, Id, JsonObject};
use strata_media::ImageOut;
use strata_media::upload::read_image_upload;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::serializers;
use crate::services::admin::{self, Properties};

pub fn router() -> OpenApiRouter<Ctx> {
    routes::<Properties>()
        .merge(publishable_routes::<Properties>())
        .routes(routes!(image_create))
        .routes(routes!(image_reorder))
        .routes(routes!(image_destroy))
}

/// Multipart form: `file` (PNG, JPEG, GIF or WebP) and optional `alt`.
#[utoipa::path(
    post, path = "/api/admin/properties/{id}/images/", tag = "admin: properties", operation_id = "admin_properties_images_create",
    extensions(("x-strata-invalidates" = json!("property"))),
    params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", content = Object),
    responses(
        (status = 201, body = ImageOut), (status = 400, body = FieldErrors), (status = 401, body = Detail),
        (status = 403, body = Detail), (status = 404, body = Detail), (status = 413, body = Detail), (status = 415, body = Detail),
    )
)]
async fn image_create(
    State(ctx): State<Ctx>,
    Id(id): Id,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<ImageOut>)> {
    let multipart = multipart.map_err(|e| ApiError::UnsupportedMediaType(e.body_text()))?;
    let upload = read_image_upload(multipart, ctx.settings.upload_max_bytes).await?;
    let image = admin::add_image(&ctx, id, upload).await?;
    Ok((StatusCode::CREATED, Json(image)))
}

/// Body: `{"ids": [3, 1, 2]}`, every image of the property exactly once.
#[utoipa::path(
    post, path = "/api/admin/properties/{id}/images/reorder/", tag = "admin: properties", operation_id = "admin_properties_images_reorder",
    extensions(("x-strata-invalidates" = json!("property"))),
    params(("id" = i64, Path)), request_body = Object,
    responses((status = 200, body = Vec<ImageOut>), (status = 400, body = FieldErrors), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn image_reorder(
    State(ctx): State<Ctx>,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<Vec<ImageOut>>> {
    let ids = serializers::reorder_input(body)?;
    Ok(Json(admin::reorder_images(&ctx, id, ids).await?))
}

#[utoipa::path(
    delete, path = "/api/admin/properties/{id}/images/{image_id}/", tag = "admin: properties", operation_id = "admin_properties_images_destroy",
    extensions(("x-strata-invalidates" = json!("property"))),
    params(("id" = i64, Path), ("image_id" = i64, Path)),
    responses((status = 204), (status = 401, body = Detail), (status = 403, body = Detail), (status = 404, body = Detail))
)]
async fn image_destroy(
    State(ctx): State<Ctx>,
    Path((id, image_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (Ok(id), Ok(image_id)) = (id.parse::<i64>(), image_id.parse::<i64>()) else {
        return Err(ApiError::NotFound);
    };
    admin::delete_image(&ctx, id, image_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
