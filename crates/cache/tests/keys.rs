//! The list-key hash against the shared vectors: byte-exact with Python's json.dumps.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

use std::path::PathBuf;

use serde::Deserialize;
use strata_cache::{canonical_params, params_hash};

#[derive(Deserialize)]
struct Vector {
    params: serde_json::Value,
    canonical: String,
    hash10: String,
}

fn vectors_path() -> PathBuf {
    std::env::var_os("STRATA_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/vectors/filter-hash.json")
        })
}

#[test]
fn every_shared_vector_passes() {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the shared vectors at {}: {e}", path.display()));
    let vectors: Vec<Vector> = serde_json::from_str(&text).expect("vectors parse");
    assert!(vectors.len() >= 10, "the vector file looks truncated");
    for v in &vectors {
        assert_eq!(
            canonical_params(&v.params),
            v.canonical,
            "canonical text of {}",
            v.params
        );
        assert_eq!(params_hash(&v.params), v.hash10, "hash of {}", v.params);
    }
}

#[test]
fn typed_filters_hash_like_their_json() {
    #[derive(serde::Serialize)]
    struct Filters<'a> {
        city: &'a str,
        category: &'a str,
    }
    assert_eq!(
        params_hash(&Filters {
            city: "Tehran",
            category: "apartment"
        }),
        "c4f4fdbd4b"
    );
}
