//! Database reads (no cache): services decide what to cache.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder, Select,
};
use strata_api::{Page, PageRequest, fetch_page};

use crate::models::{category, option, tag};
use crate::serializers::{CategoryOut, OptionOut, TagOut, category_out, option_out, tag_out};

/// The filters of an admin taxonomy list, validated.
#[derive(Clone, Debug)]
pub struct ListFilter {
    pub app: Option<&'static str>,
    pub q: Option<String>,
    pub ordering: &'static str,
}

/// `ordering` as DRF writes it (`name`, `-position`) applied to `column`.
fn ordered<E: EntityTrait>(
    select: Select<E>,
    ordering: &str,
    column: impl Fn(&str) -> E::Column,
) -> Select<E>
where
    E::Column: ColumnTrait,
{
    let (field, order) = match ordering.strip_prefix('-') {
        Some(field) => (field, Order::Desc),
        None => (ordering, Order::Asc),
    };
    select.order_by(column(field), order)
}

pub async fn all_categories(db: &impl ConnectionTrait) -> Result<Vec<CategoryOut>, DbErr> {
    let rows = category::Entity::find()
        .order_by_asc(category::Column::App)
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::Name)
        .all(db)
        .await?;
    Ok(rows.iter().map(category_out).collect())
}

pub async fn all_tags(db: &impl ConnectionTrait) -> Result<Vec<TagOut>, DbErr> {
    let rows = tag::Entity::find()
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?;
    Ok(rows.iter().map(tag_out).collect())
}

pub async fn all_options(db: &impl ConnectionTrait) -> Result<Vec<OptionOut>, DbErr> {
    let rows = option::Entity::find()
        .order_by_asc(option::Column::Group)
        .order_by_asc(option::Column::Position)
        .order_by_asc(option::Column::Name)
        .all(db)
        .await?;
    Ok(rows.iter().map(option_out).collect())
}

pub async fn category_page(
    db: &impl ConnectionTrait,
    filter: &ListFilter,
    page: PageRequest,
) -> Result<Page<CategoryOut>, DbErr> {
    let mut select = category::Entity::find();
    if let Some(app) = filter.app {
        select = select.filter(category::Column::App.eq(app));
    }
    if let Some(q) = &filter.q {
        select = select.filter(category::Column::Name.contains(q.as_str()));
    }
    let select = ordered(select, filter.ordering, |field| match field {
        "name" => category::Column::Name,
        "position" => category::Column::Position,
        _ => category::Column::Id,
    })
    .order_by_asc(category::Column::Id);
    let (count, rows) = fetch_page(select, db, page).await?;
    Ok(Page {
        count,
        results: rows.iter().map(category_out).collect(),
    })
}

pub async fn tag_page(
    db: &impl ConnectionTrait,
    filter: &ListFilter,
    page: PageRequest,
) -> Result<Page<TagOut>, DbErr> {
    let mut select = tag::Entity::find();
    if let Some(q) = &filter.q {
        select = select.filter(tag::Column::Name.contains(q.as_str()));
    }
    let select = ordered(select, filter.ordering, |field| match field {
        "name" => tag::Column::Name,
        _ => tag::Column::Id,
    })
    .order_by_asc(tag::Column::Id);
    let (count, rows) = fetch_page(select, db, page).await?;
    Ok(Page {
        count,
        results: rows.iter().map(tag_out).collect(),
    })
}

pub async fn option_page(
    db: &impl ConnectionTrait,
    filter: &ListFilter,
    page: PageRequest,
) -> Result<Page<OptionOut>, DbErr> {
    let mut select = option::Entity::find();
    if let Some(q) = &filter.q {
        select = select.filter(option::Column::Name.contains(q.as_str()));
    }
    let select = ordered(select, filter.ordering, |field| match field {
        "name" => option::Column::Name,
        "group" => option::Column::Group,
        "position" => option::Column::Position,
        _ => option::Column::Id,
    })
    .order_by_asc(option::Column::Id);
    let (count, rows) = fetch_page(select, db, page).await?;
    Ok(Page {
        count,
        results: rows.iter().map(option_out).collect(),
    })
}
