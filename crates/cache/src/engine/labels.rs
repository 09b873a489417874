//! Per-namespace handles made once, at a namespace's first read: its name as a string, its
//! Prometheus counters with their labels already resolved, and the dashboard's counters. A
//! read then costs a map lookup and atomic adds, not a label set built and hashed per event.

use std::sync::Arc;

use metrics::{Counter, counter};

use crate::key::Namespace;
use crate::metrics as m;
use crate::registry::Registry;
use crate::stats::{Counters, Outcome, Stats};

/// Where a hit or miss happened.
#[derive(Clone, Copy)]
pub(crate) enum Layer {
    /// This instance's near-cache.
    Near,
    /// The store: Redis, or the in-process store of the embedded default.
    Store,
}

/// Why a read went to the loader without the cache (the `reason` label).
#[derive(Clone, Copy)]
pub(crate) enum Bypass {
    FlagOff,
    Unavailable,
    Error,
    WaitTimeout,
}

pub(crate) struct NsHandle {
    pub(crate) name: String,
    hits: [Counter; 2],
    misses: [Counter; 2],
    bypasses: [Counter; 4],
    tally: Arc<Counters>,
}

impl NsHandle {
    fn new(ns: &Namespace, store: &'static str, stats: &Stats) -> Self {
        let name = ns.to_string();
        // Indexed by `Layer`.
        let layered = |metric: &'static str| {
            [
                counter!(metric, "namespace" => name.clone(), "layer" => "near"),
                counter!(metric, "namespace" => name.clone(), "layer" => store),
            ]
        };
        let bypass = |reason: &'static str| counter!(m::BYPASSES, "namespace" => name.clone(), "reason" => reason);
        NsHandle {
            hits: layered(m::HITS),
            misses: layered(m::MISSES),
            bypasses: [
                bypass("flag_off"),
                bypass("unavailable"),
                bypass("error"),
                bypass("wait_timeout"),
            ],
            tally: stats.of(&name),
            name,
        }
    }

    /// A read answered by `layer`. The dashboard counts a hit in either layer once.
    pub(crate) fn hit(&self, layer: Layer) {
        self.hits[layer as usize].increment(1);
        self.tally.count(Outcome::Hit);
    }

    /// A read `layer` could not answer. Only the store's miss (the reader fills) is a miss on
    /// the dashboard; a near miss goes on to the store.
    pub(crate) fn miss(&self, layer: Layer) {
        self.misses[layer as usize].increment(1);
        if matches!(layer, Layer::Store) {
            self.tally.count(Outcome::Miss);
        }
    }

    pub(crate) fn bypass(&self, reason: Bypass) {
        self.bypasses[reason as usize].increment(1);
        self.tally.count(Outcome::Bypass);
    }
}

/// The handles of every namespace read so far (a small fixed set: namespaces are declared).
#[derive(Default)]
pub(crate) struct Handles(Registry<Namespace, NsHandle>);

impl Handles {
    pub(crate) fn of(&self, ns: &Namespace, store: &'static str, stats: &Stats) -> Arc<NsHandle> {
        self.0.get_or_make(ns, || NsHandle::new(ns, store, stats))
    }
}
