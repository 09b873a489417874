//! Slug history: an object's old slugs keep naming it after a rename, so its old URLs answer a
//! `301` to the new one instead of a 404 (as Wagtail's redirects and WordPress's
//! `_wp_old_slug` do), for every resource with slugs, written by the generic admin services.
//!
//! A redirect stores the object's id, not the next slug, so a chain of renames (a → b → c) is
//! one hop from any old slug. An object created or renamed to a slug takes it back from any
//! redirect (a new object wins), and a deleted object's redirects go with it.

mod m20261207_000900_slug_redirects;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

pub use m20261207_000900_slug_redirects::Migration;

use crate::catalog::Entity;

mod model {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "slug_redirect")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub entity: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub slug: String,
        pub object_id: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use model::{Column, Entity as Redirects};

/// In the write's transaction: the object `id` now has the slug `new` (created, or renamed from
/// `old`). `old` keeps naming it; `new` names it alone.
pub async fn renamed(
    conn: &impl ConnectionTrait,
    entity: Entity,
    id: i64,
    old: Option<&str>,
    new: &str,
) -> Result<(), DbErr> {
    if !new.is_empty() {
        Redirects::delete_many()
            .filter(Column::Entity.eq(entity.name()))
            .filter(Column::Slug.eq(new))
            .exec(conn)
            .await?;
    }
    let Some(old) = old.filter(|old| !old.is_empty() && *old != new) else {
        return Ok(());
    };
    Redirects::insert(model::ActiveModel {
        entity: Set(entity.name().to_owned()),
        slug: Set(old.to_owned()),
        object_id: Set(id),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([Column::Entity, Column::Slug])
            .update_columns([Column::ObjectId, Column::CreatedAt])
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

/// In the deletion's transaction: the objects `ids` are gone, and so are their old slugs.
pub async fn deleted(
    conn: &impl ConnectionTrait,
    entity: Entity,
    ids: &[i64],
) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        Redirects::delete_many()
            .filter(Column::Entity.eq(entity.name()))
            .filter(Column::ObjectId.is_in(chunk.iter().copied()))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// The object an old slug of `entity` names, if it was renamed away from it.
pub async fn moved(
    conn: &impl ConnectionTrait,
    entity: Entity,
    slug: &str,
) -> Result<Option<i64>, DbErr> {
    Ok(
        Redirects::find_by_id((entity.name().to_owned(), slug.to_owned()))
            .one(conn)
            .await?
            .map(|redirect| redirect.object_id),
    )
}
