//! Optimistic concurrency for admin resources: every row carries a `version` counter, bumped by
//! each write of that row (never by a change of a related row: a category rename leaves the
//! properties in it alone). The admin detail sends it as a strong `ETag` (`"7"`) and in its
//! body (`"version": 7`); `PUT`, `PATCH`, `DELETE` and `status` honour `If-Match`. A stale
//! precondition answers `412` with the current representation, and nothing is written.
//! Without `If-Match` a write goes through, as in DRF (last write wins).
//!
//! The check runs inside the write's transaction after the row is locked, so two writers
//! holding the same version cannot both pass it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::{Alias, ColumnDef, Expr, ExprTrait, Table};
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use strata_db::sea_orm_migration::{MigrationName, MigrationTrait, SchemaManager};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::AdminResource;
use crate::error::ApiError;

/// The name of the column every admin resource's table has.
pub const VERSION_COLUMN: &str = "version";

/// One object as the admin detail shows it: the resource's output and the row's version.
#[derive(Debug, Serialize)]
pub struct Versioned<T> {
    #[serde(flatten)]
    pub body: T,
    pub version: i64,
}

impl<T: ToSchema> Versioned<T> {
    /// `Versioned<Name>`'s name in the document: `PropertyAdminVersioned`.
    pub(super) fn schema_name() -> String {
        format!("{}Versioned", T::name())
    }

    /// The output's schema and a required integer `version`.
    pub(super) fn schema() -> RefOr<Schema> {
        AllOfBuilder::new()
            .item(RefOr::Ref(Ref::from_schema_name(T::name())))
            .item(
                ObjectBuilder::new()
                    .property(
                        VERSION_COLUMN,
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1))
                            .description(Some(
                                "Bumped by every write of this row; sent as the `ETag` too. \
                                 Send it back in `If-Match` to write only if nobody else \
                                 wrote since.",
                            )),
                    )
                    .required(VERSION_COLUMN),
            )
            .into()
    }
}

impl<T: Serialize> IntoResponse for Versioned<T> {
    fn into_response(self) -> Response {
        let etag = etag(self.version);
        let mut response = axum::Json(self).into_response();
        response.headers_mut().insert(header::ETAG, etag);
        response
    }
}

/// A version as a strong entity tag: `"7"`.
pub fn etag(version: i64) -> HeaderValue {
    // Digits and quotes are always a valid header value.
    HeaderValue::try_from(format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A request's `If-Match`: absent (no precondition), `*`, or a list of entity tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IfMatch {
    #[default]
    Absent,
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    /// Reads every `If-Match` header (RFC 9110 §13.1.1: a list, possibly over several lines).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut tags = Vec::new();
        let mut present = false;
        for value in headers.get_all(header::IF_MATCH) {
            present = true;
            // A value that is not visible ASCII matches nothing (412), never a 5xx.
            let Ok(value) = value.to_str() else {
                tags.push(String::new());
                continue;
            };
            for tag in split_list(value) {
                if tag == "*" {
                    return IfMatch::Any;
                }
                tags.push(tag.to_owned());
            }
        }
        if present {
            IfMatch::Tags(tags)
        } else {
            IfMatch::Absent
        }
    }

    /// Whether a row at `version` meets the precondition. Strong comparison, as `If-Match`
    /// requires: a weak tag (`W/"7"`) never matches.
    pub fn admits(&self, version: i64) -> bool {
        match self {
            IfMatch::Absent | IfMatch::Any => true,
            IfMatch::Tags(tags) => {
                let current = format!("\"{version}\"");
                tags.contains(&current)
            }
        }
    }
}

/// The entity tags of a list, which may contain commas inside quotes.
fn split_list(value: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (at, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                tags.push(value[start..at].trim());
                start = at + 1;
            }
            _ => {}
        }
    }
    tags.push(value[start..].trim());
    tags.retain(|tag| !tag.is_empty());
    tags
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(IfMatch::from_headers(&parts.headers))
    }
}

/// The `If-Match` request header, documented on every write it applies to.
pub(super) fn if_match_param() -> utoipa::openapi::path::Parameter {
    use utoipa::openapi::Required;
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    ParameterBuilder::new()
        .name("If-Match")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "The `ETag` (`\"<version>\"`) the client last read: the write happens only if the \
             row is still at that version, else `412` with the current object. Without it the \
             write goes through whatever the version (last write wins).",
        ))
        .schema(Some(String::schema()))
        .build()
}

/// Checks `precondition` against the locked row's `version`; on a mismatch, the `412` carrying
/// the row as it is now (read inside the same transaction).
pub(super) async fn check<R: AdminResource>(
    txn: &DatabaseTransaction,
    id: i64,
    version: i64,
    precondition: &IfMatch,
) -> Result<(), ApiError> {
    if precondition.admits(version) {
        return Ok(());
    }
    let current = R::read(txn, id).await?.ok_or(ApiError::NotFound)?;
    let body = serde_json::to_value(Versioned {
        body: current,
        version,
    })
    .map_err(ApiError::internal)?;
    Err(ApiError::PreconditionFailed(Box::new(
        crate::error::Stale { body, version },
    )))
}

/// Adds one to the version of rows `ids` (written in this transaction).
pub(super) async fn bump<R: AdminResource>(
    txn: &DatabaseTransaction,
    ids: &[i64],
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    R::Table::update_many()
        .col_expr(R::VERSION, Expr::col(R::VERSION).add(1))
        .filter(R::ID.is_in(ids.iter().copied()))
        .exec(txn)
        .await?;
    Ok(())
}

/// The version of row `id`, read before its body so that a write landing in between makes
/// the pair stale (a spurious `412` later), never a newer version on an older body.
pub(super) async fn current<R: AdminResource, C: sea_orm::ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<i64>, DbErr> {
    use sea_orm::QuerySelect;
    R::Table::find()
        .select_only()
        .column(R::VERSION)
        .filter(R::ID.eq(id))
        .into_tuple()
        .one(db)
        .await
}

/// The migration that gives an app's admin tables their `version` column (every existing row
/// starts at 1), declared in the app's migration list with its dated name:
/// `VersionColumns { name: "m20261207_000300_taxonomy_version", tables: &["taxonomy_tag"] }`.
pub struct VersionColumns {
    pub name: &'static str,
    pub tables: &'static [&'static str],
}

impl MigrationName for VersionColumns {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for VersionColumns {
    /// On one connection, in one transaction, on SQLite too: sea-orm-migration otherwise runs
    /// SQLite's steps on whichever pooled connection is free.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in self.tables {
            let column = ColumnDef::new(Alias::new(VERSION_COLUMN))
                .big_integer()
                .not_null()
                .default(1)
                .to_owned();
            let alter = Table::alter()
                .table(Alias::new(*table))
                .add_column(column)
                .to_owned();
            manager.alter_table(alter).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in self.tables {
            let alter = Table::alter()
                .table(Alias::new(*table))
                .drop_column(Alias::new(VERSION_COLUMN))
                .to_owned();
            manager.alter_table(alter).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn if_match(values: &[&str]) -> IfMatch {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::IF_MATCH,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
        }
        IfMatch::from_headers(&headers)
    }

    #[test]
    fn preconditions_compare_strongly() {
        assert!(if_match(&[]).admits(3));
        assert!(if_match(&["*"]).admits(3));
        assert!(if_match(&["\"3\""]).admits(3));
        assert!(!if_match(&["\"2\""]).admits(3));
        assert!(if_match(&["\"1\", \"3\""]).admits(3));
        assert!(if_match(&["\"1\"", "\"3\""]).admits(3));
        assert!(!if_match(&["W/\"3\""]).admits(3));
        assert!(!if_match(&["3"]).admits(3));
        assert!(
            !if_match(&[""]).admits(3),
            "an empty If-Match is present and matches nothing"
        );
        assert!(!if_match(&["\"a,b\""]).admits(3));
    }

    #[test]
    fn the_etag_is_the_quoted_version() {
        assert_eq!(etag(7), HeaderValue::from_static("\"7\""));
    }
}
