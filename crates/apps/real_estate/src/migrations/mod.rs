use sea_orm_migration::MigrationTrait;
use strata_api::admin::VersionColumns;

mod m20261124_000400_real_estate;
mod m20261127_000400_real_estate_bilingual;
mod m20261127_000500_real_estate_city_keys;
mod m20261207_000410_real_estate_title_sort;
mod m20261207_000420_real_estate_unpublish_at;

/// After taxonomy's: properties reference categories, tags and options.
pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261124_000400_real_estate::Migration),
        Box::new(m20261127_000400_real_estate_bilingual::Migration),
        Box::new(m20261127_000500_real_estate_city_keys::Migration),
        Box::new(VersionColumns {
            name: "m20261207_000400_real_estate_version",
            tables: &["real_estate_property"],
        }),
        Box::new(m20261207_000410_real_estate_title_sort::Migration),
        Box::new(m20261207_000420_real_estate_unpublish_at::Migration),
    ]
}
