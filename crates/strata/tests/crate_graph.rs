//! The crate graph is the policy: which crate may depend on which is checked here, from
//! `cargo metadata`, so a shortcut (a model reaching the cache, the engine learning about an app)
//! fails the build's tests instead of a review.

#![allow(clippy::expect_used)] // a test fails loudly

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// For each workspace crate, the workspace crates it must never depend on (directly or through
/// another crate). New crates are added here when they are created.
const FORBIDDEN: &[(&str, &[&str])] = &[
    // The engine knows nothing of the binary or of any app.
    ("strata-cache", &["strata"]),
    // The plain-data marker is a leaf: serializers use it without reaching the cache.
    ("strata-plain", &["strata-cache", "strata"]),
    // Persistence knows nothing of the cache or HTTP.
    ("strata-db", &["strata-cache", "strata-api", "axum"]),
    // Apps never depend on the binary (the composition root).
    (
        "strata-taxonomy",
        &["strata", "strata-real-estate", "strata-web"],
    ),
    ("strata-real-estate", &["strata", "strata-web"]),
    ("strata-web", &["strata"]),
];

/// Inside an app crate, the layers that must not reach the cache: models, serializers, the
/// database reads, the filters and the views. Only `services/` (through `cache/`) may.
const CACHE_FREE_LAYERS: &[&str] = &[
    "models",
    "serializers.rs",
    "selectors.rs",
    "filters.rs",
    "views",
];
/// What reaching the cache looks like in source.
const CACHE_TOKENS: &[&str] = &["strata_cache", "crate::cache", "ctx.cache", ".cache."];

fn rust_files(path: &std::path::Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .flat_map(|e| rust_files(&e.path()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn only_services_reach_the_cache() {
    let apps = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../apps");
    let mut checked = 0;
    for app in std::fs::read_dir(&apps).expect("crates/apps").flatten() {
        let src = app.path().join("src");
        // An app without cache files (users: private data; media) may not mention it at all.
        let layers: &[&str] = if src.join("cache").is_dir() {
            CACHE_FREE_LAYERS
        } else {
            &[""]
        };
        for layer in layers {
            for file in rust_files(&src.join(layer)) {
                let text = std::fs::read_to_string(&file).unwrap();
                checked += 1;
                for token in CACHE_TOKENS {
                    assert!(
                        !text.contains(token),
                        "{} mentions `{token}`: only services use the cache (cache-policy §4)",
                        file.display()
                    );
                }
            }
        }
    }
    assert!(checked >= 10, "the layer scan found only {checked} files");
}

/// The web tier's pages get their data from the apps' services only (so the data cache stays
/// the source of truth); the HTML cache's bus is the only use of the cache crate there.
#[test]
fn pages_read_data_only_through_services() {
    let pages = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/pages");
    let files = rust_files(&pages);
    assert!(
        files.len() >= 4,
        "the pages scan found {} files",
        files.len()
    );
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for token in [
            "strata_cache",
            "ctx.cache",
            "get_or_load",
            "selectors::",
            "sea_orm",
        ] {
            assert!(
                !text.contains(token),
                "{} mentions `{token}`: pages read through services",
                file.display()
            );
        }
    }
}

fn host_target() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host")
}

#[test]
fn crates_only_depend_on_what_the_policy_allows() {
    let output = Command::new(env!("CARGO"))
        // The host platform only: other platforms' crates (Windows consoles) are not downloaded.
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
        ])
        .arg(host_target())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("metadata json");

    let members: BTreeSet<String> = metadata["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect();
    let mut names = BTreeMap::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        if let (Some(id), Some(name)) = (package["id"].as_str(), package["name"].as_str())
            && members.contains(id)
        {
            names.insert(id.to_owned(), name.to_owned());
        }
    }
    // Normal (non-dev) dependency edges between workspace crates.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(from) = node["id"].as_str().and_then(|id| names.get(id)) else {
            continue;
        };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|kind| kind["kind"].is_null());
            if let Some(to) = dep["pkg"].as_str().and_then(|id| names.get(id))
                && normal
            {
                edges.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    let reachable = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.to_owned()];
        while let Some(next) = stack.pop() {
            for to in edges.get(&next).into_iter().flatten() {
                if seen.insert(to.clone()) {
                    stack.push(to.clone());
                }
            }
        }
        seen
    };
    let known: BTreeSet<&String> = names.values().collect();
    for (krate, forbidden) in FORBIDDEN {
        assert!(
            known.contains(&krate.to_string()),
            "{krate} is not a workspace crate any more"
        );
        let deps = reachable(krate);
        for bad in *forbidden {
            assert!(
                !deps.contains(*bad),
                "{krate} must not depend on {bad} (docs/ARCHITECTURE.md)"
            );
        }
    }
}
