//! Database reads (no cache): services decide what to cache.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde::Serialize;
use strata_api::admin::schedule::{self, Publication};
use strata_api::lang::{self, Lang};
use strata_api::{Page, PageRequest, fetch_page};
use strata_media::services::images_for;
use strata_taxonomy::models::{category, option, tag};
use strata_taxonomy::serializers::{category_summary, option_summary, tag_summary};

use crate::models::{property, property_option, property_tag};
use crate::serializers::{
    PUBLISHED, PropertyAdmin, PropertyDetail, PropertyListItem, Related, admin, detail, list_item,
};

/// The media owner kind of property images.
pub const IMAGE_OWNER: &str = "property";

/// The public list's filters, validated (BRIEF §4). Amounts in stored hundredths. Serialized,
/// absent filters left out, they are the list key's parameters.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PublicFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deal: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_price: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_price: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rooms: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// A tag's slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featured: Option<bool>,
    pub ordering: &'static str,
    /// The language of the texts; absent from the key for the default language, so its keys
    /// stay those a single-language (Django) deployment writes.
    #[serde(skip_serializing_if = "Lang::is_default")]
    pub lang: Lang,
}

/// `column LIKE pattern` with `\` escaping, the same on SQLite and PostgreSQL; the stored
/// side is already normalised (lower case), so is the pattern (`lang::like_pattern`).
fn like(column: property::Column, pattern: String) -> SimpleExpr {
    Expr::col(column).like(LikeExpr::new(pattern).escape('\\'))
}

/// `ordering` (`price`, `-published_at`…) then `id` descending, so pages never overlap.
fn ordered(select: Select<property::Entity>, ordering: &str) -> Select<property::Entity> {
    let (field, desc) = match ordering.strip_prefix('-') {
        Some(field) => (field, true),
        None => (ordering, false),
    };
    let column = match field {
        "price" => property::Column::Price,
        "published_at" => property::Column::PublishedAt,
        "title" => property::Column::TitleSort,
        "updated_at" => property::Column::UpdatedAt,
        "created_at" => property::Column::CreatedAt,
        _ => property::Column::Id,
    };
    let select = if desc {
        select.order_by_desc(column)
    } else {
        select.order_by_asc(column)
    };
    select.order_by_desc(property::Column::Id)
}

/// Loads what the representations embed, in a fixed number of queries per page.
pub async fn related(
    db: &impl ConnectionTrait,
    rows: &[property::Model],
    with_options: bool,
    lang: Lang,
) -> Result<Related, DbErr> {
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let category_ids: HashSet<i64> = rows.iter().filter_map(|p| p.category_id).collect();
    let mut related = Related::default();
    if ids.is_empty() {
        return Ok(related);
    }
    if !category_ids.is_empty() {
        for c in category::Entity::find()
            .filter(category::Column::Id.is_in(category_ids))
            .all(db)
            .await?
        {
            related.categories.insert(c.id, category_summary(&c, lang));
        }
    }
    let links = property_tag::Entity::find()
        .filter(property_tag::Column::PropertyId.is_in(ids.clone()))
        .all(db)
        .await?;
    if !links.is_empty() {
        let tags: HashMap<i64, tag::Model> = tag::Entity::find()
            .filter(tag::Column::Id.is_in(links.iter().map(|l| l.tag_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        for link in &links {
            if let Some(t) = tags.get(&link.tag_id) {
                related
                    .tags
                    .entry(link.property_id)
                    .or_default()
                    .push(tag_summary(t, lang));
            }
        }
        // In alphabetical order of the language shown (a Persian dictionary's, not the code
        // points'), then by id.
        for list in related.tags.values_mut() {
            list.sort_by_cached_key(|t| (lang::sort_key_in(lang, &t.name), t.id));
        }
    }
    if with_options {
        let links = property_option::Entity::find()
            .filter(property_option::Column::PropertyId.is_in(ids.clone()))
            .all(db)
            .await?;
        if !links.is_empty() {
            let options: HashMap<i64, option::Model> = option::Entity::find()
                .filter(option::Column::Id.is_in(links.iter().map(|l| l.option_id)))
                .all(db)
                .await?
                .into_iter()
                .map(|o| (o.id, o))
                .collect();
            let mut grouped: HashMap<i64, Vec<&option::Model>> = HashMap::new();
            for link in &links {
                if let Some(o) = options.get(&link.option_id) {
                    grouped.entry(link.property_id).or_default().push(o);
                }
            }
            for (property_id, list) in grouped {
                let mut list: Vec<_> = list
                    .into_iter()
                    .map(|o| (o.position, option_summary(o, lang)))
                    .collect();
                list.sort_by_cached_key(|(position, o)| {
                    (
                        o.group.clone(),
                        *position,
                        lang::sort_key_in(lang, &o.name),
                        o.id,
                    )
                });
                related
                    .options
                    .insert(property_id, list.into_iter().map(|(_, o)| o).collect());
            }
        }
    }
    related.images = images_for(db, IMAGE_OWNER, &ids).await?;
    Ok(related)
}

/// List entries of `rows`, with what they embed.
pub async fn list_items(
    db: &impl ConnectionTrait,
    rows: &[property::Model],
    lang: Lang,
) -> Result<Vec<PropertyListItem>, DbErr> {
    let related = related(db, rows, false, lang).await?;
    Ok(rows.iter().map(|p| list_item(p, &related, lang)).collect())
}

async fn list_page(
    db: &impl ConnectionTrait,
    select: Select<property::Entity>,
    page: PageRequest,
    lang: Lang,
) -> Result<Page<PropertyListItem>, DbErr> {
    let (count, rows) = fetch_page(select, db, page).await?;
    Ok(Page {
        count,
        results: list_items(db, &rows, lang).await?,
    })
}

/// Where a property keeps its publication: what public reads filter on and what scheduled
/// publishing watches.
pub const PUBLICATION: Publication<property::Column> = Publication {
    status: property::Column::Status,
    published: PUBLISHED,
    published_at: property::Column::PublishedAt,
    unpublish_at: property::Column::UnpublishAt,
};

/// The properties the public sees now: published, and within their publication window.
fn public(db: &impl ConnectionTrait) -> Condition {
    schedule::visible(&PUBLICATION, db.get_database_backend())
}

pub async fn published_page(
    db: &impl ConnectionTrait,
    filter: &PublicFilter,
    page: PageRequest,
) -> Result<Page<PropertyListItem>, DbErr> {
    let mut select = property::Entity::find().filter(public(db));
    if let Some(slug) = &filter.category {
        // Bounded by the app's categories (a loop in them ends the walk: taxonomy's `tree`).
        let categories = strata_taxonomy::selectors::subtree(db, "real_estate", slug).await?;
        select = select.filter(property::Column::CategoryId.is_in(categories));
    }
    if let Some(city) = &filter.city {
        // Whole names in either language, by equality so that the (status, city_key_*) indexes
        // serve it. A value that normalises to nothing (`?city=%E2%80%8C`) matches nothing,
        // not the properties without a name in one language.
        let key = lang::normalize(city);
        select = select.filter(if key.is_empty() {
            Condition::all().add(Expr::val(false))
        } else {
            Condition::any()
                .add(property::Column::CityKeyFa.eq(key.as_str()))
                .add(property::Column::CityKeyEn.eq(key.as_str()))
        });
    }
    if let Some(deal) = filter.deal {
        select = select.filter(property::Column::Deal.eq(deal));
    }
    if let Some(min) = filter.min_price {
        select = select.filter(property::Column::Price.gte(min));
    }
    if let Some(max) = filter.max_price {
        select = select.filter(property::Column::Price.lte(max));
    }
    if let Some(rooms) = filter.rooms {
        select = select.filter(property::Column::Rooms.eq(rooms));
    }
    if let Some(q) = &filter.q {
        select = select.filter(like(property::Column::SearchText, lang::like_pattern(q)));
    }
    if let Some(slug) = &filter.tag {
        select = select.filter(property::Column::Id.in_subquery(tagged(slug)));
    }
    if let Some(featured) = filter.featured {
        select = select.filter(property::Column::Featured.eq(featured));
    }
    list_page(db, ordered(select, filter.ordering), page, filter.lang).await
}

/// The properties carrying the tag `slug`, as a subquery: a popular tag's property ids as
/// bound values could pass the database's bind-parameter limit.
fn tagged(slug: &str) -> SelectStatement {
    Query::select()
        .column((property_tag::Entity, property_tag::Column::PropertyId))
        .from(property_tag::Entity)
        .inner_join(
            tag::Entity,
            Expr::col((tag::Entity, tag::Column::Id))
                .equals((property_tag::Entity, property_tag::Column::TagId)),
        )
        .and_where(Expr::col((tag::Entity, tag::Column::Slug)).eq(slug))
        .to_owned()
}

/// The ids of published properties, newest first, at most `limit` (what `strata cache warm`
/// prefills the details of).
pub async fn published_ids(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<i64>, DbErr> {
    property::Entity::find()
        .select_only()
        .column(property::Column::Id)
        .filter(public(db))
        .order_by_desc(property::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// The id of the published property with this slug.
pub async fn published_id(db: &impl ConnectionTrait, slug: &str) -> Result<Option<i64>, DbErr> {
    Ok(property::Entity::find()
        .filter(property::Column::Slug.eq(slug))
        .filter(public(db))
        .one(db)
        .await?
        .map(|row| row.id))
}

/// The slug of the public property `id`.
pub async fn published_slug(db: &impl ConnectionTrait, id: i64) -> Result<Option<String>, DbErr> {
    property::Entity::find_by_id(id)
        .select_only()
        .column(property::Column::Slug)
        .filter(public(db))
        .into_tuple()
        .one(db)
        .await
}

/// One published property in full, in `lang`.
pub async fn detail_of(
    db: &impl ConnectionTrait,
    id: i64,
    lang: Lang,
) -> Result<Option<PropertyDetail>, DbErr> {
    let select = property::Entity::find_by_id(id).filter(public(db));
    let Some(row) = select.one(db).await? else {
        return Ok(None);
    };
    let related = related(db, std::slice::from_ref(&row), true, lang).await?;
    Ok(Some(detail(&row, &related, lang)))
}

/// One property whatever its status, as the admin reads it (both languages).
pub async fn admin_of(db: &impl ConnectionTrait, id: i64) -> Result<Option<PropertyAdmin>, DbErr> {
    let Some(row) = property::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let related = related(db, std::slice::from_ref(&row), true, Lang::default()).await?;
    Ok(Some(admin(&row, &related)))
}
