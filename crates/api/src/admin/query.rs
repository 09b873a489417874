//! A list request's query parameters as typed structs: the common ones (`q`, `ordering`) and
//! each resource's own filters, read like a django-filter `FilterSet` (unknown parameters
//! ignored, a bad value of a known one a 400 naming it, every error at once).

use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde::{Serialize, Serializer};
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{Required, Type};

use super::{AdminResource, Column};
use crate::ApiResult;
use crate::error::{ApiError, FieldErrors};
use crate::pagination::{Page, PageRequest, fetch_page};
use crate::query::UrlQuery;
use crate::serial::to_hundredths;

/// A resource's own list filters. `from_query` reads them (reporting into `errors`); `apply`
/// narrows the list's query; `IntoParams` documents them; `Serialize` makes them part of the
/// list's cache key (absent filters skipped, so `?status=` and no `status` share a key).
pub trait Filters<E: EntityTrait>: IntoParams + Serialize + Send + Sync + Sized + 'static {
    fn from_query(query: &mut QueryReader<'_>) -> Self;

    fn apply(&self, select: Select<E>) -> Select<E>;
}

/// For resources whose lists have no filters of their own.
#[derive(Debug, Default, Serialize)]
pub struct NoFilters;

impl IntoParams for NoFilters {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        Vec::new()
    }
}

impl<E: EntityTrait> Filters<E> for NoFilters {
    fn from_query(_: &mut QueryReader<'_>) -> Self {
        NoFilters
    }

    fn apply(&self, select: Select<E>) -> Select<E> {
        select
    }
}

/// Reads typed values out of a query string, collecting every error like a filter form.
pub struct QueryReader<'a> {
    query: &'a UrlQuery,
    errors: FieldErrors,
}

impl<'a> QueryReader<'a> {
    pub fn new(query: &'a UrlQuery) -> Self {
        QueryReader {
            query,
            errors: FieldErrors::new(),
        }
    }

    /// The errors found so far, as a 400, or `value`.
    pub fn finish<T>(self, value: T) -> ApiResult<T> {
        self.errors.check(value)
    }

    /// Trimmed free text; empty is absent; longer than [`crate::text::TEXT_PARAM_MAX`]
    /// characters is a 400 (a pattern that long is no search, and costs the database).
    pub fn text(&mut self, name: &str) -> Option<String> {
        let text = self.query.text(name)?;
        if text.chars().nth(crate::text::TEXT_PARAM_MAX).is_some() {
            self.errors
                .add(name, crate::text::too_long(crate::text::TEXT_PARAM_MAX));
            return None;
        }
        Some(text)
    }

    /// One of `choices`; anything else is django-filter's "Select a valid choice" 400.
    pub fn choice(&mut self, name: &str, choices: &[&'static str]) -> Option<&'static str> {
        self.query.choice(name, choices).unwrap_or_else(|err| {
            if let ApiError::Invalid(errors) = err {
                self.errors = std::mem::take(&mut self.errors).merge(errors);
            }
            None
        })
    }

    /// A non-negative decimal amount, as integer hundredths.
    pub fn amount(&mut self, name: &str) -> Option<i64> {
        let text = self.query.text(name)?;
        let value = text
            .parse::<Decimal>()
            .ok()
            .filter(|d| !d.is_sign_negative())
            .and_then(to_hundredths);
        if value.is_none() {
            self.errors.add(name, "Enter a number.");
        }
        value
    }

    /// A whole number in `0..=max`.
    pub fn whole(&mut self, name: &str, max: i64) -> Option<i64> {
        let text = self.query.text(name)?;
        let value = text.parse::<i64>().ok().filter(|n| (0..=max).contains(n));
        if value.is_none() {
            self.errors.add(name, "Enter a whole number.");
        }
        value
    }

    /// Django's boolean filter: `true`/`True`/`1` or `false`/`False`/`0`.
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.query.text(name)?.as_str() {
            "true" | "True" | "1" => Some(true),
            "false" | "False" | "0" => Some(false),
            _ => {
                self.errors.add(name, "Select a valid choice.");
                None
            }
        }
    }
}

/// `?ordering=` resolved against a resource's table: which entry, and whether descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderBy {
    field: &'static str,
    descending: bool,
}

impl OrderBy {
    /// `name` or `-name` where `name` is in `fields`; `None` for anything else.
    fn parse(value: &str, fields: impl Iterator<Item = &'static str>) -> Option<Self> {
        let (name, descending) = match value.strip_prefix('-') {
            Some(name) => (name, true),
            None => (value, false),
        };
        fields
            .into_iter()
            .find(|field| *field == name)
            .map(|field| OrderBy { field, descending })
    }
}

impl Serialize for OrderBy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let sign = if self.descending { "-" } else { "" };
        serializer.collect_str(&format_args!("{sign}{}", self.field))
    }
}

/// A validated admin list request: exactly what its result depends on, which is also its
/// cache key (unknown parameters such as `utm_*` never reach it).
#[derive(Debug, Serialize)]
pub struct ListQuery<F> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    pub ordering: OrderBy,
    #[serde(flatten)]
    pub filters: F,
}

impl<F: Serialize> ListQuery<F> {
    pub fn read<R: AdminResource<Filters = F>>(url: &UrlQuery) -> ApiResult<Self>
    where
        F: Filters<R::Table>,
    {
        let mut reader = QueryReader::new(url);
        let asked = url
            .get("ordering")
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or(R::DEFAULT_ORDERING);
        let ordering = OrderBy::parse(asked, R::ORDERING.iter().map(|(name, _)| *name));
        if ordering.is_none() {
            reader.errors.add(
                "ordering",
                format!("Select a valid choice. {asked} is not one of the available choices."),
            );
        }
        let filters = F::from_query(&mut reader);
        let q = reader.text("q").or_else(|| reader.text("search"));
        let (ordering, filters) = reader.finish((ordering, filters))?;
        Ok(ListQuery {
            q,
            // Only `None` when an error was reported above.
            ordering: ordering
                .ok_or_else(|| ApiError::field("ordering", "Select a valid choice."))?,
            filters,
        })
    }

    /// The query parameters every admin list documents, then the resource's own.
    pub fn params<R: AdminResource<Filters = F>>() -> Vec<Parameter>
    where
        F: Filters<R::Table>,
    {
        let orderings: Vec<String> = R::ORDERING
            .iter()
            .flat_map(|(name, _)| [name.to_string(), format!("-{name}")])
            .collect();
        let mut params = vec![
            query_param("q", "Search (case-insensitive, any of the searched fields)"),
            ParameterBuilder::new()
                .name("ordering")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(ordering_description(
                    R::DEFAULT_ORDERING,
                    R::SORTED_TEXTS,
                )))
                .schema(Some(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(orderings)),
                ))
                .build(),
        ];
        params.extend(F::into_params(|| Some(ParameterIn::Query)));
        params
    }
}

/// What `?ordering=` documents: its default, and how a translated text is sorted.
fn ordering_description(default: &str, sorted_texts: &[&str]) -> String {
    let mut text = format!("Default `{default}`.");
    for name in sorted_texts {
        text.push_str(&format!(
            " `{name}` sorts by the Persian `{name}` (`{name}_fa`, or `{name}_en` when it is \
             empty) in the Persian alphabet's order (آ ا ب پ ت … ک گ ل م ن و ه ی; Arabic ي/ك as \
             ی/ک, ZWNJ and punctuation ignored, digits before letters, Latin letters after \
             Persian ones, case folded), the same on every database; ties by id, newest first."
        ));
    }
    text
}

fn query_param(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new().schema_type(Type::String),
        ))
        .build()
}

/// `column` contains `needle`, ignoring case, with `%`, `_` and `\` in the needle taken
/// literally (Django's `icontains`).
pub fn icontains(column: impl ColumnTrait, needle: &str) -> SimpleExpr {
    let mut pattern = String::from("%");
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
        .like(LikeExpr::new(pattern).escape('\\'))
}

/// The admin list's rows as `query` selects them: its filters, its search and its ordering,
/// ties broken by id (so pages never overlap).
fn select<R: AdminResource>(query: &ListQuery<R::Filters>) -> Select<R::Table>
where
    Column<R>: ColumnTrait,
{
    let mut select = query.filters.apply(R::Table::find());
    if let Some(q) = &query.q {
        let q = if R::SEARCH_NORMALIZED {
            crate::lang::normalize(q)
        } else {
            q.clone()
        };
        let q = &q;
        let any = R::SEARCH.iter().fold(Condition::any(), |any, column| {
            any.add(icontains(*column, q))
        });
        select = select.filter(any);
    }
    if let Some((_, column)) = R::ORDERING
        .iter()
        .find(|(name, _)| *name == query.ordering.field)
    {
        let order = if query.ordering.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        select = select.order_by(*column, order);
    }
    select.order_by_desc(R::ID)
}

/// One page of a resource's admin list, from the database.
pub(super) async fn select_page<R: AdminResource, C: ConnectionTrait + Sync>(
    db: &C,
    query: &ListQuery<R::Filters>,
    page: PageRequest,
) -> Result<Page<R::Item>, DbErr>
where
    Column<R>: ColumnTrait,
    <R::Table as EntityTrait>::Model: Sync,
{
    let (count, rows) = fetch_page(select::<R>(query), db, page).await?;
    Ok(Page {
        count,
        results: R::outs(db, rows).await?,
    })
}

/// The id and version of every row the list `query` selects, in the list's order, at most
/// `limit` of them.
pub(super) async fn matching_ids<R: AdminResource, C: ConnectionTrait>(
    db: &C,
    query: &ListQuery<R::Filters>,
    limit: u64,
) -> Result<Vec<(i64, i64)>, DbErr>
where
    Column<R>: ColumnTrait,
{
    select::<R>(query)
        .select_only()
        .column(R::ID)
        .column(R::VERSION)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}
