//! Admin properties, declared once (`Properties`): list, retrieve, create, update, delete,
//! status and bulk come from `strata_api::admin`; this file holds what is particular to a
//! property — its relations, the fields a write copies, `published_at` — and its images.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};
use strata_api::admin::schedule::Publication;
use strata_api::admin::{AdminResource, Publishable};
use strata_api::lang::{Lang, Translated, stored_sort_key};
use strata_api::{ApiError, ApiResult, Change, Ctx, Entity, FieldErrors, JsonObject, Mode, Op};
use strata_db::is_unique_violation;
use strata_media::ImageOut;
use strata_media::renditions;
use strata_media::services::{self as media, Owner};
use strata_media::upload::Upload;
use strata_taxonomy::catalog as terms;
use strata_taxonomy::models::{category, option, tag};

use crate::cache::admin::LIST;
use crate::catalog::PROPERTY;
use crate::filters::AdminFilters;
use crate::models::{property, property_option, property_tag};
use crate::selectors::{self, IMAGE_OWNER};
use crate::serializers::{
    self, PUBLISHED, PropertyAdmin, PropertyInput, PropertyListItem, STATUSES, SearchColumns,
};

fn owner(id: i64) -> Owner {
    Owner {
        kind: IMAGE_OWNER,
        id,
    }
}

fn slug_error(err: DbErr) -> ApiError {
    if is_unique_violation(&err) {
        ApiError::field("slug", "property with this slug already exists.")
    } else {
        ApiError::from(err)
    }
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

/// Which of `ids` exist in `E` (optionally narrowed by `only`), locked against deletion
/// (`FOR SHARE` on PostgreSQL) until the write commits, so what is linked is what was checked.
async fn existing<E>(
    txn: &DatabaseTransaction,
    id: E::Column,
    ids: &[i64],
    only: Option<sea_orm::Condition>,
) -> Result<Vec<i64>, DbErr>
where
    E: EntityTrait,
{
    let mut select = E::find()
        .select_only()
        .column(id)
        .filter(id.is_in(ids.iter().copied()));
    if let Some(condition) = only {
        select = select.filter(condition);
    }
    select.lock_shared().into_tuple().all(txn).await
}

/// Category, tags and options must exist (and the category be a real-estate one) — checked in
/// the write's transaction, and held there.
async fn check_relations(txn: &DatabaseTransaction, input: &PropertyInput) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    if let Some(Some(id)) = input.category {
        let real_estate = sea_orm::Condition::all().add(category::Column::App.eq("real_estate"));
        let found =
            existing::<category::Entity>(txn, category::Column::Id, &[id], Some(real_estate))
                .await?;
        missing_pk(&mut errors, "category", &[id], &found);
    }
    if let Some(ids) = &input.tags {
        let found = existing::<tag::Entity>(txn, tag::Column::Id, ids, None).await?;
        missing_pk(&mut errors, "tags", ids, &found);
    }
    if let Some(ids) = &input.options {
        let found = existing::<option::Entity>(txn, option::Column::Id, ids, None).await?;
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

/// Copies the given texts onto the row (the title and city must keep a value in one
/// language), then rewrites the normalised copies search compares and the title's sort key.
fn apply_texts(row: &mut property::ActiveModel, input: &mut PropertyInput) -> ApiResult<()> {
    let pairs = [
        (
            "title",
            true,
            [&mut input.title, &mut input.title_fa, &mut input.title_en],
            [&mut row.title_fa, &mut row.title_en],
        ),
        (
            "description",
            false,
            [
                &mut input.description,
                &mut input.description_fa,
                &mut input.description_en,
            ],
            [&mut row.description_fa, &mut row.description_en],
        ),
        (
            "city",
            true,
            [&mut input.city, &mut input.city_fa, &mut input.city_en],
            [&mut row.city_fa, &mut row.city_en],
        ),
        (
            "district",
            false,
            [
                &mut input.district,
                &mut input.district_fa,
                &mut input.district_en,
            ],
            [&mut row.district_fa, &mut row.district_en],
        ),
        (
            "address",
            false,
            [
                &mut input.address,
                &mut input.address_fa,
                &mut input.address_en,
            ],
            [&mut row.address_fa, &mut row.address_en],
        ),
    ];
    for (field, required, [plain, fa, en], [fa_column, en_column]) in pairs {
        Translated {
            plain: plain.take(),
            fa: fa.take(),
            en: en.take(),
        }
        .apply(field, required, fa_column, en_column)?;
    }
    let text = |v: &sea_orm::ActiveValue<String>| v.try_as_ref().cloned().unwrap_or_default();
    let columns = SearchColumns::new(
        [&text(&row.title_fa), &text(&row.title_en)],
        [&text(&row.city_fa), &text(&row.city_en)],
        [&text(&row.district_fa), &text(&row.district_en)],
    );
    row.title_sort = Set(stored_sort_key(&text(&row.title_fa), &text(&row.title_en)));
    row.search_text = Set(columns.search_text);
    row.city_key_fa = Set(columns.city_key_fa);
    row.city_key_en = Set(columns.city_key_en);
    Ok(())
}

/// Copies the given fields onto the row; a published row without `published_at` gets now.
fn apply(row: &mut property::ActiveModel, mut input: PropertyInput) -> ApiResult<()> {
    let now = Utc::now();
    apply_texts(row, &mut input)?;
    if let Some(v) = input.slug {
        row.slug = Set(v);
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
    if let Some(v) = input.featured {
        row.featured = Set(v);
    }
    if let Some(v) = input.category {
        row.category_id = Set(v);
    }
    if let Some(status) = input.status {
        row.status = Set(status.to_owned());
    }
    if let Some(v) = input.published_at {
        row.published_at = Set(v);
    }
    if let Some(v) = input.unpublish_at {
        row.unpublish_at = Set(v);
    }
    let published = row.status.try_as_ref().is_some_and(|s| s == PUBLISHED);
    if published && row.published_at.try_as_ref().is_some_and(Option::is_none) {
        row.published_at = Set(Some(now));
    }
    row.updated_at = Set(now);
    Ok(())
}

/// The property with its links, as one write sees it: links taken out of the input.
fn split_links(input: &mut PropertyInput) -> PropertyInput {
    PropertyInput {
        tags: input.tags.take(),
        options: input.options.take(),
        ..Default::default()
    }
}

pub struct Properties;

impl AdminResource for Properties {
    const PLURAL: &'static str = "properties";
    const NOUN: &'static str = "property";
    const TAG: &'static str = "admin: properties";
    const ENTITY: Entity = PROPERTY;
    // Rows show the category and tags; the form also the options.
    const SHOWS: &'static [Entity] = &[terms::CATEGORY, terms::TAG, terms::OPTION];
    const LIST: Option<strata_cache::Namespace> = Some(LIST);
    const PUBLICATION: Option<Publication<property::Column>> = Some(selectors::PUBLICATION);
    const ID: property::Column = property::Column::Id;
    const SLUG: property::Column = property::Column::Slug;
    const SLUG_HISTORY: bool = true;
    const VERSION: property::Column = property::Column::Version;
    const ORDERING: &'static [(&'static str, property::Column)] = &[
        ("updated_at", property::Column::UpdatedAt),
        ("published_at", property::Column::PublishedAt),
        ("price", property::Column::Price),
        ("title", property::Column::TitleSort),
        ("id", property::Column::Id),
    ];
    const DEFAULT_ORDERING: &'static str = "-updated_at";
    const SORTED_TEXTS: &'static [&'static str] = &["title"];
    /// Titles, cities and districts of both languages, normalised.
    const SEARCH: &'static [property::Column] = &[property::Column::SearchText];
    const SEARCH_NORMALIZED: bool = true;

    type Table = property::Entity;
    type Filters = AdminFilters;
    type Out = PropertyAdmin;
    type Item = PropertyListItem;
    type Input = PropertyInput;

    fn parse(body: JsonObject, mode: Mode) -> ApiResult<PropertyInput> {
        serializers::property_input(body, mode)
    }

    async fn outs<C: ConnectionTrait + Sync>(
        db: &C,
        rows: Vec<property::Model>,
    ) -> Result<Vec<PropertyListItem>, DbErr> {
        selectors::list_items(db, &rows, Lang::default()).await
    }

    async fn read<C: ConnectionTrait + Sync>(
        db: &C,
        id: i64,
    ) -> Result<Option<PropertyAdmin>, DbErr> {
        selectors::admin_of(db, id).await
    }

    async fn create(txn: &DatabaseTransaction, mut input: PropertyInput) -> ApiResult<i64> {
        check_relations(txn, &input).await?;
        let now = Utc::now();
        let mut row = property::ActiveModel {
            title_fa: Set(String::new()),
            title_en: Set(String::new()),
            description_fa: Set(String::new()),
            description_en: Set(String::new()),
            city_fa: Set(String::new()),
            city_en: Set(String::new()),
            district_fa: Set(String::new()),
            district_en: Set(String::new()),
            address_fa: Set(String::new()),
            address_en: Set(String::new()),
            deposit: Set(None),
            rooms: Set(0),
            status: Set("draft".to_owned()),
            featured: Set(false),
            category_id: Set(None),
            published_at: Set(None),
            unpublish_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        };
        let links = split_links(&mut input);
        apply(&mut row, input)?;
        let row = row.insert(txn).await.map_err(slug_error)?;
        set_links(txn, row.id, &links).await?;
        Ok(row.id)
    }

    async fn update(txn: &DatabaseTransaction, id: i64, mut input: PropertyInput) -> ApiResult<()> {
        let old = property::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or(ApiError::NotFound)?;
        check_relations(txn, &input).await?;
        let links = split_links(&mut input);
        let mut row = old.into_active_model();
        apply(&mut row, input)?;
        row.update(txn).await.map_err(slug_error)?;
        set_links(txn, id, &links).await?;
        Ok(())
    }

    /// Deletes the properties, their links and their images' rows; the image files are
    /// returned, to go once the deletion has committed.
    async fn delete(txn: &DatabaseTransaction, ids: &[i64]) -> ApiResult<Vec<String>> {
        let mut files = Vec::new();
        for id in ids {
            files.extend(media::delete_rows_for(txn, owner(*id)).await?);
        }
        property::Entity::delete_many()
            .filter(property::Column::Id.is_in(ids.iter().copied()))
            .exec(txn)
            .await?;
        Ok(files)
    }
}

impl Publishable for Properties {
    const STATUSES: &'static [&'static str] = STATUSES;

    async fn set_status(
        txn: &DatabaseTransaction,
        ids: &[i64],
        status: &'static str,
    ) -> Result<(), DbErr> {
        let now = Utc::now();
        property::Entity::update_many()
            .col_expr(property::Column::Status, Expr::value(status))
            .col_expr(property::Column::UpdatedAt, Expr::value(now))
            .filter(property::Column::Id.is_in(ids.iter().copied()))
            .exec(txn)
            .await?;
        if status == PUBLISHED {
            property::Entity::update_many()
                .col_expr(property::Column::PublishedAt, Expr::value(now))
                .filter(property::Column::Id.is_in(ids.iter().copied()))
                .filter(property::Column::PublishedAt.is_null())
                .exec(txn)
                .await?;
        }
        Ok(())
    }
}

/// The property `id`, locked (shared on PostgreSQL) until the image write commits, so a
/// concurrent delete cannot leave an orphan image row.
async fn locked_property(txn: &DatabaseTransaction, id: i64) -> ApiResult<property::Model> {
    property::Entity::find_by_id(id)
        .lock_shared()
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// An image write's change: the property's detail, lists and pages.
fn media_change(property: &property::Model) -> Change {
    Change::new(
        PROPERTY,
        Op::Media,
        vec![property.id],
        vec![property.slug.clone()],
    )
}

/// Adds the image, then has its renditions made after the commit; they commit the same
/// change again, so the property's caches show them once they exist.
pub async fn add_image(ctx: &Ctx, id: i64, upload: Upload) -> ApiResult<ImageOut> {
    let txn = ctx.begin().await?;
    let property = locked_property(&txn, id).await?;
    let added = media::add(&txn, ctx.media.as_ref(), owner(id), upload).await?;
    let change = media_change(&property);
    ctx.commit(txn, change.clone()).await?;
    renditions::spawn(ctx, added.renditions, change);
    Ok(added.image)
}

pub async fn reorder_images(ctx: &Ctx, id: i64, ids: Vec<i64>) -> ApiResult<Vec<ImageOut>> {
    let txn = ctx.begin().await?;
    let property = locked_property(&txn, id).await?;
    let images = media::reorder(&txn, owner(id), &ids).await?;
    ctx.commit(txn, media_change(&property)).await?;
    Ok(images)
}

pub async fn delete_image(ctx: &Ctx, id: i64, image_id: i64) -> ApiResult<()> {
    let txn = ctx.begin().await?;
    let property = locked_property(&txn, id).await?;
    let files = media::delete_image_row(&txn, owner(id), image_id).await?;
    ctx.commit(txn, media_change(&property)).await?;
    ctx.media.delete_all(&files).await;
    Ok(())
}
