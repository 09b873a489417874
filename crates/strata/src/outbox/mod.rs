//! The durable outbox of revalidations owed to external Next.js front ends (`NEXTJS_URL`).
//!
//! Rows are written in the mutation's own transaction ([`Outbox::record`]), so a committed
//! change always has its notifications and a rolled-back one never does. A dispatcher on every
//! instance delivers due rows with the Next.js protocol (`POST {tag, secret}` to
//! `<base>/api/revalidate`, see [`Target`]; 2 s timeout), deletes them once a target answered
//! 2xx, and otherwise retries with exponential backoff — logged and counted, never dropped. Instances claim a row by moving its due time with a
//! compare-and-set, so one delivery runs at a time per row.

pub mod m20261124_000500_web_outbox;
mod target;

pub use target::{Form, Target};

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrics::{counter, gauge};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use tokio::sync::Notify;

mod entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub target: String,
        pub tag: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The Next.js protocol's timeout per call.
const TIMEOUT: Duration = Duration::from_secs(2);
/// How often due rows are looked for when nothing wakes the dispatcher.
const POLL: Duration = Duration::from_secs(1);
/// How long a claimed row is left to the instance that claimed it.
const CLAIM: Duration = Duration::from_secs(30);
const BATCH: u64 = 100;
const MAX_BACKOFF_SECS: i64 = 300;
/// After this many failed attempts a row is reported at ERROR (and still retried).
const LOUD_AFTER: i32 = 10;

pub struct Outbox {
    db: DatabaseConnection,
    targets: Vec<Target>,
    secret: String,
    client: reqwest::Client,
    wake: Notify,
}

impl Outbox {
    /// Fails only when the HTTP client cannot start (its TLS backend).
    pub fn new(
        db: DatabaseConnection,
        targets: Vec<Target>,
        secret: Option<String>,
    ) -> Result<Arc<Self>, reqwest::Error> {
        Ok(Arc::new(Outbox {
            db,
            targets,
            secret: secret.unwrap_or_default(),
            client: delivery_client()?,
            wake: Notify::new(),
        }))
    }

    /// Inside the mutation's transaction: one row per target and tag.
    pub async fn record(
        &self,
        txn: &DatabaseTransaction,
        tags: &BTreeSet<String>,
    ) -> Result<(), DbErr> {
        if self.targets.is_empty() || tags.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let rows = self.targets.iter().flat_map(|target| {
            tags.iter().map(move |tag| entry::ActiveModel {
                target: Set(target.endpoint.clone()),
                tag: Set(tag.clone()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                created_at: Set(now),
                last_error: Set(None),
                ..Default::default()
            })
        });
        entry::Entity::insert_many(rows).exec(txn).await?;
        Ok(())
    }

    /// After a commit, on the commit's invalidation path (which the request awaits): one
    /// delivery attempt now, bounded by the protocol's 2 s timeout as the original stack's
    /// `notify_nextjs_revalidate` was, so a front end is normally fresh on its first load after
    /// the ack. Whatever is not delivered in that time stays for the dispatcher.
    pub async fn deliver_now(&self) {
        if self.targets.is_empty() {
            return;
        }
        match tokio::time::timeout(TIMEOUT, self.deliver_due()).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::error!(%error, "outbox: reading due revalidations failed"),
            // Rows claimed by the attempt are retried once their claim lapses.
            Err(_) => self.wake.notify_one(),
        }
    }

    /// Runs the dispatcher until the process ends (only when targets are configured).
    pub fn start(self: &Arc<Self>) {
        if self.targets.is_empty() {
            return;
        }
        for target in &self.targets {
            target.log();
        }
        if self.secret.is_empty() {
            tracing::warn!(
                "NEXTJS_URL is set but REVALIDATE_SECRET is not: targets will refuse the calls"
            );
        }
        let outbox = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(error) = outbox.readdress_base_rows().await {
                tracing::error!(%error, "outbox: re-addressing rows of base URLs failed");
            }
            loop {
                match outbox.deliver_due().await {
                    // More may be due right away.
                    Ok(n) if n as u64 == BATCH => continue,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(%error, "outbox: reading due revalidations failed")
                    }
                }
                let _ = tokio::time::timeout(POLL, outbox.wake.notified()).await;
            }
        });
    }

    /// Releases before this one posted to a base-form entry verbatim, so their rows carry the
    /// base URL (which Next.js answers 404, forever): point them at the endpoint.
    async fn readdress_base_rows(&self) -> Result<(), DbErr> {
        for target in self.targets.iter().filter(|t| t.form == Form::Base) {
            entry::Entity::update_many()
                .col_expr(entry::Column::Target, Expr::value(target.endpoint.clone()))
                .filter(entry::Column::Target.eq(target.configured.as_str()))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Delivers what is due; returns how many rows it looked at.
    async fn deliver_due(&self) -> Result<usize, DbErr> {
        let now = Utc::now();
        let due = entry::Entity::find()
            .filter(entry::Column::NextAttemptAt.lte(now))
            .order_by_asc(entry::Column::Id)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        let mut unreachable: HashSet<String> = HashSet::new();
        for row in &due {
            // A target that just failed is not called again this round: its rows wait their turn.
            if unreachable.contains(&row.target) || !self.claim(row, now).await? {
                continue;
            }
            match self.post(&row.target, &row.tag).await {
                Ok(()) => {
                    entry::Entity::delete_by_id(row.id).exec(&self.db).await?;
                    counter!("strata_web_outbox_deliveries_total", "outcome" => "delivered")
                        .increment(1);
                }
                Err(error) => {
                    unreachable.insert(row.target.clone());
                    self.failed(row, &error).await?;
                }
            }
        }
        let pending = entry::Entity::find().count(&self.db).await?;
        gauge!("strata_web_outbox_pending").set(pending as f64);
        Ok(due.len())
    }

    async fn claim(&self, row: &entry::Model, now: DateTime<Utc>) -> Result<bool, DbErr> {
        let claimed = entry::Entity::update_many()
            .col_expr(entry::Column::NextAttemptAt, Expr::value(now + CLAIM))
            .filter(entry::Column::Id.eq(row.id))
            .filter(entry::Column::NextAttemptAt.eq(row.next_attempt_at))
            .exec(&self.db)
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    async fn failed(&self, row: &entry::Model, error: &DeliveryError) -> Result<(), DbErr> {
        let attempts = row.attempts.saturating_add(1);
        let backoff = 2i64
            .saturating_pow(attempts.min(16) as u32)
            .min(MAX_BACKOFF_SECS);
        entry::Entity::update_many()
            .col_expr(entry::Column::Attempts, Expr::value(attempts))
            .col_expr(
                entry::Column::NextAttemptAt,
                Expr::value(Utc::now() + chrono::Duration::seconds(backoff)),
            )
            .col_expr(entry::Column::LastError, Expr::value(error.to_string()))
            .filter(entry::Column::Id.eq(row.id))
            .exec(&self.db)
            .await?;
        counter!("strata_web_outbox_deliveries_total", "outcome" => error.outcome()).increment(1);
        if matches!(error, DeliveryError::Unauthorized(_)) {
            // Retrying cannot help until an operator aligns the secrets: say so on every attempt.
            tracing::error!(
                target = row.target,
                tag = row.tag,
                attempts,
                %error,
                retry_in_secs = backoff,
                "outbox: the target refused REVALIDATE_SECRET; set the same secret on both sides"
            );
        } else if attempts >= LOUD_AFTER {
            tracing::error!(
                target = row.target,
                tag = row.tag,
                attempts,
                %error,
                retry_in_secs = backoff,
                "outbox: revalidation still undelivered"
            );
        } else {
            tracing::warn!(
                target = row.target,
                tag = row.tag,
                attempts,
                %error,
                retry_in_secs = backoff,
                "outbox: revalidation failed; will retry"
            );
        }
        Ok(())
    }

    async fn post(&self, target: &str, tag: &str) -> Result<(), DeliveryError> {
        let response = self
            .client
            .post(target)
            .timeout(TIMEOUT)
            .json(&json!({ "tag": tag, "secret": self.secret }))
            .send()
            .await?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                Err(DeliveryError::Unauthorized(status))
            }
            status if status.is_redirection() => Err(DeliveryError::Redirected {
                status,
                location: response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                    .unwrap_or_default(),
            }),
            status => Err(DeliveryError::Status(status)),
        }
    }
}

/// The client of every outbound delivery. It never follows a redirect: each call carries
/// `REVALIDATE_SECRET` (which also authenticates calls into this server's own
/// `/api/revalidate`), and a redirect would hand it to whatever origin the `Location` names.
/// A 3xx is a failed delivery, logged with where it pointed.
pub fn delivery_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Why one call to a target did not revalidate.
#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error("{0}")]
    Unreachable(#[from] reqwest::Error),
    /// The policy's route answers 401 to a wrong secret.
    #[error("answered {0}")]
    Unauthorized(StatusCode),
    #[error("answered {0}")]
    Status(StatusCode),
    /// Not followed: the secret would go where the `Location` says.
    #[error(
        "answered {status} to {location:?}; redirects are not followed (the secret would go there): point NEXTJS_URL at the final URL"
    )]
    Redirected {
        status: StatusCode,
        location: String,
    },
}

impl DeliveryError {
    /// The `outcome` label of `strata_web_outbox_deliveries_total`.
    fn outcome(&self) -> &'static str {
        match self {
            DeliveryError::Unauthorized(_) => "unauthorized",
            DeliveryError::Unreachable(_)
            | DeliveryError::Status(_)
            | DeliveryError::Redirected { .. } => "failed",
        }
    }
}
