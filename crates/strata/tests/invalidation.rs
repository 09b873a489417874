//! The invalidation map is complete: every write endpoint of the API, performed for real,
//! publishes the change of the model its operation declares — with the ids and slugs it
//! touched — and every model's rule reaches what embeds it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::Site;
use common::api::{Api, PNG};
use reqwest::Method;
use sea_orm::{DatabaseTransaction, DbErr};
use serde_json::{Value, json};
use strata::apps::catalog;
use strata::invalidation::{Plan, plan};
use strata_api::admin::INVALIDATES_EXTENSION;
use strata_api::catalog::USER;
use strata_api::{Change, ChangeSink, Op, Receipt};
use strata_real_estate::cache as property;
use strata_real_estate::catalog::PROPERTY;
use strata_taxonomy::cache as taxonomy;
use strata_taxonomy::catalog::{CATEGORY, OPTION, TAG};

/// Write endpoints that change no data of record (sessions; the cache dashboard's flag switch
/// and warm, which act on the cache itself).
const NOT_DATA: &[&str] = &[
    "auth_login",
    "auth_logout",
    "admin_cache_flags_update",
    "admin_cache_warm",
];

/// Rows per batch of a bulk job here: small, so that a job runs several batches.
const BATCH: usize = 2;

/// The real sink, recording every change it is handed.
struct Recording {
    inner: Arc<dyn ChangeSink>,
    seen: Arc<Mutex<Vec<Change>>>,
}

#[async_trait]
impl ChangeSink for Recording {
    async fn record(&self, txn: &DatabaseTransaction, change: &Change) -> Result<Receipt, DbErr> {
        self.inner.record(txn, change).await
    }

    async fn committed(&self, change: &Change, receipt: Receipt) {
        self.seen.lock().unwrap().push(change.clone());
        self.inner.committed(change, receipt).await;
    }
}

/// Performs write operations and keeps, per operation id, what each one published.
struct Recorder {
    admin: Api,
    seen: Arc<Mutex<Vec<Change>>>,
    published: BTreeMap<String, Vec<Change>>,
    /// Per job operation, the rows its job took: it publishes one change per batch of them.
    jobs: BTreeMap<String, usize>,
}

impl Recorder {
    async fn call(
        &mut self,
        operation: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        self.seen.lock().unwrap().clear();
        let builder = self.admin.request(method, path);
        let builder = match body {
            Some(body) => builder.json(&body),
            None => builder,
        };
        let (status, answer) = Api::send(builder).await;
        assert!(
            (200..300).contains(&status),
            "{operation}: {status} {answer}"
        );
        self.note(operation);
        answer
    }

    async fn upload(&mut self, operation: &str, path: &str) -> Value {
        self.seen.lock().unwrap().clear();
        let (status, answer) = self.admin.upload(path, PNG, "a.png").await;
        assert_eq!(status, 201, "{operation}: {answer}");
        self.note(operation);
        answer
    }

    /// Starts a bulk job and waits for it to finish: what it published is every batch's change.
    async fn job(&mut self, operation: &str, path: &str, body: Value) -> Value {
        self.seen.lock().unwrap().clear();
        let (status, job) = self.admin.json(Method::POST, path, body).await;
        assert_eq!(status, 202, "{operation}: {job}");
        let one = format!("{path}{}/", id_of(&job));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let done = loop {
            let job = self.admin.ok(&one).await;
            if job["state"] != "running" {
                break job;
            }
            assert!(std::time::Instant::now() < deadline, "{operation}: {job}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!(done["state"], "done", "{operation}: {done}");
        assert_eq!(done["done"], done["total"], "{operation}: {done}");
        self.jobs.insert(
            operation.to_owned(),
            usize::try_from(done["total"].as_u64().unwrap()).unwrap(),
        );
        self.note(operation);
        done
    }

    fn note(&mut self, operation: &str) {
        let changes = std::mem::take(&mut *self.seen.lock().unwrap());
        self.published.insert(operation.to_owned(), changes);
    }
}

/// What each model's change must reach: every cached view that shows it or embeds it, as the
/// apps declare them — its namespace emptied, or the changed ids' own keys in it deleted.
fn assert_reaches_every_view(id: &str, change: &Change, plan: &Plan) {
    let shown = catalog()
        .views()
        .filter(|v| v.shows == change.entity || v.embeds.contains(&change.entity));
    for view in shown {
        let ns = &view.namespace;
        let reached =
            plan.namespaces.contains(ns) || plan.keys.iter().any(|key| key.namespace() == ns);
        assert!(reached, "{id} does not reach {ns}");
    }
}

fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().unwrap()
}

#[tokio::test]
async fn every_write_endpoint_publishes_what_its_operation_declares() {
    let site = Site::new(common::Backend::Embedded, "invalidation_recorded")
        .await
        .unwrap();
    let token = site.token("editor1", "editor");
    let admin_token = site.token("admin1", "admin");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recording = seen.clone();
    let batch = BATCH.to_string();
    let settings = [("STRATA_API__BULK_BATCH_SIZE", batch.as_str())];
    let server = common::inprocess::serve(&site, &settings, |inner| {
        Arc::new(Recording {
            inner,
            seen: recording,
        })
    })
    .await;
    let mut r = Recorder {
        admin: Api::at(server.base.clone(), Some(&token)),
        seen,
        published: BTreeMap::new(),
        jobs: BTreeMap::new(),
    };

    // Every write operation of every resource, in an order that leaves each one something to
    // act on; slugs change on update so that both must be published.
    let mut objects = BTreeMap::new();
    for (plural, body, replacement) in [
        (
            "categories",
            json!({"app": "real_estate", "name": "Villa", "slug": "villa"}),
            json!({"app": "real_estate", "name": "Renamed", "slug": "renamed"}),
        ),
        (
            "tags",
            json!({"name": "Sea view", "slug": "sea-view"}),
            json!({"name": "Renamed", "slug": "renamed"}),
        ),
        (
            "options",
            json!({"name": "Pool", "slug": "pool", "group": "outdoor"}),
            json!({"name": "Renamed", "slug": "renamed", "group": "indoor"}),
        ),
    ] {
        let path = format!("/api/admin/{plural}/");
        let created = r
            .call(
                &format!("admin_{plural}_create"),
                Method::POST,
                &path,
                Some(body),
            )
            .await;
        let one = format!("{path}{}/", id_of(&created));
        r.call(
            &format!("admin_{plural}_update"),
            Method::PUT,
            &one,
            Some(replacement),
        )
        .await;
        r.call(
            &format!("admin_{plural}_partial_update"),
            Method::PATCH,
            &one,
            Some(json!({"slug": "patched"})),
        )
        .await;
        objects.insert(plural, one);
    }
    let body = json!({"title": "Villa", "slug": "villa-1", "deal": "sale", "price": "10", "area": "100", "city": "Shiraz"});
    let created = r
        .call(
            "admin_properties_create",
            Method::POST,
            "/api/admin/properties/",
            Some(body),
        )
        .await;
    let id = id_of(&created);
    let one = format!("/api/admin/properties/{id}/");
    let full = json!({"title": "Villa", "slug": "villa-2", "deal": "rent", "price": "10", "area": "100", "city": "Shiraz"});
    r.call("admin_properties_update", Method::PUT, &one, Some(full))
        .await;
    r.call(
        "admin_properties_partial_update",
        Method::PATCH,
        &one,
        Some(json!({"slug": "villa-3"})),
    )
    .await;
    r.call(
        "admin_properties_status",
        Method::POST,
        &format!("{one}status/"),
        Some(json!({"status": "published"})),
    )
    .await;
    let image = r
        .upload("admin_properties_images_create", &format!("{one}images/"))
        .await;
    r.call(
        "admin_properties_images_reorder",
        Method::POST,
        &format!("{one}images/reorder/"),
        Some(json!({"ids": [id_of(&image)]})),
    )
    .await;
    r.call(
        "admin_properties_images_destroy",
        Method::DELETE,
        &format!("{one}images/{}/", id_of(&image)),
        None,
    )
    .await;
    // A bulk job over a filter matching three properties: two batches, two changes.
    for n in 4..6 {
        let body = json!({"title": "Villa", "slug": format!("villa-{n}"), "deal": "sale", "price": "10", "area": "100", "city": "Shiraz"});
        let (status, created) = r
            .admin
            .json(Method::POST, "/api/admin/properties/", body)
            .await;
        assert_eq!(status, 201, "{created}");
    }
    r.job(
        "admin_properties_bulk_jobs_create",
        "/api/admin/properties/bulk/jobs/",
        json!({"action": "status", "status": "draft", "filter": {"q": "villa"}}),
    )
    .await;
    r.call(
        "admin_properties_bulk",
        Method::POST,
        "/api/admin/properties/bulk/",
        Some(json!({"action": "status", "status": "archived", "ids": [id]})),
    )
    .await;
    r.call("admin_properties_destroy", Method::DELETE, &one, None)
        .await;
    for (plural, one) in &objects {
        r.call(
            &format!("admin_{plural}_destroy"),
            Method::DELETE,
            one,
            None,
        )
        .await;
    }

    // Staff accounts, as an admin (their group).
    r.admin = Api::at(server.base.clone(), Some(&admin_token));
    let user = r
        .call(
            "admin_users_create",
            Method::POST,
            "/api/admin/users/",
            Some(json!({"username": "mina", "role": "editor", "password": "long enough"})),
        )
        .await;
    let one = format!("/api/admin/users/{}/", id_of(&user));
    r.call(
        "admin_users_update",
        Method::PUT,
        &one,
        Some(json!({"username": "mina2", "role": "support"})),
    )
    .await;
    r.call(
        "admin_users_partial_update",
        Method::PATCH,
        &one,
        Some(json!({"is_active": false})),
    )
    .await;
    let made = site.run(&["token", "create", "--user", "mina2"]);
    assert!(made.status.success());
    let tokens = r.admin.ok(&format!("{one}tokens/")).await;
    let token_id = tokens[0]["id"].as_i64().unwrap();
    r.call(
        "admin_users_tokens_destroy",
        Method::DELETE,
        &format!("{one}tokens/{token_id}/"),
        None,
    )
    .await;
    r.call(
        "admin_users_password",
        Method::POST,
        &format!("{one}password/"),
        Some(json!({"password": "another one"})),
    )
    .await;
    r.call("admin_users_destroy", Method::DELETE, &one, None)
        .await;

    // Every write operation of the document was performed, and published what it declares.
    let document = Api::at(server.base.clone(), None).ok("/api/schema/").await;
    let mut writes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let id = operation["operationId"].as_str().unwrap().to_owned();
            if NOT_DATA.contains(&id.as_str()) {
                continue;
            }
            let declared = operation[INVALIDATES_EXTENSION]
                .as_str()
                .and_then(|name| catalog().entity(name))
                .unwrap_or_else(|| {
                    panic!("{method} {path} ({id}) declares no {INVALIDATES_EXTENSION}")
                });
            let changes = r
                .published
                .get(&id)
                .unwrap_or_else(|| panic!("{id} is not exercised here: add it to this test"));
            // A job (answered 202) publishes one change per batch of its rows, each row once;
            // any other write exactly one.
            if operation["responses"].get("202").is_some() {
                let rows = *r
                    .jobs
                    .get(&id)
                    .unwrap_or_else(|| panic!("{id} answers 202: run it with Recorder::job"));
                assert!(rows > BATCH, "{id}: a job of one batch proves nothing");
                assert_eq!(
                    changes.len(),
                    rows.div_ceil(BATCH),
                    "{id} published {changes:?}"
                );
                let ids: BTreeSet<i64> = changes.iter().flat_map(|c| c.ids.clone()).collect();
                assert_eq!(ids.len(), rows, "{id}: each row in one batch: {changes:?}");
                assert!(changes.iter().all(|c| c.ids.len() <= BATCH), "{changes:?}");
            } else {
                assert_eq!(changes.len(), 1, "{id} published {changes:?}");
            }
            for change in changes {
                assert_eq!(change.entity, declared, "{id}");
                assert!(!change.ids.is_empty(), "{id} published no id");
                let plan = plan(change);
                assert_reaches_every_view(&id, change, &plan);
                let by_slug = catalog().rule(declared).and_then(|rule| rule.by_slug);
                for slug in by_slug
                    .iter()
                    .flat_map(|t| change.slugs.iter().map(|s| t.of(s)))
                {
                    assert!(plan.tags.contains(&slug), "{id}: {:?}", plan.tags);
                }
            }
            writes.insert(id);
        }
    }
    assert_eq!(
        writes,
        r.published.keys().cloned().collect::<BTreeSet<_>>(),
        "operations exercised here that the document does not have"
    );
    // Renames publish both slugs, so pages under the old one go too.
    assert_eq!(
        r.published["admin_categories_update"][0].slugs,
        ["renamed", "villa"]
    );
    assert_eq!(
        r.published["admin_properties_partial_update"][0].slugs,
        ["villa-2", "villa-3"]
    );
    assert_eq!(r.published["admin_properties_bulk"][0].ids, [id]);
}

#[test]
fn a_category_rename_reaches_every_property_list_and_detail() {
    let Plan {
        namespaces,
        keys,
        tags,
    } = plan(&Change::new(
        CATEGORY,
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
fn a_property_change_invalidates_its_detail_keys_and_every_list() {
    let plan = plan(&Change::new(PROPERTY, Op::Bulk, vec![4, 9], vec![]));
    assert_eq!(
        plan.namespaces,
        vec![property::PUBLIC_LIST, property::ADMIN_LIST]
    );
    let keys: Vec<&str> = plan.keys.iter().map(|k| k.as_str()).collect();
    // Both languages' detail keys (the default language's is the single-language key).
    assert_eq!(
        keys,
        [
            "public:property:detail:4",
            "public:property:detail:4_en",
            "public:property:detail:9",
            "public:property:detail:9_en"
        ]
    );
    assert!(plan.tags.contains("property:9") && plan.tags.contains("properties"));
}

/// The rules derived from the apps' declarations, written out: what the hand-kept map said
/// before the derivation replaced it. A changed declaration that changes a rule fails here,
/// so the change is deliberate.
#[test]
fn the_derived_rules_are_the_map_as_written_out() {
    let sorted = |namespaces: &[strata_cache::Namespace]| {
        let mut names: Vec<String> = namespaces.iter().map(ToString::to_string).collect();
        names.sort();
        names
    };
    let expected: [(_, &[_], &[&str]); 5] = [
        (
            PROPERTY,
            &[property::PUBLIC_LIST, property::ADMIN_LIST],
            &["properties", "property:7"],
        ),
        (
            CATEGORY,
            &[
                taxonomy::CATEGORIES,
                taxonomy::CATEGORY_LIST,
                property::PUBLIC_LIST,
                property::PUBLIC_DETAIL,
                property::ADMIN_LIST,
            ],
            &["categories", "category:sea", "properties"],
        ),
        (
            TAG,
            &[
                taxonomy::TAGS,
                taxonomy::TAG_LIST,
                property::PUBLIC_LIST,
                property::PUBLIC_DETAIL,
                property::ADMIN_LIST,
            ],
            &["properties", "tag:sea", "tags"],
        ),
        (
            OPTION,
            &[
                taxonomy::OPTIONS,
                taxonomy::OPTION_LIST,
                property::PUBLIC_DETAIL,
            ],
            &["options", "properties"],
        ),
        (USER, &[], &[]),
    ];
    for (entity, namespaces, tags) in expected {
        let plan = plan(&Change::new(
            entity,
            Op::Update,
            vec![7],
            vec!["sea".into()],
        ));
        assert_eq!(sorted(&plan.namespaces), sorted(namespaces), "{entity:?}");
        assert_eq!(
            plan.tags.iter().collect::<Vec<_>>(),
            tags.to_vec(),
            "{entity:?}"
        );
        let own_keys = entity == PROPERTY;
        assert_eq!(
            !plan.keys.is_empty(),
            own_keys,
            "{entity:?}: {:?}",
            plan.keys
        );
    }
    assert_eq!(
        catalog().entities().collect::<Vec<_>>(),
        [CATEGORY, OPTION, PROPERTY, TAG, USER],
        "an entity without its row here"
    );
}
