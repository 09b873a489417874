//! Admin taxonomy: lists cached for the admin TTL, everything else uncached.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DbErr, EntityTrait, IntoActiveModel, TransactionTrait,
};
use strata_api::{ApiError, Change, Committed, Ctx, Entity, Op, Page, PageRequest};
use strata_db::is_unique_violation;

use crate::cache::admin::{self as cache, CATEGORY_LIST, OPTION_LIST, TAG_LIST};
use crate::cache::shared::ListParams;
use crate::models::{category, option, tag};
use crate::selectors::{self, ListFilter};
use crate::serializers::{
    CategoryInput, CategoryOut, OptionInput, OptionOut, TagInput, TagOut, category_out, option_out,
    tag_out,
};

fn params<'a>(filter: &'a ListFilter, page: PageRequest) -> ListParams<'a> {
    ListParams {
        app: filter.app,
        q: filter.q.as_deref(),
        ordering: filter.ordering,
        page: page.page,
        page_size: page.page_size,
    }
}

/// A duplicate slug is the client's mistake: DRF's unique-validator message on `slug`.
fn write_error(what: &str) -> impl Fn(DbErr) -> ApiError + '_ {
    move |err| {
        if is_unique_violation(&err) {
            ApiError::field("slug", format!("{what} with this slug already exists."))
        } else {
            ApiError::from(err)
        }
    }
}

pub async fn category_list(
    ctx: &Ctx,
    filter: &ListFilter,
    page: PageRequest,
) -> Result<Page<CategoryOut>, ApiError> {
    cache::list(
        &ctx.cache,
        &CATEGORY_LIST,
        &params(filter, page),
        || async { Ok(selectors::category_page(&ctx.db, filter, page).await?) },
    )
    .await
}

pub async fn tag_list(
    ctx: &Ctx,
    filter: &ListFilter,
    page: PageRequest,
) -> Result<Page<TagOut>, ApiError> {
    cache::list(&ctx.cache, &TAG_LIST, &params(filter, page), || async {
        Ok(selectors::tag_page(&ctx.db, filter, page).await?)
    })
    .await
}

pub async fn option_list(
    ctx: &Ctx,
    filter: &ListFilter,
    page: PageRequest,
) -> Result<Page<OptionOut>, ApiError> {
    cache::list(&ctx.cache, &OPTION_LIST, &params(filter, page), || async {
        Ok(selectors::option_page(&ctx.db, filter, page).await?)
    })
    .await
}

async fn find_category(ctx: &Ctx, id: i64) -> Result<category::Model, ApiError> {
    category::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(ApiError::NotFound)
}

async fn find_tag(ctx: &Ctx, id: i64) -> Result<tag::Model, ApiError> {
    tag::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(ApiError::NotFound)
}

async fn find_option(ctx: &Ctx, id: i64) -> Result<option::Model, ApiError> {
    option::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn category(ctx: &Ctx, id: i64) -> Result<CategoryOut, ApiError> {
    Ok(category_out(&find_category(ctx, id).await?))
}

pub async fn tag(ctx: &Ctx, id: i64) -> Result<TagOut, ApiError> {
    Ok(tag_out(&find_tag(ctx, id).await?))
}

pub async fn option(ctx: &Ctx, id: i64) -> Result<OptionOut, ApiError> {
    Ok(option_out(&find_option(ctx, id).await?))
}

/// A parent must exist, belong to the same app, and not be the category or one of its
/// descendants (no cycles).
async fn check_parent(ctx: &Ctx, id: Option<i64>, app: &str, parent: i64) -> Result<(), ApiError> {
    let invalid = |message: String| ApiError::field("parent", message);
    let mut cursor = Some(parent);
    let mut first = true;
    while let Some(current) = cursor {
        if Some(current) == id {
            return Err(invalid("A category cannot be nested under itself.".into()));
        }
        let Some(row) = category::Entity::find_by_id(current).one(&ctx.db).await? else {
            return Err(invalid(format!(
                "Invalid pk \"{parent}\" - object does not exist."
            )));
        };
        if first && row.app != app {
            return Err(invalid("The parent must belong to the same app.".into()));
        }
        first = false;
        cursor = row.parent_id;
    }
    Ok(())
}

pub async fn create_category(
    ctx: &Ctx,
    input: CategoryInput,
) -> Result<Committed<CategoryOut>, ApiError> {
    let txn = ctx.db.begin().await?;
    let app = input.app.unwrap_or_default();
    let parent = input.parent.flatten();
    if let Some(parent) = parent {
        check_parent(ctx, None, &app, parent).await?;
    }
    let now = Utc::now();
    let row = category::ActiveModel {
        app: Set(app),
        name: Set(input.name.unwrap_or_default()),
        slug: Set(input.slug.unwrap_or_default()),
        parent_id: Set(parent),
        position: Set(input.position.unwrap_or(0)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(write_error("category"))?;
    let change = Change::new(
        Entity::Category,
        Op::Create,
        vec![row.id],
        vec![row.slug.clone()],
    );
    Ok(ctx.commit(txn, change).await?.with(category_out(&row)))
}

pub async fn update_category(
    ctx: &Ctx,
    id: i64,
    input: CategoryInput,
) -> Result<Committed<CategoryOut>, ApiError> {
    let txn = ctx.db.begin().await?;
    let old = find_category(ctx, id).await?;
    let app = input.app.clone().unwrap_or_else(|| old.app.clone());
    let parent = input.parent.unwrap_or(old.parent_id);
    if let Some(parent) = parent {
        check_parent(ctx, Some(id), &app, parent).await?;
    }
    let old_slug = old.slug.clone();
    let mut row = old.into_active_model();
    row.app = Set(app);
    row.parent_id = Set(parent);
    if let Some(name) = input.name {
        row.name = Set(name);
    }
    if let Some(slug) = input.slug.filter(|s| !s.is_empty()) {
        row.slug = Set(slug);
    }
    if let Some(position) = input.position {
        row.position = Set(position);
    }
    row.updated_at = Set(Utc::now());
    let row = row.update(&txn).await.map_err(write_error("category"))?;
    let change = Change::new(
        Entity::Category,
        Op::Update,
        vec![id],
        vec![old_slug, row.slug.clone()],
    );
    Ok(ctx.commit(txn, change).await?.with(category_out(&row)))
}

pub async fn delete_category(ctx: &Ctx, id: i64) -> Result<Committed<()>, ApiError> {
    let txn = ctx.db.begin().await?;
    let old = find_category(ctx, id).await?;
    category::Entity::delete_by_id(id).exec(&txn).await?;
    Ok(ctx
        .commit(
            txn,
            Change::new(Entity::Category, Op::Delete, vec![id], vec![old.slug]),
        )
        .await?)
}

pub async fn create_tag(ctx: &Ctx, input: TagInput) -> Result<Committed<TagOut>, ApiError> {
    let txn = ctx.db.begin().await?;
    let now = Utc::now();
    let row = tag::ActiveModel {
        name: Set(input.name.unwrap_or_default()),
        slug: Set(input.slug.unwrap_or_default()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(write_error("tag"))?;
    let change = Change::new(
        Entity::Tag,
        Op::Create,
        vec![row.id],
        vec![row.slug.clone()],
    );
    Ok(ctx.commit(txn, change).await?.with(tag_out(&row)))
}

pub async fn update_tag(
    ctx: &Ctx,
    id: i64,
    input: TagInput,
) -> Result<Committed<TagOut>, ApiError> {
    let txn = ctx.db.begin().await?;
    let old = find_tag(ctx, id).await?;
    let old_slug = old.slug.clone();
    let mut row = old.into_active_model();
    if let Some(name) = input.name {
        row.name = Set(name);
    }
    if let Some(slug) = input.slug.filter(|s| !s.is_empty()) {
        row.slug = Set(slug);
    }
    row.updated_at = Set(Utc::now());
    let row = row.update(&txn).await.map_err(write_error("tag"))?;
    let change = Change::new(
        Entity::Tag,
        Op::Update,
        vec![id],
        vec![old_slug, row.slug.clone()],
    );
    Ok(ctx.commit(txn, change).await?.with(tag_out(&row)))
}

pub async fn delete_tag(ctx: &Ctx, id: i64) -> Result<Committed<()>, ApiError> {
    let txn = ctx.db.begin().await?;
    let old = find_tag(ctx, id).await?;
    tag::Entity::delete_by_id(id).exec(&txn).await?;
    Ok(ctx
        .commit(
            txn,
            Change::new(Entity::Tag, Op::Delete, vec![id], vec![old.slug]),
        )
        .await?)
}

pub async fn create_option(
    ctx: &Ctx,
    input: OptionInput,
) -> Result<Committed<OptionOut>, ApiError> {
    let txn = ctx.db.begin().await?;
    let now = Utc::now();
    let row = option::ActiveModel {
        name: Set(input.name.unwrap_or_default()),
        slug: Set(input.slug.unwrap_or_default()),
        group: Set(input.group.unwrap_or_default()),
        position: Set(input.position.unwrap_or(0)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(write_error("option"))?;
    let change = Change::new(
        Entity::Option,
        Op::Create,
        vec![row.id],
        vec![row.slug.clone()],
    );
    Ok(ctx.commit(txn, change).await?.with(option_out(&row)))
}

pub async fn update_option(
    ctx: &Ctx,
    id: i64,
    input: OptionInput,
) -> Result<Committed<OptionOut>, ApiError> {
    let txn = ctx.db.begin().await?;
    let old = find_option(ctx, id).await?;
    let old_slug = old.slug.clone();
    let mut row = old.into_active_model();
    if let Some(name) = input.name {
        row.name = Set(name);
    }
    if let Some(slug) = input.slug.filter(|s| !s.is_empty()) {
        row.slug = Set(slug);
    }
    if let Some(group) = input.group {
        row.group = Set(group);
    }
    if let Some(position) = input.position {
        row.position = Set(position);
    }
    row.updated_at = Set(Utc::now());
    let row = row.update(&txn).await.map_err(write_error("option"))?;
    let change = Change::new(
        Entity::Option,
        Op::Update,
        vec![id],
        vec![old_slug, row.slug.clone()],
    );
    Ok(ctx.commit(txn, change).await?.with(option_out(&row)))
}

pub async fn delete_option(ctx: &Ctx, id: i64) -> Result<Committed<()>, ApiError> {
    let txn = ctx.db.begin().await?;
    let old = find_option(ctx, id).await?;
    option::Entity::delete_by_id(id).exec(&txn).await?;
    Ok(ctx
        .commit(
            txn,
            Change::new(Entity::Option, Op::Delete, vec![id], vec![old.slug]),
        )
        .await?)
}
