//! The one kind of value Strata's data cache accepts: plain data.
//!
//! The cache policy (§3) allows serializer output, plain lists and dicts and primitives, and
//! forbids query sets, model instances, responses and "any custom object". In Rust that rule is a
//! trait bound: the cache engine only takes `T: PlainData`, and `PlainData` is implemented here for
//! JSON's building blocks and, in each app's `serializers.rs`, for its output types — so caching a
//! model, a query or a response does not compile unless someone marks it plain data. An app's
//! models and serializers share a crate, so the type system alone cannot stop `impl PlainData for
//! Model`; the crate-graph test does (`crates/strata/tests/crate_graph.rs`): every `impl
//! PlainData` must sit in a serializer, and never for a model.
//!
//! ```
//! use strata_plain::PlainData;
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct PropertySummary { id: i64, title: String }
//! impl PlainData for PropertySummary {}
//!
//! fn cacheable<T: PlainData>(_: &T) {}
//! cacheable(&PropertySummary { id: 1, title: "Villa".into() });
//! cacheable(&vec![serde_json::json!({"a": 1})]);
//! ```
//!
//! A type that merely derives `Serialize` and `Deserialize` is not plain data:
//!
//! ```compile_fail,E0277
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct PropertyModel { id: i64, title: String }
//!
//! fn cacheable<T: strata_plain::PlainData>(_: &T) {}
//! cacheable(&PropertyModel { id: 1, title: "Villa".into() });
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A value that is nothing but data: it round-trips through JSON and holds no handle, connection
/// or lazy query. Implement it for serializer output types only.
pub trait PlainData: Serialize + DeserializeOwned + Send + Sync + 'static {}

macro_rules! plain {
    ($($t:ty),* $(,)?) => { $(impl PlainData for $t {})* };
}

plain!(
    bool,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f32,
    f64,
    String,
    serde_json::Value
);

impl<T: PlainData> PlainData for Option<T> {}
impl<T: PlainData> PlainData for Vec<T> {}
impl<T: PlainData> PlainData for BTreeMap<String, T> {}
impl<T: PlainData, S> PlainData for HashMap<String, T, S> where
    S: std::hash::BuildHasher + Default + Send + Sync + 'static
{
}
impl<A: PlainData, B: PlainData> PlainData for (A, B) {}
