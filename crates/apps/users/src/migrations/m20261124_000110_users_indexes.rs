//! Indexes the first users migration lacked (it had landed before they were added).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, column). Deleting a user cascades by `user_id`, which PostgreSQL does not
/// index by itself; expired sessions are purged by range on `expires_at`.
const INDEXES: [(&str, &str, &str); 3] = [
    ("users_token_user_id", "users_token", "user_id"),
    ("users_session_user_id", "users_session", "user_id"),
    ("users_session_expires_at", "users_session", "expires_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, col) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .if_not_exists()
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
