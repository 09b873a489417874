//! The near-cache: each instance's own copy of hot public values, in front of Redis, as the
//! bytes Redis holds (so a hit serves them without decoding).
//!
//! Coherent the way the HTML cache is (`crates/web/src/coherence.rs`): every invalidation of
//! a public namespace is published on the bus after the store applied it, and a read may use
//! the near-cache only once this instance has applied every notice published before the read
//! began (one `GET` of the bus counter, shared by concurrent readers). Behind by more than
//! `near.wait_ms`, a gap in the numbers, a resubscription, or a store that cannot be asked:
//! the near-cache empties itself.
//!
//! A copy read from Redis just before an invalidation must not land after it. Each read takes
//! a [`Fence`] before asking Redis:
//! - a namespace invalidation (or emptying everything) bumps a generation that every entry
//!   carries, so an entry made under the old one is never served;
//! - an exact-key invalidation bumps the namespace's key counter, then removes the key; a
//!   reader re-checks that counter after inserting and removes its own entry if it moved. In
//!   either order of the two steps the old copy ends up removed.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::bus::{BusEpoch, BusEvent};
use super::{Cache, Inner, Op};
use crate::key::{CacheKey, Namespace, Scope};
use crate::registry::Registry;
use crate::settings::NearSettings;

/// How long a near entry may live at most, whatever the TTL class: a bound on memory held by
/// entries nobody reads, not a freshness rule (invalidations are).
const MAX_TTL: Duration = Duration::from_secs(3600);

pub(crate) struct Near {
    entries: moka::sync::Cache<String, Entry>,
    namespaces: Registry<String, Generations>,
    /// Bumped when everything is emptied: part of every entry's generation.
    epoch_all: AtomicU64,
    /// The last bus notice this instance has applied.
    applied: watch::Sender<u64>,
    /// False until subscribed (and after a lost subscription, until resubscribed).
    listening: std::sync::atomic::AtomicBool,
    exclude: HashSet<String>,
    wait: Duration,
    origin: String,
}

#[derive(Default)]
struct Generations {
    namespace: AtomicU64,
    keys: AtomicU64,
}

#[derive(Clone)]
struct Entry {
    bytes: Bytes,
    generation: (u64, u64),
    expires: Instant,
}

/// What a reader saw before asking the store; see the module's documentation.
pub(crate) struct Fence {
    generations: Arc<Generations>,
    generation: (u64, u64),
    keys: u64,
}

/// A bus notice of data invalidations (the web tier's notices carry `tags` instead; each side
/// ignores the other's fields).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct NearNotice {
    origin: String,
    #[serde(default)]
    near: Invalidated,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Invalidated {
    #[serde(default)]
    pub(crate) namespaces: Vec<String>,
    #[serde(default)]
    pub(crate) keys: Vec<String>,
}

impl Invalidated {
    pub(crate) fn of<'a>(ops: impl Iterator<Item = Op<'a>>) -> Self {
        let mut invalidated = Invalidated::default();
        for op in ops {
            match op {
                Op::Namespace(ns) => invalidated.namespaces.push(ns.to_string()),
                Op::Key(key) => invalidated.keys.push(key.as_str().to_owned()),
            }
        }
        invalidated
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.namespaces.is_empty() && self.keys.is_empty()
    }
}

/// Whether invalidations of `ns` travel on the bus: every public namespace, whatever this
/// instance's own near settings, so an instance configured differently still hears them.
pub(crate) fn announced(ns: &Namespace) -> bool {
    ns.scope() == Scope::Public
}

impl NearNotice {
    /// From an instance without a near-cache of its own: nobody skips it as theirs.
    pub(crate) fn anonymous(near: Invalidated) -> Self {
        NearNotice {
            origin: String::new(),
            near,
        }
    }
}

impl Near {
    pub(crate) fn new(settings: &NearSettings) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(settings.capacity_bytes)
            .weigher(|key: &String, entry: &Entry| {
                u32::try_from(key.len() + entry.bytes.len()).unwrap_or(u32::MAX)
            })
            .time_to_live(MAX_TTL)
            .build();
        Near {
            entries,
            namespaces: Registry::default(),
            epoch_all: AtomicU64::new(0),
            applied: watch::Sender::new(0),
            listening: std::sync::atomic::AtomicBool::new(false),
            exclude: settings.exclude.iter().cloned().collect(),
            wait: Duration::from_millis(settings.wait_ms),
            origin: format!("{:016x}", rand::random::<u64>()),
        }
    }

    pub(crate) fn serves(&self, ns: &Namespace, ns_name: &str) -> bool {
        announced(ns) && !self.exclude.contains(ns_name)
    }

    fn generations(&self, ns: &str) -> Arc<Generations> {
        self.namespaces.get_or_make(ns, Generations::default)
    }

    pub(crate) fn fence(&self, ns: &str) -> Fence {
        let generations = self.generations(ns);
        let keys = generations.keys.load(Ordering::SeqCst);
        let generation = (
            self.epoch_all.load(Ordering::SeqCst),
            generations.namespace.load(Ordering::SeqCst),
        );
        Fence {
            generations,
            generation,
            keys,
        }
    }

    pub(crate) fn get(&self, key: &CacheKey, fence: &Fence) -> Option<Bytes> {
        let entry = self.entries.get(key.as_str())?;
        (entry.generation == fence.generation && entry.expires > Instant::now())
            .then_some(entry.bytes)
    }

    /// Keeps `bytes`, read from the store after `fence` was taken, for at most `ttl`.
    pub(crate) fn insert(&self, key: &CacheKey, fence: &Fence, bytes: Bytes, ttl: Duration) {
        let entry = Entry {
            bytes,
            generation: fence.generation,
            expires: Instant::now() + ttl.min(MAX_TTL),
        };
        self.entries.insert(key.as_str().to_owned(), entry);
        if fence.generations.keys.load(Ordering::SeqCst) != fence.keys {
            // An exact-key invalidation ran meanwhile, maybe of this key: drop what we put.
            self.entries.invalidate(key.as_str());
        }
    }

    /// Applies invalidations (this instance's own, or another's from the bus).
    pub(crate) fn invalidate(&self, what: &Invalidated) {
        for ns in &what.namespaces {
            self.generations(ns)
                .namespace
                .fetch_add(1, Ordering::SeqCst);
        }
        for key in &what.keys {
            let ns = key.rsplit_once(':').map_or(key.as_str(), |(ns, _)| ns);
            self.generations(ns).keys.fetch_add(1, Ordering::SeqCst);
            self.entries.invalidate(key.as_str());
        }
    }

    pub(crate) fn empty(&self) {
        self.epoch_all.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
    }

    pub(crate) fn notice(&self, invalidated: Invalidated) -> NearNotice {
        NearNotice {
            origin: self.origin.clone(),
            near: invalidated,
        }
    }

    fn apply(&self, event: BusEvent) {
        match event {
            BusEvent::Resync { epoch } => {
                self.empty();
                self.applied.send_replace(epoch);
                self.listening.store(true, Ordering::SeqCst);
            }
            BusEvent::Notice { epoch, payload } => {
                let applied = *self.applied.borrow();
                if epoch > applied + 1 {
                    tracing::warn!(target: "strata_cache::near", epoch, applied, "bus notices were missed; emptying the near-cache");
                    self.empty();
                } else {
                    match serde_json::from_str::<NearNotice>(&payload) {
                        Ok(notice) if notice.origin == self.origin => {}
                        Ok(notice) => self.invalidate(&notice.near),
                        Err(error) => {
                            tracing::warn!(target: "strata_cache::near", %error, "unreadable bus notice; emptying the near-cache");
                            self.empty();
                        }
                    }
                }
                self.applied.send_if_modified(|a| {
                    let newer = epoch > *a;
                    *a = (*a).max(epoch);
                    newer
                });
            }
        }
    }

    /// Whether this instance has applied every notice published up to `epoch`; waits up to
    /// `wait` for late ones, then empties the near-cache and says no.
    async fn caught_up(&self, epoch: u64) -> bool {
        if !self.listening.load(Ordering::SeqCst) {
            return false;
        }
        let mut applied = self.applied.subscribe();
        let current = *applied.borrow_and_update();
        // Ahead is fine: a notice published after the counter was read may be applied
        // already. (A Redis that lost the counter drops the subscription, and the resync
        // starts `applied` again from the new value.)
        if current >= epoch {
            return true;
        }
        let caught_up = tokio::time::timeout(self.wait, applied.wait_for(|a| *a >= epoch))
            .await
            .is_ok_and(|r| r.is_ok());
        if !caught_up {
            tracing::warn!(target: "strata_cache::near", epoch, applied = current, "bus notices are late; emptying the near-cache");
            self.empty();
            self.applied.send_replace(epoch);
        }
        caught_up
    }
}

/// What `/readyz` and `strata cache stats` say of the near-cache.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NearHealth {
    /// Subscribed to the bus: until then (and after a lost subscription, until the resync)
    /// nothing is served from it.
    pub listening: bool,
    pub entries: u64,
    /// Bytes of values held (of `near.capacity_bytes`).
    pub bytes: u64,
}

impl Near {
    pub(crate) fn health(&self) -> NearHealth {
        self.entries.run_pending_tasks();
        NearHealth {
            listening: self.listening.load(Ordering::SeqCst),
            entries: self.entries.entry_count(),
            bytes: self.entries.weighted_size(),
        }
    }
}

/// The bus counter could not be read.
pub(crate) struct StoreUnreachable;

impl Cache {
    /// The near-cache, if it keeps `ns`.
    pub(super) fn near(&self, ns: &Namespace, ns_name: &str) -> Option<&Near> {
        self.inner
            .near
            .as_ref()
            .filter(|near| near.serves(ns, ns_name))
    }

    /// Whether `near` may be read now: this instance has applied every invalidation
    /// announced before this call. `Err` when the store could not be asked for the bus
    /// counter: the near-cache is emptied, and the read should not try the store either (a
    /// second failure, and a second wait, for one read).
    pub(super) async fn near_caught_up(&self, near: &Near) -> Result<bool, StoreUnreachable> {
        match self.bus_epoch_since_now().await {
            BusEpoch::At(epoch) => Ok(near.caught_up(epoch).await),
            BusEpoch::Alone | BusEpoch::Unknown => {
                near.empty();
                Err(StoreUnreachable)
            }
        }
    }

    /// Starts the near-cache's bus listener (Redis only).
    pub(super) fn start_near(&self) {
        if self.inner.near.is_none() {
            return;
        }
        let Some(events) = self.subscribe("near") else {
            return;
        };
        let task = tokio::spawn(listen(std::sync::Arc::downgrade(&self.inner), events));
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task);
    }
}

async fn listen(inner: Weak<Inner>, mut events: mpsc::Receiver<BusEvent>) {
    while let Some(event) = events.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        if let Some(near) = &inner.near {
            near.apply(event);
        }
    }
}

#[cfg(test)]
mod tests {
    //! The fence, with each interleaving forced: a copy read from the store before an
    //! invalidation is never served after it, whichever step lands first.

    use super::*;

    const NS: Namespace = Namespace::public("nearapp", "detail");

    fn near() -> Near {
        Near::new(&NearSettings::default())
    }

    fn key() -> CacheKey {
        NS.id(1)
    }

    fn ttl() -> Duration {
        Duration::from_secs(60)
    }

    fn invalidated(namespaces: &[&str], keys: &[&str]) -> Invalidated {
        Invalidated {
            namespaces: namespaces.iter().map(|s| (*s).to_owned()).collect(),
            keys: keys.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn name() -> String {
        NS.to_string()
    }

    #[test]
    fn a_copy_is_served_under_the_fence_it_was_read_under() {
        let near = near();
        let fence = near.fence(&name());
        near.insert(&key(), &fence, Bytes::from_static(b"1"), ttl());
        assert_eq!(
            near.get(&key(), &near.fence(&name())).as_deref(),
            Some(&b"1"[..])
        );
    }

    #[test]
    fn a_namespace_invalidation_between_read_and_insert_hides_the_copy() {
        let near = near();
        let fence = near.fence(&name());
        near.invalidate(&invalidated(&[&name()], &[]));
        near.insert(&key(), &fence, Bytes::from_static(b"old"), ttl());
        assert_eq!(near.get(&key(), &near.fence(&name())), None);
    }

    #[test]
    fn a_key_invalidation_between_read_and_insert_removes_the_copy() {
        let near = near();
        let fence = near.fence(&name());
        near.invalidate(&invalidated(&[], &[key().as_str()]));
        near.insert(&key(), &fence, Bytes::from_static(b"old"), ttl());
        assert_eq!(near.get(&key(), &near.fence(&name())), None);
    }

    #[test]
    fn a_key_invalidation_after_the_insert_removes_the_copy() {
        let near = near();
        let fence = near.fence(&name());
        near.insert(&key(), &fence, Bytes::from_static(b"old"), ttl());
        near.invalidate(&invalidated(&[], &[key().as_str()]));
        assert_eq!(near.get(&key(), &near.fence(&name())), None);
    }

    #[test]
    fn emptying_between_read_and_insert_hides_the_copy() {
        let near = near();
        let fence = near.fence(&name());
        near.empty();
        near.insert(&key(), &fence, Bytes::from_static(b"old"), ttl());
        assert_eq!(near.get(&key(), &near.fence(&name())), None);
    }

    #[test]
    fn another_namespace_is_untouched() {
        let near = near();
        let fence = near.fence(&name());
        near.insert(&key(), &fence, Bytes::from_static(b"1"), ttl());
        near.invalidate(&invalidated(
            &["public:nearapp:list"],
            &["public:nearapp:list:1"],
        ));
        assert!(near.get(&key(), &near.fence(&name())).is_some());
    }

    #[test]
    fn an_expired_copy_is_not_served() {
        let near = near();
        let fence = near.fence(&name());
        near.insert(&key(), &fence, Bytes::from_static(b"1"), Duration::ZERO);
        assert_eq!(near.get(&key(), &near.fence(&name())), None);
    }
}
