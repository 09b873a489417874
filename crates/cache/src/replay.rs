//! Invalidations that could not reach the store, kept until a replay succeeds.
//!
//! Entries are removed only once the store confirmed them, and only if they were not queued
//! again meanwhile (each push gets a new sequence number): an invalidation queued while a replay
//! of the same key or namespace is under way is replayed again, never lost. While anything is
//! queued the engine does not read the store, so `len` is mirrored in an atomic for the hot path.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use metrics::gauge;

use crate::key::{CacheKey, Namespace};
use crate::metrics as m;

pub(crate) struct ReplayQueue {
    capacity: usize,
    state: Mutex<Pending>,
    len: AtomicUsize,
}

#[derive(Default)]
struct Pending {
    keys: HashMap<CacheKey, u64>,
    namespaces: BTreeMap<Namespace, u64>,
    seq: u64,
}

/// What one replay attempt works through: entries with the sequence number they had.
pub(crate) struct Snapshot {
    pub namespaces: Vec<(Namespace, u64)>,
    pub keys: Vec<(CacheKey, u64)>,
}

impl ReplayQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        ReplayQueue {
            capacity,
            state: Mutex::new(Pending::default()),
            len: AtomicUsize::new(0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self, pending: &Pending) {
        let len = pending.keys.len() + pending.namespaces.len();
        self.len.store(len, Ordering::Release);
        gauge!(m::PENDING_INVALIDATIONS).set(len as f64);
    }

    /// Past capacity, exact keys collapse into their namespaces: namespaces are a small, fixed
    /// set, so the queue stays bounded and invalidates more, never less.
    pub(crate) fn push_key(&self, key: CacheKey) {
        let mut pending = self.lock();
        pending.seq += 1;
        let seq = pending.seq;
        pending.keys.insert(key, seq);
        if pending.keys.len() > self.capacity {
            tracing::warn!(
                target: "strata_cache::store",
                capacity = self.capacity,
                "invalidation replay queue full: collapsing exact keys into namespace invalidations"
            );
            let keys: Vec<CacheKey> = pending.keys.drain().map(|(key, _)| key).collect();
            for key in keys {
                pending.namespaces.insert(key.namespace().clone(), seq);
            }
        }
        self.publish(&pending);
    }

    pub(crate) fn push_namespace(&self, ns: Namespace) {
        let mut pending = self.lock();
        pending.seq += 1;
        let seq = pending.seq;
        // The namespace's replay covers its keys: it runs after they were queued.
        pending.keys.retain(|key, _| key.namespace() != &ns);
        pending.namespaces.insert(ns, seq);
        self.publish(&pending);
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let pending = self.lock();
        Snapshot {
            namespaces: pending
                .namespaces
                .iter()
                .map(|(ns, seq)| (ns.clone(), *seq))
                .collect(),
            keys: pending
                .keys
                .iter()
                .map(|(key, seq)| (key.clone(), *seq))
                .collect(),
        }
    }

    /// Removes what the store confirmed, unless it was queued again since; returns what is left.
    pub(crate) fn settle(&self, done: Snapshot) -> usize {
        let mut pending = self.lock();
        for (ns, seq) in done.namespaces {
            if pending.namespaces.get(&ns) == Some(&seq) {
                pending.namespaces.remove(&ns);
            }
        }
        for (key, seq) in done.keys {
            if pending.keys.get(&key) == Some(&seq) {
                pending.keys.remove(&key);
            }
        }
        self.publish(&pending);
        pending.keys.len() + pending.namespaces.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: Namespace = Namespace::public("app", "detail");

    #[test]
    fn an_entry_queued_again_during_a_replay_stays() {
        let queue = ReplayQueue::new(10);
        queue.push_key(NS.id(1));
        queue.push_key(NS.id(2));
        let attempt = queue.snapshot();
        queue.push_key(NS.id(1)); // the same key fails again while the replay runs
        assert_eq!(queue.settle(attempt), 1);
        assert_eq!(queue.snapshot().keys[0].0, NS.id(1));
    }

    #[test]
    fn overflow_collapses_into_namespaces() {
        let queue = ReplayQueue::new(2);
        for id in 1..=3 {
            queue.push_key(NS.id(id));
        }
        let snapshot = queue.snapshot();
        assert!(snapshot.keys.is_empty());
        assert_eq!(snapshot.namespaces.len(), 1);
        assert_eq!(queue.len(), 1);
    }
}
