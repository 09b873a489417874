//! Database reads (no cache): services decide what to cache.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use strata_api::Lang;
use strata_api::lang::sort_key_in;

use crate::models::{category, option, tag};
use crate::serializers::{CategoryOut, OptionOut, TagOut, category_out, option_out, tag_out};
use crate::tree;

/// Every category, by app, then position, then name in `lang`'s alphabetical order
/// ([`sort_key_in`]: a Persian dictionary's order, not the code points'), then id.
pub async fn all_categories(
    db: &impl ConnectionTrait,
    lang: Lang,
) -> Result<Vec<CategoryOut>, DbErr> {
    let rows = category::Entity::find().all(db).await?;
    let mut out: Vec<CategoryOut> = rows.iter().map(|m| category_out(m, lang)).collect();
    out.sort_by_cached_key(|c| {
        (
            c.app.clone(),
            c.position,
            sort_key_in(lang, &c.label.name),
            c.id,
        )
    });
    Ok(out)
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

/// Every tag, by name in `lang`'s alphabetical order ([`sort_key_in`]), then id.
pub async fn all_tags(db: &impl ConnectionTrait, lang: Lang) -> Result<Vec<TagOut>, DbErr> {
    let rows = tag::Entity::find().all(db).await?;
    let mut out: Vec<TagOut> = rows.iter().map(|m| tag_out(m, lang)).collect();
    out.sort_by_cached_key(|t| (sort_key_in(lang, &t.label.name), t.id));
    Ok(out)
}

/// Every option, by group, then position, then name in `lang`'s alphabetical order
/// ([`sort_key_in`]), then id.
pub async fn all_options(db: &impl ConnectionTrait, lang: Lang) -> Result<Vec<OptionOut>, DbErr> {
    let rows = option::Entity::find().all(db).await?;
    let mut out: Vec<OptionOut> = rows.iter().map(|m| option_out(m, lang)).collect();
    out.sort_by_cached_key(|o| {
        (
            o.group.key.clone(),
            o.position,
            sort_key_in(lang, &o.label.name),
            o.id,
        )
    });
    Ok(out)
}
