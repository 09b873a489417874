//! Adding, ordering and removing an owner's images. Files and rows never disagree for long:
//! a file is written before its row and removed if the row fails; rows are deleted before
//! their files.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use strata_api::{ApiError, MediaStorage};

use crate::models::image;
use crate::serializers::{ImageOut, image_out};
use crate::upload::Upload;

/// Whose images: `Owner { kind: "property", id: 42 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub kind: &'static str,
    pub id: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error("storage: {0}")]
    Storage(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

impl From<MediaError> for ApiError {
    fn from(err: MediaError) -> Self {
        match err {
            MediaError::Invalid(message) => ApiError::field("ids", message),
            MediaError::NotFound => ApiError::NotFound,
            other => ApiError::internal(other),
        }
    }
}

fn of_owner(owner: Owner) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(image::Column::OwnerType.eq(owner.kind))
        .add(image::Column::OwnerId.eq(owner.id))
}

async fn rows_of(db: &impl ConnectionTrait, owner: Owner) -> Result<Vec<image::Model>, DbErr> {
    image::Entity::find()
        .filter(of_owner(owner))
        .order_by_asc(image::Column::Position)
        .order_by_asc(image::Column::Id)
        .all(db)
        .await
}

/// Stores the file under an unguessable name, then appends its row to the owner's order.
pub async fn add_image(
    db: &impl ConnectionTrait,
    storage: &dyn MediaStorage,
    owner: Owner,
    upload: Upload,
) -> Result<ImageOut, MediaError> {
    let name = format!(
        "images/{}/{:016x}{:016x}.{}",
        owner.kind,
        rand::random::<u64>(),
        rand::random::<u64>(),
        upload.image.ext
    );
    storage.save(&name, &upload.bytes).await?;
    let inserted = async {
        let last: Option<i32> = image::Entity::find()
            .select_only()
            .column_as(image::Column::Position.max(), "max")
            .filter(of_owner(owner))
            .into_tuple::<Option<i32>>()
            .one(db)
            .await?
            .flatten();
        image::ActiveModel {
            owner_type: Set(owner.kind.to_owned()),
            owner_id: Set(owner.id),
            position: Set(last.map_or(0, |p| p + 1)),
            file: Set(name.clone()),
            content_type: Set(upload.image.content_type.to_owned()),
            width: Set(upload.image.width as i32),
            height: Set(upload.image.height as i32),
            size_bytes: Set(upload.bytes.len() as i64),
            alt: Set(upload.alt),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await
    }
    .await;
    match inserted {
        Ok(row) => Ok(image_out(&row)),
        Err(err) => {
            if let Err(cleanup) = storage.delete(&name).await {
                tracing::warn!(%name, %cleanup, "orphan media file after a failed insert");
            }
            Err(err.into())
        }
    }
}

/// Sets the order: `ids` must be exactly the owner's images. One transaction.
pub async fn reorder<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    owner: Owner,
    ids: &[i64],
) -> Result<Vec<ImageOut>, MediaError> {
    let txn = db.begin().await?;
    let rows = rows_of(&txn, owner).await?;
    let mut current: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut wanted = ids.to_vec();
    current.sort_unstable();
    wanted.sort_unstable();
    if current != wanted {
        return Err(MediaError::Invalid(
            "List every image of this owner exactly once.".into(),
        ));
    }
    for (position, id) in ids.iter().enumerate() {
        image::Entity::update_many()
            .col_expr(
                image::Column::Position,
                sea_orm::sea_query::Expr::value(position as i32),
            )
            .filter(image::Column::Id.eq(*id))
            .exec(&txn)
            .await?;
    }
    let rows = rows_of(&txn, owner).await?;
    txn.commit().await?;
    Ok(rows.iter().map(image_out).collect())
}

/// Deletes one image of the owner (another owner's id is not found): row, then file.
pub async fn delete_image(
    db: &impl ConnectionTrait,
    storage: &dyn MediaStorage,
    owner: Owner,
    image_id: i64,
) -> Result<(), MediaError> {
    let row = image::Entity::find_by_id(image_id)
        .filter(of_owner(owner))
        .one(db)
        .await?
        .ok_or(MediaError::NotFound)?;
    image::Entity::delete_by_id(row.id).exec(db).await?;
    delete_files(storage, &[row.file]).await;
    Ok(())
}

/// Deletes the owner's image rows (inside the owner's own delete transaction) and returns
/// the files to remove with [`delete_files`] once that transaction has committed.
pub async fn delete_rows_for(
    db: &impl ConnectionTrait,
    owner: Owner,
) -> Result<Vec<String>, DbErr> {
    let files = rows_of(db, owner)
        .await?
        .into_iter()
        .map(|r| r.file)
        .collect();
    image::Entity::delete_many()
        .filter(of_owner(owner))
        .exec(db)
        .await?;
    Ok(files)
}

/// Removes files whose rows are gone; a failure leaves an orphan file (logged), never a row
/// pointing at nothing.
pub async fn delete_files(storage: &dyn MediaStorage, files: &[String]) {
    for name in files {
        if let Err(err) = storage.delete(name).await {
            tracing::warn!(%name, %err, "cannot delete media file");
        }
    }
}

/// Every image of the given owners, in order, in one query (for batch serializers).
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
        .order_by_asc(image::Column::Position)
        .order_by_asc(image::Column::Id)
        .all(db)
        .await?;
    for row in &rows {
        map.entry(row.owner_id).or_default().push(image_out(row));
    }
    Ok(map)
}
