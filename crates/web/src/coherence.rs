//! Every instance's HTML cache, coherent: tag revalidations travel on the data cache's bus
//! (Redis pub/sub, numbered), and a page is served only once this instance has applied every
//! revalidation published before the request.
//!
//! Pub/sub alone is not enough for "the first request after a mutation is fresh on every
//! instance": the mutating instance acknowledges its client before the others have received
//! the message. So each request reads the bus's counter (one `GET`) and, when this instance is
//! behind, waits for the missing notices (bounded by `wait`, then expires everything). A gap in
//! the numbers or a reconnect expires everything too, since notices may have been lost. While
//! the store cannot be asked (an outage), pages fall back to their `revalidate` time and every
//! page is expired when the bus returns.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics::counter;
use serde::{Deserialize, Serialize};
use strata_cache::{BusEpoch, BusEvent, Cache};
use tokio::sync::{mpsc, watch};

use crate::isr::HtmlCache;

/// How often tags that could not be broadcast are tried again.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// More tags than this awaiting a retry are sent as "expire everything".
const MAX_PENDING_TAGS: usize = 1024;

#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    /// The publishing instance, which has applied the notice already.
    origin: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    all: bool,
}

pub struct Coherence {
    cache: Cache,
    html: HtmlCache,
    origin: String,
    /// The last bus notice this instance has applied.
    applied: watch::Sender<u64>,
    wait: Duration,
    /// Tags applied here but not yet broadcast (the store was unreachable).
    pending: Mutex<BTreeSet<String>>,
}

impl Coherence {
    /// Starts an HTML cache of `capacity_bytes`, listening to the bus (when the store has
    /// one) and retrying failed broadcasts. `wait`: how long a request waits for late notices.
    pub fn start(cache: Cache, capacity_bytes: u64, wait: Duration) -> Arc<Self> {
        let coherence = Self::new(cache, HtmlCache::new(capacity_bytes), wait);
        if let Some(events) = coherence.cache.subscribe("html") {
            tokio::spawn(listen(Arc::downgrade(&coherence), events));
            tokio::spawn(retry(Arc::downgrade(&coherence)));
        }
        coherence
    }

    /// For a process that serves no pages (`strata seed`): it only tells the running
    /// instances what changed, once, and listens to nothing.
    pub fn publisher(cache: Cache) -> Arc<Self> {
        Self::new(cache, HtmlCache::new(0), Duration::ZERO)
    }

    fn new(cache: Cache, html: HtmlCache, wait: Duration) -> Arc<Self> {
        Arc::new(Coherence {
            cache,
            html,
            origin: format!("{:016x}", instance_id()),
            applied: watch::Sender::new(0),
            wait,
            pending: Mutex::new(BTreeSet::new()),
        })
    }

    pub fn html(&self) -> &HtmlCache {
        &self.html
    }

    /// Expires `tags` here at once, then tells every other instance.
    pub async fn revalidate(&self, tags: &BTreeSet<String>) {
        if tags.is_empty() {
            return;
        }
        self.html.expire(tags.iter().map(String::as_str));
        let notice = Notice {
            origin: self.origin.clone(),
            tags: tags.iter().cloned().collect(),
            all: false,
        };
        if !self.send(&notice).await {
            self.lock_pending().extend(tags.iter().cloned());
        }
    }

    async fn send(&self, notice: &Notice) -> bool {
        let Ok(payload) = serde_json::to_string(notice) else {
            return false;
        };
        let sent = self.cache.broadcast(&payload).await;
        counter!("strata_web_bus_broadcasts_total", "outcome" => if sent { "sent" } else { "failed" })
            .increment(1);
        sent
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns once this instance has applied every notice published so far (or, after
    /// `wait`, has expired every page instead).
    pub async fn catch_up(&self) {
        let BusEpoch::At(epoch) = self.cache.bus_epoch_since_now().await else {
            return;
        };
        let mut applied = self.applied.subscribe();
        let current = *applied.borrow_and_update();
        if current == epoch {
            return;
        }
        let caught_up = current < epoch
            && tokio::time::timeout(self.wait, applied.wait_for(|a| *a >= epoch))
                .await
                .is_ok_and(|r| r.is_ok());
        if !caught_up {
            // Behind for too long, or the counter restarted (Redis lost it): assume the worst.
            tracing::warn!(
                epoch,
                applied = current,
                "bus notices are late; expiring every page"
            );
            self.html.expire_all();
            self.applied.send_replace(epoch);
        }
    }

    fn apply(&self, event: BusEvent) {
        match event {
            BusEvent::Resync { epoch } => {
                self.html.expire_all();
                self.applied.send_replace(epoch);
            }
            BusEvent::Notice { epoch, payload } => {
                let applied = *self.applied.borrow();
                if epoch > applied + 1 {
                    tracing::warn!(
                        epoch,
                        applied,
                        "bus notices were missed; expiring every page"
                    );
                    self.html.expire_all();
                } else {
                    self.apply_notice(&payload);
                }
                self.applied.send_if_modified(|a| {
                    let newer = epoch > *a;
                    *a = (*a).max(epoch);
                    newer
                });
            }
        }
    }

    fn apply_notice(&self, payload: &str) {
        match serde_json::from_str::<Notice>(payload) {
            Ok(notice) if notice.origin == self.origin => {}
            Ok(notice) if notice.all => self.html.expire_all(),
            Ok(notice) => self.html.expire(notice.tags.iter().map(String::as_str)),
            Err(error) => {
                tracing::warn!(%error, "unreadable bus notice; expiring every page");
                self.html.expire_all();
            }
        }
    }
}

async fn listen(coherence: std::sync::Weak<Coherence>, mut events: mpsc::Receiver<BusEvent>) {
    while let Some(event) = events.recv().await {
        let Some(coherence) = coherence.upgrade() else {
            return;
        };
        coherence.apply(event);
    }
}

async fn retry(coherence: std::sync::Weak<Coherence>) {
    let mut tick = tokio::time::interval(RETRY_EVERY);
    loop {
        tick.tick().await;
        let Some(coherence) = coherence.upgrade() else {
            return;
        };
        let tags = std::mem::take(&mut *coherence.lock_pending());
        if tags.is_empty() {
            continue;
        }
        let all = tags.len() > MAX_PENDING_TAGS;
        let notice = Notice {
            origin: coherence.origin.clone(),
            tags: if all {
                Vec::new()
            } else {
                tags.iter().cloned().collect()
            },
            all,
        };
        if coherence.send(&notice).await {
            tracing::info!(
                tags = tags.len(),
                "sent revalidations held during a store outage"
            );
        } else {
            coherence.lock_pending().extend(tags);
        }
    }
}

/// Random per process (`RandomState` is seeded randomly): enough to tell instances apart.
fn instance_id() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0u8)
}
