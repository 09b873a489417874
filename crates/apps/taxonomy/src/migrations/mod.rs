use sea_orm_migration::MigrationTrait;
use strata_api::admin::VersionColumns;

mod m20261124_000300_taxonomy;
mod m20261127_000300_taxonomy_bilingual;
mod m20261207_000310_taxonomy_name_sort;
mod m20261207_000320_taxonomy_option_groups;

pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261124_000300_taxonomy::Migration),
        Box::new(m20261127_000300_taxonomy_bilingual::Migration),
        Box::new(VersionColumns {
            name: "m20261207_000300_taxonomy_version",
            tables: &["taxonomy_category", "taxonomy_tag", "taxonomy_option"],
        }),
        Box::new(m20261207_000310_taxonomy_name_sort::Migration),
        Box::new(m20261207_000320_taxonomy_option_groups::Migration),
    ]
}
