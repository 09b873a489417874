use sea_orm_migration::MigrationTrait;

mod m20261124_000200_media;
mod m20261127_000300_media_pending_delete;
mod m20261127_000400_media_rendition;

pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261124_000200_media::Migration),
        Box::new(m20261127_000300_media_pending_delete::Migration),
        Box::new(m20261127_000400_media_rendition::Migration),
    ]
}
