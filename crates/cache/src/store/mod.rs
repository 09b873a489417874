//! The two stores behind one contract: Redis for scale-out, an in-process store for the embedded
//! default. Both implement the same lease protocol, so the engine above them is one code path.
//!
//! The protocol, per key:
//! - `lookup` returns the value, or grants the caller a lease (a random fencing token) when the key
//!   is missing and nobody holds one, or says another filler is busy;
//! - `fill` stores a value only while the caller's token is still the key's lease;
//! - `invalidate_key` / `invalidate_namespace` delete values *and* leases, so a loader that read
//!   the database before the invalidation can never store what it read.

mod memory;
pub(crate) mod redis;

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;

pub(crate) use self::memory::MemoryStore;
pub(crate) use self::redis::RedisStore;
use crate::audit::AuditReport;
use crate::key::{CacheKey, Namespace};

#[derive(Debug)]
pub(crate) enum Lookup {
    Hit(Bytes),
    Leased(u64),
    Busy,
}

/// A store command that did not complete; the engine treats it as a miss or a skipped write.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Redis(#[from] fred::error::Error),
    #[error("unexpected reply: {0}")]
    Protocol(String),
}

impl StoreError {
    /// A short, stable word for logs and metrics: `timeout`, `io`, `protocol`, …
    pub fn kind(&self) -> &'static str {
        use fred::error::ErrorKind;
        match self {
            StoreError::Redis(e) => match e.kind() {
                ErrorKind::Timeout => "timeout",
                ErrorKind::IO => "io",
                ErrorKind::Canceled => "canceled",
                ErrorKind::Auth => "auth",
                ErrorKind::Config => "config",
                ErrorKind::Protocol | ErrorKind::Parse => "protocol",
                ErrorKind::Backpressure => "backpressure",
                _ => "redis",
            },
            StoreError::Protocol(_) => "protocol",
        }
    }
}

pub(crate) enum Store {
    // Boxed: a Redis store (its scripts, pool and client builder) is several times larger.
    Redis(Box<RedisStore>),
    Memory(MemoryStore),
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Store::Redis($store) => $call.await,
            Store::Memory($store) => Ok($call),
        }
    };
}

impl Store {
    pub(crate) fn backend(&self) -> &'static str {
        match self {
            Store::Redis(_) => "redis",
            Store::Memory(_) => "memory",
        }
    }

    pub(crate) async fn lookup(
        &self,
        key: &CacheKey,
        lease: Duration,
    ) -> Result<Lookup, StoreError> {
        dispatch!(self, s => s.lookup(key, lease))
    }

    pub(crate) async fn fill(
        &self,
        key: &CacheKey,
        token: u64,
        value: Bytes,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.fill(key, token, value, ttl))
    }

    pub(crate) async fn release(&self, key: &CacheKey, token: u64) -> Result<(), StoreError> {
        dispatch!(self, s => s.release(key, token))
    }

    pub(crate) async fn get(&self, key: &CacheKey) -> Result<Option<Bytes>, StoreError> {
        dispatch!(self, s => s.get(key))
    }

    pub(crate) async fn invalidate_key(&self, key: &CacheKey) -> Result<(), StoreError> {
        dispatch!(self, s => s.invalidate_key(key))
    }

    pub(crate) async fn invalidate_namespace(&self, ns: &Namespace) -> Result<u64, StoreError> {
        dispatch!(self, s => s.invalidate_namespace(ns))
    }

    pub(crate) async fn disabled_namespaces(&self) -> Result<BTreeSet<String>, StoreError> {
        dispatch!(self, s => s.disabled_namespaces())
    }

    pub(crate) async fn set_enabled(
        &self,
        ns: &Namespace,
        enabled: bool,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_enabled(ns, enabled))
    }

    pub(crate) async fn audit(
        &self,
        oversized_bytes: u64,
        max_keys: u64,
    ) -> Result<AuditReport, StoreError> {
        dispatch!(self, s => s.audit(oversized_bytes, max_keys))
    }

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping())
    }

    pub(crate) async fn ping_every_connection(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping_every_connection())
    }

    /// Replaces the store's connections (Redis); nothing to do in process.
    pub(crate) fn renew(&self) {
        if let Store::Redis(redis) = self {
            redis.renew();
        }
    }
}

/// A fencing token: random, so two instances never hand out the same one.
pub(crate) fn new_token() -> u64 {
    rand::random::<u64>() | 1
}
