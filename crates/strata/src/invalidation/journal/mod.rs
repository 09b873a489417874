//! The invalidation journal: every change is written in its mutation's own transaction and
//! deleted once its invalidation has reached the caches. A row left behind means the process
//! died (or the cache could only queue the invalidation) between the commit and the end of
//! the invalidation; a sweeper on every instance applies such rows once they are older than
//! any invalidation in flight could be, so a committed change is never left uninvalidated.
//! Applying a change twice is harmless (invalidation is idempotent), so instances need no claim.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use strata_api::{Change, Op};

use crate::apps;

mod m20261127_000500_invalidation_journal;

pub use m20261127_000500_invalidation_journal::Migration;

mod entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "invalidation_journal")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The change, as JSON.
        pub change: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A change as stored: its entity by name, which [`apps::catalog`] reads back.
#[derive(serde::Deserialize)]
struct Stored {
    entity: String,
    op: Op,
    ids: Vec<i64>,
    slugs: Vec<String>,
}

/// The stored change, or why it cannot be read.
fn read(json: &str) -> Result<Change, String> {
    let stored: Stored = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let entity = apps::catalog()
        .entity(&stored.entity)
        .ok_or_else(|| format!("no app declares the entity {:?}", stored.entity))?;
    Ok(Change::new(entity, stored.op, stored.ids, stored.slugs))
}

/// How old a row must be before another path applies it: far longer than a commit's own
/// invalidation takes (milliseconds), and than the request timeout it runs under.
pub const GRACE: Duration = Duration::from_secs(60);
/// How often each instance looks for rows left behind.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);
const BATCH: u64 = 100;

pub struct Journal {
    db: DatabaseConnection,
}

impl Journal {
    pub fn new(db: DatabaseConnection) -> Self {
        Journal { db }
    }

    /// Writes `change` in the mutation's transaction; returns the row's id.
    pub async fn record(&self, txn: &DatabaseTransaction, change: &Change) -> Result<i64, DbErr> {
        let change = serde_json::to_string(change).map_err(|e| DbErr::Custom(e.to_string()))?;
        let row = entry::ActiveModel {
            change: Set(change),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok(row.id)
    }

    /// The change has reached every cache: its row goes.
    pub async fn done(&self, id: i64) -> Result<(), DbErr> {
        entry::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(())
    }

    /// Rows older than `grace`, oldest first, with their changes. A row whose change cannot
    /// be read (written by a newer version, say, or naming an app no longer built in) is
    /// logged and skipped, never dropped.
    pub async fn left_behind(&self, grace: Duration) -> Result<Vec<(i64, Change)>, DbErr> {
        let before = Utc::now()
            - chrono::Duration::from_std(grace).unwrap_or_else(|_| chrono::Duration::zero());
        let rows = entry::Entity::find()
            .filter(entry::Column::CreatedAt.lt(before))
            .order_by_asc(entry::Column::Id)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| match read(&row.change) {
                Ok(change) => Some((row.id, change)),
                Err(error) => {
                    tracing::error!(id = row.id, %error, "unreadable invalidation journal row");
                    None
                }
            })
            .collect())
    }
}
