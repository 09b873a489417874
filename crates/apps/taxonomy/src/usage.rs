//! Who uses a term. Other apps refer to categories (a foreign key), tags and options (link
//! tables), and taxonomy may not depend on them (the crate graph), so each such app declares
//! its references in its catalog (`strata_api::catalog::TermRef`) and the admin resources read
//! them from `Catalog::references`, as Django finds the foreign keys that point at a model.
//! Deleting a term in use then behaves as `on_delete=PROTECT`: refused with how many rows use
//! it, unless the admin says where they go (see `services::admin`).

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
pub use strata_api::catalog::{Term, TermRef};

/// How many rows of each reference hold `id`, for those that hold it at all. Call it after the
/// term is locked: a concurrent writer that refers to it waits on that lock (PostgreSQL's
/// foreign-key check) or on the database's write lock (SQLite), so the count stays true until
/// the deletion commits.
pub async fn count(
    txn: &DatabaseTransaction,
    references: &[TermRef],
    id: i64,
) -> Result<Vec<(TermRef, u64)>, DbErr> {
    let mut found = Vec::new();
    for reference in references {
        let query = Query::select()
            .expr(Expr::col(Alias::new(reference.column)).count())
            .from(Alias::new(reference.table))
            .and_where(Expr::col(Alias::new(reference.column)).eq(id))
            .to_owned();
        let n: i64 = match txn.query_one(&query).await? {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        };
        if n > 0 {
            found.push((*reference, n.unsigned_abs()));
        }
    }
    Ok(found)
}

/// Points every reference to `from` at `to` instead.
pub async fn reassign(
    txn: &DatabaseTransaction,
    references: &[TermRef],
    from: i64,
    to: i64,
) -> Result<(), DbErr> {
    for reference in references {
        let column = Alias::new(reference.column);
        let update = Query::update()
            .table(Alias::new(reference.table))
            .value(column.clone(), to)
            .and_where(Expr::col(column).eq(from))
            .to_owned();
        txn.execute(&update).await?;
    }
    Ok(())
}

/// Removes the rows that refer to `id` (links: the owners let go of the term).
pub async fn detach(
    txn: &DatabaseTransaction,
    references: &[TermRef],
    id: i64,
) -> Result<(), DbErr> {
    for reference in references {
        let delete = Query::delete()
            .from_table(Alias::new(reference.table))
            .and_where(Expr::col(Alias::new(reference.column)).eq(id))
            .to_owned();
        txn.execute(&delete).await?;
    }
    Ok(())
}

/// "260 properties and 2 child categories", from what [`count`] found and other counts.
pub fn describe(parts: impl IntoIterator<Item = (u64, (&'static str, &'static str))>) -> String {
    let parts: Vec<String> = parts
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, (one, many))| strata_api::admin::count_of(n, one, many))
        .collect();
    parts.join(" and ")
}
