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

/// The repository's copy of the team's vectors (`tests/vectors/`), so a clone anywhere runs
/// them; `STRATA_VECTORS` points at another file.
fn vectors_path() -> PathBuf {
    std::env::var_os("STRATA_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/filter-hash.json")
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
            canonical_params(&v.params).as_deref(),
            Ok(v.canonical.as_str()),
            "canonical text of {}",
            v.params
        );
        assert_eq!(
            params_hash(&v.params),
            Ok(v.hash10.clone()),
            "hash of {}",
            v.params
        );
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
        Ok("c4f4fdbd4b".to_owned())
    );
}

#[test]
fn parameters_json_cannot_hold_never_share_a_key() {
    use std::collections::BTreeMap;
    use strata_cache::Namespace;
    // A map with non-string keys has no JSON form, hence no policy hash.
    let params: BTreeMap<(u8, u8), u8> = BTreeMap::from([((1, 2), 3)]);
    assert!(params_hash(&params).is_err());
    let list = Namespace::public("app", "list");
    assert_ne!(
        list.hashed(&params),
        list.hashed(&params),
        "each such read gets its own key"
    );
}
