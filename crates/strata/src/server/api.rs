//! The REST API: every app's routes, the OpenAPI document built from them (`/api/schema/`)
//! and its docs UI (`/api/docs/`).

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use strata_api::{Ctx, Detail, FieldErrors};
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_scalar::{Scalar, Servable};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Strata API",
        description = "DRF-compatible REST API: public reads (cached in the data cache) and the admin API. \
            Pagination `{count, next, previous, results}`; errors `{\"detail\"}` or `{\"field\": [messages]}`."
    ),
    components(schemas(Detail, FieldErrors)),
    modifiers(&Security)
)]
struct ApiDoc;

/// Admin endpoints accept `Authorization: Token <key>` or the session cookie (plus
/// `X-CSRFToken` on unsafe methods).
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Token <key>`, from `strata token create --user U`",
            ))),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "sessionid",
                "From `POST /api/auth/login`; send the `csrftoken` cookie's value as `X-CSRFToken` on unsafe methods",
            ))),
        );
    }
}

fn apps() -> OpenApiRouter<Ctx> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(strata_users::router())
        .merge(strata_taxonomy::router())
        .merge(strata_real_estate::router())
}

/// The OpenAPI document, as `/api/schema/` serves it.
pub fn document() -> Document {
    apps().split_for_parts().1
}

pub fn routes(ctx: Ctx) -> Router {
    let (router, document) = apps().split_for_parts();
    let schema = Arc::new(document.clone());
    router
        .with_state(ctx)
        .route(
            "/api/schema/",
            get(move || std::future::ready(Json(schema.as_ref().clone()))),
        )
        .merge(Scalar::with_url("/api/docs/", document))
}
