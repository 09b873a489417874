//! `/api/admin/properties/`: list (cached 30 s), CRUD, status and bulk from the resource's one
//! declaration (`services::admin::Properties`), plus the property's images. The binary mounts
//! this router behind the content roles' guard.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use strata_api::admin::{publishable_routes, routes};
use strata_api::{ApiError, ApiResult, Ctx, Detail, FieldErrors, Id, JsonObject};
use strata_media::serializers::ImageUpload;
use strata_media::upload::read_image_upload;
use strata_media::{ImageForm, ImageOut};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::serializers::{self, ImageOrder};
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
    summary = "Add an image to a property",
    extensions(("x-strata-invalidates" = json!("property"))),
    params(("id" = i64, Path)), security(("token" = []), ("session" = [])),
    request_body(content_type = "multipart/form-data", content = ImageUpload),
    responses(
        (status = 201, body = ImageOut, description = "Added last in the property's order"),
        (status = 400, body = FieldErrors, description = "No file, not an image, or a bad `alt`"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not allowed for this role, or CSRF failed"),
        (status = 404, body = Detail, description = "No property has this id"),
        (status = 413, body = Detail, description = "The body is over the upload limit"),
        (status = 415, body = Detail, description = "Not `multipart/form-data` with a boundary"),
    )
)]
async fn image_create(
    State(ctx): State<Ctx>,
    Id(id): Id,
    ImageForm(multipart): ImageForm,
) -> ApiResult<(StatusCode, Json<ImageOut>)> {
    let upload = read_image_upload(multipart, ctx.settings.upload_max_bytes).await?;
    let image = admin::add_image(&ctx, id, upload).await?;
    Ok((StatusCode::CREATED, Json(image)))
}

/// Body: `{"ids": [3, 1, 2]}`, every image of the property exactly once.
#[utoipa::path(
    post, path = "/api/admin/properties/{id}/images/reorder/", tag = "admin: properties", operation_id = "admin_properties_images_reorder",
    summary = "Reorder a property's images",
    extensions(("x-strata-invalidates" = json!("property"))),
    params(("id" = i64, Path)), security(("token" = []), ("session" = [])), request_body = ImageOrder,
    responses(
        (status = 200, body = Vec<ImageOut>, description = "The images in their new order"),
        (status = 400, body = FieldErrors, description = "Not every image exactly once"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not allowed for this role, or CSRF failed"),
        (status = 404, body = Detail, description = "No property has this id"),
        (status = 415, body = Detail, description = "Not JSON"),
    )
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
    summary = "Delete a property's image",
    extensions(("x-strata-invalidates" = json!("property"))),
    params(("id" = i64, Path), ("image_id" = i64, Path)), security(("token" = []), ("session" = [])),
    responses(
        (status = 204, description = "Deleted, and its file removed"),
        (status = 401, body = Detail, description = "Not authenticated"),
        (status = 403, body = Detail, description = "Not allowed for this role, or CSRF failed"),
        (status = 404, body = Detail, description = "No such image of this property"),
    )
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
