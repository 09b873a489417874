//! The in-process store of the embedded default: the same lease protocol as Redis, in memory.
//!
//! Values live in a `moka` cache bounded by bytes, each entry with its own TTL. A namespace
//! invalidation bumps the namespace's generation instead of deleting keys: lookups build keys from
//! the current generation, so older entries (and leases) become unreachable in O(1) and age out by
//! TTL or eviction, whatever the size of the store.

use std::collections::{BTreeSet, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use moka::Expiry;
use moka::sync::Cache;

use super::{Lookup, new_token};
use crate::audit::{AuditReport, KeyFacts};
use crate::key::{CacheKey, Namespace};

const LEASE_PRUNE_AT: usize = 1024;

#[derive(Clone)]
struct Entry {
    value: Bytes,
    ttl: Duration,
}

struct TtlExpiry;

impl Expiry<String, Entry> for TtlExpiry {
    fn expire_after_create(&self, _: &String, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

#[derive(Default)]
struct State {
    generations: HashMap<String, u64>,
    /// stored key → (token, expiry)
    leases: HashMap<String, (u64, Instant)>,
    disabled: BTreeSet<String>,
}

pub(crate) struct MemoryStore {
    values: Cache<String, Entry>,
    // One lock orders every lease decision against every invalidation, as Lua scripts do in
    // Redis; plain reads only need the generations, so they share it.
    state: RwLock<State>,
}

impl MemoryStore {
    pub(crate) fn new(capacity_bytes: u64) -> Self {
        let values = Cache::builder()
            .max_capacity(capacity_bytes)
            .weigher(|key: &String, entry: &Entry| {
                u32::try_from(key.len() + entry.value.len()).unwrap_or(u32::MAX)
            })
            .expire_after(TtlExpiry)
            .build();
        MemoryStore {
            values,
            state: RwLock::new(State::default()),
        }
    }

    // The state holds no invariant a panicking holder could break halfway: poison is ignored.
    fn state(&self) -> RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn stored_key(state: &State, key: &CacheKey) -> String {
        let generation = state
            .generations
            .get(&key.namespace().to_string())
            .copied()
            .unwrap_or(0);
        format!("{generation}|{key}")
    }

    pub(crate) fn lookup(&self, key: &CacheKey, lease: Duration) -> Lookup {
        let mut state = self.state();
        let stored = Self::stored_key(&state, key);
        if let Some(entry) = self.values.get(&stored) {
            return Lookup::Hit(entry.value);
        }
        let now = Instant::now();
        if let Some((_, expires)) = state.leases.get(&stored)
            && *expires > now
        {
            return Lookup::Busy;
        }
        if state.leases.len() >= LEASE_PRUNE_AT {
            // Leases of cancelled fillers that could not release: drop the expired ones.
            state.leases.retain(|_, (_, expires)| *expires > now);
        }
        let token = new_token();
        state.leases.insert(stored, (token, now + lease));
        Lookup::Leased(token)
    }

    pub(crate) fn fill(&self, key: &CacheKey, token: u64, value: Bytes, ttl: Duration) -> bool {
        let mut state = self.state();
        let stored = Self::stored_key(&state, key);
        match state.leases.get(&stored) {
            Some((held, expires)) if *held == token && *expires > Instant::now() => {
                state.leases.remove(&stored);
                self.values.insert(stored, Entry { value, ttl });
                true
            }
            _ => false,
        }
    }

    pub(crate) fn release(&self, key: &CacheKey, token: u64) {
        let mut state = self.state();
        let stored = Self::stored_key(&state, key);
        if state
            .leases
            .get(&stored)
            .is_some_and(|(held, _)| *held == token)
        {
            state.leases.remove(&stored);
        }
    }

    pub(crate) fn get(&self, key: &CacheKey) -> Option<Bytes> {
        let state = self.read_state();
        self.values
            .get(&Self::stored_key(&state, key))
            .map(|entry| entry.value)
    }

    pub(crate) fn invalidate_key(&self, key: &CacheKey) {
        let mut state = self.state();
        let stored = Self::stored_key(&state, key);
        state.leases.remove(&stored);
        self.values.invalidate(&stored);
    }

    pub(crate) fn invalidate_namespace(&self, ns: &Namespace) -> u64 {
        let mut state = self.state();
        let prefix = format!(
            "{}|",
            state.generations.get(&ns.to_string()).copied().unwrap_or(0)
        );
        let ns_text = format!("{ns}:");
        // Leases of the old generation go now (they are few); values age out by TTL.
        state.leases.retain(|stored, _| {
            !(stored.starts_with(&prefix) && stored[prefix.len()..].starts_with(&ns_text))
        });
        *state.generations.entry(ns.to_string()).or_insert(0) += 1;
        0
    }

    pub(crate) fn disabled_namespaces(&self) -> BTreeSet<String> {
        self.read_state().disabled.clone()
    }

    pub(crate) fn set_enabled(&self, ns: &Namespace, enabled: bool) {
        let mut state = self.state();
        if enabled {
            state.disabled.remove(&ns.to_string());
        } else {
            state.disabled.insert(ns.to_string());
        }
    }

    /// Every entry here was written through a typed key and with a TTL; only size can be off.
    pub(crate) fn audit(&self, oversized_bytes: u64, max_keys: u64) -> AuditReport {
        let mut report = AuditReport {
            backend: "memory",
            ..AuditReport::default()
        };
        for (stored, entry) in self.values.iter() {
            if report.scanned >= max_keys {
                report.truncated = true;
                break;
            }
            let logical = stored
                .split_once('|')
                .map_or(stored.as_str(), |(_, key)| key);
            let facts = KeyFacts {
                logical,
                pttl_ms: i64::try_from(entry.ttl.as_millis()).unwrap_or(i64::MAX),
                size: Some(entry.value.len() as u64),
            };
            report.record(facts, oversized_bytes);
        }
        report
    }

    pub(crate) fn ping(&self) {}

    pub(crate) fn ping_every_connection(&self) {}
}
