//! Database reads (no cache): services decide what to cache.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use strata_api::Lang;

use crate::models::{category, option, tag};
use crate::serializers::{CategoryOut, OptionOut, TagOut, category_out, option_out, tag_out};
use crate::tree;

pub async fn all_categories(
    db: &impl ConnectionTrait,
    lang: Lang,
) -> Result<Vec<CategoryOut>, DbErr> {
    let rows = category::Entity::find()
        .order_by_asc(category::Column::App)
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::NameFa)
        .all(db)
        .await?;
    Ok(rows.iter().map(|m| category_out(m, lang)).collect())
}

/// The ids of `app`'s category with `slug` and of its descendants (a loop or a chain deeper
/// than [`tree::MAX_DEPTH`] is cut short, see [`tree::descendants`]); empty when there is none.
pub async fn subtree(db: &impl ConnectionTrait, app: &str, slug: &str) -> Result<Vec<i64>, DbErr> {
    let nodes: Vec<(i64, Option<i64>, String)> = category::Entity::find()
        .select_only()
        .column(category::Column::Id)
        .column(category::Column::ParentId)
        .column(category::Column::Slug)
        .filter(category::Column::App.eq(app))
        .into_tuple()
        .all(db)
        .await?;
    let Some(root) = nodes.iter().find(|(_, _, s)| s == slug).map(|(id, ..)| *id) else {
        return Ok(Vec::new());
    };
    let links: Vec<(i64, Option<i64>)> =
        nodes.iter().map(|(id, parent, _)| (*id, *parent)).collect();
    Ok(tree::descendants(&links, root))
}

pub async fn all_tags(db: &impl ConnectionTrait, lang: Lang) -> Result<Vec<TagOut>, DbErr> {
    let rows = tag::Entity::find()
        .order_by_asc(tag::Column::NameFa)
        .all(db)
        .await?;
    Ok(rows.iter().map(|m| tag_out(m, lang)).collect())
}

pub async fn all_options(db: &impl ConnectionTrait, lang: Lang) -> Result<Vec<OptionOut>, DbErr> {
    let rows = option::Entity::find()
        .order_by_asc(option::Column::Group)
        .order_by_asc(option::Column::Position)
        .order_by_asc(option::Column::NameFa)
        .all(db)
        .await?;
    Ok(rows.iter().map(|m| option_out(m, lang)).collect())
}
