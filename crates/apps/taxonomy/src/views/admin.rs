//! `/api/admin/{categories,tags,options}/`: each resource's list, create, retrieve, update and
//! delete, from its one declaration in `services::admin`. The binary mounts this router behind
//! the content roles' guard.

use strata_api::Ctx;
use strata_api::admin::routes;
use utoipa_axum::router::OpenApiRouter;

use crate::services::admin::{Categories, Options, Tags};

pub fn router() -> OpenApiRouter<Ctx> {
    routes::<Categories>()
        .merge(routes::<Tags>())
        .merge(routes::<Options>())
}
