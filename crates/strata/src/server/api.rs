//! The REST API: every app's routes, the OpenAPI document built from them (`/api/schema/`)
//! and its docs UI (`/api/docs/`, in `docs`).

mod docs;

use std::sync::Arc;

use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use strata_api::{Ctx, Detail, FieldErrors};
use strata_users::auth::require_role;
use strata_users::roles::{self, Role};
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

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

/// Every app's routes, grouped by who may call them. An app adds a route to one of these
/// groups, so an admin route cannot exist without its guard: the role check belongs to the
/// group (`tests/authorization.rs` walks the document to prove it).
struct Apps {
    /// Anyone: published content, login.
    public: OpenApiRouter<Ctx>,
    /// Any signed-in staff user: `me`, logout.
    staff: OpenApiRouter<Ctx>,
    /// Admins and editors: every content app's admin resources.
    content: OpenApiRouter<Ctx>,
}

fn apps() -> Apps {
    Apps {
        public: OpenApiRouter::with_openapi(ApiDoc::openapi())
            .merge(strata_users::public_router())
            .merge(strata_taxonomy::public_router())
            .merge(strata_real_estate::public_router()),
        staff: strata_users::staff_router(),
        // Taxonomy is told which apps' rows use its terms (deleting one in use is refused).
        content: strata_taxonomy::admin_router::<strata_real_estate::TermUses>()
            .merge(strata_real_estate::admin_router()),
    }
}

/// The OpenAPI document, as `/api/schema/` serves it.
pub fn document() -> Document {
    let Apps {
        public,
        staff,
        content,
    } = apps();
    public.merge(staff).merge(content).split_for_parts().1
}

/// `group`'s routes, each behind the role guard for `roles`.
fn guarded(ctx: &Ctx, roles: &'static [Role], group: OpenApiRouter<Ctx>) -> OpenApiRouter<Ctx> {
    group.route_layer(middleware::from_fn_with_state(
        (ctx.clone(), roles),
        require_role,
    ))
}

/// Public reads answer in the language `Accept-Language` asks for (when `?lang=` does not say):
/// an HTTP cache must keep the answers apart.
async fn vary_on_language(mut response: Response) -> Response {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-language"));
    response
}

pub fn routes(ctx: Ctx) -> Router {
    let Apps {
        public,
        staff,
        content,
    } = apps();
    let (router, document) = public
        .layer(middleware::map_response(vary_on_language))
        .merge(guarded(&ctx, roles::STAFF, staff))
        .merge(guarded(&ctx, roles::CONTENT, content))
        .split_for_parts();
    let schema = Arc::new(document);
    router
        .with_state(ctx)
        .route(
            "/api/schema/",
            get(move || std::future::ready(Json(schema.as_ref().clone()))),
        )
        .merge(docs::routes())
}
