//! Media files in a local directory.

use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;
use strata_api::MediaStorage;

/// Files under `root`, which the server exposes at [`crate::MEDIA_URL`].
pub struct LocalDirStorage {
    root: PathBuf,
}

impl LocalDirStorage {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalDirStorage { root: root.into() }
    }

    /// Names are relative paths of plain segments: no `..`, no root, no backslash.
    fn path(&self, name: &str) -> std::io::Result<PathBuf> {
        let relative = Path::new(name);
        let plain = !name.is_empty()
            && !name.contains('\\')
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if plain {
            Ok(self.root.join(relative))
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("refused media name {name:?}"),
            ))
        }
    }
}

#[async_trait]
impl MediaStorage for LocalDirStorage {
    /// Written to a temporary file and renamed, so a reader never sees half a file.
    async fn save(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(name)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension(format!("tmp{:08x}", rand::random::<u32>()));
        tokio::fs::write(&tmp, bytes).await?;
        if let Err(err) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(err);
        }
        Ok(())
    }

    async fn delete(&self, name: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(name)?).await {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
