//! Admin taxonomy, declared once per resource: categories, tags and options. Lists are cached
//! for the admin TTL (in `strata_api::admin`), everything else is uncached; every write runs in
//! its own transaction, with what it depends on read and locked inside it.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use strata_api::admin::{
    AdminResource, InUse, NoFilters, OnDelete, Row, delete_rows, find_one, read_one,
};
use strata_api::catalog::Catalog;
use strata_api::lang::{Lang, Translated};
use strata_api::serial::slugify;
use strata_api::{ApiError, ApiResult, Entity, JsonObject, Mode};
use strata_db::is_unique_violation;

use crate::cache::admin::{CATEGORY_LIST, OPTION_LIST, TAG_LIST};
use crate::catalog;
use crate::filters::CategoryFilters;
use crate::models::{category, option, tag};
use crate::serializers::{
    self, CategoryInput, CategoryOut, OptionInput, OptionOut, TagInput, TagOut, category_out,
    option_out, tag_out,
};
use crate::tree;
use crate::usage::{self, Term, TermRef};

const TAG: &str = "admin: taxonomy";

/// A duplicate slug is the client's mistake: DRF's unique-validator message on `slug`.
fn write_error(what: &'static str) -> impl Fn(DbErr) -> ApiError {
    move |err| {
        if is_unique_violation(&err) {
            ApiError::field("slug", format!("{what} with this slug already exists."))
        } else {
            ApiError::from(err)
        }
    }
}

/// Writes a term's name as sent (`name`, `name_fa`, `name_en`; one language required) onto
/// its columns, and the key `?ordering=name` sorts by.
fn write_name(
    [plain, fa, en]: [Option<String>; 3],
    [fa_column, en_column, sort_column]: [&mut ActiveValue<String>; 3],
) -> ApiResult<()> {
    Translated { plain, fa, en }.apply_sorted("name", true, fa_column, en_column, sort_column)
}

/// What other rows hold a term, as the refusal to delete it names them.
fn used_by(found: &[(TermRef, u64)], children: u64) -> String {
    usage::describe(
        found
            .iter()
            .map(|(reference, n)| (*n, reference.noun))
            .chain([(children, ("child category", "child categories"))]),
    )
}

/// A tag or option still linked to rows of other apps is deleted only with `?force=true`,
/// which removes the links with it (what Django's many-to-many deletion does silently).
async fn release_links(
    txn: &DatabaseTransaction,
    catalog: &Catalog,
    term: Term,
    id: i64,
    on_delete: OnDelete,
) -> ApiResult<Vec<Row>> {
    let references = catalog.references(term);
    let found = usage::count(txn, &references, id).await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    if on_delete != OnDelete::Detach {
        let what = if term == Term::Tag { "tag" } else { "option" };
        return Err(ApiError::Conflict(format!(
            "Cannot delete this {what}: it is used by {}. Pass ?force=true to remove it from them.",
            used_by(&found, 0)
        )));
    }
    usage::detach(txn, &references, id).await?;
    Ok(Vec::new())
}

/// Real-estate categories and those of other apps, nestable. Rows of other apps that use a
/// category are what their apps declare (`Catalog::references`).
pub struct Categories;

impl AdminResource for Categories {
    const PLURAL: &'static str = "categories";
    const NOUN: &'static str = "category";
    const TAG: &'static str = TAG;
    const ENTITY: Entity = catalog::CATEGORY;
    const LIST: Option<strata_cache::Namespace> = Some(CATEGORY_LIST);
    const ID: category::Column = category::Column::Id;
    const SLUG: category::Column = category::Column::Slug;
    const SLUG_HISTORY: bool = true;
    const VERSION: category::Column = category::Column::Version;
    const ORDERING: &'static [(&'static str, category::Column)] = &[
        ("id", category::Column::Id),
        ("name", category::Column::NameSort),
        ("position", category::Column::Position),
    ];
    const DEFAULT_ORDERING: &'static str = "id";
    const SORTED_TEXTS: &'static [&'static str] = &["name"];
    const SEARCH: &'static [category::Column] =
        &[category::Column::NameFa, category::Column::NameEn];

    type Table = category::Entity;
    type Filters = CategoryFilters;
    type Out = CategoryOut;
    type Item = CategoryOut;
    type Input = CategoryInput;

    fn parse(body: JsonObject, mode: Mode) -> ApiResult<CategoryInput> {
        serializers::category_input(body, mode)
    }

    async fn outs<C: ConnectionTrait + Sync>(
        _: &C,
        rows: Vec<category::Model>,
    ) -> Result<Vec<CategoryOut>, DbErr> {
        Ok(rows
            .iter()
            .map(|m| category_out(m, Lang::default()))
            .collect())
    }

    async fn read<C: ConnectionTrait + Sync>(
        db: &C,
        id: i64,
    ) -> Result<Option<CategoryOut>, DbErr> {
        read_one::<Self, _>(db, id, |m| category_out(m, Lang::default())).await
    }

    async fn create(txn: &DatabaseTransaction, input: CategoryInput) -> ApiResult<i64> {
        let app = input.app.unwrap_or_default();
        let parent = input.parent.flatten();
        if let Some(parent) = parent {
            tree::check_parent(txn, None, &app, parent).await?;
        }
        let now = Utc::now();
        let mut row = category::ActiveModel {
            app: Set(app),
            slug: Set(input.slug.unwrap_or_default()),
            parent_id: Set(parent),
            position: Set(input.position.unwrap_or(0)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        write_name(
            [input.name, input.name_fa, input.name_en],
            [&mut row.name_fa, &mut row.name_en, &mut row.name_sort],
        )?;
        let row = row.insert(txn).await.map_err(write_error("category"))?;
        Ok(row.id)
    }

    async fn update(txn: &DatabaseTransaction, id: i64, input: CategoryInput) -> ApiResult<()> {
        let old = find_one::<Self>(txn, id).await?;
        let app = input.app.clone().unwrap_or_else(|| old.app.clone());
        let parent = input.parent.unwrap_or(old.parent_id);
        if let Some(parent) = parent {
            tree::check_parent(txn, Some(id), &app, parent).await?;
        }
        let mut row = old.into_active_model();
        row.app = Set(app);
        row.parent_id = Set(parent);
        write_name(
            [input.name, input.name_fa, input.name_en],
            [&mut row.name_fa, &mut row.name_en, &mut row.name_sort],
        )?;
        if let Some(slug) = input.slug.filter(|s| !s.is_empty()) {
            row.slug = Set(slug);
        }
        if let Some(position) = input.position {
            row.position = Set(position);
        }
        row.updated_at = Set(Utc::now());
        row.update(txn).await.map_err(write_error("category"))?;
        Ok(())
    }

    async fn delete(txn: &DatabaseTransaction, ids: &[i64]) -> ApiResult<Vec<String>> {
        delete_rows::<Self>(txn, ids).await?;
        Ok(Vec::new())
    }

    const IN_USE: InUse = InUse::Reassign;

    /// A category used by other rows or with child categories is deleted only with
    /// `?reassign_to=<id>`: both move to that category (same app, not this one nor below it).
    async fn release(
        txn: &DatabaseTransaction,
        catalog: &Catalog,
        id: i64,
        on_delete: OnDelete,
    ) -> ApiResult<Vec<Row>> {
        let references = catalog.references(Term::Category);
        let found = usage::count(txn, &references, id).await?;
        let mut children: Vec<i64> = category::Entity::find()
            .select_only()
            .column(category::Column::Id)
            .filter(category::Column::ParentId.eq(id))
            .into_tuple()
            .all(txn)
            .await?;
        if found.is_empty() && children.is_empty() {
            return Ok(Vec::new());
        }
        let OnDelete::ReassignTo(target) = on_delete else {
            return Err(ApiError::Conflict(format!(
                "Cannot delete this category: it is used by {}. Pass \
                 ?reassign_to=<id of another category of the same app> to move them there.",
                used_by(&found, children.len() as u64)
            )));
        };
        let app = find_one::<Self>(txn, id).await?.app;
        tree::check_reassign(txn, id, &app, target).await?;
        usage::reassign(txn, &references, id, target).await?;
        category::Entity::update_many()
            .col_expr(category::Column::ParentId, Expr::value(target))
            .col_expr(category::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(category::Column::ParentId.eq(id))
            .exec(txn)
            .await?;
        // The target's pages list the moved rows now; the children's show a new parent.
        children.push(target);
        Ok(Self::lock(txn, &children).await?)
    }
}

/// Tags, shared by every app's rows.
pub struct Tags;

impl AdminResource for Tags {
    const PLURAL: &'static str = "tags";
    const NOUN: &'static str = "tag";
    const TAG: &'static str = TAG;
    const ENTITY: Entity = catalog::TAG;
    const LIST: Option<strata_cache::Namespace> = Some(TAG_LIST);
    const ID: tag::Column = tag::Column::Id;
    const SLUG: tag::Column = tag::Column::Slug;
    const SLUG_HISTORY: bool = true;
    const VERSION: tag::Column = tag::Column::Version;
    const ORDERING: &'static [(&'static str, tag::Column)] =
        &[("id", tag::Column::Id), ("name", tag::Column::NameSort)];
    const DEFAULT_ORDERING: &'static str = "id";
    const SORTED_TEXTS: &'static [&'static str] = &["name"];
    const SEARCH: &'static [tag::Column] = &[tag::Column::NameFa, tag::Column::NameEn];

    type Table = tag::Entity;
    type Filters = NoFilters;
    type Out = TagOut;
    type Item = TagOut;
    type Input = TagInput;

    fn parse(body: JsonObject, mode: Mode) -> ApiResult<TagInput> {
        serializers::tag_input(body, mode)
    }

    async fn outs<C: ConnectionTrait + Sync>(
        _: &C,
        rows: Vec<tag::Model>,
    ) -> Result<Vec<TagOut>, DbErr> {
        Ok(rows.iter().map(|m| tag_out(m, Lang::default())).collect())
    }

    async fn read<C: ConnectionTrait + Sync>(db: &C, id: i64) -> Result<Option<TagOut>, DbErr> {
        read_one::<Self, _>(db, id, |m| tag_out(m, Lang::default())).await
    }

    async fn create(txn: &DatabaseTransaction, input: TagInput) -> ApiResult<i64> {
        let now = Utc::now();
        let mut row = tag::ActiveModel {
            slug: Set(input.slug.unwrap_or_default()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        write_name(
            [input.name, input.name_fa, input.name_en],
            [&mut row.name_fa, &mut row.name_en, &mut row.name_sort],
        )?;
        let row = row.insert(txn).await.map_err(write_error("tag"))?;
        Ok(row.id)
    }

    async fn update(txn: &DatabaseTransaction, id: i64, input: TagInput) -> ApiResult<()> {
        let mut row = find_one::<Self>(txn, id).await?.into_active_model();
        write_name(
            [input.name, input.name_fa, input.name_en],
            [&mut row.name_fa, &mut row.name_en, &mut row.name_sort],
        )?;
        if let Some(slug) = input.slug.filter(|s| !s.is_empty()) {
            row.slug = Set(slug);
        }
        row.updated_at = Set(Utc::now());
        row.update(txn).await.map_err(write_error("tag"))?;
        Ok(())
    }

    async fn delete(txn: &DatabaseTransaction, ids: &[i64]) -> ApiResult<Vec<String>> {
        delete_rows::<Self>(txn, ids).await?;
        Ok(Vec::new())
    }

    const IN_USE: InUse = InUse::Force;

    async fn release(
        txn: &DatabaseTransaction,
        catalog: &Catalog,
        id: i64,
        on_delete: OnDelete,
    ) -> ApiResult<Vec<Row>> {
        release_links(txn, catalog, Term::Tag, id, on_delete).await
    }
}

/// A new option's group key from its labels: the key of the group already labelled so (the
/// English label first, as a slug is made from it), so an editor who types a label joins its
/// group; else the label as a slug; none without a label.
async fn group_key(
    txn: &DatabaseTransaction,
    fa: Option<&str>,
    en: Option<&str>,
) -> Result<String, DbErr> {
    let labels = [(option::Column::GroupEn, en), (option::Column::GroupFa, fa)];
    for (column, label) in labels {
        let Some(label) = label.filter(|l| !l.is_empty()) else {
            continue;
        };
        let found: Option<String> = option::Entity::find()
            .select_only()
            .column(option::Column::Group)
            .filter(column.eq(label))
            .filter(option::Column::Group.ne(""))
            .order_by_asc(option::Column::Id)
            .into_tuple()
            .one(txn)
            .await?;
        if let Some(key) = found {
            return Ok(key);
        }
    }
    let label = labels
        .into_iter()
        .find_map(|(_, l)| l.filter(|l| !l.is_empty()));
    Ok(label.map(slugify).unwrap_or_default())
}

/// Writes the group labels given (a new row's others empty; neither is required).
fn group_labels(
    fa: Option<String>,
    en: Option<String>,
    row: &mut option::ActiveModel,
) -> ApiResult<()> {
    Translated {
        plain: None,
        fa,
        en,
    }
    .apply("group", false, &mut row.group_fa, &mut row.group_en)
}

/// Options (grouped amenities), shared by every app's rows.
pub struct Options;

impl AdminResource for Options {
    const PLURAL: &'static str = "options";
    const NOUN: &'static str = "option";
    const TAG: &'static str = TAG;
    const ENTITY: Entity = catalog::OPTION;
    const LIST: Option<strata_cache::Namespace> = Some(OPTION_LIST);
    const ID: option::Column = option::Column::Id;
    const SLUG: option::Column = option::Column::Slug;
    const VERSION: option::Column = option::Column::Version;
    const ORDERING: &'static [(&'static str, option::Column)] = &[
        ("id", option::Column::Id),
        ("name", option::Column::NameSort),
        ("group", option::Column::Group),
        ("position", option::Column::Position),
    ];
    const DEFAULT_ORDERING: &'static str = "id";
    const SORTED_TEXTS: &'static [&'static str] = &["name"];
    const SEARCH: &'static [option::Column] = &[
        option::Column::NameFa,
        option::Column::NameEn,
        option::Column::Group,
        option::Column::GroupFa,
        option::Column::GroupEn,
    ];

    type Table = option::Entity;
    type Filters = NoFilters;
    type Out = OptionOut;
    type Item = OptionOut;
    type Input = OptionInput;

    fn parse(body: JsonObject, mode: Mode) -> ApiResult<OptionInput> {
        serializers::option_input(body, mode)
    }

    async fn outs<C: ConnectionTrait + Sync>(
        _: &C,
        rows: Vec<option::Model>,
    ) -> Result<Vec<OptionOut>, DbErr> {
        Ok(rows
            .iter()
            .map(|m| option_out(m, Lang::default()))
            .collect())
    }

    async fn read<C: ConnectionTrait + Sync>(db: &C, id: i64) -> Result<Option<OptionOut>, DbErr> {
        read_one::<Self, _>(db, id, |m| option_out(m, Lang::default())).await
    }

    async fn create(txn: &DatabaseTransaction, input: OptionInput) -> ApiResult<i64> {
        let now = Utc::now();
        let group = match input.group.filter(|g| !g.is_empty()) {
            Some(group) => group,
            None => group_key(txn, input.group_fa.as_deref(), input.group_en.as_deref()).await?,
        };
        let mut row = option::ActiveModel {
            slug: Set(input.slug.unwrap_or_default()),
            group: Set(group),
            position: Set(input.position.unwrap_or(0)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        group_labels(input.group_fa, input.group_en, &mut row)?;
        write_name(
            [input.name, input.name_fa, input.name_en],
            [&mut row.name_fa, &mut row.name_en, &mut row.name_sort],
        )?;
        let row = row.insert(txn).await.map_err(write_error("option"))?;
        Ok(row.id)
    }

    async fn update(txn: &DatabaseTransaction, id: i64, input: OptionInput) -> ApiResult<()> {
        let mut row = find_one::<Self>(txn, id).await?.into_active_model();
        write_name(
            [input.name, input.name_fa, input.name_en],
            [&mut row.name_fa, &mut row.name_en, &mut row.name_sort],
        )?;
        if let Some(slug) = input.slug.filter(|s| !s.is_empty()) {
            row.slug = Set(slug);
        }
        if let Some(group) = input.group {
            row.group = Set(group);
        }
        group_labels(input.group_fa, input.group_en, &mut row)?;
        if let Some(position) = input.position {
            row.position = Set(position);
        }
        row.updated_at = Set(Utc::now());
        row.update(txn).await.map_err(write_error("option"))?;
        Ok(())
    }

    async fn delete(txn: &DatabaseTransaction, ids: &[i64]) -> ApiResult<Vec<String>> {
        delete_rows::<Self>(txn, ids).await?;
        Ok(Vec::new())
    }

    const IN_USE: InUse = InUse::Force;

    async fn release(
        txn: &DatabaseTransaction,
        catalog: &Catalog,
        id: i64,
        on_delete: OnDelete,
    ) -> ApiResult<Vec<Row>> {
        release_links(txn, catalog, Term::Option, id, on_delete).await
    }
}
