//! The schema: every app's migrations, in dependency order (users and media first, then
//! taxonomy, then what references taxonomy, then the binary's own outbox and invalidation
//! journal, then the admin pattern's tables — bulk jobs, the task queue, slug history —, then
//! the move of the outbox's rows into the task queue, then the CDN purges' tables).

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use sea_orm_migration::{MigrationTrait, MigratorTrait, SchemaManager};
use strata_db::DbError;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = strata_users::migrations();
        all.extend(strata_media::migrations());
        all.extend(strata_taxonomy::migrations());
        all.extend(strata_real_estate::migrations());
        all.push(Box::new(
            crate::outbox::m20261124_000500_web_outbox::Migration,
        ));
        all.push(Box::new(crate::invalidation::journal::Migration));
        // The admin pattern's tables; the task queue then takes the outbox's rows.
        all.extend(strata_api::migrations());
        all.push(Box::new(
            crate::outbox::m20261207_000800_outbox_to_tasks::Migration,
        ));
        all.push(Box::new(crate::cdn::m20261208_000900_cdn_purge::Migration));
        all
    }
}

/// Migrations renamed after they had been applied somewhere: (recorded name, name now).
/// sea-orm-migration refuses a database that recorded a migration it no longer knows, so the
/// record is renamed with the file before the migrator looks.
const RENAMED: &[(&str, &str)] = &[("migration", "m20261124_000500_web_outbox")];

async fn rename_recorded(db: &DatabaseConnection) -> Result<(), DbError> {
    let manager = SchemaManager::new(db);
    if !manager
        .has_table("seaql_migrations")
        .await
        .map_err(DbError::Migrate)?
    {
        return Ok(());
    }
    for (recorded, now) in RENAMED {
        let rename = Query::update()
            .table(Alias::new("seaql_migrations"))
            .value(Alias::new("version"), *now)
            .and_where(Expr::col(Alias::new("version")).eq(*recorded))
            .to_owned();
        db.execute(&rename).await.map_err(DbError::Migrate)?;
    }
    Ok(())
}

/// Migrates the SQLite database at `url` through a connection of its own, closed again before
/// the caller opens its pool. A pooled connection that had loaded the schema before a migration
/// changed it would name the columns of its next statement after the old schema: SQLite
/// re-prepares the statement, but sqlx keeps the names it read first, so a new column (a
/// row's `version`) reads as missing, once per connection.
pub async fn migrate_alone(url: &str) -> Result<usize, DbError> {
    let db = strata_db::connect(url, 1).await?;
    let applied = migrate(&db).await;
    // A close that fails leaves nothing behind that the pool opened next could see.
    let _ = db.close().await;
    applied
}

/// Applies pending migrations (idempotent); returns how many ran.
pub async fn migrate(db: &DatabaseConnection) -> Result<usize, DbError> {
    let pending = pending(db).await?;
    Migrator::up(db, None).await.map_err(DbError::Migrate)?;
    Ok(pending)
}

pub async fn pending(db: &DatabaseConnection) -> Result<usize, DbError> {
    rename_recorded(db).await?;
    Ok(Migrator::get_pending_migrations(db)
        .await
        .map_err(DbError::Migrate)?
        .len())
}
