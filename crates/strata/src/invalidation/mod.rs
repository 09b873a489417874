//! The invalidation map: for each model's mutation, the cache namespaces and keys it
//! invalidates and the web tags it revalidates. The rules are derived from what each app
//! declares next to its data (`strata_api::catalog`: the views it caches and the entities each
//! embeds), so a cross-app dependency is declared once, by the view that has it.
//!
//! Every mutation ends with `Ctx::commit`, which records the change in the mutation's own
//! transaction (the [`journal`] and the Next.js outbox) and, once committed, runs
//! [`Invalidator::committed`] on a task the request cannot cancel. `tests/invalidation.rs`
//! performs every write endpoint of the OpenAPI document and checks what it published.

pub mod journal;

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
pub use strata_api::catalog::Plan;
use strata_api::tasks::Runner;
use strata_api::{Change, ChangeSink, Receipt};
use strata_cache::{Cache, Invalidation, Namespace};
use strata_web::coherence::Coherence;

use crate::apps;
use crate::cdn::{self, Purges};
use crate::outbox::{self, Outbox};

use self::journal::Journal;

/// What `change` invalidates, by the rule derived from every app's declarations.
pub fn plan(change: &Change) -> Plan {
    apps::catalog().plan(change)
}

/// Every namespace the apps cache (what some view declares, so some rule reaches it). The
/// cache dashboard lists these.
pub fn cached_namespaces() -> Vec<Namespace> {
    apps::catalog().namespaces()
}

/// What a commit owes outside this process: Next.js revalidations and CDN purges, each
/// recorded in the commit's transaction, held until the commit's own caches are invalidated,
/// and delivered by the task queue.
pub struct Deliveries {
    pub outbox: Arc<Outbox>,
    pub purges: Arc<Purges>,
    /// Where the held work is released.
    pub db: DatabaseConnection,
}

impl Deliveries {
    /// Inside the mutation's transaction (journalled as `change_id`): what `plan` owes the
    /// front ends and the CDNs.
    pub async fn record(
        &self,
        txn: &DatabaseTransaction,
        plan: &Plan,
        change_id: i64,
    ) -> Result<(), DbErr> {
        if self.outbox.has_targets() {
            // Past the journal's grace, the sweeper has applied a change whose process died.
            let until =
                Utc::now() + chrono::Duration::from_std(2 * journal::GRACE).unwrap_or_default();
            self.outbox
                .record(txn, &plan.tags, change_id, until)
                .await?;
        }
        if self.purges.is_configured() {
            self.purges
                .record(txn, &cdn::purge_tags(plan), change_id)
                .await?;
        }
        Ok(())
    }
}

/// Applies the map: the journal entry, external revalidations and CDN purges into the
/// mutation's transaction; after the commit, the data cache first, then the web tier's tags on
/// every instance (a page rendered after that reads the new data), then one delivery attempt to
/// the external front ends (and, when `cdn.wait_ms` is set, to the CDNs).
pub struct Invalidator {
    cache: Cache,
    web: Arc<Coherence>,
    deliveries: Deliveries,
    /// Runs the outbox's deliveries; weak because a scheduled transition, run by the queue,
    /// commits through this invalidator.
    tasks: Weak<Runner>,
    journal: Journal,
}

impl Invalidator {
    pub fn new(
        cache: Cache,
        web: Arc<Coherence>,
        deliveries: Deliveries,
        tasks: &Arc<Runner>,
        journal: Journal,
    ) -> Self {
        Invalidator {
            cache,
            web,
            deliveries,
            tasks: Arc::downgrade(tasks),
            journal,
        }
    }

    /// Invalidates what `change` affects; `true` when every cache confirmed it (rather than
    /// queueing it for a replay that a dying process would lose).
    async fn apply(&self, change: &Change) -> bool {
        let plan = plan(change);
        let queued = self
            .cache
            .invalidate_all_of(&plan.namespaces, &plan.keys)
            .await
            == Invalidation::Queued;
        self.web.revalidate(&plan.tags).await;
        // The write may have scheduled a transition sooner than the runner's next look.
        if apps::catalog().transition(change.entity.name()).is_some()
            && let Some(tasks) = self.tasks.upgrade()
        {
            tasks.wake();
        }
        tracing::info!(
            entity = ?change.entity,
            op = ?change.op,
            ids = ?change.ids,
            namespaces = plan.namespaces.len(),
            keys = plan.keys.len(),
            queued,
            tags = ?plan.tags,
            "invalidated after commit"
        );
        !queued
    }

    /// Applies journal rows that outlived their grace period: changes whose process died
    /// between commit and invalidation, or whose invalidation could only be queued. Runs on
    /// every instance, forever.
    pub fn start_sweeper(self: &Arc<Self>) {
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(invalidator) = this.upgrade() else {
                    return;
                };
                invalidator.sweep(journal::GRACE).await;
                drop(invalidator);
                tokio::time::sleep(journal::SWEEP_EVERY).await;
            }
        });
    }

    /// One pass of the sweeper over rows older than `grace`.
    pub async fn sweep(&self, grace: std::time::Duration) {
        let rows = match self.journal.left_behind(grace).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "cannot read the invalidation journal");
                return;
            }
        };
        for (id, change) in rows {
            tracing::warn!(id, entity = ?change.entity, "applying a change left in the invalidation journal");
            self.finish(&change, id).await;
        }
    }

    async fn finish(&self, change: &Change, id: i64) {
        let confirmed = self.apply(change).await;
        self.deliver(id).await;
        if confirmed && let Err(error) = self.journal.done(id).await {
            // The row stays; the sweeper applies it again later, which is harmless.
            tracing::warn!(%error, id, "cannot remove an applied change from the journal");
        }
    }
}

impl Invalidator {
    /// Once the change journalled as `id` invalidated this server's caches (or queued that, so
    /// nothing cached is read until it is replayed): what it owes outside may go.
    async fn deliver(&self, id: i64) {
        let Deliveries { outbox, purges, db } = &self.deliveries;
        let tasks = self.tasks.upgrade();
        if outbox.has_targets() {
            match outbox.applied(db, id).await {
                // One bounded attempt, as the original stack's `notify_nextjs_revalidate`: a
                // front end is normally fresh on its first load after the ack.
                Ok(()) => {
                    if let Some(tasks) = &tasks {
                        tasks.run_now(outbox::KIND, outbox::TIMEOUT).await;
                    }
                }
                // Held until their deadline: the queue delivers them then.
                Err(error) => tracing::warn!(%error, id, "cannot release a change's revalidations"),
            }
        }
        if !purges.is_configured() {
            return;
        }
        let applied_at = match purges.applied(id).await {
            Ok(at) => at,
            Err(error) => {
                // The tags stay; the next commit's or the sweeper's schedule sends them.
                tracing::warn!(%error, id, "cannot schedule a change's CDN purges");
                return;
            }
        };
        if let Some(tasks) = tasks {
            let wait = purges.settings().wait;
            if wait.is_zero() {
                tasks.wake();
            } else {
                purges.delivered(&tasks, applied_at, wait).await;
            }
        }
    }
}

#[async_trait]
impl ChangeSink for Invalidator {
    async fn record(&self, txn: &DatabaseTransaction, change: &Change) -> Result<Receipt, DbErr> {
        let id = self.journal.record(txn, change).await?;
        self.deliveries.record(txn, &plan(change), id).await?;
        Ok(Receipt(Some(id)))
    }

    async fn committed(&self, change: &Change, receipt: Receipt) {
        match receipt.0 {
            Some(id) => self.finish(change, id).await,
            None => {
                self.apply(change).await;
            }
        }
    }
}
