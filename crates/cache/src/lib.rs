//! Strata's data cache engine — the authoritative cache of the three-layer policy.
//!
//! It knows nothing of any app: apps declare [`Namespace`]s, build [`CacheKey`]s through them and
//! call [`Cache::get_or_load`] from their services with a [`TtlClass`]. Everything the engine
//! guarantees — plain values, keys by construction, one fill per key, no stale fill, targeted
//! invalidation, fail-open with a circuit breaker and replayed invalidations, per-namespace flags
//! and metrics — is documented on [`Cache`] and in `docs/ARCHITECTURE.md`.

mod audit;
mod coalesce;
mod engine;
mod errlog;
mod key;
mod locks;
pub mod metrics;
mod pyjson;
pub mod reads;
mod registry;
mod replay;
mod settings;
pub mod stats;
mod store;
mod value;

pub use audit::{AuditReport, Finding};
pub use engine::bus::{BusEpoch, BusEvent};
pub use engine::counter::WindowCount;
pub use engine::near::NearHealth;
pub use engine::{Cache, CacheError, CacheHealth, Invalidation};
pub use key::{CacheKey, KeyError, KeyPrefix, Namespace, Scope, canonical_params, params_hash};
pub use settings::{CacheSettings, NearSettings, RedisSettings, TtlClass, TtlPolicy};
pub use store::StoreError;
pub use store::redis::{RedisConfigError, redis_config};
pub use strata_plain::PlainData;
pub use value::{EncodeError, Json};
