//! The durable outbox of revalidations owed to external Next.js front ends (`NEXTJS_URL`),
//! as tasks of kind [`KIND`] on the shared queue (`strata_api::tasks`).
//!
//! Tasks are written in the mutation's own transaction ([`Outbox::record`]), so a committed
//! change always has its notifications and a rolled-back one never does. They are held until
//! the commit's own caches are invalidated ([`Outbox::applied`]): a front end told earlier
//! would refetch what this server's caches still held. The queue's runner on
//! every instance delivers due tasks with the Next.js protocol (`POST {tag, secret}` to
//! `<base>/api/revalidate`, see [`Target`]; 2 s timeout) under a lease, deletes them once a
//! target answered 2xx, and otherwise retries with backoff — logged and counted, never
//! dropped. The task table replaced `web_outbox` ([`m20261207_000800_outbox_to_tasks`] moved
//! its rows).

pub mod m20261124_000500_web_outbox;
pub mod m20261207_000800_outbox_to_tasks;
mod target;

pub use target::{Form, Target};

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use metrics::counter;
use reqwest::StatusCode;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use serde::Deserialize;
use serde_json::json;
use strata_api::tasks::{self, Kind, RunLeased, Task, TaskError};

/// The outbox's kind of task.
pub const KIND: &str = "nextjs.revalidate";
/// The Next.js protocol's timeout per call, and the bound of the attempt on the commit's path.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// How long a claimed delivery is left to the instance that claimed it.
const LEASE: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// One revalidation owed: a task's payload, as [`payload`] writes it.
#[derive(Deserialize)]
struct Revalidation {
    target: String,
    tag: String,
}

/// The key prefix of the tasks a change owes.
fn held(change_id: i64) -> String {
    format!("change:{change_id}")
}

/// The payload of the task that owes `target` the revalidation of `tag`.
fn payload(target: &str, tag: &str) -> String {
    json!({ "target": target, "tag": tag }).to_string()
}

pub struct Outbox {
    targets: Vec<Target>,
    secret: String,
    client: reqwest::Client,
}

impl Outbox {
    /// Fails only when the HTTP client cannot start (its TLS backend).
    pub fn new(targets: Vec<Target>, secret: Option<String>) -> Result<Arc<Self>, reqwest::Error> {
        Ok(Arc::new(Outbox {
            targets,
            secret: secret.unwrap_or_default(),
            client: delivery_client()?,
        }))
    }

    /// Whether any front end is configured (otherwise nothing is recorded or delivered).
    pub fn has_targets(&self) -> bool {
        !self.targets.is_empty()
    }

    /// Inside the mutation's transaction (journalled as `change_id`): one task per target and
    /// tag, held until [`applied`](Self::applied), or until `until` should this process die
    /// before (the journal's sweeper applies the change by then).
    pub async fn record(
        &self,
        txn: &DatabaseTransaction,
        tags: &BTreeSet<String>,
        change_id: i64,
        until: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let mut payloads = Vec::with_capacity(self.targets.len() * tags.len());
        for target in &self.targets {
            for tag in tags {
                payloads.push(payload(&target.endpoint, tag));
            }
        }
        tasks::enqueue_held(txn, KIND, &held(change_id), payloads, until).await
    }

    /// After the caches of the change journalled as `change_id` were invalidated: its
    /// revalidations are due.
    pub async fn applied(&self, db: &DatabaseConnection, change_id: i64) -> Result<(), DbErr> {
        tasks::release(db, KIND, &held(change_id)).await
    }

    /// The queue's kind that delivers, when targets are configured.
    pub fn kind(self: &Arc<Self>) -> Option<Kind> {
        self.has_targets().then(|| {
            Kind::leased(
                KIND,
                LEASE,
                MAX_BACKOFF,
                Arc::clone(self) as Arc<dyn RunLeased>,
            )
        })
    }

    /// Logs where revalidations go, and a secret that is missing, when a server starts.
    pub fn announce(&self) {
        for target in &self.targets {
            target.log();
        }
        if !self.targets.is_empty() && self.secret.is_empty() {
            tracing::warn!(
                "NEXTJS_URL is set but REVALIDATE_SECRET is not: targets will refuse the calls"
            );
        }
    }

    /// Where a task's revalidation goes. Releases before the entry's two forms posted to a
    /// base-form entry verbatim (which Next.js answers 404, forever): such tasks go to the
    /// endpoint.
    fn endpoint<'a>(&'a self, target: &'a str) -> &'a str {
        self.targets
            .iter()
            .find(|t| t.form == Form::Base && t.configured == target)
            .map_or(target, |t| t.endpoint.as_str())
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

#[async_trait]
impl RunLeased for Outbox {
    async fn run(&self, task: &Task) -> Result<(), TaskError> {
        let owed: Revalidation = serde_json::from_str(&task.payload)
            .map_err(|error| TaskError::retry(format!("unreadable payload: {error}")))?;
        let target = self.endpoint(&owed.target);
        match self.post(target, &owed.tag).await {
            Ok(()) => {
                counter!("strata_web_outbox_deliveries_total", "outcome" => "delivered")
                    .increment(1);
                Ok(())
            }
            Err(error) => {
                counter!("strata_web_outbox_deliveries_total", "outcome" => error.outcome())
                    .increment(1);
                let unauthorized = matches!(error, DeliveryError::Unauthorized(_));
                Err(TaskError {
                    message: if unauthorized {
                        format!(
                            "{target} refused REVALIDATE_SECRET ({error}) revalidating {:?}; set the same secret on both sides",
                            owed.tag
                        )
                    } else {
                        format!("{target} revalidating {:?}: {error}", owed.tag)
                    },
                    // Retrying cannot help until an operator aligns the secrets: say so loudly.
                    needs_operator: unauthorized,
                })
            }
        }
    }

    /// A target that just failed is not called again this round: its tasks wait their turn.
    fn lane(&self, task: &Task) -> Option<String> {
        serde_json::from_str::<Revalidation>(&task.payload)
            .ok()
            .map(|owed| self.endpoint(&owed.target).to_owned())
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
