//! Several `strata serve` processes on one PostgreSQL and one Redis (or the Redis Cluster that
//! `STRATA_TEST_REDIS_URL` names, as `scripts/test` reruns it): every instance's HTML
//! cache follows mutations made through any other, a notice an instance never received still
//! expires its pages before it serves them, and a reconnected bus drops the whole HTML cache.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::api::Api;
use common::web::{get, ok};
use common::{Backend, Server, Site};
use reqwest::Method;
use serde_json::json;

/// One Redis command over RESP to the server at `addr`, for what the test does behind Strata's
/// back: the reply's first line (an error keeps its `-`), or its bulk string.
fn command(addr: &str, args: &[&str]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut command = format!("*{}\r\n", args.len());
    for arg in args {
        command.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(command.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    match line.strip_prefix('$') {
        Some(len) => match len.trim().parse::<usize>() {
            Ok(len) => {
                let mut bulk = vec![0; len + 2];
                reader.read_exact(&mut bulk).unwrap();
                String::from_utf8_lossy(&bulk[..len]).into_owned()
            }
            Err(_) => String::new(),
        },
        None => line.trim().to_owned(),
    }
}

/// A command on a key, sent to the tests' Redis; on a cluster, to the node that owns the key's
/// slot (the one a `-MOVED <slot> <host:port>` reply names).
fn redis(args: &[&str]) -> String {
    let reply = command(&common::redis_addr(), args);
    match reply
        .strip_prefix("-MOVED ")
        .and_then(|moved| moved.split_whitespace().nth(1))
    {
        Some(owner) => command(owner, args),
        None => reply,
    }
}

/// The address of every node of the cluster, or of the one Redis when it is not a cluster.
fn nodes() -> Vec<String> {
    let seed = common::redis_addr();
    let nodes = command(&seed, &["CLUSTER", "NODES"]);
    if nodes.starts_with('-') {
        return vec![seed];
    }
    // `<id> <ip:port@bus[,hostname]> …`
    nodes
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(|address| address.split(['@', ',']).next().unwrap().to_owned())
        .collect()
}

/// The deployment's bus keys: `<ENV>:<project>:_strata:bus…`.
fn bus(site: &Site, suffix: &str) -> String {
    let env = &site.env.iter().find(|(k, _)| k == "ENV").unwrap().1;
    format!("{env}:myproject:_strata:bus{suffix}")
}

async fn seeded(test: &str) -> Option<(Site, String)> {
    let site = Site::new(Backend::Production, test).await?;
    assert!(
        site.run(&["seed", "--demo", "--properties", "20"])
            .status
            .success()
    );
    let token = site.token("editor1", "editor");
    Some((site, token))
}

async fn warm(servers: &[Server], paths: &[&str]) {
    for server in servers {
        for path in paths {
            ok(server, path).await;
            assert_eq!(
                ok(server, path).await.cache(),
                "HIT",
                "{path} on {}",
                server.addr
            );
        }
    }
}

#[tokio::test]
async fn two_instances_a_mutation_through_one_is_fresh_on_the_other() {
    fresh_on_every_other(2).await;
}

#[tokio::test]
async fn three_instances_a_mutation_through_one_is_fresh_on_every_other() {
    fresh_on_every_other(3).await;
}

async fn fresh_on_every_other(instances: usize) {
    let Some((site, token)) = seeded(&format!("web_{instances}_instances")).await else {
        return;
    };
    let servers: Vec<Server> = (0..instances).map(|_| site.serve()).collect();
    let first = Api::new(&servers[0], None)
        .ok("/api/properties/?page_size=1")
        .await["results"][0]
        .clone();
    let (id, slug) = (
        first["id"].as_i64().unwrap(),
        first["slug"].as_str().unwrap().to_owned(),
    );
    let category = first["category"].clone();
    let detail = format!("/properties/{slug}/");
    let category_page = format!("/categories/{}/", category["slug"].as_str().unwrap());
    let paths = ["/", "/properties/", detail.as_str(), category_page.as_str()];

    for round in 0..instances {
        // Each instance writes once; the others must show it on their very first request.
        let writer = Api::new(&servers[round], Some(&token));
        warm(&servers, &paths).await;
        let title = format!("Round {round} title");
        let (status, _) = writer
            .json(
                Method::PATCH,
                &format!("/api/admin/properties/{id}/"),
                json!({"title": title}),
            )
            .await;
        assert_eq!(status, 200);
        for (n, server) in servers.iter().enumerate() {
            for path in [detail.as_str(), "/properties/", category_page.as_str()] {
                let page = ok(server, path).await;
                assert!(
                    page.body.contains(&title),
                    "round {round}: {path} on instance {n} is stale"
                );
            }
        }
    }

    // A category rename through the last instance reaches the others' pages that embed it.
    warm(&servers, &paths).await;
    let writer = Api::new(&servers[instances - 1], Some(&token));
    let (status, _) = writer
        .json(
            Method::PATCH,
            &format!("/api/admin/categories/{}/", category["id"]),
            json!({"name": "Renamed everywhere"}),
        )
        .await;
    assert_eq!(status, 200);
    for server in &servers[..instances - 1] {
        assert!(
            ok(server, &detail)
                .await
                .body
                .contains("Renamed everywhere")
        );
        assert!(
            ok(server, &category_page)
                .await
                .body
                .contains("Renamed everywhere")
        );
    }
}

#[tokio::test]
async fn a_notice_this_instance_never_received_still_expires_its_pages() {
    let Some((site, _)) = seeded("web_lost_notice").await else {
        return;
    };
    let server = site.serve();
    warm(std::slice::from_ref(&server), &["/properties/"]).await;
    // A notice numbered but never delivered (as if the message were lost in flight).
    redis(&["INCR", &bus(&site, ":epoch")]);
    let page = ok(&server, "/properties/").await;
    assert_eq!(
        page.cache(),
        "MISS",
        "served from a cache known to be behind"
    );
    assert_eq!(
        ok(&server, "/properties/").await.cache(),
        "HIT",
        "caught up: caching again"
    );
}

#[tokio::test]
async fn a_reconnected_bus_drops_the_whole_html_cache() {
    let Some((site, _)) = seeded("web_bus_reconnect").await else {
        return;
    };
    let server = site.serve();
    let paths = ["/", "/properties/"];
    warm(std::slice::from_ref(&server), &paths).await;
    let name = format!("strata-bus-html:{}", bus(&site, ""));
    let (node, id) = client_id(&name);
    let killed = command(&node, &["CLIENT", "KILL", "ID", &id]);
    assert_eq!(killed, ":1", "{name}");
    // Messages may have been missed while the connection was down: every page renders again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = get(&server, "/").await;
        if page.cache() == "MISS" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the HTML cache survived a bus reconnect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(get(&server, "/properties/").await.cache(), "MISS");
}

/// The node holding the one connection named `name`, and its id there (waiting for it to
/// appear). On a cluster the bus subscribes on the node owning its client id's slot.
fn client_id(name: &str) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut lists = Vec::new();
        for node in nodes() {
            let list = command(&node, &["CLIENT", "LIST", "TYPE", "pubsub"]);
            if let Some(line) = list.lines().find(|l| l.contains(&format!(" name={name} "))) {
                let id = line.split(' ').find_map(|f| f.strip_prefix("id=")).unwrap();
                return (node, id.to_owned());
            }
            lists.push(format!("{node}: {list}"));
        }
        assert!(
            Instant::now() < deadline,
            "no bus connection named {name}: {lists:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
