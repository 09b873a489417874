//! The REST API: every app's routes, the OpenAPI document built from them (`/api/schema/`)
//! and its docs UI (`/api/docs/`, in `docs`).

mod cache;
mod docs;

use std::sync::Arc;

use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use strata_api::{Ctx, Detail, FieldErrors};

use super::headers::{PurgedCdn, purgeable};
use strata_users::auth::require_role;
use strata_users::roles::{self, Role};
use strata_web::Site;
use strata_web::money::Currency;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::cdn::Purges;

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
    staff: Group,
    /// Admins and editors: every content app's admin resources.
    content: Group,
    /// Admins only: staff accounts, the cache dashboard.
    admins: Group,
}

/// Routes and the roles that may call them: the same list guards the routes and is written
/// into each of their operations as [`ROLES_EXTENSION`], so the document says who may call
/// what (the admin SPA hides what a role cannot use; the authorization test walks it).
struct Group {
    roles: &'static [Role],
    router: OpenApiRouter<Ctx>,
}

/// The OpenAPI extension on every guarded operation listing the roles that may call it.
pub const ROLES_EXTENSION: &str = "x-strata-roles";

impl Group {
    fn new(roles: &'static [Role], mut router: OpenApiRouter<Ctx>) -> Self {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        for item in router.get_openapi_mut().paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                operation
                    .extensions
                    .get_or_insert_with(Default::default)
                    .merge(
                        ExtensionsBuilder::new()
                            .add(ROLES_EXTENSION, serde_json::json!(names))
                            .build(),
                    );
            }
        }
        Group { roles, router }
    }

    /// The routes, each behind the role guard for the group's roles.
    fn guarded(self, ctx: &Ctx) -> OpenApiRouter<Ctx> {
        self.router.route_layer(middleware::from_fn_with_state(
            (ctx.clone(), self.roles),
            require_role,
        ))
    }
}

fn apps() -> Apps {
    Apps {
        public: OpenApiRouter::with_openapi(ApiDoc::openapi())
            .merge(strata_users::public_router())
            .merge(strata_taxonomy::public_router())
            .merge(strata_real_estate::public_router()),
        staff: Group::new(roles::STAFF, strata_users::staff_router()),
        content: Group::new(
            roles::CONTENT,
            strata_taxonomy::admin_router().merge(strata_real_estate::admin_router()),
        ),
        admins: Group::new(
            roles::ADMINS,
            strata_users::admin_router().merge(cache::router()),
        ),
    }
}

/// The OpenAPI document, as `/api/schema/` serves it.
pub fn document() -> Document {
    let Apps {
        public,
        staff,
        content,
        admins,
    } = apps();
    public
        .merge(staff.router)
        .merge(content.router)
        .merge(admins.router)
        .split_for_parts()
        .1
}

/// Public reads answer in the language `Accept-Language` asks for (when `?lang=` does not say):
/// an HTTP cache must keep the answers apart.
async fn vary_on_language(mut response: Response) -> Response {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-language"));
    response
}

/// The served document says which currency amounts are in, a deployment's setting
/// (`web.currency`, `web.irr_unit`): in `info.description`, for people, and in
/// `info.x-strata-currency` (`{code, display_unit, display_divisor}`), for clients such as the
/// admin SPA that show amounts as the site does.
pub fn with_currency(mut document: Document, currency: &Currency) -> Document {
    let described = currency.describe();
    let shown = match currency.factor() {
        1 => format!(
            "shown as is ({})",
            described["display_unit"].as_str().unwrap_or_default()
        ),
        factor => format!(
            "shown by the site in {}s (the amount ÷ {factor})",
            described["display_unit"].as_str().unwrap_or_default()
        ),
    };
    document.info.description = Some(format!(
        "{}\n\nAmounts (`price`, `deposit`, the `min_price` and `max_price` filters) are decimal \
         strings in {} (ISO 4217, the deployment's `web.currency`), {shown}; \
         `info.x-strata-currency` says the same for clients.",
        document.info.description.as_deref().unwrap_or_default(),
        currency.code,
    ));
    document
        .info
        .extensions
        .get_or_insert_with(Default::default)
        .insert("x-strata-currency".to_owned(), described);
    document
}

/// The served document as a reader of the docs UI meets it: its `servers` is the configured
/// site (never a request's `Host`), so the UI's samples work when pasted; public operations'
/// tags come before the admin's.
pub fn for_readers(mut document: Document, site_origin: &str) -> Document {
    if !site_origin.is_empty() {
        document.servers = Some(vec![utoipa::openapi::Server::new(site_origin)]);
    }
    let mut names: Vec<String> = document
        .paths
        .paths
        .values()
        .flat_map(|item| {
            [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
                .flat_map(|op| op.tags.clone().unwrap_or_default())
        })
        .collect();
    names.sort_by_key(|name| (name.starts_with("admin"), name.clone()));
    names.dedup();
    document.tags = Some(
        names
            .into_iter()
            .map(utoipa::openapi::tag::Tag::new)
            .collect(),
    );
    document
}

pub fn routes(ctx: Ctx, site: &Site, purges: Arc<Purges>) -> Router {
    let cdn = PurgedCdn(
        purges
            .is_configured()
            .then(|| site.settings().surrogates.clone()),
    );
    let Apps {
        public,
        staff,
        content,
        admins,
    } = apps();
    let (router, document) = public
        .layer(middleware::map_response(vary_on_language))
        .layer(middleware::from_fn_with_state(cdn, purgeable))
        .merge(staff.guarded(&ctx))
        .merge(content.guarded(&ctx))
        .merge(admins.guarded(&ctx))
        .split_for_parts();
    let schema = Arc::new(for_readers(
        with_currency(document, &site.settings().currency),
        &ctx.settings.site_origin,
    ));
    router
        // The cache dashboard's stats read the site's HTML cache and the CDN purges' backlog.
        .layer(Extension(site.html().clone()))
        .layer(Extension(purges))
        .with_state(ctx)
        .route(
            "/api/schema/",
            get(move || std::future::ready(Json(schema.as_ref().clone()))),
        )
        .merge(docs::routes())
}
