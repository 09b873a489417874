use sea_orm_migration::MigrationTrait;

mod m20261124_000300_taxonomy;
mod m20261127_000300_taxonomy_bilingual;
mod m20261207_000300_taxonomy_version;

pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261124_000300_taxonomy::Migration),
        Box::new(m20261127_000300_taxonomy_bilingual::Migration),
        Box::new(m20261207_000300_taxonomy_version::Migration),
    ]
}
