//! The HTML cache: Next.js's incremental static regeneration, per instance, made exact.
//!
//! - A page is rendered once and then served from memory until `revalidate` seconds pass;
//!   after that the stale page is still served while one background render per page replaces
//!   it (stale-while-revalidate).
//! - A tag invalidation expires every page carrying the tag at once: the very next request
//!   renders fresh. Expiry is by sequence number, not by deleting entries: an invalidation
//!   takes the next number for its tags, and a page is current only if it began rendering at
//!   or after every one of its tags' last invalidation. So a render that started before an
//!   invalidation (and may have read the old data) is never served as current, however late it
//!   finishes — the web tier's version of the data cache's "no stale fill".
//! - The per-tag record of invalidations is bounded ([`MAX_EXPIRED_TAGS`]): past it, the tags
//!   invalidated longest ago are forgotten and the record's floor rises to their number; a tag
//!   it does not hold counts as invalidated at the floor. Forgetting can only make a page look
//!   older than it is (one more render), never fresher.
//! - A render that fails keeps the last good page, served as stale, instead of an error.
//! - Concurrent misses of one page wait for a single render.
//! - It counts what it served ([`HtmlCache::stats`]), as `/metrics` does, for the admin's cache
//!   dashboard.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::http::StatusCode;
use bytes::Bytes;
use metrics::counter;
use sha2::{Digest, Sha256};

/// What a render produced: a page to cache (200, 404, or a 301 to a renamed page) and its tags.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Bytes,
    pub tags: Vec<String>,
    /// Where a redirect points (its `Location`).
    pub location: Option<String>,
}

/// A cached page.
#[derive(Debug)]
pub struct Entry {
    pub rendered: Rendered,
    /// A strong validator: the body's hash.
    pub etag: String,
    pub revalidate: Duration,
    /// The clock value when its render began.
    seq: u64,
    rendered_at: Instant,
}

impl Entry {
    pub fn age(&self) -> Duration {
        self.rendered_at.elapsed()
    }
}

/// How a request was served, as the `x-strata-cache` header says (Next.js: `x-nextjs-cache`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Hit,
    /// Past `revalidate` (a background render is refreshing it), or kept after a failed render.
    Stale,
    Miss,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "HIT",
            Outcome::Stale => "STALE",
            Outcome::Miss => "MISS",
        }
    }
}

#[derive(Clone)]
pub struct HtmlCache {
    inner: Arc<Inner>,
}

/// What an instance's HTML cache served since it started (the requests
/// `strata_web_html_requests_total` counts, by outcome) and what it holds now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HtmlStats {
    /// When counting began (the process's start): totals of two reads compare only when equal.
    pub since: SystemTime,
    pub hits: u64,
    pub stale: u64,
    pub misses: u64,
    /// Pages held.
    pub entries: u64,
    /// Their bodies and keys, in bytes.
    pub bytes: u64,
    /// The most it holds (`web.html_cache_mb`).
    pub capacity_bytes: u64,
}

/// How many tags' last invalidation [`HtmlCache`] remembers (a few MB at most): every
/// `property:N`, `category:slug`… ever invalidated would otherwise stay in memory for good.
pub const MAX_EXPIRED_TAGS: usize = 16_384;

struct Inner {
    entries: moka::sync::Cache<String, Arc<Entry>>,
    capacity_bytes: u64,
    since: SystemTime,
    hits: AtomicU64,
    stale: AtomicU64,
    misses: AtomicU64,
    clock: AtomicU64,
    /// Each tag's last invalidation (read on every hit, written by invalidations).
    expired: RwLock<Expiries>,
    /// The last "everything": a resync after messages may have been missed.
    cleared: AtomicU64,
    rendering: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    refreshing: Mutex<HashSet<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The last invalidation of each tag, at most `capacity` of them, plus the floor: the latest
/// invalidation of any tag forgotten to stay within `capacity`. Forgetting the oldest first
/// keeps the floor as low as it can be.
struct Expiries {
    by_tag: HashMap<Arc<str>, u64>,
    /// The same entries ordered by invalidation, to find the oldest without a scan.
    by_seq: BTreeSet<(u64, Arc<str>)>,
    floor: u64,
    capacity: usize,
}

impl Expiries {
    fn new(capacity: usize) -> Self {
        Expiries {
            by_tag: HashMap::new(),
            by_seq: BTreeSet::new(),
            floor: 0,
            capacity,
        }
    }

    /// When `tag` was last invalidated, or a bound at least as late (the floor).
    fn last(&self, tag: &str) -> u64 {
        self.by_tag.get(tag).copied().unwrap_or(self.floor)
    }

    fn record(&mut self, tag: &str, seq: u64) {
        let tag: Arc<str> = Arc::from(tag);
        match self.by_tag.get(&tag).copied() {
            // Two invalidations' ticks and writes may interleave: the later tick stays.
            Some(old) if old >= seq => return,
            Some(old) => {
                self.by_seq.remove(&(old, tag.clone()));
            }
            None => {}
        }
        self.by_tag.insert(tag.clone(), seq);
        self.by_seq.insert((seq, tag));
        while self.by_tag.len() > self.capacity {
            let Some((oldest, tag)) = self.by_seq.pop_first() else {
                break;
            };
            self.by_tag.remove(&tag);
            self.floor = self.floor.max(oldest);
        }
    }

    /// Forgets the invalidations up to `seq`, which `cleared` now covers.
    fn forget_through(&mut self, seq: u64) {
        self.by_seq = self
            .by_seq
            .split_off(&(seq.saturating_add(1), Arc::from("")));
        self.by_tag = self
            .by_seq
            .iter()
            .map(|(at, tag)| (tag.clone(), *at))
            .collect();
    }
}

impl HtmlCache {
    /// At most `capacity_bytes` of page bodies (least recently used pages go first).
    pub fn new(capacity_bytes: u64) -> Self {
        Self::with_tag_capacity(capacity_bytes, MAX_EXPIRED_TAGS)
    }

    fn with_tag_capacity(capacity_bytes: u64, tags: usize) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(capacity_bytes)
            .weigher(|key: &String, entry: &Arc<Entry>| {
                u32::try_from(key.len() + entry.rendered.body.len()).unwrap_or(u32::MAX)
            })
            .build();
        HtmlCache {
            inner: Arc::new(Inner {
                entries,
                capacity_bytes,
                since: SystemTime::now(),
                hits: AtomicU64::new(0),
                stale: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                clock: AtomicU64::new(0),
                expired: RwLock::new(Expiries::new(tags)),
                cleared: AtomicU64::new(0),
                rendering: Mutex::new(HashMap::new()),
                refreshing: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// Expires every page carrying one of `tags`.
    pub fn expire<'a>(&self, tags: impl IntoIterator<Item = &'a str>) {
        let seq = self.tick();
        let mut expired = self
            .inner
            .expired
            .write()
            .unwrap_or_else(|p| p.into_inner());
        for tag in tags {
            expired.record(tag, seq);
        }
    }

    /// Expires every page (messages from other instances may have been missed).
    pub fn expire_all(&self) {
        let seq = self.tick();
        self.inner.cleared.store(seq, Ordering::Release);
        // Everything before `seq` is expired by `cleared`: per-tag marks add nothing now.
        self.inner
            .expired
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .forget_through(seq);
        counter!("strata_web_html_expire_all_total").increment(1);
    }

    fn tick(&self) -> u64 {
        self.inner.clock.fetch_add(1, Ordering::AcqRel) + 1
    }

    fn is_current(&self, entry: &Entry) -> bool {
        if self.inner.cleared.load(Ordering::Acquire) > entry.seq {
            return false;
        }
        let expired = self.inner.expired.read().unwrap_or_else(|p| p.into_inner());
        entry
            .rendered
            .tags
            .iter()
            .all(|tag| expired.last(tag) <= entry.seq)
    }

    /// Serves `key` from the cache, rendering it when missing or expired by a tag, and
    /// refreshing it in the background once older than `revalidate`. `Err` only when the
    /// render failed and no earlier page exists.
    pub async fn serve<R, Fut, E>(
        &self,
        key: &str,
        revalidate: Duration,
        render: R,
    ) -> Result<(Arc<Entry>, Outcome), E>
    where
        R: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Rendered, E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        if let Some(entry) = self.current(key) {
            if entry.age() < entry.revalidate {
                self.count(Outcome::Hit);
                return Ok((entry, Outcome::Hit));
            }
            self.refresh_in_background(key, revalidate, render);
            self.count(Outcome::Stale);
            return Ok((entry, Outcome::Stale));
        }
        let gate = self.render_lock(key);
        let _turn = gate.lock().await;
        // Another request may have rendered it while this one waited.
        if let Some(entry) = self.current(key) {
            self.count(Outcome::Hit);
            return Ok((entry, Outcome::Hit));
        }
        self.count(Outcome::Miss);
        match self.render_and_store(key, revalidate, &render).await {
            Ok(entry) => Ok((entry, Outcome::Miss)),
            Err(error) => match self.inner.entries.get(key) {
                Some(last_good) => {
                    tracing::error!(%error, key, "page render failed; serving the last good page");
                    Ok((last_good, Outcome::Stale))
                }
                None => Err(error),
            },
        }
    }

    fn current(&self, key: &str) -> Option<Arc<Entry>> {
        self.inner
            .entries
            .get(key)
            .filter(|entry| self.is_current(entry))
    }

    fn render_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut rendering = lock(&self.inner.rendering);
        // Forget the locks nobody holds or waits on, so the map stays as small as the misses
        // in flight.
        rendering.retain(|_, gate| Arc::strong_count(gate) > 1);
        rendering.entry(key.to_owned()).or_default().clone()
    }

    async fn render_and_store<R, Fut, E>(
        &self,
        key: &str,
        revalidate: Duration,
        render: &R,
    ) -> Result<Arc<Entry>, E>
    where
        R: Fn() -> Fut,
        Fut: Future<Output = Result<Rendered, E>>,
    {
        // Read before the render reads any data (see the module docs).
        let seq = self.inner.clock.load(Ordering::Acquire);
        let rendered = render().await?;
        let entry = Arc::new(Entry {
            etag: etag(&rendered.body),
            rendered,
            revalidate,
            seq,
            rendered_at: Instant::now(),
        });
        self.inner.entries.insert(key.to_owned(), entry.clone());
        Ok(entry)
    }

    fn refresh_in_background<R, Fut, E>(&self, key: &str, revalidate: Duration, render: R)
    where
        R: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Rendered, E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        if !lock(&self.inner.refreshing).insert(key.to_owned()) {
            return;
        }
        let cache = self.clone();
        let key = key.to_owned();
        tokio::spawn(async move {
            if let Err(error) = cache.render_and_store(&key, revalidate, &render).await {
                tracing::error!(%error, key, "background page render failed; keeping the stale page");
            }
            lock(&cache.inner.refreshing).remove(&key);
        });
    }

    fn count(&self, outcome: Outcome) {
        let (label, total) = match outcome {
            Outcome::Hit => ("hit", &self.inner.hits),
            Outcome::Stale => ("stale", &self.inner.stale),
            Outcome::Miss => ("miss", &self.inner.misses),
        };
        total.fetch_add(1, Ordering::Relaxed);
        counter!("strata_web_html_requests_total", "outcome" => label).increment(1);
    }

    /// This instance's counts and what it holds now.
    pub fn stats(&self) -> HtmlStats {
        // moka applies inserts and evictions to its counts lazily: settle them first.
        self.inner.entries.run_pending_tasks();
        HtmlStats {
            since: self.inner.since,
            hits: self.inner.hits.load(Ordering::Relaxed),
            stale: self.inner.stale.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
            entries: self.inner.entries.entry_count(),
            bytes: self.inner.entries.weighted_size(),
            capacity_bytes: self.inner.capacity_bytes,
        }
    }
}

fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    // Weak: the compression layer may re-encode the same page.
    format!("W/\"{hex}\"")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn page(body: &str, tags: &[&str]) -> Rendered {
        Rendered {
            status: StatusCode::OK,
            content_type: "text/html; charset=utf-8",
            body: Bytes::from(body.to_owned()),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            location: None,
        }
    }

    const LONG: Duration = Duration::from_secs(3600);

    async fn serve(cache: &HtmlCache, body: &'static str) -> (String, Outcome) {
        let (entry, outcome) = cache
            .serve("/", LONG, move || async move {
                Ok::<_, String>(page(body, &["properties"]))
            })
            .await
            .unwrap();
        (
            String::from_utf8(entry.rendered.body.to_vec()).unwrap(),
            outcome,
        )
    }

    #[tokio::test]
    async fn a_tag_expires_its_pages_at_once() {
        let cache = HtmlCache::new(1 << 20);
        assert_eq!(serve(&cache, "v1").await, ("v1".into(), Outcome::Miss));
        assert_eq!(serve(&cache, "v2").await, ("v1".into(), Outcome::Hit));
        cache.expire(["other"]);
        assert_eq!(serve(&cache, "v2").await, ("v1".into(), Outcome::Hit));
        cache.expire(["properties"]);
        assert_eq!(serve(&cache, "v2").await, ("v2".into(), Outcome::Miss));
        cache.expire_all();
        assert_eq!(serve(&cache, "v3").await, ("v3".into(), Outcome::Miss));
    }

    /// The render reads the old data, then the invalidation lands, then the render stores:
    /// the stored page must not be served as current.
    #[tokio::test]
    async fn a_render_overtaken_by_an_invalidation_is_not_current() {
        let cache = HtmlCache::new(1 << 20);
        let (read, resume) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(tokio::sync::Notify::new()),
        );
        let slow = {
            let cache = cache.clone();
            let (read, resume) = (read.clone(), resume.clone());
            tokio::spawn(async move {
                cache
                    .serve("/", LONG, move || {
                        let (read, resume) = (read.clone(), resume.clone());
                        async move {
                            read.notify_one();
                            resume.notified().await;
                            Ok::<_, String>(page("old", &["properties"]))
                        }
                    })
                    .await
                    .map(|(entry, _)| entry.rendered.body.clone())
            })
        };
        read.notified().await;
        cache.expire(["properties"]);
        resume.notify_one();
        assert_eq!(slow.await.unwrap().unwrap(), "old");
        assert_eq!(serve(&cache, "new").await, ("new".into(), Outcome::Miss));
    }

    #[tokio::test]
    async fn stale_pages_are_served_while_one_background_render_refreshes_them() {
        let cache = HtmlCache::new(1 << 20);
        let renders = Arc::new(AtomicUsize::new(0));
        let render = {
            let renders = renders.clone();
            move || {
                let n = renders.fetch_add(1, Ordering::SeqCst) + 1;
                async move { Ok::<_, String>(page(if n == 1 { "v1" } else { "v2" }, &[])) }
            }
        };
        let serve = |cache: HtmlCache, render| async move {
            let (entry, outcome) = cache.serve("/", Duration::ZERO, render).await.unwrap();
            (entry.rendered.body.clone(), outcome)
        };
        assert_eq!(
            serve(cache.clone(), render.clone()).await,
            ("v1".into(), Outcome::Miss)
        );
        assert_eq!(
            serve(cache.clone(), render.clone()).await,
            ("v1".into(), Outcome::Stale)
        );
        assert_eq!(serve(cache.clone(), render.clone()).await.0, "v1");
        for _ in 0..100 {
            if renders.load(Ordering::SeqCst) == 2
                && cache.current("/").is_some_and(|e| e.rendered.body == "v2")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(renders.load(Ordering::SeqCst), 2, "one background render");
        assert_eq!(cache.current("/").unwrap().rendered.body, "v2");
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.stale, stats.misses), (0, 2, 1));
    }

    #[tokio::test]
    async fn it_counts_what_it_served_and_what_it_holds() {
        let cache = HtmlCache::new(1 << 20);
        let empty = cache.stats();
        assert_eq!(
            (empty.hits, empty.misses, empty.entries, empty.bytes),
            (0, 0, 0, 0)
        );
        serve(&cache, "page").await;
        serve(&cache, "page").await;
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.stale, stats.misses), (1, 0, 1));
        // One page, weighed as its key and body.
        assert_eq!((stats.entries, stats.bytes), (1, 5));
        assert_eq!(stats.capacity_bytes, 1 << 20);
        assert_eq!(stats.since, empty.since);
    }

    #[tokio::test]
    async fn a_failed_render_keeps_the_last_good_page() {
        let cache = HtmlCache::new(1 << 20);
        serve(&cache, "good").await;
        cache.expire(["properties"]);
        let (entry, outcome) = cache
            .serve("/", LONG, || async {
                Err::<Rendered, _>("database down".to_owned())
            })
            .await
            .unwrap();
        assert_eq!(
            (entry.rendered.body.as_ref(), outcome),
            (&b"good"[..], Outcome::Stale)
        );
        let missing = cache
            .serve("/other", LONG, || async {
                Err::<Rendered, _>("database down".to_owned())
            })
            .await;
        assert!(missing.is_err());
    }

    fn tags_held(cache: &HtmlCache) -> (usize, usize) {
        let expired = cache.inner.expired.read().unwrap();
        (expired.by_tag.len(), expired.by_seq.len())
    }

    #[tokio::test]
    async fn the_tag_record_stays_bounded() {
        let cache = HtmlCache::with_tag_capacity(1 << 20, 100);
        for n in 0..10_000 {
            cache.expire([format!("property:{n}").as_str(), "properties"]);
        }
        assert_eq!(tags_held(&cache), (100, 100));
        // Still exact for what it holds: the most recent invalidations.
        assert_eq!(
            cache.inner.expired.read().unwrap().last("property:9999"),
            cache.inner.clock.load(Ordering::Acquire)
        );
        cache.expire_all();
        assert_eq!(tags_held(&cache), (0, 0));
    }

    /// A page whose tag was forgotten is treated as invalidated at the floor: served again only
    /// if it began rendering after every forgotten invalidation.
    #[tokio::test]
    async fn a_forgotten_tag_counts_as_invalidated_at_the_floor() {
        let cache = HtmlCache::with_tag_capacity(1 << 20, 2);
        let serve = |key: &'static str, body: &'static str, tag: &'static str| {
            let cache = cache.clone();
            async move {
                let (entry, outcome) = cache
                    .serve(key, LONG, move || async move {
                        Ok::<_, String>(page(body, &[tag]))
                    })
                    .await
                    .unwrap();
                (
                    String::from_utf8(entry.rendered.body.to_vec()).unwrap(),
                    outcome,
                )
            }
        };
        assert_eq!(serve("/a", "a1", "a").await, ("a1".into(), Outcome::Miss));
        cache.expire(["a"]);
        assert_eq!(serve("/b", "b1", "b").await, ("b1".into(), Outcome::Miss));
        // Two more tags push "a" out (the floor becomes its invalidation). That came after
        // /a's render began, so /a must not come back as current; /b began after it: current.
        cache.expire(["x"]);
        cache.expire(["y"]);
        assert_eq!(tags_held(&cache), (2, 2));
        assert_eq!(serve("/a", "a2", "a").await, ("a2".into(), Outcome::Miss));
        assert_eq!(serve("/b", "b2", "b").await, ("b1".into(), Outcome::Hit));
        // /a's fresh render began after the floor.
        assert_eq!(serve("/a", "a3", "a").await, ("a2".into(), Outcome::Hit));
    }

    #[test]
    fn a_late_write_of_an_earlier_invalidation_does_not_lower_a_tag() {
        let mut expiries = Expiries::new(10);
        expiries.record("t", 6);
        expiries.record("t", 5);
        assert_eq!(expiries.last("t"), 6);
        assert_eq!(expiries.by_seq.len(), 1);
    }

    #[tokio::test]
    async fn concurrent_misses_render_once() {
        let cache = HtmlCache::new(1 << 20);
        let renders = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, renders) = (cache.clone(), renders.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .serve("/", LONG, move || {
                        let renders = renders.clone();
                        async move {
                            renders.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok::<_, String>(page("v", &[]))
                        }
                    })
                    .await
                    .unwrap()
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }
}
