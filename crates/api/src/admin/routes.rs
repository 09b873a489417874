//! The HTTP side of an admin resource: generic handlers and the OpenAPI operations that
//! document them, both made from the one declaration.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Json};
use sea_orm::{ColumnTrait, EntityTrait};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem, Paths,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, Ref, RefOr, Required, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use super::jobs::{self, BulkJob};
use super::query::ListQuery;
use super::service::{self, BulkAction, BulkResult};
use super::version::{IfMatch, VERSION_COLUMN, Versioned, if_match_param};
use super::{Actor, AdminResource, Column, InUse, OnDelete, Publishable, Write};
use crate::ApiResult;
use crate::context::Ctx;
use crate::input::BULK_IDS_MAX;
use crate::input::{Fields, JsonObject, Mode};
use crate::pagination::{PageRequest, Paginated};
use crate::path::Id;
use crate::query::UrlQuery;

/// The OpenAPI extension on each write operation naming the model whose change it publishes,
/// so the invalidation map's completeness can be checked from the document.
pub const INVALIDATES_EXTENSION: &str = "x-strata-invalidates";
/// The OpenAPI extension on each admin list operation naming every model the resource's
/// screens show (its own first): the admin SPA's "which screen a change makes stale".
pub const SHOWS_EXTENSION: &str = "x-strata-shows";

type Schemas = Vec<(String, RefOr<Schema>)>;

/// List, create, retrieve, update (PUT, PATCH) and delete of `R`, with their documentation.
pub fn routes<R: AdminResource>() -> OpenApiRouter<Ctx>
where
    Column<R>: ColumnTrait,
    <R::Table as EntityTrait>::Model: Sync,
{
    let doc = Doc::<R>::new();
    let collection = MethodRouter::new().get(list::<R>).post(create::<R>);
    let member = get(retrieve::<R>)
        .put(update::<R>)
        .patch(partial_update::<R>)
        .delete(destroy::<R>);
    OpenApiRouter::new()
        .routes((doc.schemas(), doc.collection(), collection))
        .routes((Vec::new(), doc.member(), member))
}

/// `POST {id}/status/`, `POST bulk/` and the bulk jobs (`POST bulk/jobs/`,
/// `GET bulk/jobs/{job_id}/`) of a resource with a status.
pub fn publishable_routes<R: Publishable>() -> OpenApiRouter<Ctx>
where
    Column<R>: ColumnTrait,
{
    let doc = Doc::<R>::new();
    let mut schemas = Vec::new();
    schema_of::<BulkResult>(&mut schemas);
    let mut job_schemas = Vec::new();
    schema_of::<BulkJob>(&mut job_schemas);
    OpenApiRouter::new()
        .routes((Vec::new(), doc.status(), post(status::<R>)))
        .routes((schemas, doc.bulk(), post(bulk::<R>)))
        .routes((job_schemas, doc.bulk_jobs(), post(bulk_job_create::<R>)))
        .routes((Vec::new(), doc.bulk_job(), get(bulk_job_retrieve::<R>)))
}

async fn list<R: AdminResource>(
    State(ctx): State<Ctx>,
    url: UrlQuery,
) -> ApiResult<Json<Paginated<R::Item>>>
where
    Column<R>: ColumnTrait,
    <R::Table as EntityTrait>::Model: Sync,
{
    let query = ListQuery::read::<R>(&url)?;
    let page = PageRequest::from_query(&url, ctx.settings.page_size, ctx.settings.max_page_size)?;
    let found = service::list::<R>(&ctx, &query, page).await?;
    Ok(Json(found.respond(page, &url)?))
}

async fn create<R: AdminResource>(
    State(ctx): State<Ctx>,
    body: JsonObject,
) -> ApiResult<(StatusCode, Versioned<R::Out>)> {
    let input = R::parse(body.without(VERSION_COLUMN), Mode::Create)?;
    let out = service::create::<R>(&ctx, input).await?;
    Ok((StatusCode::CREATED, out))
}

async fn retrieve<R: AdminResource>(
    State(ctx): State<Ctx>,
    Id(id): Id,
) -> ApiResult<Versioned<R::Out>> {
    service::retrieve::<R>(&ctx, id).await
}

/// The signed-in user, when a route guard left one.
type Signed = Option<Extension<Actor>>;

fn actor(signed: Signed) -> Option<Actor> {
    signed.map(|Extension(actor)| actor)
}

async fn update<R: AdminResource>(
    State(ctx): State<Ctx>,
    signed: Signed,
    Id(id): Id,
    precondition: IfMatch,
    body: JsonObject,
) -> ApiResult<Versioned<R::Out>> {
    write::<R>(ctx, signed, id, precondition, body, Mode::Replace).await
}

async fn partial_update<R: AdminResource>(
    State(ctx): State<Ctx>,
    signed: Signed,
    Id(id): Id,
    precondition: IfMatch,
    body: JsonObject,
) -> ApiResult<Versioned<R::Out>> {
    write::<R>(ctx, signed, id, precondition, body, Mode::Patch).await
}

/// PUT and PATCH: they differ only in which fields the body must hold.
async fn write<R: AdminResource>(
    ctx: Ctx,
    signed: Signed,
    id: i64,
    precondition: IfMatch,
    body: JsonObject,
    mode: Mode,
) -> ApiResult<Versioned<R::Out>> {
    // The version is read-only: `If-Match` carries the precondition.
    let input = R::parse(body.without(VERSION_COLUMN), mode)?;
    R::refuse(actor(signed), id, Write::Update(&input))?;
    service::update::<R>(&ctx, id, input, &precondition).await
}

async fn destroy<R: AdminResource>(
    State(ctx): State<Ctx>,
    signed: Signed,
    Id(id): Id,
    precondition: IfMatch,
    url: UrlQuery,
) -> ApiResult<StatusCode> {
    let on_delete = OnDelete::from_query(R::IN_USE, &url)?;
    R::refuse(actor(signed), id, Write::Delete)?;
    service::delete::<R>(&ctx, id, on_delete, &precondition).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body: `{"status": "<one of R::STATUSES>"}`.
async fn status<R: Publishable>(
    State(ctx): State<Ctx>,
    Id(id): Id,
    precondition: IfMatch,
    body: JsonObject,
) -> ApiResult<Versioned<R::Out>> {
    let mut fields = Fields::new(body, false);
    let status = fields.choice("status", true, R::STATUSES);
    let status = fields.finish(status)?;
    let status =
        status.ok_or_else(|| crate::ApiError::field("status", "This field is required."))?;
    service::set_status::<R>(&ctx, id, status, &precondition).await
}

/// Body: `{"action": "status", "status": "archived", "ids": [1, 2]}` or
/// `{"action": "delete", "ids": [1, 2]}`.
async fn bulk<R: Publishable>(
    State(ctx): State<Ctx>,
    body: JsonObject,
) -> ApiResult<Json<BulkResult>> {
    let (action, ids) = bulk_input(body, R::STATUSES)?;
    Ok(Json(service::bulk::<R>(&ctx, action, &ids).await?))
}

fn bulk_input(body: JsonObject, statuses: &[&'static str]) -> ApiResult<(BulkAction, Vec<i64>)> {
    let mut f = Fields::new(body, false);
    let action = bulk_action(&mut f, statuses);
    let ids = f.bulk_ids("ids");
    let parsed = f.finish((action, ids))?;
    match parsed {
        (Some(action), Some(ids)) => Ok((action, ids)),
        // Unreachable in practice: a missing field was reported by `finish`.
        _ => Err(crate::ApiError::field("ids", "This field is required.")),
    }
}

/// `action`, and `status` when the action is `status`.
fn bulk_action(f: &mut Fields, statuses: &[&'static str]) -> Option<BulkAction> {
    match f.choice("action", true, BULK_ACTIONS) {
        Some("status") => f.choice("status", true, statuses).map(BulkAction::Status),
        Some(_) => Some(BulkAction::Delete),
        None => None,
    }
}

const BULK_ACTIONS: &[&str] = &["status", "delete"];

/// Body: `{"action": "status", "status": "archived", "filter": {"q": "…", "status": "draft"}}`
/// or `{"action": "delete", "filter": {…}}`; `filter` holds the list's query parameters and is
/// validated as the list validates them. Answers `202` with the job.
async fn bulk_job_create<R: Publishable>(
    State(ctx): State<Ctx>,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<BulkJob>)>
where
    Column<R>: ColumnTrait,
{
    let mut f = Fields::new(body, false);
    let action = bulk_action(&mut f, R::STATUSES);
    let query = match f.object("filter", true).map(jobs::read_filter::<R>) {
        Some(Ok(query)) => Some(query),
        Some(Err(problems)) => {
            for problem in problems {
                f.error("filter", problem);
            }
            None
        }
        None => None,
    };
    let (action, query) = match f.finish((action, query))? {
        (Some(action), Some(query)) => (action, query),
        // Unreachable in practice: a missing field was reported by `finish`.
        _ => return Err(crate::ApiError::field("filter", "This field is required.")),
    };
    let job = jobs::create::<R>(&ctx, action, &query).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

async fn bulk_job_retrieve<R: Publishable>(
    State(ctx): State<Ctx>,
    Id(id): Id,
) -> ApiResult<Json<BulkJob>> {
    Ok(Json(jobs::retrieve::<R>(&ctx, id).await?))
}

/// `T`'s schema and the schemas it refers to, for the document's components.
fn schema_of<T: ToSchema>(schemas: &mut Schemas) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

/// PATCH's body, `Patched<Input>` (drf-spectacular's name): the input with no field required.
fn patched_name<T: ToSchema>() -> String {
    format!("Patched{}", T::name())
}

fn patched<T: ToSchema>() -> RefOr<Schema> {
    let mut schema = T::schema();
    if let RefOr::T(Schema::Object(object)) = &mut schema {
        object.required.clear();
    }
    schema
}

/// The OpenAPI operations of one resource.
struct Doc<R>(std::marker::PhantomData<R>);

impl<R: AdminResource> Doc<R> {
    fn new() -> Self {
        Doc(std::marker::PhantomData)
    }

    fn schemas(&self) -> Schemas {
        let mut schemas = Vec::new();
        schema_of::<R::Out>(&mut schemas);
        schema_of::<R::Item>(&mut schemas);
        schema_of::<R::Input>(&mut schemas);
        schemas.push((patched_name::<R::Input>(), patched::<R::Input>()));
        schemas.push((
            Versioned::<R::Out>::schema_name(),
            Versioned::<R::Out>::schema(),
        ));
        schemas
    }

    /// One object with its version, and the `ETag` that carries it.
    fn versioned(description: &str) -> utoipa::openapi::Response {
        let mut response = json(
            description,
            RefOr::Ref(Ref::from_schema_name(Versioned::<R::Out>::schema_name())),
        );
        response.headers.insert(
            "ETag".to_owned(),
            RefOr::T(
                utoipa::openapi::header::HeaderBuilder::new()
                    .schema(Some(String::schema()))
                    .description(Some("The row's version as a strong entity tag: `\"7\"`."))
                    .build(),
            ),
        );
        response
    }

    /// A write of one row that honours `If-Match`.
    fn conditional(op: OperationBuilder) -> OperationBuilder {
        op.parameter(if_match_param()).response(
            "412",
            Self::versioned(
                "`If-Match` named another version: nothing was written; the object as it is now",
            ),
        )
    }

    fn collection_path() -> String {
        format!("/api/admin/{}/", R::PLURAL)
    }

    fn member_path(suffix: &str) -> String {
        format!("/api/admin/{}/{{id}}/{suffix}", R::PLURAL)
    }

    /// An operation with this resource's id, tag and authentication.
    fn operation(action: &str, summary: String) -> OperationBuilder {
        OperationBuilder::new()
            .operation_id(Some(format!("admin_{}_{action}", R::PLURAL)))
            .tag(R::TAG)
            .summary(Some(summary))
            .security(SecurityRequirement::new("token", Vec::<String>::new()))
            .security(SecurityRequirement::new("session", Vec::<String>::new()))
            .response("401", detail("Not authenticated"))
            .response("403", detail("Not allowed for this role, or CSRF failed"))
    }

    /// A write: documents its body, its 400, and the model whose change it publishes.
    fn write(action: &str, summary: String, body: Option<RefOr<Schema>>) -> OperationBuilder {
        let mut op = Self::operation(action, summary)
            .response(
                "400",
                json("Invalid input", reference::<crate::FieldErrors>()),
            )
            .response("415", detail("Not JSON"))
            .extensions(Some(
                ExtensionsBuilder::new()
                    .add(INVALIDATES_EXTENSION, serde_json::json!(R::ENTITY))
                    .build(),
            ));
        if let Some(schema) = body {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content("application/json", Content::new(Some(schema)))
                    .build(),
            ));
        }
        op
    }

    fn collection(&self) -> Paths {
        let noun = R::PLURAL;
        let mut list = Self::operation("list", format!("List {noun}"))
            .description(Some(format!(
                "One page of {noun}: filtered, searched (`q`) and ordered (`ordering`) as the \
                 parameters say."
            )))
            .response("200", json("One page", paginated(reference::<R::Item>())))
            .response(
                "400",
                json("A bad filter", reference::<crate::FieldErrors>()),
            )
            .response("404", detail("Invalid page"))
            .extensions(Some(
                ExtensionsBuilder::new()
                    .add(
                        SHOWS_EXTENSION,
                        serde_json::json!([&[R::ENTITY], R::SHOWS].concat()),
                    )
                    .build(),
            ));
        for param in ListQuery::<R::Filters>::params::<R>() {
            list = list.parameter(param);
        }
        for name in ["page", "page_size"] {
            list = list.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1)),
                    )),
            );
        }
        let create = Self::write(
            "create",
            format!("Create {}", a(R::NOUN)),
            Some(reference::<R::Input>()),
        )
        .response("201", Self::versioned("Created"));
        let item = PathItem::new(HttpMethod::Get, list);
        let mut paths = Paths::new();
        paths.paths.insert(Self::collection_path(), item);
        paths.add_path_operation(Self::collection_path(), vec![HttpMethod::Post], create);
        paths
    }

    fn member(&self) -> Paths {
        let with_id = |op: OperationBuilder| {
            op.parameter(id_param())
                .response("404", detail("Not found"))
        };
        let retrieve = with_id(Self::operation(
            "retrieve",
            format!("Retrieve {}", a(R::NOUN)),
        ))
        .response("200", Self::versioned("Found"));
        let update = Self::conditional(with_id(Self::write(
            "update",
            format!("Replace {}", a(R::NOUN)),
            Some(reference::<R::Input>()),
        )))
        .description(Some("Every required field, as on create.".to_owned()))
        .response("200", Self::versioned("Updated"));
        let partial = Self::conditional(with_id(Self::write(
            "partial_update",
            format!("Update {}", a(R::NOUN)),
            Some(RefOr::Ref(
                Ref::from_schema_name(patched_name::<R::Input>()),
            )),
        )))
        .response("200", Self::versioned("Updated"));
        let mut destroy = Self::conditional(with_id(Self::write(
            "destroy",
            format!("Delete {}", a(R::NOUN)),
            None,
        )))
        .response("204", ResponseBuilder::new().description("Deleted").build());
        if let Some((name, description)) = R::IN_USE.parameter() {
            let schema = match R::IN_USE {
                InUse::Force => ObjectBuilder::new().schema_type(Type::Boolean),
                _ => ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1)),
            };
            destroy = destroy
                .parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Query)
                        .required(Required::False)
                        .description(Some(description))
                        .schema(Some(schema)),
                )
                .response("409", detail("In use, and no instruction given"));
        }
        let path = Self::member_path("");
        let mut paths = Paths::new();
        paths.add_path_operation(&path, vec![HttpMethod::Get], retrieve);
        paths.add_path_operation(&path, vec![HttpMethod::Put], update);
        paths.add_path_operation(&path, vec![HttpMethod::Patch], partial);
        paths.add_path_operation(&path, vec![HttpMethod::Delete], destroy);
        paths
    }
}

impl<R: Publishable> Doc<R> {
    fn status(&self) -> Paths {
        let body = ObjectBuilder::new()
            .property("status", crate::openapi::choices(R::STATUSES))
            .required("status");
        let op = Self::conditional(Self::write(
            "status",
            format!("Set {}'s status", a(R::NOUN)),
            Some(body.into()),
        ))
        .parameter(id_param())
        .response("200", Self::versioned("Updated"))
        .response("404", detail("Not found"));
        let mut paths = Paths::new();
        paths.add_path_operation(Self::member_path("status/"), vec![HttpMethod::Post], op);
        paths
    }

    fn bulk(&self) -> Paths {
        let body = ObjectBuilder::new()
            .property("action", crate::openapi::choices(BULK_ACTIONS))
            .required("action")
            .property(
                "ids",
                ArrayBuilder::new()
                    .items(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1)),
                    )
                    .min_items(Some(1))
                    .max_items(Some(BULK_IDS_MAX)),
            )
            .required("ids")
            .property("status", crate::openapi::choices(R::STATUSES))
            .description(Some(
                "`status` is required when `action` is `status`. All or nothing.",
            ));
        let op = Self::write(
            "bulk",
            format!("Change or delete several {}", R::PLURAL),
            Some(body.into()),
        )
        .response("200", json("Done", reference::<BulkResult>()));
        let mut paths = Paths::new();
        paths.add_path_operation(
            format!("/api/admin/{}/bulk/", R::PLURAL),
            vec![HttpMethod::Post],
            op,
        );
        paths
    }

    fn bulk_jobs_path() -> String {
        format!("/api/admin/{}/bulk/jobs/", R::PLURAL)
    }

    fn bulk_jobs(&self) -> Paths {
        // The filter documents the list's own query parameters, from the same declaration.
        let mut filter = ObjectBuilder::new().description(Some(
            "The list's query parameters, validated as the list validates them (`page` and \
             `page_size` are ignored: every matching row is taken).",
        ));
        for param in ListQuery::<R::Filters>::params::<R>() {
            if let Some(schema) = param.schema {
                filter = filter.property(param.name, schema);
            }
        }
        let body = ObjectBuilder::new()
            .property("action", crate::openapi::choices(BULK_ACTIONS))
            .required("action")
            .property("status", crate::openapi::choices(R::STATUSES))
            .property("filter", filter)
            .required("filter")
            .description(Some(
                "`status` is required when `action` is `status`. The ids the filter matches are \
                 taken when the job is created (a filter matching none, or more than the \
                 configured maximum, is a 400); the job then changes them in batches, each one \
                 transaction and one invalidation.",
            ));
        let op = Self::write(
            "bulk_jobs_create",
            format!("Start a bulk job on {}", R::PLURAL),
            Some(body.into()),
        )
        .description(Some(format!(
            "Changes the status of, or deletes, every one of {} the filter matches, in batches.",
            R::PLURAL
        )))
        .response("202", json("Started", reference::<BulkJob>()));
        let mut paths = Paths::new();
        paths.add_path_operation(Self::bulk_jobs_path(), vec![HttpMethod::Post], op);
        paths
    }

    fn bulk_job(&self) -> Paths {
        let op = Self::operation(
            "bulk_jobs_retrieve",
            format!("Retrieve a bulk job on {}", R::PLURAL),
        )
        .description(Some("Its progress and per-row errors.".to_owned()))
        .parameter(id_param().name("job_id"))
        .response("200", json("Found", reference::<BulkJob>()))
        .response("404", detail("Not found"));
        let mut paths = Paths::new();
        paths.add_path_operation(
            format!("{}{{job_id}}/", Self::bulk_jobs_path()),
            vec![HttpMethod::Get],
            op,
        );
        paths
    }
}

/// "a category", "an option": a summary's object.
fn a(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

fn id_param() -> ParameterBuilder {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        ))
}

fn json(description: &str, schema: RefOr<Schema>) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(schema)))
        .build()
}

fn detail(description: &str) -> utoipa::openapi::Response {
    json(description, reference::<crate::Detail>())
}

/// DRF's page: `{count, next, previous, results}`.
fn paginated(item: RefOr<Schema>) -> RefOr<Schema> {
    let nullable_url = || {
        ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
    };
    ObjectBuilder::new()
        .property("count", ObjectBuilder::new().schema_type(Type::Integer))
        .required("count")
        .property("next", nullable_url())
        .required("next")
        .property("previous", nullable_url())
        .required("previous")
        .property("results", ArrayBuilder::new().items(item))
        .required("results")
        .into()
}
