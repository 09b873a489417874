//! The Redis Cluster the cache suites can run on: a private cluster forms with a replica per
//! primary, a fred client reaches it from Strata's comma-separated URL, and a failover keeps
//! every written key (the replicas were in sync).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use fred::interfaces::KeysInterface;
use support::cluster::Cluster;

const KEYS: i64 = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_survives_the_failover_of_a_primary() {
    let Some(cluster) = Cluster::start("cluster-setup") else {
        return;
    };
    let client = support::redis_client(&cluster.url()).await;
    for i in 0..KEYS {
        let () = client
            .set(format!("key:{i}"), i, None, None, false)
            .await
            .expect("set");
    }

    let primaries = cluster.primaries();
    assert_eq!(primaries.len(), 3, "three primaries: {primaries:?}");
    let old = primaries[0];
    let replica = cluster.replica_of(old);
    cluster.failover(replica).await;
    let now = cluster.primaries();
    assert!(
        now.contains(&replica) && !now.contains(&old),
        "{replica} took over from {old}: {now:?}"
    );

    // The same client: it follows the moved slots.
    for i in 0..KEYS {
        let value: Option<i64> = client.get(format!("key:{i}")).await.expect("get");
        assert_eq!(value, Some(i), "key:{i} after the failover");
    }
}
