//! Purges owed to the CDNs or Varnish nodes in front of the site, by surrogate key / cache tag.
//!
//! A commit records its purge tags in its own transaction ([`Purges::record`]): one row per
//! provider and tag in `cdn_purge`, so a tag owed by a thousand commits is one row (coalesced),
//! naming the commit's journal row. Once the commit's own caches are invalidated (by the
//! instance that committed, or by the journal's sweeper if it died), [`Purges::applied`] makes
//! its tags ready and schedules one keyed task per provider on the shared queue
//! (`strata_api::tasks`, kind [`KIND`]): a purge sent earlier would have the CDN refetch what
//! this server's caches still held. The task's run is the provider's sender: it takes the
//! provider's `cdn_sender` row (one request in flight per provider, across instances, within
//! its rate — a GCRA kept in the row), sends the oldest tags in batches of the provider's limit,
//! and deletes what it sent unless a commit owed it again meanwhile. When the pending tags would
//! take the provider's rate longer than `fallback_after` to clear, it purges the site's own key
//! instead (every answer carries it) — once, loudly. A failed request backs the provider off
//! (in its row, so commits do not bring the next attempt forward), a 429 waits out its
//! `Retry-After`; nothing is dropped, and a dead instance's claim lapses.

pub mod m20261208_000900_cdn_purge;
mod provider;
mod rate;

pub use provider::{Provider, PurgeError, Secret, Vendor};
pub use rate::Rate;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use metrics::{counter, gauge};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict, Order, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use strata_api::catalog::Plan;
use strata_api::tasks::{self, Kind, RunLeased, Runner, Task, TaskError};
use strata_web::http::header_tag;

/// The queue's kind: one task per provider, keyed by its name.
pub const KIND: &str = "cdn.purge";
/// How long a claimed run is left to the instance that claimed it.
const LEASE: Duration = Duration::from_secs(60);
/// How long one request holds its provider (past it, another instance may send).
const SENDING: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Requests one run sends before it yields the runner to other kinds (it is rescheduled now).
const REQUESTS_PER_RUN: usize = 50;
/// How soon a run that found its provider busy looks again.
const BUSY_RECHECK: Duration = Duration::from_millis(250);
/// How often the commit's bounded wait looks whether another instance sent its purges.
const WAIT_POLL: Duration = Duration::from_millis(10);
/// Rows per statement when recording (SQLite's bound-parameter limit).
const ROWS_PER_INSERT: usize = 500;

/// The validated `[cdn]` section.
#[derive(Clone, Debug)]
pub struct CdnSettings {
    pub providers: Vec<Provider>,
    /// Every cacheable answer's key for the whole site: the fallback purges it.
    pub site_key: String,
    /// The CDN's TTL (`Surrogate-Control`, `CDN-Cache-Control`) while purges are sent.
    pub max_age: Duration,
    /// Pending tags the provider's rate would take longer than this to send: purge the site.
    pub fallback_after: Duration,
    /// `/readyz` reports a provider whose oldest pending purge is older.
    pub stale_after: Duration,
    /// A bounded wait for the purges on the commit's path (zero: none).
    pub wait: Duration,
}

impl Default for CdnSettings {
    fn default() -> Self {
        CdnSettings {
            providers: Vec::new(),
            site_key: "strata".to_owned(),
            max_age: Duration::from_secs(3600),
            fallback_after: Duration::from_secs(300),
            stale_after: Duration::from_secs(120),
            wait: Duration::ZERO,
        }
    }
}

mod purge_row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cdn_purge")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub provider: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag: String,
        pub queued_at: DateTimeUtc,
        pub since: DateTimeUtc,
        pub claim: Option<String>,
        pub change_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod sender_row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cdn_sender")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub provider: String,
        pub tat: DateTimeUtc,
        pub sending_until: DateTimeUtc,
        pub retry_at: DateTimeUtc,
        pub failures_in_a_row: i32,
        pub requests: i64,
        pub failures: i64,
        pub rate_limited: i64,
        pub fallbacks: i64,
        pub purged_tags: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use purge_row::{Column as PurgeCol, Entity as PurgeRows};
use sender_row::{Column as SenderCol, Entity as Senders};

/// The tags a change's purge names: its pages' tags, and the data-cache entries its public API
/// answers were built from (`ns:` namespaces, `k:` keys; see `strata_cache::reads`), spelled as
/// the answers' `Surrogate-Key` spells them.
pub fn purge_tags(plan: &Plan) -> BTreeSet<String> {
    let namespaces: BTreeSet<String> = plan.namespaces.iter().map(ToString::to_string).collect();
    let keys = plan
        .keys
        .iter()
        // A key of a namespace purged whole is purged with it.
        .filter(|key| !namespaces.contains(&key.namespace().to_string()))
        .map(|key| api_key_tag(key.as_str()));
    plan.tags
        .iter()
        .map(|tag| header_tag(tag))
        .chain(namespaces.iter().map(|ns| api_namespace_tag(ns)))
        .chain(keys)
        .collect()
}

/// The surrogate key of a public API answer that read namespace `ns`.
pub fn api_namespace_tag(ns: &str) -> String {
    header_tag(&format!("ns:{ns}"))
}

/// The surrogate key of a public API answer that read the entry `key`.
pub fn api_key_tag(key: &str) -> String {
    header_tag(&format!("k:{key}"))
}

/// One provider's backlog, for `/readyz`, the dashboard and the metrics.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Backlog {
    pub provider: &'static str,
    /// Tags waiting to be purged.
    pub pending: u64,
    /// Seconds the oldest has waited.
    pub oldest_secs: f64,
    /// Older than `cdn.stale_after_secs`: `/readyz` says so.
    pub stale: bool,
    /// Totals across every instance: requests sent, of which failed and answered 429,
    /// purges of the whole site, tags purged.
    pub requests: u64,
    pub failures: u64,
    pub rate_limited: u64,
    pub fallbacks: u64,
    pub purged_tags: u64,
}

/// How a request ended, as `cdn_sender`'s totals count it.
#[derive(Clone, Copy)]
enum Sent {
    Purged {
        tags: u64,
        fallback: bool,
    },
    RateLimited {
        not_before: DateTime<Utc>,
    },
    /// The `failures`-th in a row; the next waits until `retry_at`.
    Failed {
        failures: i32,
        retry_at: DateTime<Utc>,
    },
    /// Not sent (every ready row was held by a commit in flight): the token goes back.
    Nothing {
        tat: DateTime<Utc>,
    },
}

pub struct Purges {
    settings: CdnSettings,
    db: DatabaseConnection,
    client: reqwest::Client,
}

/// What a claim on a provider's sender found.
enum Claim {
    /// This run may send one request; `until` is the claim, after `failures` failed in a row;
    /// `tat` is the rate's state before the claim took its token.
    Sending {
        until: DateTime<Utc>,
        failures: i32,
        tat: DateTime<Utc>,
    },
    /// Busy or out of tokens: look again at this time.
    Later(DateTime<Utc>),
}

impl Purges {
    /// Fails only when the HTTP client cannot start (its TLS backend).
    pub fn new(settings: CdnSettings, db: DatabaseConnection) -> Result<Arc<Self>, reqwest::Error> {
        Ok(Arc::new(Purges {
            settings,
            db,
            client: crate::outbox::delivery_client()?,
        }))
    }

    pub fn settings(&self) -> &CdnSettings {
        &self.settings
    }

    /// Whether any provider is configured (otherwise nothing is recorded, and answers keep the
    /// short TTLs nothing needs to purge).
    pub fn is_configured(&self) -> bool {
        !self.settings.providers.is_empty()
    }

    /// Inside the mutation's transaction: each tag owed to each provider, waiting for the
    /// commit's journal row `change_id` to be [`applied`](Self::applied).
    pub async fn record(
        &self,
        txn: &DatabaseTransaction,
        tags: &BTreeSet<String>,
        change_id: i64,
    ) -> Result<(), DbErr> {
        if tags.is_empty() {
            return Ok(());
        }
        let now = now();
        for provider in &self.settings.providers {
            let rows: Vec<purge_row::ActiveModel> = tags
                .iter()
                .map(|tag| purge_row::ActiveModel {
                    provider: Set(provider.name().to_owned()),
                    tag: Set(tag.clone()),
                    queued_at: Set(now),
                    since: Set(now),
                    claim: Set(None),
                    change_id: Set(Some(change_id)),
                })
                .collect();
            // In tag order (the set's), as `in_tag_order` takes them: no deadlock between them.
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                PurgeRows::insert_many(chunk.to_vec())
                    .on_conflict(
                        OnConflict::columns([PurgeCol::Provider, PurgeCol::Tag])
                            .update_columns([
                                PurgeCol::QueuedAt,
                                PurgeCol::Claim,
                                PurgeCol::ChangeId,
                            ])
                            .to_owned(),
                    )
                    .exec_without_returning(txn)
                    .await?;
            }
        }
        Ok(())
    }

    /// After the caches of the change journalled as `change_id` were invalidated: its tags may
    /// be purged; each provider's sender is due now. Returns when that was, for
    /// [`delivered`](Self::delivered).
    pub async fn applied(&self, change_id: i64) -> Result<DateTime<Utc>, DbErr> {
        let at = now();
        for provider in &self.settings.providers {
            PurgeRows::update_many()
                .col_expr(PurgeCol::ChangeId, Expr::value(Option::<i64>::None))
                .filter(PurgeCol::Provider.eq(provider.name()))
                .filter(PurgeCol::Tag.in_subquery(in_tag_order(
                    provider.name(),
                    PurgeCol::ChangeId.eq(change_id),
                )))
                .exec(&self.db)
                .await?;
        }
        for provider in &self.settings.providers {
            tasks::enqueue(&self.db, KIND, Some(provider.name()), "", at).await?;
        }
        Ok(at)
    }

    /// The commit's bounded wait: runs the senders here and, should another instance's runner
    /// hold one, waits for it, until every tag that was ready at `applied_at` is purged or
    /// `within` has passed; whatever is left goes with the queue.
    pub async fn delivered(&self, tasks: &Runner, applied_at: DateTime<Utc>, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            tasks.run_now(KIND, left).await;
            let owed = PurgeRows::find()
                .filter(PurgeCol::ChangeId.is_null())
                .filter(PurgeCol::QueuedAt.lte(applied_at))
                .count(&self.db)
                .await;
            match owed {
                Ok(0) => return,
                Ok(_) => tokio::time::sleep(WAIT_POLL.min(left)).await,
                Err(error) => {
                    tracing::warn!(%error, "cdn: cannot read what the commit's wait waits for");
                    return;
                }
            }
        }
    }

    /// The queue's kind that sends, when providers are configured.
    pub fn kind(self: &Arc<Self>) -> Option<Kind> {
        self.is_configured().then(|| {
            Kind::leased(
                KIND,
                LEASE,
                MAX_BACKOFF,
                Arc::clone(self) as Arc<dyn RunLeased>,
            )
        })
    }

    /// Logs where purges go, when a server starts.
    pub fn announce(&self) {
        for provider in &self.settings.providers {
            tracing::info!(
                provider = provider.name(),
                rate = provider.rate.map(|rate| rate.to_string()),
                site_key = self.settings.site_key,
                "CDN purges are sent to this provider"
            );
        }
    }

    /// Each configured provider's backlog; sets the pending and age gauges.
    pub async fn backlog(&self) -> Result<Vec<Backlog>, DbErr> {
        let rows: Vec<(String, i64, Option<DateTime<Utc>>)> = PurgeRows::find()
            .select_only()
            .column(PurgeCol::Provider)
            .column_as(PurgeCol::Tag.count(), "pending")
            .column_as(PurgeCol::Since.min(), "oldest")
            .group_by(PurgeCol::Provider)
            .into_tuple()
            .all(&self.db)
            .await?;
        let found: HashMap<String, (i64, Option<DateTime<Utc>>)> = rows
            .into_iter()
            .map(|(provider, pending, oldest)| (provider, (pending, oldest)))
            .collect();
        let totals: HashMap<String, sender_row::Model> = Senders::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.provider.clone(), row))
            .collect();
        let now = Utc::now();
        Ok(self
            .settings
            .providers
            .iter()
            .map(|provider| {
                let name = provider.name();
                let (pending, oldest) = found.get(name).copied().unwrap_or((0, None));
                let total = |count: fn(&sender_row::Model) -> i64| {
                    u64::try_from(totals.get(name).map_or(0, count)).unwrap_or(0)
                };
                let oldest_secs = oldest
                    .map(|at| (now - at).to_std().unwrap_or_default().as_secs_f64())
                    .unwrap_or(0.0);
                gauge!("strata_cdn_purge_pending", "provider" => name).set(pending as f64);
                gauge!("strata_cdn_purge_oldest_seconds", "provider" => name).set(oldest_secs);
                Backlog {
                    provider: name,
                    pending: u64::try_from(pending).unwrap_or(0),
                    oldest_secs,
                    stale: oldest_secs > self.settings.stale_after.as_secs_f64(),
                    requests: total(|row| row.requests),
                    failures: total(|row| row.failures),
                    rate_limited: total(|row| row.rate_limited),
                    fallbacks: total(|row| row.fallbacks),
                    purged_tags: total(|row| row.purged_tags),
                }
            })
            .collect())
    }

    /// Tags owed to `provider` whose commits' caches are invalidated (those that may go now).
    async fn ready(&self, provider: &str) -> Result<u64, DbErr> {
        let count: Option<i64> = PurgeRows::find()
            .select_only()
            .column_as(PurgeCol::Tag.count(), "ready")
            .filter(PurgeCol::Provider.eq(provider))
            .filter(PurgeCol::ChangeId.is_null())
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(u64::try_from(count.unwrap_or(0)).unwrap_or(0))
    }

    /// Marks the tags the next request purges with `claim`: the `oldest` ones, or every one
    /// (a purge of the site). A commit that owes one again meanwhile clears its mark.
    async fn mark(
        &self,
        provider: &str,
        claim: &str,
        oldest: Option<usize>,
    ) -> Result<Vec<String>, DbErr> {
        let Some(limit) = oldest else {
            PurgeRows::update_many()
                .col_expr(PurgeCol::Claim, Expr::value(claim))
                .filter(PurgeCol::Provider.eq(provider))
                .filter(PurgeCol::Tag.in_subquery(unlocked(
                    provider,
                    PurgeCol::ChangeId.is_null(),
                    None,
                )))
                .exec(&self.db)
                .await?;
            return Ok(Vec::new());
        };
        // Read, then marked by name in the same transaction: PostgreSQL may evaluate a
        // `LIMIT … SKIP LOCKED` subquery of an UPDATE more than once, marking more than `limit`.
        let txn = strata_db::begin_write(&self.db).await?;
        let select = unlocked(provider, PurgeCol::ChangeId.is_null(), Some(limit));
        let backend = txn.get_database_backend();
        let tags: Vec<String> = txn
            .query_all_raw(backend.build(&select))
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "tag"))
            .collect::<Result<_, _>>()?;
        for chunk in tags.chunks(ROWS_PER_INSERT) {
            PurgeRows::update_many()
                .col_expr(PurgeCol::Claim, Expr::value(claim))
                .filter(PurgeCol::Provider.eq(provider))
                .filter(PurgeCol::Tag.is_in(chunk.iter().map(String::as_str)))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(tags)
    }

    /// After the request marked `claim` purged: its tags that no commit owed again since.
    async fn purged(&self, provider: &str, claim: &str) -> Result<u64, DbErr> {
        Ok(PurgeRows::delete_many()
            .filter(PurgeCol::Provider.eq(provider))
            .filter(PurgeCol::Tag.in_subquery(unlocked(provider, PurgeCol::Claim.eq(claim), None)))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Takes the provider's sender for one request, within its rate.
    async fn claim(&self, provider: &Provider) -> Result<Claim, DbErr> {
        let name = provider.name();
        let never = DateTime::<Utc>::UNIX_EPOCH;
        Senders::insert(sender_row::ActiveModel {
            provider: Set(name.to_owned()),
            tat: Set(never),
            sending_until: Set(never),
            retry_at: Set(never),
            failures_in_a_row: Set(0),
            requests: Set(0),
            failures: Set(0),
            rate_limited: Set(0),
            fallbacks: Set(0),
            purged_tags: Set(0),
        })
        .on_conflict(
            OnConflict::column(SenderCol::Provider)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        let Some(row) = Senders::find_by_id(name).one(&self.db).await? else {
            return Ok(Claim::Later(now()));
        };
        let now = now();
        if row.sending_until > now {
            return Ok(Claim::Later(
                row.sending_until.min(now + chrono_of(BUSY_RECHECK)),
            ));
        }
        if row.retry_at > now {
            return Ok(Claim::Later(row.retry_at));
        }
        let tat = match provider.rate {
            Some(rate) => {
                let allowed = rate.allowed_at(row.tat);
                if allowed > now {
                    return Ok(Claim::Later(allowed));
                }
                rate.after_request(row.tat, now).trunc_subsecs(6)
            }
            None => row.tat,
        };
        let until = now + chrono_of(SENDING);
        let claimed = Senders::update_many()
            .col_expr(SenderCol::Tat, Expr::value(tat))
            .col_expr(SenderCol::SendingUntil, Expr::value(until))
            .filter(SenderCol::Provider.eq(name))
            .filter(SenderCol::Tat.eq(row.tat))
            .filter(SenderCol::SendingUntil.eq(row.sending_until))
            .exec(&self.db)
            .await?;
        Ok(if claimed.rows_affected == 1 {
            Claim::Sending {
                until,
                failures: row.failures_in_a_row,
                tat: row.tat,
            }
        } else {
            // Another instance took it between the read and the update.
            Claim::Later(now + chrono_of(BUSY_RECHECK))
        })
    }

    /// Ends a claim and counts its request; after a 429, none goes before `not_before`.
    async fn release(
        &self,
        provider: &Provider,
        until: DateTime<Utc>,
        sent: Sent,
    ) -> Result<(), DbErr> {
        use sea_orm::sea_query::ExprTrait;
        let plus = |column: SenderCol, n: u64| Expr::col(column).add(n as i64);
        let mut update = Senders::update_many()
            .col_expr(SenderCol::SendingUntil, Expr::value(now()))
            .filter(SenderCol::Provider.eq(provider.name()))
            .filter(SenderCol::SendingUntil.eq(until));
        if !matches!(sent, Sent::Nothing { .. }) {
            update = update.col_expr(SenderCol::Requests, plus(SenderCol::Requests, 1));
        }
        update = match sent {
            Sent::Nothing { tat } => update.col_expr(SenderCol::Tat, Expr::value(tat)),
            Sent::Purged { tags, fallback } => update
                .col_expr(SenderCol::FailuresInARow, Expr::value(0))
                .col_expr(SenderCol::PurgedTags, plus(SenderCol::PurgedTags, tags))
                .col_expr(
                    SenderCol::Fallbacks,
                    plus(SenderCol::Fallbacks, u64::from(fallback)),
                ),
            Sent::RateLimited { not_before } => {
                // The bucket is empty until then: its arrival time is a full tolerance later.
                let tolerance = provider
                    .rate
                    .map(|rate| rate.tolerance())
                    .unwrap_or_default();
                update
                    .col_expr(SenderCol::RateLimited, plus(SenderCol::RateLimited, 1))
                    .col_expr(
                        SenderCol::Tat,
                        Expr::value((not_before + chrono_of(tolerance)).trunc_subsecs(6)),
                    )
            }
            Sent::Failed { failures, retry_at } => update
                .col_expr(SenderCol::Failures, plus(SenderCol::Failures, 1))
                .col_expr(SenderCol::FailuresInARow, Expr::value(failures))
                .col_expr(SenderCol::RetryAt, Expr::value(retry_at)),
        };
        update.exec(&self.db).await?;
        Ok(())
    }

    /// Whether the provider's rate would take longer than `fallback_after` to send `pending`.
    fn falls_back(&self, provider: &Provider, pending: u64) -> bool {
        let Some(rate) = provider.rate else {
            return false;
        };
        let requests = pending.div_ceil(provider.max_keys() as u64) as f64;
        requests / rate.per_second() > self.settings.fallback_after.as_secs_f64()
    }

    /// Sends what `provider` is owed, up to [`REQUESTS_PER_RUN`] requests; when to run again.
    async fn drain(&self, provider: &Provider) -> Result<Option<DateTime<Utc>>, TaskError> {
        let name = provider.name();
        for _ in 0..REQUESTS_PER_RUN {
            // Tags still waiting for their commit's invalidation are scheduled by it.
            let pending = self.ready(name).await?;
            if pending == 0 {
                return Ok(None);
            }
            let (until, failures, tat) = match self.claim(provider).await? {
                Claim::Sending {
                    until,
                    failures,
                    tat,
                } => (until, failures, tat),
                Claim::Later(at) => return Ok(Some(at)),
            };
            let claim = format!("{:016x}", rand::random::<u64>());
            let fallback = self.falls_back(provider, pending);
            let keys = self
                .mark(name, &claim, (!fallback).then_some(provider.max_keys()))
                .await?;
            if keys.is_empty() && !fallback {
                self.release(provider, until, Sent::Nothing { tat }).await?;
                return Ok(Some(now() + chrono_of(BUSY_RECHECK)));
            }
            let outcome = if fallback {
                let site = [self.settings.site_key.clone()];
                provider.purge(&self.client, &site).await
            } else {
                provider.purge(&self.client, &keys).await
            };
            match outcome {
                Ok(()) => {
                    counter!("strata_cdn_purge_requests_total", "provider" => name, "outcome" => "ok")
                        .increment(1);
                    let purged = self.purged(name, &claim).await?;
                    counter!("strata_cdn_purge_tags_total", "provider" => name).increment(purged);
                    if fallback {
                        counter!("strata_cdn_purge_fallbacks_total", "provider" => name)
                            .increment(1);
                        tracing::warn!(
                            provider = name,
                            pending,
                            purged,
                            site_key = self.settings.site_key,
                            rate = provider.rate.map(|rate| rate.to_string()),
                            fallback_after_secs = self.settings.fallback_after.as_secs(),
                            "CDN purge backlog would outlast cdn.fallback_after_secs at the provider's rate: purged the whole site's key instead"
                        );
                    }
                    self.release(
                        provider,
                        until,
                        Sent::Purged {
                            tags: purged,
                            fallback,
                        },
                    )
                    .await?;
                }
                Err(PurgeError::RateLimited(wait)) => {
                    counter!("strata_cdn_purge_requests_total", "provider" => name, "outcome" => "rate_limited")
                        .increment(1);
                    let not_before = now() + chrono_of(wait);
                    self.release(provider, until, Sent::RateLimited { not_before })
                        .await?;
                    tracing::warn!(
                        provider = name,
                        retry_after_secs = wait.as_secs(),
                        "CDN purge rate-limited (429): waiting as told"
                    );
                    return Ok(Some(not_before));
                }
                Err(error) => {
                    counter!("strata_cdn_purge_requests_total", "provider" => name, "outcome" => "failed")
                        .increment(1);
                    // The backoff is the provider's, kept in its row: a commit scheduling the
                    // sender meanwhile does not bring the next attempt forward.
                    let failures = failures.saturating_add(1);
                    let retry_in = tasks::backoff(failures, MAX_BACKOFF);
                    let retry_at = (now() + chrono_of(retry_in)).trunc_subsecs(6);
                    self.release(provider, until, Sent::Failed { failures, retry_at })
                        .await?;
                    let pending = self.ready(name).await.unwrap_or(pending);
                    // Retrying cannot help a refused token until an operator acts: say so
                    // loudly every time, as a long outage is after LOUD_AFTER attempts.
                    if matches!(error, PurgeError::Unauthorized { .. })
                        || failures >= tasks::LOUD_AFTER
                    {
                        tracing::error!(provider = name, failures, pending, retry_in_secs = retry_in.as_secs(), %error, "CDN purge still failing");
                    } else {
                        tracing::warn!(provider = name, failures, pending, retry_in_secs = retry_in.as_secs(), %error, "CDN purge failed; will retry");
                    }
                    return Ok(Some(retry_at));
                }
            }
        }
        Ok(Some(now()))
    }
}

#[async_trait]
impl RunLeased for Purges {
    async fn run(&self, task: &Task) -> Result<(), TaskError> {
        let Some(provider) = self
            .settings
            .providers
            .iter()
            .find(|provider| task.key.as_deref() == Some(provider.name()))
        else {
            // A provider no longer configured: its tags stay for when it is again.
            return Ok(());
        };
        let outcome = self.drain(provider).await;
        // Keep the dashboard's and the metrics' numbers current with every run.
        if let Err(error) = self.backlog().await {
            tracing::warn!(%error, "cdn: counting pending purges failed");
        }
        if let Some(at) = outcome? {
            // Rescheduled: the runner sees a new due time and keeps the row.
            tasks::enqueue(&self.db, KIND, Some(provider.name()), "", at).await?;
        }
        Ok(())
    }

    fn lane(&self, task: &Task) -> Option<String> {
        task.key.clone()
    }
}

/// The tags of `provider`'s rows matching `filter` (the oldest `limit`) that no transaction in
/// flight holds. A commit re-queueing a tag holds its row until it commits, and its rows are
/// taken in tag order while these statements would take theirs in another: waiting on each
/// other's rows would deadlock (PostgreSQL picks a victim: a commit, or a bulk job's batch). A
/// row skipped is being re-queued, so it is owed again anyway. (SQLite has one writer at a
/// time: no row locks, and sea-query writes no `FOR UPDATE` for it.)
fn unlocked(
    provider: &str,
    filter: sea_orm::sea_query::SimpleExpr,
    limit: Option<usize>,
) -> SelectStatement {
    let mut select = Query::select();
    select
        .column(PurgeCol::Tag)
        .from(PurgeRows)
        .and_where(PurgeCol::Provider.eq(provider))
        .and_where(filter)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    if let Some(limit) = limit {
        select
            .order_by(PurgeCol::Since, Order::Asc)
            .order_by(PurgeCol::Tag, Order::Asc)
            .limit(limit as u64);
    }
    select
}

/// `provider`'s tags matching `filter`, locked in tag order — the order a commit takes them in
/// ([`Purges::record`]), so waiting for a commit in flight cannot deadlock with it. Waiting
/// (rather than skipping, as [`unlocked`] does) sees that commit end: a tag it owed again now
/// names it, and one it rolled back is still this change's and must not stay held forever.
fn in_tag_order(provider: &str, filter: sea_orm::sea_query::SimpleExpr) -> SelectStatement {
    Query::select()
        .column(PurgeCol::Tag)
        .from(PurgeRows)
        .and_where(PurgeCol::Provider.eq(provider))
        .and_where(filter)
        .order_by(PurgeCol::Tag, Order::Asc)
        .lock(LockType::Update)
        .to_owned()
}

/// The database's precision (PostgreSQL keeps microseconds): rows are compared by timestamp.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn chrono_of(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::TimeDelta::MAX)
}
