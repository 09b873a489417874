//! A slow reader racing a writer through the HTTP API, on two `strata serve` processes sharing
//! PostgreSQL and Redis. The interleaving is forced, not hoped for: the test locks the image
//! table, so the reader's loader stops after it has read the old rows and before it can fill;
//! the writer commits and invalidates meanwhile; then the reader is released. Its late fill
//! must be refused (its lease was invalidated), so the next request on either instance is fresh.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::api::Api;
use common::{Backend, Site};
use reqwest::Method;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

#[tokio::test]
async fn slow_reader_never_leaves_a_stale_value_across_two_instances() {
    let Some(site) = Site::new(Backend::Production, "slow_reader_race").await else {
        return;
    };
    assert!(
        site.run(&["seed", "--demo", "--properties", "20"])
            .status
            .success()
    );
    let token = site.token("racer", "editor");
    let reader_server = site.serve();
    let writer_server = site.serve();
    let reader = Api::new(&reader_server, None);
    let writer = Api::new(&writer_server, Some(&token));

    let list = reader.ok("/api/properties/?page_size=1").await;
    let id = list["results"][0]["id"].as_i64().unwrap();
    let category = list["results"][0]["category"]["id"].as_i64().unwrap();
    let detail = format!("/api/properties/{id}/");
    let list_path = "/api/properties/?page_size=1&city=";

    for (round, path) in [
        (1, detail.clone()),
        (
            2,
            format!(
                "{list_path}{}",
                list["results"][0]["city"].as_str().unwrap()
            ),
        ),
    ] {
        let db = sea_orm::Database::connect(&site.database_url)
            .await
            .unwrap();
        let lock = db.begin().await.unwrap();
        lock.execute_unprepared("LOCK TABLE media_image IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();

        // The reader misses, takes the lease, reads the property and blocks on its images.
        let slow = tokio::spawn({
            let url = reader_server.url(&path);
            async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!slow.is_finished(), "the reader must be held by the lock");

        // The writer renames the category; its response means committed and invalidated.
        let name = format!("Renamed {round}");
        let (status, _) = writer
            .json(
                Method::PATCH,
                &format!("/api/admin/categories/{category}/"),
                json!({"name": name}),
            )
            .await;
        assert_eq!(status, 200);

        lock.rollback().await.unwrap();
        let late = slow.await.unwrap();
        assert!(
            !late.contains(&name),
            "the reader read before the write: {late}"
        );

        // First requests after the acknowledged mutation, on both instances: fresh.
        for api in [&reader, &Api::new(&writer_server, None)] {
            let body = api.ok(&path).await.to_string();
            assert!(body.contains(&name), "stale after round {round}: {body}");
        }
    }
}

#[tokio::test]
async fn a_mutation_through_one_instance_is_fresh_on_the_other() {
    let Some(site) = Site::new(Backend::Production, "two_instances").await else {
        return;
    };
    assert!(
        site.run(&["seed", "--demo", "--properties", "10"])
            .status
            .success()
    );
    let token = site.token("twin", "editor");
    let a = site.serve();
    let b = site.serve();
    let on_b = Api::new(&b, None);
    let before = on_b.ok("/api/properties/").await;
    let id = before["results"][0]["id"].as_i64().unwrap();
    let detail = format!("/api/properties/{id}/");
    on_b.ok(&detail).await;
    let (status, _) = Api::new(&a, Some(&token))
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{id}/"),
            json!({"title": "Changed on A"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(on_b.ok(&detail).await["title"], "Changed on A");
    assert_eq!(
        on_b.ok("/api/properties/").await["results"][0]["title"],
        "Changed on A"
    );
}
