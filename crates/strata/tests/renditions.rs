//! Renditions end to end on both deployments: made after an upload, listed in the public and
//! admin details (the cached public detail refreshed once they exist), served with their type
//! and size, deleted with their image; decompression bombs and oversized images refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use common::api::Api;
use common::{Backend, Site};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(renditions_are_made_listed_served_and_deleted);
on_both_backends!(bombs_and_oversized_images_are_refused);

/// A 700×350 JPEG gradient (a few kilobytes).
fn photo() -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(700, 350, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    pixels
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .unwrap();
    bytes.into_inner()
}

/// A whole PNG whose header claims `width`×`height`, with one tiny IDAT: what validation
/// walks, not a decodable image.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", &ihdr[..]),
        (
            b"IDAT",
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..],
        ),
        (b"IEND", &[][..]),
    ] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    }
    png
}

async fn published_property(admin: &Api, title: &str) -> i64 {
    let (status, property) = admin
        .json(
            Method::POST,
            "/api/admin/properties/",
            json!({"title": title, "deal": "sale", "price": "1", "area": "1", "city": "C",
                   "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{property}");
    property["id"].as_i64().unwrap()
}

async fn renditions_are_made_listed_served_and_deleted(backend: Backend) {
    let Some(site) = Site::new(backend, "renditions_made").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let public = Api::new(&server, None);
    let admin = Api::new(&server, Some(&token));
    let id = published_property(&admin, "Renditions").await;
    let detail = format!("/api/properties/{id}/");
    let images = format!("/api/admin/properties/{id}/images/");

    let (status, image) = admin.upload(&images, &photo(), "photo.jpg").await;
    assert_eq!(status, 201, "{image}");
    assert_eq!(image["variants"], json!([]), "made after the response");
    // Read (and cache) the detail right away, most likely before the renditions exist: it
    // must still show them once they do, without waiting for a cache entry to expire.
    public.ok(&detail).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let variants = loop {
        let shown = public.ok(&detail).await;
        let variants = shown["images"][0]["variants"].clone();
        if variants != json!([]) {
            break variants;
        }
        assert!(Instant::now() < deadline, "no renditions listed: {shown}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let shape: Vec<(i64, i64, &str)> = variants
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let dim = |k: &str| v[k].as_i64().unwrap();
            (dim("width"), dim("height"), v["format"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        shape,
        [
            (320, 160, "image/webp"),
            (320, 160, "image/jpeg"),
            (640, 320, "image/webp"),
            (640, 320, "image/jpeg"),
        ]
    );
    let admin_detail = admin.ok(&format!("/api/admin/properties/{id}/")).await;
    assert_eq!(admin_detail["images"][0]["variants"], variants);
    // The page offers the renditions in the original's format, then the original, by width.
    let shown = public.ok(&detail).await;
    let jpeg = |i: usize| variants[i]["url"].as_str().unwrap().to_owned();
    let srcset = format!(
        "srcset=\"{} 320w, {} 640w, {} 700w\"",
        jpeg(1),
        jpeg(3),
        shown["images"][0]["url"].as_str().unwrap()
    );
    let page = public
        .html(&format!("/properties/{}/", shown["slug"].as_str().unwrap()))
        .await;
    assert!(page.contains(&srcset), "{srcset} not in the page");
    let list = public.ok("/api/properties/").await;
    let item = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(item["cover"]["variants"], variants, "{list}");

    for variant in variants.as_array().unwrap() {
        let served = reqwest::get(server.url(variant["url"].as_str().unwrap()))
            .await
            .unwrap();
        assert_eq!(served.status(), 200, "{variant}");
        assert_eq!(
            served.headers()["content-type"],
            variant["format"].as_str().unwrap()
        );
        let bytes = served.bytes().await.unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!(
            (i64::from(decoded.width()), i64::from(decoded.height())),
            (
                variant["width"].as_i64().unwrap(),
                variant["height"].as_i64().unwrap()
            )
        );
    }
    let media = site.dir.join("media");
    assert_eq!(
        common::files_under(&media).len(),
        5,
        "the original and four renditions"
    );

    // Deleting the image deletes the renditions' files too.
    assert_eq!(
        admin.delete(&format!("{images}{}/", image["id"])).await,
        204
    );
    let left = common::files_under(&media);
    assert!(left.is_empty(), "files left behind: {left:?}");
}

async fn bombs_and_oversized_images_are_refused(backend: Backend) {
    let Some(site) = Site::new(backend, "renditions_bombs").await else {
        return;
    };
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let id = published_property(&admin, "Bombs").await;
    let images = format!("/api/admin/properties/{id}/images/");
    for (bytes, message) in [
        (
            png_claiming(30_000, 30_000),
            "Ensure this image is no larger than 10000×10000 pixels (it is 30000×30000).",
        ),
        (
            png_claiming(9_000, 9_000),
            "Ensure this image has no more than 50000000 pixels (it is 9000×9000).",
        ),
    ] {
        let (status, error) = admin.upload(&images, &bytes, "bomb.png").await;
        assert_eq!((status, error), (400, json!({"file": [message]})));
    }
    assert_eq!(
        admin.ok(&format!("/api/admin/properties/{id}/")).await["images"],
        json!([])
    );
    let left = common::files_under(&site.dir.join("media"));
    assert!(left.is_empty(), "files left behind: {left:?}");
}
