//! Media storage end to end: the local directory and an S3-compatible server (moto's server mode,
//! from the venv `scripts/test` builds) behind one interface; `/media/` headers; two instances
//! sharing one bucket; names that try to leave the storage.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::api::{Api, PNG};
use common::{Backend, Server, Site};
use serde_json::json;
use strata_api::MediaStorage;
use strata_media::LocalDirStorage;
use strata_media::s3::{S3Settings, S3Storage};

/// `python -m moto.server` on a free port, with one bucket; killed when dropped.
struct Moto {
    child: Child,
    endpoint: String,
    bucket: String,
}

impl Moto {
    /// `None` (skipped with a notice, a failure under CI=true) without a Python that has moto.
    async fn start(test: &str) -> Option<Moto> {
        let python = common::python_with("moto.server", test)?;
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: format!("strata-{}", common::unique_env()),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        // Creating the bucket is also the readiness probe.
        loop {
            let created = client
                .put(format!("{}/{}", moto.endpoint, moto.bucket))
                .send()
                .await;
            match created {
                Ok(response) if response.status().is_success() => return Some(moto),
                _ if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => panic!("moto did not come up on {}: {other:?}", moto.endpoint),
            }
        }
    }

    /// The settings a deployment on this bucket uses, as variables.
    fn env(&self) -> Vec<(String, String)> {
        [
            ("STRATA_MEDIA__S3__BUCKET", self.bucket.as_str()),
            ("STRATA_MEDIA__S3__ENDPOINT", self.endpoint.as_str()),
            ("STRATA_MEDIA__S3__REGION", "us-east-1"),
            ("STRATA_MEDIA__S3__ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn storage(&self) -> S3Storage {
        S3Storage::new(&S3Settings {
            bucket: self.bucket.clone(),
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".to_owned()),
            path_style: true,
            allow_http: true,
            access_key_id: Some("testing".to_owned()),
            secret_access_key: Some("testing".to_owned()),
            session_token: None,
        })
        .unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn read(storage: &dyn MediaStorage, name: &str) -> Option<Vec<u8>> {
    let file = storage.open(name).await.unwrap()?;
    let bytes = axum::body::to_bytes(file.body, usize::MAX).await.unwrap();
    assert_eq!(file.len, bytes.len() as u64, "{name}");
    Some(bytes.to_vec())
}

/// Save, read back, replace, delete (twice: a delete of a missing file succeeds), and names
/// that could leave the storage refused on every operation.
async fn save_read_delete(storage: &dyn MediaStorage) {
    let name = "images/property/0123abcd.png";
    assert_eq!(read(storage, name).await, None);
    storage.save(name, b"first").await.unwrap();
    storage.save(name, PNG).await.unwrap();
    assert_eq!(read(storage, name).await.as_deref(), Some(PNG));
    storage.delete(name).await.unwrap();
    assert_eq!(read(storage, name).await, None);
    storage.delete(name).await.unwrap();
    for bad in [
        "../outside.png",
        "images/../../outside.png",
        "/etc/passwd",
        "a//b.png",
        ".hidden",
    ] {
        let refused = |r: std::io::Result<()>| matches!(r, Err(e) if e.kind() == std::io::ErrorKind::InvalidInput);
        assert!(refused(storage.save(bad, b"x").await), "save {bad}");
        assert!(refused(storage.delete(bad).await), "delete {bad}");
        assert!(
            matches!(storage.open(bad).await, Err(e) if e.kind() == std::io::ErrorKind::InvalidInput),
            "open {bad}"
        );
    }
}

#[tokio::test]
async fn the_local_storage_saves_reads_and_deletes() {
    let dir = std::env::temp_dir().join(format!("strata-media-{}", common::unique_env()));
    save_read_delete(&LocalDirStorage::new(dir.join("media"))).await;
    // Nothing was written beside the root.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_s3_storage_saves_reads_and_deletes() {
    let Some(moto) = Moto::start("the_s3_storage_saves_reads_and_deletes").await else {
        return;
    };
    save_read_delete(&moto.storage()).await;
}

/// A raw `GET` (reqwest would normalize `..` and `%2e%2e` away): the status line and body.
fn raw_get(addr: SocketAddr, target: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |p| p + 4);
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, response[split..].to_vec())
}

/// `/media/` on one server: the upload served with nosniff, a long-lived `Cache-Control`, an
/// ETag and a 304 for it; a missing file a 404 not cached; names that try to leave the storage
/// a 404 whose body is not the file they aim at.
async fn headers_and_traversal(site: &Site, server: &Server) {
    let token = site.token("editor1", "editor");
    let admin = Api::new(server, Some(&token));
    let (status, property) = admin
        .json(
            reqwest::Method::POST,
            "/api/admin/properties/",
            json!({"title": "Media headers", "deal": "sale", "price": "1", "area": "1", "city": "C"}),
        )
        .await;
    assert_eq!(status, 201, "{property}");
    let images = format!("/api/admin/properties/{}/images/", property["id"]);
    let (status, image) = admin.upload(&images, PNG, "a.png").await;
    assert_eq!(status, 201, "{image}");
    let url = image["url"].as_str().unwrap();
    let client = reqwest::Client::new();
    let served = client.get(server.url(url)).send().await.unwrap();
    assert_eq!(served.status(), 200);
    let header = |name: &str| {
        served
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{url}: no {name}"))
    };
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(
        header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    let etag = header("etag");
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);

    let again = client
        .get(server.url(url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = client
        .get(server.url(url))
        .header("if-none-match", "\"another\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);

    let missing = client
        .get(server.url("/media/images/property/00000000000000000000000000000000.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().get("cache-control").is_none());

    // A file beside the media directory, which only a traversal could reach.
    let secret = b"not a media file";
    std::fs::write(site.dir.join("secret.png"), secret).unwrap();
    for target in [
        "/media/../secret.png",
        "/media/%2e%2e/secret.png",
        "/media/..%2fsecret.png",
        "/media/images/..%2f..%2fsecret.png",
        "/media/..%5csecret.png",
        "/media/%2fetc%2fpasswd",
    ] {
        let (status, body) = raw_get(server.addr, target);
        assert!(
            status.contains(" 404 ") || status.contains(" 400 "),
            "{target}: {status}"
        );
        assert!(!body.windows(secret.len()).any(|w| w == secret), "{target}");
    }
}

#[tokio::test]
async fn media_headers_and_traversal_on_the_local_storage() {
    let site = Site::new(Backend::Embedded, "media_headers_local")
        .await
        .unwrap();
    let server = site.serve();
    headers_and_traversal(&site, &server).await;
}

#[tokio::test]
async fn media_headers_and_traversal_on_s3() {
    let Some(moto) = Moto::start("media_headers_and_traversal_on_s3").await else {
        return;
    };
    let mut site = Site::new(Backend::Embedded, "media_headers_s3")
        .await
        .unwrap();
    site.env.extend(moto.env());
    let server = site.serve();
    headers_and_traversal(&site, &server).await;
}

/// Two `strata serve` on one PostgreSQL, one Redis and one bucket, each with a media directory
/// of its own (so a file kept locally would be missing on the other): what is uploaded through
/// A is served by B; what is deleted through B — an image, then a whole property — is gone on A.
#[tokio::test]
async fn two_instances_share_media_on_s3() {
    let Some(moto) = Moto::start("two_instances_share_media_on_s3").await else {
        return;
    };
    let Some(mut site) = Site::new(Backend::Production, "media_two_instances").await else {
        return;
    };
    site.env.extend(moto.env());
    let token = site.token("editor1", "editor");
    let instance = |dir: &str| {
        let media = site.dir.join(dir).display().to_string();
        let env: Vec<(&str, &str)> = site
            .env
            .iter()
            .filter(|(k, _)| k != "STRATA_MEDIA_DIR")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain([("STRATA_MEDIA_DIR", media.as_str())])
            .collect();
        Server::start(&env)
    };
    let (a, b) = (instance("media-a"), instance("media-b"));
    let (on_a, on_b) = (Api::new(&a, Some(&token)), Api::new(&b, Some(&token)));
    let client = reqwest::Client::new();
    let status_of = |server: &Server, url: &str| {
        let request = client.get(server.url(url)).send();
        async move { request.await.unwrap().status().as_u16() }
    };

    let (_, property) = on_a
        .json(
            reqwest::Method::POST,
            "/api/admin/properties/",
            json!({"title": "Shared media", "deal": "sale", "price": "1", "area": "1", "city": "C"}),
        )
        .await;
    let images = format!("/api/admin/properties/{}/images/", property["id"]);
    let (status, first) = on_a.upload(&images, PNG, "a.png").await;
    assert_eq!(status, 201, "{first}");
    let (_, second) = on_a.upload(&images, PNG, "b.png").await;
    let (first_url, second_url) = (
        first["url"].as_str().unwrap(),
        second["url"].as_str().unwrap(),
    );
    let served = client.get(b.url(first_url)).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(status_of(&b, second_url).await, 200);

    // One image deleted through B.
    assert_eq!(on_b.delete(&format!("{images}{}/", first["id"])).await, 204);
    assert_eq!(status_of(&a, first_url).await, 404);
    assert_eq!(status_of(&a, second_url).await, 200);

    // The property deleted through B takes its other image with it.
    assert_eq!(
        on_b.delete(&format!("/api/admin/properties/{}/", property["id"]))
            .await,
        204
    );
    assert_eq!(status_of(&a, second_url).await, 404);
    let storage = moto.storage();
    let name = second_url.trim_start_matches("/media/");
    assert!(storage.open(name).await.unwrap().is_none());
    // Nothing went to either instance's own directory.
    for dir in ["media-a", "media-b"] {
        assert!(!site.dir.join(dir).join("images").exists(), "{dir}");
    }
}
