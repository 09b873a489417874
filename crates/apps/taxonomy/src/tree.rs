//! Categories stay a forest. Writes check a new parent inside their transaction, serialized
//! per app so two concurrent re-parents cannot each pass the check and together close a loop;
//! reads walk with a visited set and a depth cap, so a loop written by any other writer of the
//! database (SQL by hand, an older binary) costs a bounded walk, never a hung worker.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};
use strata_api::ApiError;

use crate::models::category;

/// Deepest nesting a walk follows (and a write may create, counting from the parent's root).
pub const MAX_DEPTH: usize = 64;

/// Checks that `parent` may become the parent of category `id` (`None` when creating one) of
/// `app`: it exists, belongs to `app`, is not `id` nor one of its descendants, and sits less
/// than [`MAX_DEPTH`] levels deep. A 400 on `parent` otherwise.
///
/// Call it in the write's transaction, before writing `parent_id`, and write in that same
/// transaction. It first serializes the tree writes of `app`: on PostgreSQL with a
/// transaction-scoped advisory lock (released at commit or rollback; every statement after it
/// sees what the previous holder committed, READ COMMITTED being the default); on SQLite by
/// taking the database's write lock now (a no-op when the transaction was begun with
/// `strata_db::begin_write`, which it should be: a deferred transaction that has already read
/// cannot take the write lock once another writer committed, and fails with `SQLITE_BUSY`).
pub async fn check_parent(
    txn: &DatabaseTransaction,
    id: Option<i64>,
    app: &str,
    parent: i64,
) -> Result<(), ApiError> {
    check_new_parent(txn, id, app, parent, &AS_PARENT).await
}

/// Checks that the children of category `id` (of `app`), about to be deleted, may move to
/// `target` (a 400 on `reassign_to` otherwise), as [`check_parent`] does for one category and
/// with the same lock: the target exists, belongs to `app`, is neither `id` nor below it, and
/// is not too deep.
pub async fn check_reassign(
    txn: &DatabaseTransaction,
    id: i64,
    app: &str,
    target: i64,
) -> Result<(), ApiError> {
    check_new_parent(txn, Some(id), app, target, &AS_REASSIGNMENT).await
}

/// The field a new parent was given in, and the messages about it.
struct Wording {
    field: &'static str,
    under_itself: &'static str,
    other_app: &'static str,
}

const AS_PARENT: Wording = Wording {
    field: "parent",
    under_itself: "A category cannot be nested under itself.",
    other_app: "The parent must belong to the same app.",
};

const AS_REASSIGNMENT: Wording = Wording {
    field: "reassign_to",
    under_itself: "Cannot reassign to the category being deleted or one of its subcategories.",
    other_app: "The category to reassign to must belong to the same app.",
};

async fn check_new_parent(
    txn: &DatabaseTransaction,
    id: Option<i64>,
    app: &str,
    parent: i64,
    wording: &Wording,
) -> Result<(), ApiError> {
    lock_tree(txn, app).await?;
    let invalid = |message: String| Err(ApiError::field(wording.field, message));
    if Some(parent) == id {
        return invalid(wording.under_itself.into());
    }
    let Some((parent_app, mut cursor)) = category::Entity::find_by_id(parent)
        .select_only()
        .column(category::Column::App)
        .column(category::Column::ParentId)
        .into_tuple::<(String, Option<i64>)>()
        .one(txn)
        .await?
    else {
        return invalid(format!("Invalid pk \"{parent}\" - object does not exist."));
    };
    if parent_app != app {
        return invalid(wording.other_app.into());
    }
    let mut seen = HashSet::from([parent]);
    while let Some(current) = cursor {
        if Some(current) == id {
            return invalid(wording.under_itself.into());
        }
        if !seen.insert(current) {
            // A loop above the parent that does not pass through `id`: written by someone
            // else, and it must be repaired, not extended.
            return invalid(format!(
                "The ancestors of category {parent} form a loop through category {current}."
            ));
        }
        if seen.len() >= MAX_DEPTH {
            return invalid(format!(
                "Categories cannot be nested more than {MAX_DEPTH} levels deep."
            ));
        }
        cursor = category::Entity::find_by_id(current)
            .select_only()
            .column(category::Column::ParentId)
            .into_tuple::<Option<i64>>()
            .one(txn)
            .await?
            .flatten();
    }
    Ok(())
}

/// Serializes the tree writes of `app` until the transaction ends.
async fn lock_tree(txn: &DatabaseTransaction, app: &str) -> Result<(), ApiError> {
    match txn.get_database_backend() {
        DbBackend::Postgres => {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [tree_lock_key(app).into()],
            ))
            .await?;
        }
        // A write statement takes SQLite's database-wide write lock (waiting up to the
        // connection's busy timeout), even when it matches no row.
        _ => {
            category::Entity::update_many()
                .col_expr(category::Column::Id, Expr::col(category::Column::Id))
                .filter(category::Column::Id.lt(0))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// The advisory-lock key of one app's category tree: FNV-1a of a name that says what it locks,
/// so it cannot collide with another feature's lock by accident and is the same in every
/// process and version.
fn tree_lock_key(app: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "strata:taxonomy_category_tree:".bytes().chain(app.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// `root` and its descendants among `nodes` (`(id, parent_id)` pairs), breadth first, each
/// once, at most [`MAX_DEPTH`] levels below `root`: a loop among them ends the walk early
/// instead of never.
pub fn descendants(nodes: &[(i64, Option<i64>)], root: i64) -> Vec<i64> {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for (id, parent) in nodes {
        if let Some(parent) = parent {
            children.entry(*parent).or_default().push(*id);
        }
    }
    let mut found = vec![root];
    let mut seen = HashSet::from([root]);
    let mut level = 0;
    let mut level_start = 0;
    while level < MAX_DEPTH && level_start < found.len() {
        let level_end = found.len();
        for i in level_start..level_end {
            for child in children.get(&found[i]).into_iter().flatten() {
                if seen.insert(*child) {
                    found.push(*child);
                }
            }
        }
        level_start = level_end;
        level += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descendants_of_a_tree_breadth_first() {
        let nodes = [
            (1, None),
            (2, Some(1)),
            (3, Some(1)),
            (4, Some(2)),
            (5, None),
        ];
        assert_eq!(descendants(&nodes, 1), vec![1, 2, 3, 4]);
        assert_eq!(descendants(&nodes, 2), vec![2, 4]);
        assert_eq!(descendants(&nodes, 9), vec![9]);
    }

    #[test]
    fn loops_end_the_walk() {
        assert_eq!(descendants(&[(1, Some(1))], 1), vec![1]);
        assert_eq!(descendants(&[(1, Some(2)), (2, Some(1))], 1), vec![1, 2]);
        assert_eq!(
            descendants(&[(1, Some(3)), (2, Some(1)), (3, Some(2)), (4, Some(3))], 2),
            vec![2, 3, 1, 4]
        );
    }

    #[test]
    fn depth_is_capped() {
        let chain: Vec<(i64, Option<i64>)> =
            (1..=200).map(|n| (n, (n > 1).then(|| n - 1))).collect();
        assert_eq!(descendants(&chain, 1).len(), MAX_DEPTH + 1);
    }

    #[test]
    fn lock_keys_differ_per_app_and_are_stable() {
        assert_ne!(tree_lock_key("real_estate"), tree_lock_key("blog"));
        assert_eq!(tree_lock_key("blog"), tree_lock_key("blog"));
    }
}
