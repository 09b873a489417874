//! The invalidation map is complete: every write endpoint of the API publishes a change for a
//! model, and every model's rule reaches what embeds it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use strata::invalidation::{Plan, plan, rule};
use strata_api::{Change, Entity, Op};
use strata_real_estate::cache as property;
use strata_taxonomy::cache as taxonomy;

/// Write endpoints that change no cached data (sessions).
const NOT_DATA: &[&str] = &["auth_login", "auth_logout"];

#[test]
fn every_write_endpoint_publishes_a_change_for_a_model_with_a_rule() {
    let registered: Vec<(&str, Entity)> = strata_taxonomy::MUTATIONS
        .iter()
        .chain(strata_real_estate::MUTATIONS)
        .copied()
        .collect();
    let document = strata::server::openapi_document();
    let mut writes = BTreeSet::new();
    for (path, item) in &document.paths.paths {
        for (method, operation) in [
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ] {
            let Some(operation) = operation else { continue };
            let id = operation.operation_id.clone().unwrap_or_default();
            if NOT_DATA.contains(&id.as_str()) {
                continue;
            }
            let entity = registered
                .iter()
                .find(|(op, _)| *op == id)
                .map(|(_, e)| *e)
                .unwrap_or_else(|| {
                    panic!("{method} {path} ({id}) has no entry in the invalidation map")
                });
            assert!(
                !rule(entity).namespaces.is_empty(),
                "{entity:?} invalidates nothing"
            );
            writes.insert(id);
        }
    }
    let registered_ids: BTreeSet<String> =
        registered.iter().map(|(id, _)| (*id).to_owned()).collect();
    assert_eq!(
        writes, registered_ids,
        "registered operations that are not endpoints"
    );
}

#[test]
fn a_category_rename_reaches_every_property_list_and_detail() {
    let Plan {
        namespaces,
        keys,
        tags,
    } = plan(&Change::new(
        Entity::Category,
        Op::Update,
        vec![3],
        vec!["villa".into(), "villas".into()],
    ));
    for ns in [
        taxonomy::CATEGORIES,
        taxonomy::CATEGORY_LIST,
        property::PUBLIC_LIST,
        property::PUBLIC_DETAIL,
        property::ADMIN_LIST,
    ] {
        assert!(namespaces.contains(&ns), "{ns} missing");
    }
    assert!(keys.is_empty());
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    assert_eq!(
        tags,
        [
            "categories",
            "category:villa",
            "category:villas",
            "properties"
        ]
    );
}

#[test]
fn a_property_change_invalidates_its_detail_key_and_every_list() {
    let plan = plan(&Change::new(Entity::Property, Op::Bulk, vec![4, 9], vec![]));
    assert_eq!(
        plan.namespaces,
        vec![property::PUBLIC_LIST, property::ADMIN_LIST]
    );
    let keys: Vec<&str> = plan.keys.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        ["public:property:detail:4", "public:property:detail:9"]
    );
    assert!(plan.tags.contains("property:9") && plan.tags.contains("properties"));
}
