//! The one kind of value Strata's data cache accepts: plain data.
//!
//! The cache policy (§3) allows serializer output, plain lists and dicts and primitives, and
//! forbids query sets, model instances, responses and "any custom object". In Rust that rule is a
//! trait bound: the cache engine only takes `T: PlainData`, and `PlainData` is implemented here for
//! JSON's building blocks and, by the serializers crate, for its output types. Models live in a
//! crate that may not depend on this one (see `docs/ARCHITECTURE.md`), so by the orphan rule nobody
//! can mark a model as plain data: caching one does not compile.
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
