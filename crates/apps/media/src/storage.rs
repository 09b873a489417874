//! Media files in a local directory (the default), which the binary serves at
//! [`crate::MEDIA_URL`]; [`crate::s3`] keeps them in S3-compatible object storage instead.

use std::io::{Error, ErrorKind};
use std::path::PathBuf;

use async_trait::async_trait;
use axum::body::Body;
use strata_api::{MediaFile, MediaStorage};
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

/// The directory used when none is configured (brief §4: media go to `./media`).
pub const DEFAULT_ROOT: &str = "./media";

/// Files under `root`: the stored name `images/property/ab….png` is the file
/// `<root>/images/property/ab….png` and the URL `/media/images/property/ab….png`.
#[derive(Clone, Debug)]
pub struct LocalDirStorage {
    root: PathBuf,
}

impl LocalDirStorage {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalDirStorage { root: root.into() }
    }

    /// The file a name stands for, or an `InvalidInput` error (see [`check_name`]).
    fn path(&self, name: &str) -> std::io::Result<PathBuf> {
        Ok(self.root.join(check_name(name)?))
    }
}

/// `name` if it is a storage name, else an `InvalidInput` error for a name that could leave the
/// root or collide with a temporary file: names are `/`-separated plain segments — no empty,
/// `.` or `..` segment, no leading `/`, no backslash, no NUL, no segment starting with `.`
/// (temporary files and dotfiles). Every backend applies it, so a name means the same file on
/// each.
pub fn check_name(name: &str) -> std::io::Result<&str> {
    let plain = |segment: &str| {
        !segment.is_empty() && !segment.starts_with('.') && !segment.contains(['\\', '\0'])
    };
    if name.split('/').all(plain) {
        Ok(name)
    } else {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!("refused media name {name:?}"),
        ))
    }
}

impl Default for LocalDirStorage {
    fn default() -> Self {
        LocalDirStorage::new(DEFAULT_ROOT)
    }
}

#[async_trait]
impl MediaStorage for LocalDirStorage {
    /// Writes to a temporary file beside the target, syncs it, then renames it over the
    /// target: a reader (or `ServeDir`) sees the whole file or none, even after a crash. The
    /// temporary file is removed when any step fails.
    async fn save(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(name)?;
        let (Some(dir), Some(file_name)) = (path.parent(), path.file_name()) else {
            return Err(Error::new(ErrorKind::InvalidInput, "empty media name"));
        };
        tokio::fs::create_dir_all(dir).await?;
        let tmp = dir.join(format!(
            ".{}.{:016x}.tmp",
            file_name.to_string_lossy(),
            rand::random::<u64>()
        ));
        let written = async {
            let mut file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .await?;
            file.write_all(bytes).await?;
            file.flush().await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if written.is_err()
            && let Err(err) = tokio::fs::remove_file(&tmp).await
            && err.kind() != ErrorKind::NotFound
        {
            tracing::warn!(tmp = %tmp.display(), %err, "cannot remove a temporary media file");
        }
        written
    }

    /// Deleting a file that is already gone succeeds: the caller wants it gone.
    async fn delete(&self, name: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(name)?).await {
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    async fn open(&self, name: &str) -> std::io::Result<Option<MediaFile>> {
        let file = match tokio::fs::File::open(self.path(name)?).await {
            Ok(file) => file,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        let meta = file.metadata().await?;
        // A directory opens on Linux; it is no stored file.
        if !meta.is_file() {
            return Ok(None);
        }
        Ok(Some(MediaFile {
            len: meta.len(),
            body: Body::from_stream(ReaderStream::new(file)),
        }))
    }
}
