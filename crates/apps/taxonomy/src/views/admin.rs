//! `/api/admin/{categories,tags,options}/`: each resource's list, create, retrieve, update and
//! delete, from its one declaration in `services::admin`. The binary mounts this router behind
//! the content roles' guard.

use strata_api::Ctx;
use strata_api::admin::routes;
use utoipa_axum::router::OpenApiRouter;

use crate::services::admin::{Categories, Options, Tags};
use crate::usage::TermUsers;

/// `U`: the apps whose rows use terms, which deleting a term in use must respect.
pub fn router<U: TermUsers>() -> OpenApiRouter<Ctx> {
    routes::<Categories<U>>()
        .merge(routes::<Tags<U>>())
        .merge(routes::<Options<U>>())
}
