//! The local directory storage: atomic writes, names that cannot leave the root, idempotent
//! deletes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::ErrorKind;

use common::TempDir;
use strata_api::MediaStorage;
use strata_media::LocalDirStorage;

#[tokio::test]
async fn save_creates_directories_and_writes_the_whole_file() {
    let dir = TempDir::new("save");
    let storage = LocalDirStorage::new(dir.path().join("media"));
    storage
        .save("images/property/abc.png", b"first version")
        .await
        .unwrap();
    storage
        .save("images/property/abc.png", b"second")
        .await
        .unwrap();
    let path = dir.path().join("media/images/property/abc.png");
    assert_eq!(std::fs::read(path).unwrap(), b"second");
    // No temporary file is left beside it.
    assert_eq!(dir.files(), ["media/images/property/abc.png"]);
}

#[tokio::test]
async fn a_failed_save_leaves_no_temporary_file() {
    let dir = TempDir::new("save-fails");
    let storage = LocalDirStorage::new(dir.path());
    // A directory where the file should go: the final rename fails.
    std::fs::create_dir_all(dir.path().join("images/x.png/inside")).unwrap();
    std::fs::write(dir.path().join("images/x.png/inside/keep"), b"k").unwrap();
    assert!(storage.save("images/x.png", b"data").await.is_err());
    assert_eq!(dir.files(), ["images/x.png/inside/keep"]);
}

#[tokio::test]
async fn names_that_could_leave_the_root_are_refused() {
    let dir = TempDir::new("traversal");
    let root = dir.path().join("media");
    let storage = LocalDirStorage::new(&root);
    let outside = dir.path().join("escaped");
    let absolute = outside.display().to_string();
    let refused = [
        "",
        "../escaped",
        "images/../../escaped",
        "..",
        "/etc/passwd",
        absolute.as_str(),
        "images\\..\\..\\escaped",
        "images//x.png",
        "images/./x.png",
        "images/",
        ".hidden",
        "images/.x.png.0123.tmp",
        "images/x\0.png",
    ];
    for name in refused {
        let err = storage.save(name, b"data").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name:?}");
        let err = storage.delete(name).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name:?}");
    }
    assert!(!outside.exists());
    assert!(dir.files().is_empty(), "{:?}", dir.files());
}

#[tokio::test]
async fn delete_removes_the_file_and_a_missing_file_is_fine() {
    let dir = TempDir::new("delete");
    let storage = LocalDirStorage::new(dir.path());
    storage.save("images/post/a.gif", b"GIF").await.unwrap();
    storage.delete("images/post/a.gif").await.unwrap();
    assert!(dir.files().is_empty());
    storage.delete("images/post/a.gif").await.unwrap();
    storage.delete("never/there.png").await.unwrap();
}

#[test]
fn the_default_root_is_media_in_the_working_directory() {
    assert!(format!("{:?}", LocalDirStorage::default()).contains("\"./media\""));
}
