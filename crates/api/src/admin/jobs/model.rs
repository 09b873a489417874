//! One bulk job as stored: what it does, the ids its filter matched when it was created, and
//! how far its runner got.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_bulk_job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The resource's URL segment (`properties`): a job is read only under its own resource.
    pub resource: String,
    /// `status` or `delete`.
    pub action: String,
    pub status: Option<String>,
    /// The snapshot of matching rows, as a JSON array of `[id, version]` pairs, in the list's
    /// order.
    #[sea_orm(column_type = "Text")]
    pub ids: String,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    /// `[{id, detail}]`, as JSON.
    #[sea_orm(column_type = "Text")]
    pub errors: String,
    /// `running`, `done` or `interrupted`, as the runner last wrote it.
    pub state: String,
    pub created_at: DateTimeUtc,
    /// The runner's last report: a running job silent for too long has lost its runner.
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
