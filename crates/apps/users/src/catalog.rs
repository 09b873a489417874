//! Users publish changes like every app (one path: journal, commit) but cache nothing, so
//! their entity has no web tags and no view: a change reaches only views of other apps that
//! embed a user (a post's author).

use strata_api::catalog::{AppData, EntityDecl, USER};

pub static DATA: AppData = AppData {
    name: "users",
    entities: &[EntityDecl {
        entity: USER,
        all: None,
        by_id: None,
        by_slug: None,
    }],
    views: &[],
    term_refs: &[],
    schedules: &[],
};
