//! The public site in Chromium, on both deployments (`tests/site/browser.mjs`, with the admin's
//! playwright-core and axe-core): every page kind in both languages, at a desktop and a phone
//! width, has no serious or critical axe violation (WCAG 2.1 A and AA rules) and no console
//! error; the home page's grids leave no orphan cards; a 16:10 upload fills the gallery's 3:2
//! frame instead of being letterboxed.
//!
//! Needs node, Chromium (`/usr/bin/chromium`, or `CHROMIUM`) and `npm --prefix admin ci`;
//! outside CI a missing one is a loud skip, under `CI=true` a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::api::Api;
use common::{Backend, Site};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(every_page_kind_passes_axe_and_keeps_its_layout);

const DESKTOP: u32 = 1280;
const PHONE: u32 = 390;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// Whether node, Chromium and the admin's playwright-core and axe-core are there.
fn browser_available(test: &str) -> bool {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let modules = repo().join("admin/node_modules");
    let missing: Vec<&str> = [
        (!node).then_some("node"),
        (!Path::new(&chromium()).exists()).then_some("Chromium"),
        (!modules.join("playwright-core").exists()).then_some("admin/node_modules/playwright-core"),
        (!modules.join("axe-core").exists()).then_some("admin/node_modules/axe-core"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: {missing:?} missing and CI=true (`npm --prefix admin ci`)");
    }
    eprintln!("\n*** SKIPPED: {missing:?} not found; {test} did not run ***\n");
    false
}

/// A `width`×`height` PNG.
fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

async fn every_page_kind_passes_axe_and_keeps_its_layout(backend: Backend) {
    const TEST: &str = "web_browser";
    if !browser_available(TEST) {
        return;
    }
    let Some(site) = Site::new(backend, TEST).await else {
        return;
    };
    let out = site.run(&["seed", "--demo", "--properties", "30"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let token = site.token("editor1", "editor");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    // Six featured listings, the newest: the home page's first grid. The last has a gallery
    // whose first photo is a 16:10 upload.
    let mut slug = String::new();
    for n in 1..=6 {
        slug = format!("featured-{n}");
        let (status, created) = admin
            .json(
                Method::POST,
                "/api/admin/properties/",
                json!({
                    "title_fa": format!("ویلای ویژه {n}"), "title_en": format!("Featured villa {n}"),
                    "slug": slug, "deal": "sale", "price": "85000000000", "area": "150",
                    "rooms": 3, "city_fa": "شیراز", "city_en": "Shiraz", "featured": true,
                    "status": "published",
                }),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        if n == 6 {
            let images = format!("/api/admin/properties/{}/images/", created["id"]);
            for (width, height) in [(800, 500), (800, 600)] {
                let (status, body) = admin
                    .upload(&images, &png(width, height), "photo.png")
                    .await;
                assert_eq!(status, 201, "{body}");
            }
        }
    }
    let tag = Api::new(&server, None).ok("/api/tags/").await[0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let pages: Vec<(String, u16)> = vec![
        ("/".into(), 200),
        ("/en/".into(), 200),
        ("/properties/".into(), 200),
        ("/en/properties/?page=2".into(), 200),
        (format!("/properties/{slug}/"), 200),
        (format!("/en/properties/{slug}/"), 200),
        ("/categories/apartment/".into(), 200),
        (format!("/en/tags/{tag}/"), 200),
        ("/properties/no-such-listing/".into(), 404),
        ("/en/properties/?deal=x".into(), 400),
    ];
    let plan = json!({
        "paths": pages.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        "widths": [DESKTOP, PHONE],
    });
    let out = Command::new("node")
        .arg(repo().join("tests/site/browser.mjs"))
        .arg(server.url(""))
        .arg(plan.to_string())
        .env("CHROMIUM", chromium())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser.mjs: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let visits: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(visits.len(), pages.len() * 2, "{stdout}");

    let mut problems = Vec::new();
    for visit in &visits {
        let path = visit["path"].as_str().unwrap();
        let width = &visit["width"];
        let at = format!("{path} at {width}px");
        let status = pages.iter().find(|(p, _)| p == path).unwrap().1;
        assert_eq!(visit["status"], status, "{at}");
        for v in visit["violations"].as_array().unwrap() {
            if matches!(v["impact"].as_str(), Some("serious" | "critical")) {
                problems.push(format!(
                    "{at}: axe {} {} ({}) at {}",
                    v["impact"], v["id"], v["help"], v["nodes"]
                ));
            }
        }
        for error in visit["errors"].as_array().unwrap() {
            let error = error.as_str().unwrap();
            // The browser's own note of an error status is the page's, not a fault.
            if !(status != 200 && error.starts_with("Failed to load resource")) {
                problems.push(format!("{at}: console: {error}"));
            }
        }
        // No orphans: a grid of the home page's six fills every row it starts.
        if path == "/" || path == "/en/" {
            let grids = visit["grids"].as_array().unwrap();
            let featured: Vec<u64> = grids[0]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap())
                .collect();
            assert_eq!(featured.iter().sum::<u64>(), 6, "{at}: {featured:?}");
            for rows in grids {
                let rows: Vec<u64> = rows
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_u64().unwrap())
                    .collect();
                if rows.iter().sum::<u64>() == 6 && rows.iter().any(|n| *n != rows[0]) {
                    problems.push(format!("{at}: cards per row {rows:?} leave orphans"));
                }
            }
        }
        // The 16:10 photo fills the 3:2 frame (cover, or a frame of its own shape).
        if path.ends_with(&format!("/{slug}/")) {
            let gallery = &visit["gallery"];
            let natural = gallery["natural"].as_f64().unwrap();
            let frame = gallery["box"].as_f64().unwrap();
            assert!((natural - 1.6).abs() < 0.01, "{at}: {gallery}");
            if gallery["fit"] != "cover" && (natural - frame).abs() > 0.02 {
                problems.push(format!(
                    "{at}: the {natural:.2}:1 photo is letterboxed in a {frame:.2}:1 frame"
                ));
            }
            assert_eq!(
                gallery["toolbar"], "toolbar",
                "{at}: the gallery's script ran"
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
