//! The crate graph is the policy: which crate may depend on which is checked here, from
//! `cargo metadata`, so a shortcut (a model reaching the cache, the engine learning about an app)
//! fails the build's tests instead of a review.

#![allow(clippy::expect_used)] // a test fails loudly

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// For every workspace crate, the crates it must never depend on (directly or through another
/// crate). `docs/ARCHITECTURE.md`'s crate table says the same in its last column; the test
/// below holds the two together, and a new crate must be added to both.
const FORBIDDEN: &[(&str, &[&str])] = &[
    // The plain-data marker is a leaf: serializers use it without reaching the cache.
    (
        "strata-plain",
        &["strata-cache", "strata-db", "strata-api", "strata"],
    ),
    // The engine knows nothing of persistence, HTTP, the binary or any app.
    (
        "strata-cache",
        &["strata-db", "strata-api", "strata-taxonomy", "strata"],
    ),
    // Persistence knows nothing of the cache or HTTP.
    ("strata-db", &["strata-cache", "strata-api", "axum"]),
    // What every app shares knows no app.
    (
        "strata-api",
        &[
            "strata-users",
            "strata-media",
            "strata-taxonomy",
            "strata-web",
            "strata",
        ],
    ),
    (
        "strata-users",
        &["strata-media", "strata-taxonomy", "strata-web", "strata"],
    ),
    (
        "strata-media",
        &["strata-users", "strata-taxonomy", "strata-web", "strata"],
    ),
    // Content apps are authorized by the router they are mounted in: none needs the users app.
    (
        "strata-taxonomy",
        &["strata-users", "strata-real-estate", "strata-web", "strata"],
    ),
    (
        "strata-real-estate",
        &["strata-users", "strata-web", "strata"],
    ),
    ("strata-web", &["strata-users", "strata"]),
    // Drawn demo content: pixels only, no data layer.
    (
        "strata-demo",
        &["strata-cache", "strata-db", "strata-api", "strata"],
    ),
    ("strata", &[]),
    ("strata-bench", &["strata-api", "strata"]),
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
        // Only sources: crates also hold binary assets (an icon, a vendored bundle).
        let source = path.extension().is_some_and(|e| e == "rs");
        return if source {
            vec![path.to_owned()]
        } else {
            Vec::new()
        };
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
    let listed: BTreeSet<String> = FORBIDDEN.iter().map(|(k, _)| (*k).to_owned()).collect();
    assert_eq!(
        known.iter().map(|k| (*k).clone()).collect::<BTreeSet<_>>(),
        listed,
        "every workspace crate has its rule here"
    );
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

/// `docs/ARCHITECTURE.md`'s crate table: each crate's "must never depend on" column.
fn documented_rules() -> BTreeMap<String, BTreeSet<String>> {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ARCHITECTURE.md"),
    )
    .expect("docs/ARCHITECTURE.md");
    let backticked = |cell: &str| -> BTreeSet<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    doc.lines()
        .filter(|line| line.starts_with("| `strata"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let krate = cells[1].trim_matches('`').to_owned();
            let never = cells[cells.len() - 2];
            (krate, backticked(never))
        })
        .collect()
}

#[test]
fn the_architecture_doc_states_these_rules() {
    let documented = documented_rules();
    let rules: BTreeMap<String, BTreeSet<String>> = FORBIDDEN
        .iter()
        .map(|(k, never)| {
            (
                (*k).to_owned(),
                never.iter().map(|n| (*n).to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(
        documented, rules,
        "docs/ARCHITECTURE.md's crate table and FORBIDDEN differ"
    );
}

/// What keeps a model out of the cache: the engine takes only `PlainData`, and `PlainData` is
/// implemented only for serializer output (and JSON's building blocks), never for a model.
#[test]
fn only_serializer_output_is_plain_data() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut impls = 0;
    for file in rust_files(&crates) {
        let path = file.display().to_string();
        if path.contains("/tests/") || path.contains("/target/") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
        for line in code.filter(|l| l.contains("PlainData for ")) {
            impls += 1;
            let allowed = path.ends_with("serializers.rs")
                || path.contains("crates/strata/../plain/")
                || path.ends_with("api/src/pagination.rs");
            assert!(allowed, "{path}: `{}` outside a serializer", line.trim());
            assert!(
                !line.contains("Model"),
                "{path}: a model is never plain data: `{}`",
                line.trim()
            );
        }
    }
    assert!(impls >= 5, "the scan found only {impls} PlainData impls");
}
