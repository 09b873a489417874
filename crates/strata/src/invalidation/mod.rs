//! The invalidation map: for each model's mutation, the cache namespaces and keys it
//! invalidates and the web tags it revalidates — every dependency, across apps, declared once.
//!
//! Every mutation ends with `Ctx::commit`, which records the change in the mutation's own
//! transaction (the [`journal`] and the Next.js outbox) and, once committed, runs
//! [`Invalidator::committed`] on a task the request cannot cancel. `rule` matches [`Entity`]
//! exhaustively, so a new model cannot compile without its entry; `tests/invalidation.rs`
//! performs every write endpoint of the OpenAPI document and checks what it published.

pub mod journal;

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{DatabaseTransaction, DbErr};
use strata_api::{Change, ChangeSink, Entity, Receipt};
use strata_cache::{Cache, CacheKey, Invalidation, Namespace};
use strata_real_estate::cache as property;
use strata_taxonomy::cache as taxonomy;
use strata_web::coherence::Coherence;

use crate::outbox::Outbox;

use self::journal::Journal;

/// A web-tier tag: fixed (`properties`) or made from each changed object (`property:42`,
/// `category:villa`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebTag {
    Fixed(&'static str),
    PerId(&'static str),
    PerSlug(&'static str),
}

/// What one model's mutations invalidate.
#[derive(Debug)]
pub struct Rule {
    /// Invalidated whole: lists, and details that embed the changed model.
    pub namespaces: &'static [Namespace],
    /// Invalidated per changed id: the model's own detail keys.
    pub per_id: &'static [PerIdKeys],
    pub tags: &'static [WebTag],
}

/// A model's own detail keys in one namespace: every key of one id (one per content language).
#[derive(Debug)]
pub struct PerIdKeys {
    pub namespace: Namespace,
    pub keys: fn(i64) -> Vec<CacheKey>,
}

use WebTag::{Fixed, PerId, PerSlug};

/// Lists show every property; its detail key covers "not found" and "not published" too.
const PROPERTY: Rule = Rule {
    namespaces: &[property::PUBLIC_LIST, property::ADMIN_LIST],
    per_id: &[PerIdKeys {
        namespace: property::PUBLIC_DETAIL,
        keys: |id| property::public::detail_keys(id).collect(),
    }],
    tags: &[Fixed("properties"), PerId("property")],
};

/// Property lists and details embed the category's name and slug.
const CATEGORY: Rule = Rule {
    namespaces: &[
        taxonomy::CATEGORIES,
        taxonomy::CATEGORY_LIST,
        property::PUBLIC_LIST,
        property::PUBLIC_DETAIL,
        property::ADMIN_LIST,
    ],
    per_id: &[],
    tags: &[
        Fixed("categories"),
        PerSlug("category"),
        Fixed("properties"),
    ],
};

/// Property lists and details embed tags.
const TAG: Rule = Rule {
    namespaces: &[
        taxonomy::TAGS,
        taxonomy::TAG_LIST,
        property::PUBLIC_LIST,
        property::PUBLIC_DETAIL,
        property::ADMIN_LIST,
    ],
    per_id: &[],
    tags: &[Fixed("tags"), PerSlug("tag"), Fixed("properties")],
};

/// Only property details embed options.
const OPTION: Rule = Rule {
    namespaces: &[
        taxonomy::OPTIONS,
        taxonomy::OPTION_LIST,
        property::PUBLIC_DETAIL,
    ],
    per_id: &[],
    tags: &[Fixed("options"), Fixed("properties")],
};

/// Users are private data: nothing caches them, so their writes invalidate nothing.
const USER: Rule = Rule {
    namespaces: &[],
    per_id: &[],
    tags: &[],
};

pub fn rule(entity: Entity) -> &'static Rule {
    match entity {
        Entity::Property => &PROPERTY,
        Entity::Category => &CATEGORY,
        Entity::Tag => &TAG,
        Entity::Option => &OPTION,
        Entity::User => &USER,
    }
}

/// Every namespace the apps cache: what some rule invalidates (a cached namespace no rule
/// reaches would be a bug the invalidation tests catch). The cache dashboard lists these.
pub fn cached_namespaces() -> Vec<Namespace> {
    let mut found: Vec<Namespace> = Vec::new();
    for rule in [&PROPERTY, &CATEGORY, &TAG, &OPTION, &USER] {
        let per_id = rule.per_id.iter().map(|p| &p.namespace);
        for ns in rule.namespaces.iter().chain(per_id) {
            if !found.contains(ns) {
                found.push(ns.clone());
            }
        }
    }
    found.sort_by_key(Namespace::to_string);
    found
}

/// A change made concrete: the namespaces, keys and tags to invalidate.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub namespaces: Vec<Namespace>,
    pub keys: Vec<CacheKey>,
    pub tags: BTreeSet<String>,
}

pub fn plan(change: &Change) -> Plan {
    let rule = rule(change.entity);
    let mut plan = Plan {
        namespaces: rule.namespaces.to_vec(),
        ..Plan::default()
    };
    for per_id in rule.per_id {
        // A namespace invalidated whole needs no per-key deletes.
        if !rule.namespaces.contains(&per_id.namespace) {
            plan.keys
                .extend(change.ids.iter().flat_map(|id| (per_id.keys)(*id)));
        }
    }
    for tag in rule.tags {
        match tag {
            WebTag::Fixed(tag) => {
                plan.tags.insert((*tag).to_owned());
            }
            WebTag::PerId(prefix) => {
                plan.tags
                    .extend(change.ids.iter().map(|id| format!("{prefix}:{id}")));
            }
            WebTag::PerSlug(prefix) => {
                plan.tags
                    .extend(change.slugs.iter().map(|slug| format!("{prefix}:{slug}")));
            }
        }
    }
    plan
}

/// Applies the map: the journal entry and external revalidations into the mutation's
/// transaction; after the commit, the data cache first, then the web tier's tags on every
/// instance (a page rendered after that reads the new data), then one delivery attempt to the
/// external front ends.
pub struct Invalidator {
    cache: Cache,
    web: Arc<Coherence>,
    outbox: Arc<Outbox>,
    journal: Journal,
}

impl Invalidator {
    pub fn new(cache: Cache, web: Arc<Coherence>, outbox: Arc<Outbox>, journal: Journal) -> Self {
        Invalidator {
            cache,
            web,
            outbox,
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
        self.outbox.deliver_now().await;
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
        if self.apply(change).await
            && let Err(error) = self.journal.done(id).await
        {
            // The row stays; the sweeper applies it again later, which is harmless.
            tracing::warn!(%error, id, "cannot remove an applied change from the journal");
        }
    }
}

#[async_trait]
impl ChangeSink for Invalidator {
    async fn record(&self, txn: &DatabaseTransaction, change: &Change) -> Result<Receipt, DbErr> {
        self.outbox.record(txn, &plan(change).tags).await?;
        Ok(Receipt(Some(self.journal.record(txn, change).await?)))
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
