//! The engine: `get_or_load`, invalidation, flags, the circuit breaker and the replay queue.

pub(crate) mod bus;
pub(crate) mod counter;
mod labels;
pub(crate) mod near;

use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use metrics::{counter, gauge, histogram};
use strata_plain::PlainData;
use tokio::task::JoinHandle;

use self::bus::BusEpoch;
use self::labels::{Bypass, Handles, Layer, NsHandle};
use self::near::{Invalidated, Near, NearHealth, NearNotice};
use crate::audit::AuditReport;
use crate::coalesce::Coalesced;
use crate::errlog::ErrorLog;
use crate::key::{CacheKey, KeyPrefix, Namespace};
use crate::locks::KeyLocks;
use crate::metrics as m;
use crate::replay::{ReplayQueue, Snapshot};
use crate::settings::{CacheSettings, TtlClass};
use crate::stats::{NamespaceHistory, SAMPLE_EVERY, Stats};
use crate::store::redis::RedisConfigError;
use crate::store::{Lookup, MemoryStore, RedisStore, Store, StoreError};
use crate::value::{EncodeError, Json, Shape};

/// Why the engine could not be built or an operator command failed.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("invalid cache settings:\n  {}", .0.join("\n  "))]
    Settings(Vec<String>),
    #[error(transparent)]
    RedisConfig(#[from] RedisConfigError),
    #[error("the cache store is unavailable: {0}")]
    Unavailable(#[from] StoreError),
    #[error("the cache store is unavailable (circuit breaker open)")]
    BreakerOpen,
}

/// What became of an invalidation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a queued invalidation has not reached the store yet"]
pub enum Invalidation {
    /// The store deleted the keys.
    Applied,
    /// The store could not be reached: queued, and replayed before this instance reads again.
    Queued,
}

/// What `/readyz` and `strata cache stats` report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CacheHealth {
    pub backend: &'static str,
    pub breaker_open: bool,
    pub pending_invalidations: usize,
    /// A store command failed since every connection last answered a probe (on a cluster:
    /// every client, every primary). Within a probe interval the heal loop checks them all;
    /// connections that keep failing are renewed. Until then some reads may still miss.
    pub connections_unverified: bool,
    pub disabled_namespaces: Vec<String>,
    /// `None` on the in-process store, or when `cache.near.enabled` is off.
    pub near: Option<NearHealth>,
}

/// The data cache. Cheap to clone; clones share one store, breaker and replay queue.
///
/// - Values are [`PlainData`] stored as JSON (plain integers come out as django-redis's raw digits).
/// - [`get_or_load`](Self::get_or_load) lets one filler per key run at a time across every
///   instance; others wait for its value (bounded), then load without filling.
/// - A fill is fenced by the lease it was granted: an invalidation deletes the lease, so a loader
///   that read the database before the invalidation never stores its value.
/// - Store failures are misses, logged at ERROR (rate-limited) and counted; after
///   `breaker_threshold` consecutive failures the breaker opens and calls stop reaching the store
///   until a background probe succeeds. Invalidations that fail are queued and replayed first.
///   Failures too scattered to open the breaker (one connection of the pool, one node of a
///   cluster) make the next probe ping every connection, and renew them if they keep failing.
/// - There is no method that clears everything.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    settings: CacheSettings,
    locks: KeyLocks,
    errors: ErrorLog,
    breaker: Breaker,
    pending: ReplayQueue,
    /// The breaker's failure count as of the last probe that reached the store through every
    /// connection: behind it, some connection may be failing unnoticed.
    verified: AtomicU64,
    /// Bumped whenever an invalidation is queued: a fill whose lease predates it is abandoned,
    /// because the invalidation that would have revoked its lease has not reached the store.
    queued_epoch: AtomicU64,
    disabled: RwLock<HashSet<String>>,
    stats: Stats,
    handles: Handles,
    /// Redis only, unless `near.enabled` is off.
    near: Option<Near>,
    /// The bus counter, one read shared by the callers that arrived before it started.
    epoch: Coalesced<BusEpoch>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in self
            .tasks
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }
}

struct Breaker {
    threshold: u32,
    /// Consecutive failures.
    failures: AtomicU32,
    /// Every failure so far: what a probe of every connection has to catch up with.
    failed_total: AtomicU64,
    open: AtomicBool,
}

impl Breaker {
    fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    fn success(&self) {
        self.failures.store(0, Ordering::Release);
    }

    fn failure(&self) {
        self.failed_total.fetch_add(1, Ordering::AcqRel);
        let failures = self.failures.fetch_add(1, Ordering::AcqRel) + 1;
        if failures >= self.threshold && !self.open.swap(true, Ordering::AcqRel) {
            gauge!(m::BREAKER_OPEN).set(1.0);
            tracing::error!(
                target: "strata_cache::store",
                failures,
                "cache store circuit breaker opened: reads go to the database until it recovers"
            );
        }
    }

    fn close(&self) {
        self.failures.store(0, Ordering::Release);
        if self.open.swap(false, Ordering::AcqRel) {
            gauge!(m::BREAKER_OPEN).set(0.0);
            tracing::info!(target: "strata_cache::store", "cache store circuit breaker closed");
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Op<'a> {
    Key(&'a CacheKey),
    Namespace(&'a Namespace),
}

impl Op<'_> {
    fn namespace(&self) -> &Namespace {
        match self {
            Op::Key(key) => key.namespace(),
            Op::Namespace(ns) => ns,
        }
    }
}

impl Cache {
    /// The in-process store of the embedded default.
    pub fn memory(settings: CacheSettings) -> Result<Self, CacheError> {
        settings.validate().map_err(CacheError::Settings)?;
        let store = Store::Memory(MemoryStore::new(settings.memory_capacity_bytes));
        Ok(Self::start(store, settings, None))
    }

    /// A Redis store (`redis://`, or Sentinel's `redis-sentinel://`). Keys are prefixed
    /// `<env>:<project>:<version>`. Connecting goes on in the background: an unreachable Redis
    /// does not fail this call, it only makes the cache miss until Redis answers.
    pub async fn redis(url: &str, env: &str, settings: CacheSettings) -> Result<Self, CacheError> {
        settings.validate().map_err(CacheError::Settings)?;
        let prefix = KeyPrefix::new(env, &settings.project, settings.version);
        let store = RedisStore::new(url, &settings.redis, prefix)?;
        // A TLS handshake that fails (an unknown CA, a name not in the certificate, a refused
        // client certificate) is an error here; a Redis that is merely down is ridden out.
        let connected = store
            .connect(CacheSettings::ms(settings.redis.connect_timeout_ms))
            .await?;
        if !connected {
            tracing::error!(
                target: "strata_cache::store",
                "Redis is not reachable yet; serving without the data cache until it is"
            );
        }
        let near = settings.near.enabled.then(|| Near::new(&settings.near));
        let cache = Self::start(Store::Redis(Box::new(store)), settings, near);
        cache.start_near();
        Ok(cache)
    }

    fn start(store: Store, settings: CacheSettings, near: Option<Near>) -> Self {
        let inner = Arc::new(Inner {
            errors: ErrorLog::new(CacheSettings::ms(settings.error_log_interval_ms)),
            breaker: Breaker {
                threshold: settings.breaker_threshold,
                failures: AtomicU32::new(0),
                failed_total: AtomicU64::new(0),
                open: AtomicBool::new(false),
            },
            pending: ReplayQueue::new(settings.replay_capacity),
            verified: AtomicU64::new(0),
            store,
            settings,
            locks: KeyLocks::default(),
            queued_epoch: AtomicU64::new(0),
            disabled: RwLock::new(HashSet::new()),
            stats: Stats::default(),
            handles: Handles::default(),
            near,
            epoch: Coalesced::new(BusEpoch::Unknown),
            tasks: Mutex::new(Vec::new()),
        });
        m::describe();
        gauge!(m::BREAKER_OPEN).set(0.0);
        let weak = Arc::downgrade(&inner);
        let healer = tokio::spawn(heal_loop(weak.clone()));
        let flags = tokio::spawn(flag_loop(weak.clone()));
        let sampler = tokio::spawn(sample_loop(weak));
        inner
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend([healer, flags, sampler]);
        Cache { inner }
    }

    pub fn settings(&self) -> &CacheSettings {
        &self.inner.settings
    }

    /// The TTL the policy table gives a class of endpoint.
    pub fn ttl(&self, class: TtlClass) -> Duration {
        self.inner.settings.ttl.of(class)
    }

    /// Returns the cached value of `key`, or runs `loader`, caches its `Ok` value for the TTL of
    /// `ttl` and returns it. Loader errors are returned as they are and never cached.
    ///
    /// Only plain data can be cached: serializer output marked [`PlainData`].
    ///
    /// ```
    /// # use strata_cache::{Cache, Namespace, PlainData, TtlClass};
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct PropertyDetail { id: i64, title: String }
    /// impl PlainData for PropertyDetail {}
    ///
    /// async fn detail(cache: &Cache) -> Result<PropertyDetail, std::io::Error> {
    ///     let key = Namespace::public("property", "detail").id(1);
    ///     cache.get_or_load(&key, TtlClass::PublicDetail, || async {
    ///         Ok(PropertyDetail { id: 1, title: "Villa".into() })
    ///     }).await
    /// }
    /// ```
    ///
    /// The same code with a type that is merely `Serialize + Deserialize` — a model, say — does
    /// not compile (the only difference from the example above is the missing `impl`):
    ///
    /// ```compile_fail
    /// # use strata_cache::{Cache, Namespace, PlainData, TtlClass};
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct PropertyDetail { id: i64, title: String }
    ///
    /// async fn detail(cache: &Cache) -> Result<PropertyDetail, std::io::Error> {
    ///     let key = Namespace::public("property", "detail").id(1);
    ///     cache.get_or_load(&key, TtlClass::PublicDetail, || async {
    ///         Ok(PropertyDetail { id: 1, title: "Villa".into() })
    ///     }).await
    /// }
    /// ```
    pub async fn get_or_load<T, E, F, Fut>(
        &self,
        key: &CacheKey,
        ttl: TtlClass,
        loader: F,
    ) -> Result<T, E>
    where
        T: PlainData,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        match self.read::<T, T, E, F, Fut>(key, ttl, loader).await? {
            Ok(value) => Ok(value),
            Err(never) => match never {},
        }
    }

    /// [`get_or_load`](Self::get_or_load), returning the value as the JSON bytes the cache
    /// holds: a hit hands them over without decoding (a handler sends them as the body as they
    /// are). Bytes from Redis are checked to decode as `T` once, when they enter the
    /// near-cache, since another writer (Django) may have stored them.
    pub async fn get_or_load_json<T, E, F, Fut>(
        &self,
        key: &CacheKey,
        ttl: TtlClass,
        loader: F,
    ) -> Result<Json<T>, E>
    where
        T: PlainData,
        E: From<EncodeError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        Ok(self
            .read::<T, Json<T>, E, F, Fut>(key, ttl, loader)
            .await??)
    }

    /// The read path of both: near-cache, then one plain `GET`, then a lease and the loader.
    /// The inner `Err` is a loaded value that could not be handed back in the shape `S`.
    async fn read<T, S, E, F, Fut>(
        &self,
        key: &CacheKey,
        ttl: TtlClass,
        loader: F,
    ) -> Result<Result<S, S::Unencodable>, E>
    where
        T: PlainData,
        S: Shape<T>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        crate::reads::note(key);
        let ns = self.handle(key.namespace());
        if !self.is_enabled(key.namespace()) {
            return self.bypass(&ns, Bypass::FlagOff, loader).await;
        }
        if !self.store_usable() {
            return self.bypass(&ns, Bypass::Unavailable, loader).await;
        }
        // The near-cache first. A copy there is served only once this instance has applied
        // every invalidation announced before this read (the bus counter, read once for many
        // readers); a read that finds none goes on to the store without asking the counter.
        let near = match self.near(key.namespace(), &ns.name) {
            None => None,
            Some(near) => {
                let mut fence = near.fence(&ns.name);
                if near.get(key, &fence).is_some() {
                    match self.near_caught_up(near).await {
                        Err(_) => return self.bypass(&ns, Bypass::Error, loader).await,
                        Ok(caught_up) => {
                            // Catching up may have applied invalidations: look again.
                            fence = near.fence(&ns.name);
                            if caught_up
                                && let Some(bytes) = near.get(key, &fence)
                                && let Ok(value) = S::from_stored(&bytes, true)
                            {
                                ns.hit(Layer::Near);
                                return Ok(Ok(value));
                            }
                        }
                    }
                }
                ns.miss(Layer::Near);
                Some((near, fence))
            }
        };
        let keep = |bytes: &Bytes| {
            if let Some((near, fence)) = &near {
                near.insert(key, fence, bytes.clone(), self.ttl(ttl));
            }
        };
        // The hit path is one plain GET: no lock, no script.
        match self
            .call("get", Some(key.namespace()), self.inner.store.get(key))
            .await
        {
            Err(_) => return self.bypass(&ns, Bypass::Error, loader).await,
            Ok(Some(bytes)) => return self.hit(&ns, &bytes, keep, loader).await,
            Ok(None) => {}
        }
        // A miss: take the key's lease, or wait for whoever holds it. Waiters in this process
        // queue behind one another, so only one of them polls the store at a time.
        let deadline =
            tokio::time::Instant::now() + CacheSettings::ms(self.inner.settings.fill_wait_ms);
        let lease = CacheSettings::ms(self.inner.settings.lease_ms);
        let mut local_turn = None;
        let mut backoff = Duration::from_millis(2);
        loop {
            let epoch = self.inner.queued_epoch.load(Ordering::Acquire);
            match self
                .call(
                    "lookup",
                    Some(key.namespace()),
                    self.inner.store.lookup(key, lease),
                )
                .await
            {
                Err(_) => return self.bypass(&ns, Bypass::Error, loader).await,
                Ok(Lookup::Hit(bytes)) => return self.hit(&ns, &bytes, keep, loader).await,
                Ok(Lookup::Leased(token)) => {
                    ns.miss(Layer::Store);
                    let (result, stored) = self.fill(key, &ns, ttl, token, epoch, loader).await;
                    let value = result?;
                    if let Some(bytes) = &stored {
                        keep(bytes);
                    }
                    return Ok(S::from_loaded(value, stored));
                }
                Ok(Lookup::Busy) if local_turn.is_none() => {
                    let turn = self.inner.locks.lock(key.as_str());
                    match tokio::time::timeout_at(deadline, turn).await {
                        // Our turn: look again at once, the filler may be done.
                        Ok(guard) => local_turn = Some(guard),
                        Err(_) => return self.bypass(&ns, Bypass::WaitTimeout, loader).await,
                    }
                }
                Ok(Lookup::Busy) => {
                    if tokio::time::Instant::now() + backoff >= deadline {
                        return self.bypass(&ns, Bypass::WaitTimeout, loader).await;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(50));
                }
            }
        }
    }

    /// The handles of `ns`: its name, counters and labels, made at its first read.
    fn handle(&self, ns: &Namespace) -> Arc<NsHandle> {
        self.inner
            .handles
            .of(ns, self.inner.store.backend(), &self.inner.stats)
    }

    /// A value the store returned. One that does not decode as `T` is left in place (it may
    /// be another writer's — Django's — differently shaped value, and expires by its TTL) and
    /// the loader answers instead. One that does is kept in the near-cache (`keep`).
    async fn hit<T, S, E, F, Fut>(
        &self,
        ns: &NsHandle,
        bytes: &Bytes,
        keep: impl FnOnce(&Bytes),
        loader: F,
    ) -> Result<Result<S, S::Unencodable>, E>
    where
        T: PlainData,
        S: Shape<T>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        // The in-process store holds only what this process encoded.
        let checked = matches!(self.inner.store, Store::Memory(_));
        match S::from_stored(bytes, checked) {
            Ok(value) => {
                ns.hit(Layer::Store);
                keep(bytes);
                Ok(Ok(value))
            }
            Err(error) => {
                self.inner.errors.report("decode", "decode", &error);
                counter!(m::ERRORS, "namespace" => ns.name.clone(), "command" => "decode")
                    .increment(1);
                self.bypass(ns, Bypass::Error, loader).await
            }
        }
    }

    async fn bypass<T, S, E, F, Fut>(
        &self,
        ns: &NsHandle,
        reason: Bypass,
        loader: F,
    ) -> Result<Result<S, S::Unencodable>, E>
    where
        T: PlainData,
        S: Shape<T>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        ns.bypass(reason);
        Ok(S::from_loaded(loader().await?, None))
    }

    /// Runs the loader under the lease `token` and stores its value if the lease still holds.
    /// Returns the loader's result and, when the store accepted it, the bytes stored.
    async fn fill<T, E, F, Fut>(
        &self,
        key: &CacheKey,
        ns: &NsHandle,
        ttl: TtlClass,
        token: u64,
        epoch: u64,
        loader: F,
    ) -> (Result<T, E>, Option<Bytes>)
    where
        T: PlainData,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let started = Instant::now();
        let mut lease = LeaseGuard {
            cache: self,
            key,
            token,
            held: true,
        };
        let result = loader().await;
        let mut stored_bytes = None;
        if let Ok(value) = &result {
            let still_fresh = self.inner.queued_epoch.load(Ordering::Acquire) == epoch;
            match serde_json::to_vec(value) {
                Ok(bytes) if still_fresh => {
                    let bytes = Bytes::from(bytes);
                    let stored = self
                        .call(
                            "fill",
                            Some(key.namespace()),
                            self.inner
                                .store
                                .fill(key, token, bytes.clone(), self.ttl(ttl)),
                        )
                        .await;
                    // Stored or refused, the lease is gone; after an error it expires by itself.
                    lease.held = false;
                    match stored {
                        Ok(true) => stored_bytes = Some(bytes),
                        Ok(false) => {
                            counter!(m::STALE_FILLS_REJECTED, "namespace" => ns.name.clone())
                                .increment(1);
                            tracing::debug!(key = %key, "fill refused: the key was invalidated while loading");
                        }
                        Err(_) => {}
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    self.inner.errors.report("encode", "encode", &error);
                    counter!(m::ERRORS, "namespace" => ns.name.clone(), "command" => "encode")
                        .increment(1);
                }
            }
        }
        if lease.held {
            lease.held = false;
            let _ = self
                .call(
                    "release",
                    Some(key.namespace()),
                    self.inner.store.release(key, token),
                )
                .await;
        }
        histogram!(m::FILL_SECONDS, "namespace" => ns.name.clone())
            .record(started.elapsed().as_secs_f64());
        (result, stored_bytes)
    }
    /// Reads a key without loading or filling (`cache audit`, tests). `None` on a miss, on a
    /// store error or when the namespace's flag is off.
    pub async fn peek<T: PlainData>(&self, key: &CacheKey) -> Option<T> {
        if !self.is_enabled(key.namespace()) || !self.store_usable() {
            return None;
        }
        let bytes = self
            .call("get", Some(key.namespace()), self.inner.store.get(key))
            .await
            .ok()??;
        serde_json::from_slice(&bytes).ok()
    }

    /// Deletes exactly `key` (and revokes its lease). Never fails: if the store cannot be
    /// reached the invalidation is queued and replayed before this instance reads the store again.
    pub async fn invalidate(&self, key: &CacheKey) -> Invalidation {
        self.apply(&[Op::Key(key)]).await
    }

    /// Deletes every key of `ns` (and revokes their leases), at a cost that grows with the
    /// namespace, not with the keyspace. Queued like [`invalidate`](Self::invalidate) on failure.
    pub async fn invalidate_namespace(&self, ns: &Namespace) -> Invalidation {
        self.apply(&[Op::Namespace(ns)]).await
    }

    /// What a commit invalidates, at once: each namespace and key as above, and one notice on
    /// the bus for the other instances' near-caches. `Queued` if any of them was queued.
    pub async fn invalidate_all_of(
        &self,
        namespaces: &[Namespace],
        keys: &[CacheKey],
    ) -> Invalidation {
        let ops: Vec<Op<'_>> = namespaces
            .iter()
            .map(Op::Namespace)
            .chain(keys.iter().map(Op::Key))
            .collect();
        self.apply(&ops).await
    }

    async fn apply(&self, ops: &[Op<'_>]) -> Invalidation {
        let mut applied = Vec::with_capacity(ops.len());
        for op in ops {
            applied.push(!self.inner.breaker.is_open() && self.run(op).await.is_ok());
        }
        // This instance's near-cache forgets at once, whatever the store said; the others
        // hear what the store confirmed on the bus (what it did not is queued, and its replay
        // announces it). An announcement that fails would leave them serving the old copies,
        // so what it carried is queued too.
        if let Some(near) = &self.inner.near {
            near.invalidate(&Invalidated::of(
                ops.iter()
                    .copied()
                    .filter(|op| near::announced(op.namespace())),
            ));
        }
        let confirmed = Invalidated::of(
            ops.iter()
                .zip(&applied)
                .filter(|(op, applied)| **applied && near::announced(op.namespace()))
                .map(|(op, _)| *op),
        );
        if !self.announce(confirmed).await {
            for (op, applied) in ops.iter().zip(applied.iter_mut()) {
                *applied &= !near::announced(op.namespace());
            }
        }
        let mut outcome = Invalidation::Applied;
        for (op, applied) in ops.iter().zip(applied) {
            let kind = match op {
                Op::Key(_) => "key",
                Op::Namespace(_) => "namespace",
            };
            let result = if applied { "applied" } else { "queued" };
            counter!(m::INVALIDATIONS, "namespace" => op.namespace().to_string(), "kind" => kind, "outcome" => result)
                .increment(1);
            if !applied {
                match op {
                    Op::Key(key) => self.inner.pending.push_key((*key).clone()),
                    Op::Namespace(ns) => self.inner.pending.push_namespace((*ns).clone()),
                }
                self.inner.queued_epoch.fetch_add(1, Ordering::AcqRel);
                outcome = Invalidation::Queued;
            }
        }
        outcome
    }

    /// Tells every instance's near-cache what the store confirmed invalidated; `false` if
    /// the bus could not be reached. The in-process store has no other instance to tell.
    /// Not held back by an open breaker: the replay announces while probing.
    async fn announce(&self, invalidated: Invalidated) -> bool {
        let Store::Redis(redis) = &self.inner.store else {
            return true;
        };
        if invalidated.is_empty() {
            return true;
        }
        let notice = match &self.inner.near {
            Some(near) => near.notice(invalidated),
            None => NearNotice::anonymous(invalidated),
        };
        let Ok(payload) = serde_json::to_string(&notice) else {
            return false;
        };
        self.call("broadcast", None, redis.broadcast(&payload))
            .await
            .is_ok()
    }

    async fn run(&self, op: &Op<'_>) -> Result<(), StoreError> {
        match op {
            Op::Key(key) => {
                self.call(
                    "invalidate",
                    Some(key.namespace()),
                    self.inner.store.invalidate_key(key),
                )
                .await
            }
            Op::Namespace(ns) => self
                .call(
                    "invalidate_namespace",
                    Some(ns),
                    self.inner.store.invalidate_namespace(ns),
                )
                .await
                .map(|_| ()),
        }
    }

    /// Whether caching is on for `ns` (as last read from the store's flags, at most
    /// `flag_refresh_ms` ago).
    pub fn is_enabled(&self, ns: &Namespace) -> bool {
        let disabled = self
            .inner
            .disabled
            .read()
            .unwrap_or_else(|p| p.into_inner());
        disabled.is_empty() || !disabled.contains(&ns.to_string())
    }

    /// Turns caching of `ns` on or off on every instance sharing the store (within
    /// `flag_refresh_ms`). Off means reads and writes bypass the cache; invalidations still run.
    pub async fn set_enabled(&self, ns: &Namespace, enabled: bool) -> Result<(), CacheError> {
        if self.inner.breaker.is_open() {
            return Err(CacheError::BreakerOpen);
        }
        self.call(
            "set_flag",
            Some(ns),
            self.inner.store.set_enabled(ns, enabled),
        )
        .await?;
        let mut disabled = self
            .inner
            .disabled
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if enabled {
            disabled.remove(&ns.to_string());
        } else {
            disabled.insert(ns.to_string());
        }
        Ok(())
    }

    /// Namespaces whose flag is off, read from the store now.
    pub async fn disabled_namespaces(&self) -> Result<BTreeSet<String>, CacheError> {
        Ok(self
            .call("flags", None, self.inner.store.disabled_namespaces())
            .await?)
    }

    /// Scans the live keyspace of this deployment and reports keys off the convention, without
    /// a TTL, or larger than `oversized_bytes` (`strata cache audit`). Stops after about
    /// `max_keys` keys (a whole `SCAN` batch past it at most), saying so in `truncated`.
    pub async fn audit(
        &self,
        oversized_bytes: u64,
        max_keys: u64,
    ) -> Result<AuditReport, CacheError> {
        Ok(self
            .call(
                "audit",
                None,
                self.inner.store.audit(oversized_bytes, max_keys),
            )
            .await?)
    }

    /// Per namespace: hits, misses and bypasses since this process started, and the same per
    /// interval of [`crate::stats::SAMPLE_EVERY`] over the last 15 minutes (the admin's cache
    /// dashboard). This instance's reads only.
    pub fn history(&self) -> Vec<NamespaceHistory> {
        self.inner.stats.history()
    }

    /// Takes a snapshot of the counters now, as the sampler does every
    /// [`crate::stats::SAMPLE_EVERY`] (for tests that cannot wait).
    pub fn sample_stats(&self) {
        self.inner.stats.sample();
    }

    pub fn health(&self) -> CacheHealth {
        let disabled = self
            .inner
            .disabled
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let mut disabled_namespaces: Vec<String> = disabled.iter().cloned().collect();
        disabled_namespaces.sort();
        CacheHealth {
            backend: self.inner.store.backend(),
            breaker_open: self.inner.breaker.is_open(),
            pending_invalidations: self.pending_len(),
            connections_unverified: self.unverified_failures() > 0,
            disabled_namespaces,
            near: self.inner.near.as_ref().map(Near::health),
        }
    }

    fn pending_len(&self) -> usize {
        self.inner.pending.len()
    }

    /// Store failures since the last probe that reached the store through every connection.
    fn unverified_failures(&self) -> u64 {
        self.inner
            .breaker
            .failed_total
            .load(Ordering::Acquire)
            .saturating_sub(self.inner.verified.load(Ordering::Acquire))
    }

    /// The store may be read: the breaker is closed and no invalidation awaits replay (reading
    /// before the replay could serve what the queued invalidation was meant to remove).
    fn store_usable(&self) -> bool {
        !self.inner.breaker.is_open() && self.pending_len() == 0
    }

    /// Runs one store command through the breaker's accounting and the error log. `ns` labels
    /// the error metric when the command concerns one namespace.
    async fn call<R>(
        &self,
        command: &'static str,
        ns: Option<&Namespace>,
        fut: impl Future<Output = Result<R, StoreError>>,
    ) -> Result<R, StoreError> {
        let result = fut.await;
        match &result {
            Ok(_) => self.inner.breaker.success(),
            Err(error) => {
                self.inner.breaker.failure();
                self.inner.errors.report(command, error.kind(), error);
                let ns = ns.map(Namespace::to_string).unwrap_or_default();
                counter!(m::ERRORS, "namespace" => ns, "command" => command).increment(1);
            }
        }
        result
    }
}

/// Gives the lease back if the filler is dropped mid-load (a cancelled request), so waiters on
/// other instances need not sit out the lease's TTL.
struct LeaseGuard<'a> {
    cache: &'a Cache,
    key: &'a CacheKey,
    token: u64,
    held: bool,
}

impl Drop for LeaseGuard<'_> {
    fn drop(&mut self) {
        if self.held
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let cache = self.cache.clone();
            let key = self.key.clone();
            let token = self.token;
            runtime.spawn(async move {
                let _ = cache
                    .call(
                        "release",
                        Some(key.namespace()),
                        cache.inner.store.release(&key, token),
                    )
                    .await;
            });
        }
    }
}

/// Half-open probing: while the breaker is open or invalidations wait, ping the store; once it
/// answers, replay the queue, then close the breaker. Otherwise, after commands failed without
/// opening the breaker (their failures interleaved with successes: one bad connection of the
/// pool, one unreachable node of a cluster), ping every connection; connections that keep
/// failing either probe are renewed.
async fn heal_loop(inner: Weak<Inner>) {
    let interval = match inner.upgrade() {
        Some(inner) => CacheSettings::ms(inner.settings.probe_interval_ms),
        None => return,
    };
    // Probes in a row in which the store answered a ping but refused the replay, or some
    // connection did not answer.
    let mut refused = 0;
    loop {
        tokio::time::sleep(interval).await;
        let Some(inner) = inner.upgrade() else { return };
        let cache = Cache { inner };
        cache.inner.errors.flush();
        if !cache.inner.breaker.is_open() && cache.pending_len() == 0 {
            if cache.unverified_failures() == 0 {
                refused = 0;
                continue;
            }
            // Failures counted after this read are left for the next probe.
            let failed = cache.inner.breaker.failed_total.load(Ordering::Acquire);
            match cache.inner.store.ping_every_connection().await {
                Ok(()) => {
                    cache.inner.verified.fetch_max(failed, Ordering::AcqRel);
                    refused = 0;
                }
                Err(error) => {
                    cache
                        .inner
                        .errors
                        .report("ping_every_connection", error.kind(), &error);
                    refused += 1;
                }
            }
        } else if cache.inner.store.ping().await.is_ok() {
            refused = cache.drain_queue(refused).await;
        }
        // The server answers, yet the replay keeps failing, or a connection does: some
        // connections are stuck (see `RedisStore::renew`).
        if refused >= RENEW_AFTER_REFUSALS {
            cache.inner.store.renew();
            refused = 0;
        }
    }
}

impl Cache {
    /// Replays the queue and closes the breaker once it is empty; returns the probes in a row
    /// whose replay was refused, `refused` before this one.
    async fn drain_queue(&self, refused: u32) -> u32 {
        // Invalidations keep queueing while the breaker is open: drain again at once while
        // each round succeeds, or a steady stream of writes would hold the breaker open.
        for _ in 0..MAX_REPLAY_ROUNDS {
            match self.replay().await {
                Replayed::All => {
                    self.inner.breaker.close();
                    return 0;
                }
                Replayed::MoreQueued => {}
                Replayed::Failed => return refused + 1,
            }
        }
        refused
    }
}

/// Probes (`probe_interval_ms` apart) in a row whose ping succeeded but whose replay failed, or
/// in which some connection did not answer, before the store's connections are replaced.
const RENEW_AFTER_REFUSALS: u32 = 10;

/// Rounds of replay per probe; each round drains what queued during the one before.
const MAX_REPLAY_ROUNDS: usize = 32;

enum Replayed {
    /// The queue is empty.
    All,
    /// Everything attempted was applied, but more was queued meanwhile.
    MoreQueued,
    /// The store refused one: try again at the next probe.
    Failed,
}

impl Cache {
    /// Replays queued invalidations in order (namespaces, then keys), stopping at the first
    /// failure.
    async fn replay(&self) -> Replayed {
        let attempt = self.inner.pending.snapshot();
        let total = attempt.namespaces.len() + attempt.keys.len();
        let mut done = Snapshot {
            namespaces: Vec::new(),
            keys: Vec::new(),
        };
        let mut complete = true;
        for (ns, seq) in attempt.namespaces {
            if self.inner.store.invalidate_namespace(&ns).await.is_err() {
                complete = false;
                break;
            }
            done.namespaces.push((ns, seq));
        }
        if complete {
            for (key, seq) in attempt.keys {
                if self.inner.store.invalidate_key(&key).await.is_err() {
                    break;
                }
                done.keys.push((key, seq));
            }
        }
        // What the store confirmed must reach the other near-caches too before it leaves the
        // queue.
        let invalidated = Invalidated::of(
            done.namespaces
                .iter()
                .map(|(ns, _)| Op::Namespace(ns))
                .chain(done.keys.iter().map(|(key, _)| Op::Key(key)))
                .filter(|op| near::announced(op.namespace())),
        );
        if !self.announce(invalidated).await {
            done.namespaces.retain(|(ns, _)| !near::announced(ns));
            done.keys
                .retain(|(key, _)| !near::announced(key.namespace()));
            complete = false;
        }
        complete &= done.namespaces.len() + done.keys.len() == total;
        let left = self.inner.pending.settle(done);
        if total > 0 && left == 0 {
            tracing::info!(target: "strata_cache::store", replayed = total, "replayed queued invalidations");
        }
        match (left, complete) {
            (0, _) => Replayed::All,
            (_, true) => Replayed::MoreQueued,
            (_, false) => Replayed::Failed,
        }
    }
}

/// Snapshots the per-namespace counters for [`Cache::history`].
async fn sample_loop(inner: Weak<Inner>) {
    let mut ticks = tokio::time::interval(SAMPLE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        inner.stats.sample();
    }
}

/// Keeps this instance's view of the namespace flags at most `flag_refresh_ms` old.
async fn flag_loop(inner: Weak<Inner>) {
    let interval = match inner.upgrade() {
        Some(inner) => CacheSettings::ms(inner.settings.flag_refresh_ms),
        None => return,
    };
    loop {
        let Some(inner) = inner.upgrade() else { return };
        let cache = Cache { inner };
        if !cache.inner.breaker.is_open()
            && let Ok(disabled) = cache
                .call("flags", None, cache.inner.store.disabled_namespaces())
                .await
        {
            *cache
                .inner
                .disabled
                .write()
                .unwrap_or_else(|p| p.into_inner()) = disabled.into_iter().collect();
        }
        drop(cache);
        tokio::time::sleep(interval).await;
    }
}
