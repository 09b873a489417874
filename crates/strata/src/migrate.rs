//! The schema: every app's migrations, in dependency order (users and media first, then
//! taxonomy, then what references taxonomy, then the binary's own outbox and invalidation journal, then the admin pattern's bulk jobs).

use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use strata_db::DbError;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = strata_users::migrations();
        all.extend(strata_media::migrations());
        all.extend(strata_taxonomy::migrations());
        all.extend(strata_real_estate::migrations());
        all.push(Box::new(crate::outbox::migration::Migration));
        all.push(Box::new(crate::invalidation::journal::Migration));
        // The admin pattern's bulk jobs (`strata_api::admin::jobs`).
        all.push(Box::new(strata_api::admin::jobs::Migration));
        all
    }
}

/// Applies pending migrations (idempotent); returns how many ran.
pub async fn migrate(db: &DatabaseConnection) -> Result<usize, DbError> {
    let pending = pending(db).await?;
    Migrator::up(db, None).await.map_err(DbError::Migrate)?;
    Ok(pending)
}

pub async fn pending(db: &DatabaseConnection) -> Result<usize, DbError> {
    Ok(Migrator::get_pending_migrations(db)
        .await
        .map_err(DbError::Migrate)?
        .len())
}
