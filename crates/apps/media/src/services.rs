//! Adding, ordering and removing an owner's images, and reading several owners' at once.
//!
//! Files and rows never disagree in the harmful direction — a row whose file is missing: a
//! file is stored before its row is inserted (and removed again if the insert fails), and rows
//! are deleted before their files. The worst a crash or a storage error can leave is an
//! unreferenced file, which nobody links to.
//!
//! Functions that delete files take a [`DatabaseConnection`], whose statements commit at once:
//! inside a transaction a file would go before a commit that might never happen. An owner's
//! own transaction uses [`delete_rows_for`] or [`delete_image_row`] inside it and
//! `MediaStorage::delete_all` after it. Those two also record the files in
//! `media_pending_delete` in the same transaction, and [`sweep_deletes`] deletes what is
//! recorded there (again: deletes are idempotent) and then its rows, so a file whose delete
//! failed after the commit (the storage down, the process gone) is retried until it is gone.
//! An image's renditions (`crate::renditions`) are files of the image: their rows go with its
//! row (cascade) and their files are returned and recorded with its file.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};
use strata_api::{ApiError, FieldErrors, MediaStorage};

use crate::models::{image, pending_delete, rendition};
use crate::renditions::RenditionJob;
use crate::serializers::{ImageOut, VariantOut, image_out, variant_out};
use crate::upload::Upload;
use crate::validate::ImageFormat;

/// Whose images: `Owner { kind: "property", id: 42 }`. `kind` is also a directory name in
/// storage, so it is a plain lowercase word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Owner {
    pub kind: &'static str,
    pub id: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Bad input, reported per field as DRF does (a 400).
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    /// No such image, or it belongs to another owner (a 404).
    #[error("image not found")]
    NotFound,
    #[error("media storage: {0}")]
    Storage(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

impl From<MediaError> for ApiError {
    fn from(err: MediaError) -> Self {
        match err {
            MediaError::Invalid(errors) => ApiError::Invalid(errors),
            MediaError::NotFound => ApiError::NotFound,
            other @ (MediaError::Storage(_) | MediaError::Db(_)) => ApiError::internal(other),
        }
    }
}

fn of_owner(owner: Owner) -> Condition {
    Condition::all()
        .add(image::Column::OwnerType.eq(owner.kind))
        .add(image::Column::OwnerId.eq(owner.id))
}

/// `images/<kind>/<32 hex>.<ext>`: 128 random bits from a CSPRNG, so names are unguessable
/// (an unpublished property's images cannot be found by trying names) and never collide.
pub(crate) fn storage_name(owner: Owner, format: ImageFormat) -> String {
    format!(
        "images/{}/{:032x}.{}",
        owner.kind,
        rand::random::<u128>(),
        format.ext()
    )
}

/// An added image, and the work its renditions still need.
pub struct Added {
    pub image: ImageOut,
    /// For [`crate::renditions::spawn`] once `db`'s transaction has committed.
    pub renditions: RenditionJob,
}

/// Stores the file under a new unguessable name, then appends its row to the owner's order.
/// If the row cannot be inserted the file is deleted again, and the error returned. The
/// upload's bytes are kept for the renditions.
///
/// Two concurrent uploads may get the same position; reads order ties by id, and the next
/// [`reorder`] renumbers. Given a transaction that later rolls back, the file stays behind
/// unreferenced (harmless); so does one whose request is cancelled between the two steps.
pub async fn add(
    db: &impl ConnectionTrait,
    storage: &dyn MediaStorage,
    owner: Owner,
    upload: Upload,
) -> Result<Added, MediaError> {
    let name = storage_name(owner, upload.image.format);
    storage.save(&name, &upload.bytes).await?;
    match insert_row(db, owner, &name, &upload).await {
        Ok(row) => Ok(Added {
            image: image_out(&row, Vec::new()),
            renditions: RenditionJob {
                image_id: row.id,
                owner,
                image: upload.image,
                bytes: upload.bytes,
            },
        }),
        Err(err) => {
            storage.delete_all(&[name]).await;
            Err(err.into())
        }
    }
}

async fn insert_row(
    db: &impl ConnectionTrait,
    owner: Owner,
    name: &str,
    upload: &Upload,
) -> Result<image::Model, DbErr> {
    let last: Option<i32> = image::Entity::find()
        .select_only()
        .column_as(image::Column::Position.max(), "last")
        .filter(of_owner(owner))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    image::ActiveModel {
        owner_type: Set(owner.kind.to_owned()),
        owner_id: Set(owner.id),
        position: Set(last.map_or(0, |p| p.saturating_add(1))),
        file: Set(name.to_owned()),
        content_type: Set(upload.image.format.content_type().to_owned()),
        // Validated sides are at most MAX_SIDE and sizes at most max_bytes; saturating keeps
        // the conversions free of a panic path.
        width: Set(i32::try_from(upload.image.width).unwrap_or(i32::MAX)),
        height: Set(i32::try_from(upload.image.height).unwrap_or(i32::MAX)),
        size_bytes: Set(i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX)),
        alt: Set(upload.alt.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Sets the owner's order to `ids`, which must list each of the owner's images exactly once
/// (else a 400 on `ids`, and nothing changes). Positions become 0, 1, 2… in one transaction
/// (a savepoint when `db` is already a transaction); returns the images in their new order.
pub async fn reorder<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    owner: Owner,
    ids: &[i64],
) -> Result<Vec<ImageOut>, MediaError> {
    let txn = db.begin().await?;
    // Locked (on PostgreSQL) so two reorders of one owner apply one after the other.
    let rows = image::Entity::find()
        .filter(of_owner(owner))
        .lock_exclusive()
        .all(&txn)
        .await?;
    let mut by_id: HashMap<i64, image::Model> = rows.into_iter().map(|r| (r.id, r)).collect();
    check_order(owner, &by_id, ids)?;
    let mut variants = variants_for(&txn, ids).await?;
    let mut ordered = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let position = i32::try_from(index).unwrap_or(i32::MAX);
        // Present: check_order found every id among the owner's images.
        let Some(mut row) = by_id.remove(id) else {
            return Err(MediaError::NotFound);
        };
        if row.position != position {
            image::Entity::update_many()
                .col_expr(image::Column::Position, Expr::value(position))
                .filter(image::Column::Id.eq(*id))
                .exec(&txn)
                .await?;
            row.position = position;
        }
        ordered.push(image_out(&row, variants.remove(id).unwrap_or_default()));
    }
    txn.commit().await?;
    Ok(ordered)
}

/// `ids` against the owner's images: no unknown, repeated or missing id.
fn check_order(
    owner: Owner,
    images: &HashMap<i64, image::Model>,
    ids: &[i64],
) -> Result<(), MediaError> {
    let mut errors = FieldErrors::new();
    if let Some(unknown) = ids.iter().find(|id| !images.contains_key(id)) {
        errors.add(
            "ids",
            format!("Invalid pk \"{unknown}\" - object does not exist."),
        );
    }
    let mut seen = BTreeSet::new();
    let repeated: BTreeSet<i64> = ids.iter().copied().filter(|id| !seen.insert(*id)).collect();
    if !repeated.is_empty() {
        errors.add(
            "ids",
            format!("Each image may be listed only once: {}.", join(&repeated)),
        );
    }
    let missing: BTreeSet<i64> = images
        .keys()
        .copied()
        .filter(|id| !seen.contains(id))
        .collect();
    if !missing.is_empty() {
        errors.add(
            "ids",
            format!(
                "List every image of this {} exactly once; missing: {}.",
                owner.kind,
                join(&missing)
            ),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(MediaError::Invalid(errors))
    }
}

fn join(ids: &BTreeSet<i64>) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Deletes one of the owner's image rows and returns its files (the original and its
/// renditions), to remove with `MediaStorage::delete_all` once `db`'s transaction has
/// committed. Another owner's image, or a missing one, is [`MediaError::NotFound`].
#[must_use = "remove the returned files with MediaStorage::delete_all after the commit"]
pub async fn delete_image_row(
    db: &impl ConnectionTrait,
    owner: Owner,
    image_id: i64,
) -> Result<Vec<String>, MediaError> {
    let condition = of_owner(owner).add(image::Column::Id.eq(image_id));
    match delete_images(db, condition).await? {
        (0, _) => Err(MediaError::NotFound),
        (_, files) => Ok(files),
    }
}

/// For an owner being deleted outside a transaction: its rows, then its files. Returns how
/// many images there were.
pub async fn delete_all_for(
    db: &DatabaseConnection,
    storage: &dyn MediaStorage,
    owner: Owner,
) -> Result<usize, MediaError> {
    let files = delete_rows_for(db, owner).await?;
    storage.delete_all(&files).await;
    Ok(files.len())
}

/// Deletes the owner's image rows — inside the owner's own delete transaction — and returns
/// their files, to remove with `MediaStorage::delete_all` once that transaction has committed.
#[must_use = "remove the returned files with MediaStorage::delete_all after the commit"]
pub async fn delete_rows_for(
    db: &impl ConnectionTrait,
    owner: Owner,
) -> Result<Vec<String>, DbErr> {
    Ok(delete_images(db, of_owner(owner)).await?.1)
}

/// Deletes the images matching `condition` (their renditions' rows go by cascade), records
/// every file of theirs as owed a delete, and returns how many images went and the files.
///
/// The images are locked first (`FOR UPDATE` on PostgreSQL): a rendition task holds its
/// image `FOR SHARE` while it inserts, so once the lock is ours its renditions are committed
/// and the next statement sees them — none can be removed by the cascade unrecorded.
async fn delete_images(
    db: &impl ConnectionTrait,
    condition: Condition,
) -> Result<(usize, Vec<String>), DbErr> {
    let ids: Vec<i64> = image::Entity::find()
        .select_only()
        .column(image::Column::Id)
        .filter(condition)
        .lock_exclusive()
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok((0, Vec::new()));
    }
    let mut files: Vec<String> = rendition::Entity::find()
        .select_only()
        .column(rendition::Column::File)
        .filter(rendition::Column::ImageId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let rows = image::Entity::delete_many()
        .filter(image::Column::Id.is_in(ids))
        .exec_with_returning(db)
        .await?;
    let deleted = rows.len();
    files.extend(rows.into_iter().map(|row| row.file));
    record_deletes(db, &files).await?;
    Ok((deleted, files))
}

/// Records `files` as owed a delete, with the statement that deleted their rows.
async fn record_deletes(db: &impl ConnectionTrait, files: &[String]) -> Result<(), DbErr> {
    if files.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    pending_delete::Entity::insert_many(files.iter().map(|file| pending_delete::ActiveModel {
        file: Set(file.clone()),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Files per pass, so one pass stays short.
const SWEEP_BATCH: u64 = 100;

/// One pass over `media_pending_delete`: deletes each file recorded at least `grace` ago (the
/// request that recorded it has had its chance), then its row; a file the storage still refuses keeps its row for the next pass. Returns how
/// many were deleted. Safe on several instances at once: deletes are idempotent.
pub async fn sweep_deletes(
    db: &DatabaseConnection,
    storage: &dyn MediaStorage,
    grace: Duration,
) -> Result<usize, DbErr> {
    let before = Utc::now() - chrono::Duration::from_std(grace).unwrap_or_default();
    let rows = pending_delete::Entity::find()
        .filter(pending_delete::Column::CreatedAt.lte(before))
        .order_by_asc(pending_delete::Column::Id)
        .limit(SWEEP_BATCH)
        .all(db)
        .await?;
    let mut done = Vec::with_capacity(rows.len());
    for row in rows {
        match storage.delete(&row.file).await {
            Ok(()) => done.push(row.id),
            Err(err) => {
                tracing::warn!(file = %row.file, %err, "cannot delete a media file; retried later")
            }
        }
    }
    if !done.is_empty() {
        pending_delete::Entity::delete_many()
            .filter(pending_delete::Column::Id.is_in(done.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(done.len())
}

/// Every image of the given owners (of one kind), each owner's in order, in one query: for
/// list and detail serializers. Owners without images are absent from the map.
pub async fn images_for(
    db: &impl ConnectionTrait,
    owner_kind: &str,
    owner_ids: &[i64],
) -> Result<HashMap<i64, Vec<ImageOut>>, DbErr> {
    let mut map: HashMap<i64, Vec<ImageOut>> = HashMap::new();
    if owner_ids.is_empty() {
        return Ok(map);
    }
    let rows = image::Entity::find()
        .filter(image::Column::OwnerType.eq(owner_kind))
        .filter(image::Column::OwnerId.is_in(owner_ids.iter().copied()))
        .order_by_asc(image::Column::OwnerId)
        .order_by_asc(image::Column::Position)
        .order_by_asc(image::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut variants = variants_for(db, &ids).await?;
    for row in &rows {
        let image = image_out(row, variants.remove(&row.id).unwrap_or_default());
        map.entry(row.owner_id).or_default().push(image);
    }
    Ok(map)
}

/// The renditions of the given images, each image's by width (WebP before the original's
/// format at one width), in one query.
async fn variants_for(
    db: &impl ConnectionTrait,
    image_ids: &[i64],
) -> Result<HashMap<i64, Vec<VariantOut>>, DbErr> {
    let mut map: HashMap<i64, Vec<VariantOut>> = HashMap::new();
    if image_ids.is_empty() {
        return Ok(map);
    }
    let rows = rendition::Entity::find()
        .filter(rendition::Column::ImageId.is_in(image_ids.iter().copied()))
        .order_by_asc(rendition::Column::ImageId)
        .order_by_asc(rendition::Column::Width)
        .order_by_desc(rendition::Column::Format)
        .all(db)
        .await?;
    for row in &rows {
        map.entry(row.image_id).or_default().push(variant_out(row));
    }
    Ok(map)
}
