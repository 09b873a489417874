//! Hit and miss counts per namespace, and a small ring of their past values for the admin's
//! cache dashboard (hit ratio over the last 15 minutes). The Prometheus counters on `/metrics`
//! are for scrapers; these are the same events counted once more in the engine, so an instance
//! can answer "how is the cache doing" without a metrics server.
//!
//! Memory is bounded: namespaces are a small fixed set (keys are built only from declared
//! [`crate::Namespace`]s), and the ring keeps [`SAMPLES`] snapshots.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::registry::Registry;
use serde::Serialize;

/// How often the ring takes a snapshot.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Snapshots kept: 90 × 10 s = the last 15 minutes.
pub const SAMPLES: usize = 90;

/// Totals of one namespace since the process started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Reads served from the store.
    pub hits: u64,
    /// Reads that loaded and filled.
    pub misses: u64,
    /// Reads answered without the cache (flag off, store unavailable, error, wait timeout).
    pub bypasses: u64,
}

impl Tally {
    /// Hits over reads that asked the store (hits + misses); `None` before any.
    pub fn hit_ratio(&self) -> Option<f64> {
        let asked = self.hits + self.misses;
        // Counts stay far below 2^52, where f64 is exact.
        #[allow(clippy::cast_precision_loss)]
        (asked > 0).then(|| self.hits as f64 / asked as f64)
    }

    fn since(&self, earlier: &Tally) -> Tally {
        Tally {
            hits: self.hits.saturating_sub(earlier.hits),
            misses: self.misses.saturating_sub(earlier.misses),
            bypasses: self.bypasses.saturating_sub(earlier.bypasses),
        }
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    bypasses: AtomicU64,
}

/// What happened to one read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Outcome {
    Hit,
    Miss,
    Bypass,
}

/// One snapshot of every namespace's totals.
#[derive(Clone, Debug)]
struct Sample {
    at: SystemTime,
    totals: BTreeMap<String, Tally>,
}

/// The counters and the ring. Counting is one atomic add on a handle the engine keeps per
/// namespace.
#[derive(Default)]
pub(crate) struct Stats {
    counters: Registry<String, Counters>,
    ring: Mutex<VecDeque<Sample>>,
}

impl Counters {
    pub(crate) fn count(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Hit => &self.hits,
            Outcome::Miss => &self.misses,
            Outcome::Bypass => &self.bypasses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl Stats {
    /// The counters of `ns`, made at its first read (the engine keeps the handle).
    pub(crate) fn of(&self, ns: &str) -> Arc<Counters> {
        self.counters.get_or_make(ns, Counters::default)
    }

    pub(crate) fn totals(&self) -> BTreeMap<String, Tally> {
        self.counters
            .read()
            .iter()
            .map(|(ns, c)| {
                let tally = Tally {
                    hits: c.hits.load(Ordering::Relaxed),
                    misses: c.misses.load(Ordering::Relaxed),
                    bypasses: c.bypasses.load(Ordering::Relaxed),
                };
                (ns.clone(), tally)
            })
            .collect()
    }

    /// Records a snapshot, dropping the oldest past [`SAMPLES`].
    pub(crate) fn sample(&self) {
        let sample = Sample {
            at: SystemTime::now(),
            totals: self.totals(),
        };
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if ring.len() == SAMPLES {
            ring.pop_front();
        }
        ring.push_back(sample);
    }

    /// Per namespace: its totals and, for each interval between consecutive snapshots (the
    /// last one ending now), what happened in it.
    pub(crate) fn history(&self) -> Vec<NamespaceHistory> {
        let now = Sample {
            at: SystemTime::now(),
            totals: self.totals(),
        };
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let samples: Vec<&Sample> = ring.iter().chain([&now]).collect();
        now.totals
            .iter()
            .map(|(ns, total)| {
                let series = samples
                    .windows(2)
                    .map(|pair| {
                        let before = pair[0].totals.get(ns).copied().unwrap_or_default();
                        let after = pair[1].totals.get(ns).copied().unwrap_or_default();
                        let delta = after.since(&before);
                        Point {
                            at: pair[1].at,
                            hit_ratio: delta.hit_ratio(),
                            tally: delta,
                        }
                    })
                    .collect();
                NamespaceHistory {
                    namespace: ns.clone(),
                    hit_ratio: total.hit_ratio(),
                    total: *total,
                    series,
                }
            })
            .collect()
    }
}

/// One interval of a namespace's series.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// When the interval ended.
    pub at: SystemTime,
    pub tally: Tally,
    pub hit_ratio: Option<f64>,
}

/// A namespace's totals since start and its recent series (oldest first).
#[derive(Clone, Debug, PartialEq)]
pub struct NamespaceHistory {
    pub namespace: String,
    pub total: Tally,
    pub hit_ratio: Option<f64>,
    pub series: Vec<Point>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_last_samples_and_reports_intervals() {
        let stats = Stats::default();
        let list = stats.of("public:property:list");
        list.count(Outcome::Miss);
        stats.sample();
        for _ in 0..3 {
            list.count(Outcome::Hit);
        }
        list.count(Outcome::Bypass);
        let history = stats.history();
        assert_eq!(history.len(), 1);
        let list = &history[0];
        assert_eq!(
            list.total,
            Tally {
                hits: 3,
                misses: 1,
                bypasses: 1
            }
        );
        assert_eq!(list.hit_ratio, Some(0.75));
        // One interval: from the sample to now.
        assert_eq!(list.series.len(), 1);
        assert_eq!(list.series[0].tally.hits, 3);
        assert_eq!(list.series[0].hit_ratio, Some(1.0));

        for _ in 0..SAMPLES + 10 {
            stats.sample();
        }
        assert_eq!(stats.ring.lock().unwrap().len(), SAMPLES);
        assert_eq!(stats.history()[0].series.len(), SAMPLES);
        assert_eq!(stats.history()[0].series[0].hit_ratio, None);
    }
}
