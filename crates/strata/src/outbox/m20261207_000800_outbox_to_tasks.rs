//! Moves the revalidations still owed in `web_outbox` to the task queue (`task`, kind
//! [`super::KIND`]) and drops the old table. Written with the query builder, so one migration
//! serves SQLite and PostgreSQL.

use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000800_outbox_to_tasks"
    }
}

const OLD: &str = "web_outbox";

#[derive(FromQueryResult)]
struct Owed {
    target: String,
    tag: String,
    attempts: i32,
    next_attempt_at: chrono::DateTime<chrono::Utc>,
    created_at: chrono::DateTime<chrono::Utc>,
    last_error: Option<String>,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !manager.has_table(OLD).await? {
            return Ok(());
        }
        let db = manager.get_connection();
        let select = Query::select()
            .columns(
                [
                    "target",
                    "tag",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                    "last_error",
                ]
                .map(Alias::new),
            )
            .from(Alias::new(OLD))
            .to_owned();
        let owed = Owed::find_by_statement(db.get_database_backend().build(&select))
            .all(db)
            .await?;
        for row in owed {
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new("task"))
                .columns(
                    [
                        "kind",
                        "payload",
                        "due_at",
                        "attempts",
                        "last_error",
                        "created_at",
                    ]
                    .map(Alias::new),
                )
                .values([
                    super::KIND.into(),
                    super::payload(&row.target, &row.tag).into(),
                    row.next_attempt_at.into(),
                    row.attempts.into(),
                    row.last_error.into(),
                    row.created_at.into(),
                ])
                .map_err(|error| DbErr::Migration(error.to_string()))?;
            db.execute(&insert).await?;
        }
        manager
            .drop_table(Table::drop().table(Alias::new(OLD)).to_owned())
            .await
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
