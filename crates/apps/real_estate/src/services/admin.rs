//! Admin properties: the list cached for the admin TTL, everything else uncached. Every write
//! runs in one transaction and returns the change to publish once it has committed.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use strata_api::{ApiError, Change, Committed, Ctx, Entity, FieldErrors, Op, Page, PageRequest};
use strata_db::is_unique_violation;
use strata_media::ImageOut;
use strata_media::services::{self as media, Owner};
use strata_media::upload::Upload;
use strata_taxonomy::models::{category, option, tag};
use utoipa::ToSchema;

use crate::cache::admin as cache;
use crate::models::{property, property_option, property_tag};
use crate::selectors::{self, AdminFilter, IMAGE_OWNER};
use crate::serializers::{
    BulkAction, BulkInput, PUBLISHED, PropertyDetail, PropertyInput, PropertyListItem,
};

fn owner(id: i64) -> Owner {
    Owner {
        kind: IMAGE_OWNER,
        id,
    }
}

fn change(op: Op, rows: &[(i64, String)]) -> Change {
    Change::new(
        Entity::Property,
        op,
        rows.iter().map(|(id, _)| *id).collect(),
        rows.iter().map(|(_, slug)| slug.clone()).collect(),
    )
}

fn slug_error(err: DbErr) -> ApiError {
    if is_unique_violation(&err) {
        ApiError::field("slug", "property with this slug already exists.")
    } else {
        ApiError::from(err)
    }
}

pub async fn list(
    ctx: &Ctx,
    filter: &AdminFilter,
    page: PageRequest,
) -> Result<Page<PropertyListItem>, ApiError> {
    cache::list(&ctx.cache, filter, page, || async {
        Ok(selectors::admin_page(&ctx.db, filter, page).await?)
    })
    .await
}

pub async fn retrieve(ctx: &Ctx, id: i64) -> Result<PropertyDetail, ApiError> {
    selectors::detail_of(&ctx.db, id, false)
        .await?
        .ok_or(ApiError::NotFound)
}

async fn find(db: &impl ConnectionTrait, id: i64) -> Result<property::Model, ApiError> {
    property::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// [`find`], holding the row (on PostgreSQL) until the transaction ends.
async fn find_locked(txn: &DatabaseTransaction, id: i64) -> Result<property::Model, ApiError> {
    property::Entity::find_by_id(id)
        .lock_shared()
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The first id of `wanted` that `found` lacks, as DRF's related-field message.
fn missing_pk(errors: &mut FieldErrors, field: &str, wanted: &[i64], found: &[i64]) {
    if let Some(pk) = wanted.iter().find(|id| !found.contains(id)) {
        errors.add(
            field,
            format!("Invalid pk \"{pk}\" - object does not exist."),
        );
    }
}

/// Category, tags and options must exist (and the category be a real-estate one) — checked in
/// the write's transaction, so what is linked is what was checked.
async fn check_relations(txn: &DatabaseTransaction, input: &PropertyInput) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    if let Some(Some(id)) = input.category {
        let found = category::Entity::find_by_id(id)
            .filter(category::Column::App.eq("real_estate"))
            .count(txn)
            .await?;
        if found == 0 {
            errors.add(
                "category",
                format!("Invalid pk \"{id}\" - object does not exist."),
            );
        }
    }
    if let Some(ids) = &input.tags {
        let found: Vec<i64> = tag::Entity::find()
            .select_only()
            .column(tag::Column::Id)
            .filter(tag::Column::Id.is_in(ids.clone()))
            .into_tuple()
            .all(txn)
            .await?;
        missing_pk(&mut errors, "tags", ids, &found);
    }
    if let Some(ids) = &input.options {
        let found: Vec<i64> = option::Entity::find()
            .select_only()
            .column(option::Column::Id)
            .filter(option::Column::Id.is_in(ids.clone()))
            .into_tuple()
            .all(txn)
            .await?;
        missing_pk(&mut errors, "options", ids, &found);
    }
    errors.check(())
}

/// Replaces a property's tags and options with the given ones (those given).
async fn set_links(txn: &DatabaseTransaction, id: i64, input: &PropertyInput) -> Result<(), DbErr> {
    if let Some(tags) = &input.tags {
        property_tag::Entity::delete_many()
            .filter(property_tag::Column::PropertyId.eq(id))
            .exec(txn)
            .await?;
        if !tags.is_empty() {
            property_tag::Entity::insert_many(tags.iter().map(|tag_id| {
                property_tag::ActiveModel {
                    property_id: Set(id),
                    tag_id: Set(*tag_id),
                }
            }))
            .exec(txn)
            .await?;
        }
    }
    if let Some(options) = &input.options {
        property_option::Entity::delete_many()
            .filter(property_option::Column::PropertyId.eq(id))
            .exec(txn)
            .await?;
        if !options.is_empty() {
            property_option::Entity::insert_many(options.iter().map(|option_id| {
                property_option::ActiveModel {
                    property_id: Set(id),
                    option_id: Set(*option_id),
                }
            }))
            .exec(txn)
            .await?;
        }
    }
    Ok(())
}

/// Copies the given fields onto the row; `published_at` is set the first time it is published.
fn apply(row: &mut property::ActiveModel, input: PropertyInput, was_published_at: bool) {
    let now = Utc::now();
    if let Some(v) = input.title {
        row.title = Set(v);
    }
    if let Some(v) = input.slug {
        row.slug = Set(v);
    }
    if let Some(v) = input.description {
        row.description = Set(v);
    }
    if let Some(v) = input.deal {
        row.deal = Set(v.to_owned());
    }
    if let Some(v) = input.price {
        row.price = Set(v);
    }
    if let Some(v) = input.deposit {
        row.deposit = Set(v);
    }
    if let Some(v) = input.area {
        row.area = Set(v);
    }
    if let Some(v) = input.rooms {
        row.rooms = Set(v);
    }
    if let Some(v) = input.city {
        row.city = Set(v);
    }
    if let Some(v) = input.district {
        row.district = Set(v);
    }
    if let Some(v) = input.address {
        row.address = Set(v);
    }
    if let Some(v) = input.featured {
        row.featured = Set(v);
    }
    if let Some(v) = input.category {
        row.category_id = Set(v);
    }
    if let Some(status) = input.status {
        row.status = Set(status.to_owned());
        if status == PUBLISHED && !was_published_at {
            row.published_at = Set(Some(now));
        }
    }
    row.updated_at = Set(now);
}

async fn detail_after_commit(ctx: &Ctx, id: i64) -> Result<PropertyDetail, ApiError> {
    retrieve(ctx, id).await
}

pub async fn create(
    ctx: &Ctx,
    mut input: PropertyInput,
) -> Result<Committed<PropertyDetail>, ApiError> {
    let txn = ctx.db.begin().await?;
    check_relations(&txn, &input).await?;
    let now = Utc::now();
    let mut row = property::ActiveModel {
        description: Set(String::new()),
        deposit: Set(None),
        rooms: Set(0),
        district: Set(String::new()),
        address: Set(String::new()),
        status: Set("draft".to_owned()),
        featured: Set(false),
        category_id: Set(None),
        published_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let links = PropertyInput {
        tags: input.tags.take(),
        options: input.options.take(),
        ..Default::default()
    };
    apply(&mut row, input, false);
    let row = row.insert(&txn).await.map_err(slug_error)?;
    set_links(&txn, row.id, &links).await?;
    let committed = ctx
        .commit(txn, change(Op::Create, &[(row.id, row.slug)]))
        .await?;
    Ok(committed.with(detail_after_commit(ctx, row.id).await?))
}

pub async fn update(
    ctx: &Ctx,
    id: i64,
    mut input: PropertyInput,
) -> Result<Committed<PropertyDetail>, ApiError> {
    let txn = ctx.db.begin().await?;
    let old = find(&txn, id).await?;
    check_relations(&txn, &input).await?;
    let links = PropertyInput {
        tags: input.tags.take(),
        options: input.options.take(),
        ..Default::default()
    };
    let old_slug = old.slug.clone();
    let was_published = old.published_at.is_some();
    let mut row = old.into_active_model();
    apply(&mut row, input, was_published);
    let row = row.update(&txn).await.map_err(slug_error)?;
    set_links(&txn, id, &links).await?;
    let committed = ctx
        .commit(txn, change(Op::Update, &[(id, old_slug), (id, row.slug)]))
        .await?;
    Ok(committed.with(detail_after_commit(ctx, id).await?))
}

pub async fn set_status(
    ctx: &Ctx,
    id: i64,
    status: &'static str,
) -> Result<Committed<PropertyDetail>, ApiError> {
    let txn = ctx.db.begin().await?;
    let old = find(&txn, id).await?;
    let slug = old.slug.clone();
    let was_published = old.published_at.is_some();
    let mut row = old.into_active_model();
    apply(
        &mut row,
        PropertyInput {
            status: Some(status),
            ..Default::default()
        },
        was_published,
    );
    row.update(&txn).await?;
    let committed = ctx.commit(txn, change(Op::Status, &[(id, slug)])).await?;
    Ok(committed.with(detail_after_commit(ctx, id).await?))
}

/// Deletes the property, its links and its images' rows in one transaction; image files go
/// once the rows are gone for good.
pub async fn delete(ctx: &Ctx, id: i64) -> Result<Committed<()>, ApiError> {
    let txn = ctx.db.begin().await?;
    let old = find(&txn, id).await?;
    let files = media::delete_rows_for(&txn, owner(id)).await?;
    property::Entity::delete_by_id(id).exec(&txn).await?;
    let committed = ctx
        .commit(txn, change(Op::Delete, &[(id, old.slug)]))
        .await?;
    media::delete_files(ctx.media.as_ref(), &files).await;
    Ok(committed)
}

/// What a bulk action did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub action: &'static str,
    pub count: usize,
}

/// All listed properties change, or none: an unknown id is a 400 and nothing is written.
pub async fn bulk(ctx: &Ctx, input: BulkInput) -> Result<Committed<BulkResult>, ApiError> {
    let txn = ctx.db.begin().await?;
    let rows: Vec<(i64, String, Option<chrono::DateTime<Utc>>)> = property::Entity::find()
        .select_only()
        .column(property::Column::Id)
        .column(property::Column::Slug)
        .column(property::Column::PublishedAt)
        .filter(property::Column::Id.is_in(input.ids.clone()))
        .into_tuple()
        .all(&txn)
        .await?;
    let found: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut errors = FieldErrors::new();
    missing_pk(&mut errors, "ids", &input.ids, &found);
    errors.check(())?;
    let touched: Vec<(i64, String)> = rows.iter().map(|r| (r.0, r.1.clone())).collect();
    let bulk_change = change(Op::Bulk, &touched);
    let (committed, result) = match input.action {
        BulkAction::Status(status) => {
            let now = Utc::now();
            property::Entity::update_many()
                .col_expr(property::Column::Status, Expr::value(status))
                .col_expr(property::Column::UpdatedAt, Expr::value(now))
                .filter(property::Column::Id.is_in(found.clone()))
                .exec(&txn)
                .await?;
            if status == PUBLISHED {
                property::Entity::update_many()
                    .col_expr(property::Column::PublishedAt, Expr::value(now))
                    .filter(property::Column::Id.is_in(found.clone()))
                    .filter(property::Column::PublishedAt.is_null())
                    .exec(&txn)
                    .await?;
            }
            let result = BulkResult {
                action: "status",
                count: found.len(),
            };
            (ctx.commit(txn, bulk_change).await?, result)
        }
        BulkAction::Delete => {
            let mut files = Vec::new();
            for id in &found {
                files.extend(media::delete_rows_for(&txn, owner(*id)).await?);
            }
            property::Entity::delete_many()
                .filter(property::Column::Id.is_in(found.clone()))
                .exec(&txn)
                .await?;
            let committed = ctx.commit(txn, bulk_change).await?;
            media::delete_files(ctx.media.as_ref(), &files).await;
            let result = BulkResult {
                action: "delete",
                count: found.len(),
            };
            (committed, result)
        }
    };
    Ok(committed.with(result))
}

pub async fn add_image(
    ctx: &Ctx,
    id: i64,
    upload: Upload,
) -> Result<Committed<ImageOut>, ApiError> {
    // The property is checked in the image's transaction, under a shared lock on PostgreSQL,
    // so a concurrent delete cannot leave an orphan image row.
    let txn = ctx.db.begin().await?;
    let property = find_locked(&txn, id).await?;
    let image = media::add_image(&txn, ctx.media.as_ref(), owner(id), upload).await?;
    let committed = ctx
        .commit(txn, change(Op::Media, &[(id, property.slug)]))
        .await?;
    Ok(committed.with(image))
}

pub async fn reorder_images(
    ctx: &Ctx,
    id: i64,
    ids: Vec<i64>,
) -> Result<Committed<Vec<ImageOut>>, ApiError> {
    let txn = ctx.db.begin().await?;
    let property = find_locked(&txn, id).await?;
    let images = media::reorder(&txn, owner(id), &ids).await?;
    let committed = ctx
        .commit(txn, change(Op::Media, &[(id, property.slug)]))
        .await?;
    Ok(committed.with(images))
}

pub async fn delete_image(ctx: &Ctx, id: i64, image_id: i64) -> Result<Committed<()>, ApiError> {
    let txn = ctx.db.begin().await?;
    let property = find(&txn, id).await?;
    let files = media::delete_image_row(&txn, owner(id), image_id).await?;
    let committed = ctx
        .commit(txn, change(Op::Media, &[(id, property.slug)]))
        .await?;
    media::delete_files(ctx.media.as_ref(), &files).await;
    Ok(committed)
}
