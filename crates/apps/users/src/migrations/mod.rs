use sea_orm_migration::MigrationTrait;
use strata_api::admin::VersionColumns;

mod m20261124_000100_users;
mod m20261124_000110_users_indexes;
mod m20261207_000100_users_token_expiry;

pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261124_000100_users::Migration),
        Box::new(m20261124_000110_users_indexes::Migration),
        Box::new(m20261207_000100_users_token_expiry::Migration),
        Box::new(VersionColumns {
            name: "m20261207_000100_users_version",
            tables: &["users_user"],
        }),
    ]
}
