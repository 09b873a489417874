use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn owned_by_user(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, "user_id")
        .to("users_user", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("users_user")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("username", 150))
                    .col(string_len("email", 254))
                    .col(string_len("password", 255))
                    .col(string_len("role", 16))
                    .col(boolean("is_active"))
                    .col(timestamp_with_time_zone_null("last_login"))
                    .col(timestamp_with_time_zone("date_joined"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("users_token")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("key_hash", 64))
                    .col(big_integer("user_id"))
                    .col(timestamp_with_time_zone("created"))
                    .foreign_key(&mut owned_by_user("users_token"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("users_session")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("key_hash", 64))
                    .col(big_integer("user_id"))
                    .col(string_len("csrf_token", 64))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut owned_by_user("users_session"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["users_session", "users_token", "users_user"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
