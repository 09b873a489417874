//! Shared by the media tests: real image bytes built here, temporary directories, and
//! databases (SQLite always; PostgreSQL when reachable, required under `CI=true`).

// Each test binary uses part of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use sea_orm_migration::{MigrationTrait, MigratorTrait};
pub use strata_db::testing::{self, TestDb, unique};

/// A decodable grayscale PNG of any size: IHDR, one IDAT holding a zlib stream of stored
/// (uncompressed) deflate blocks, IEND — every CRC computed.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let row = 1 + width as usize; // filter byte, then one byte per pixel
    let raw = vec![0u8; row * height as usize];
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(0xFFFF).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grayscale, deflate, no interlace

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", &ihdr[..]),
        (b"IDAT", &zlib[..]),
        (b"IEND", &[][..]),
    ] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32fast::hash(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    png
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A decodable baseline grayscale JPEG of any size, all mid-gray: each 8×8 block is a zero
/// DC difference and an end-of-block, with one-code Huffman tables that make both a `0` bit.
pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    // Quantization table 0: all ones.
    jpeg.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
    jpeg.extend_from_slice(&[1; 64]);
    // Frame: 8-bit, height, width, one component (id 1, 1×1 sampling, table 0).
    jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    jpeg.extend_from_slice(&height.to_be_bytes());
    jpeg.extend_from_slice(&width.to_be_bytes());
    jpeg.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
    // Huffman tables DC 0 and AC 0: one code of length 1, for symbol 0 (DC: no difference;
    // AC: end of block).
    for class in [0x00, 0x10] {
        jpeg.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x14, class, 1]);
        jpeg.extend_from_slice(&[0; 15]);
        jpeg.push(0x00);
    }
    // Scan: component 1 with tables 0/0, full spectrum.
    jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    let blocks = usize::from(width).div_ceil(8) * usize::from(height).div_ceil(8);
    let bits = 2 * blocks;
    jpeg.extend(std::iter::repeat_n(0x00, bits / 8));
    if bits % 8 != 0 {
        // The last byte is padded with 1 bits.
        jpeg.push(0xFF >> (bits % 8));
    }
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}

/// A 1×1 GIF89a: two-color global table, a graphic control extension, one image.
pub const GIF_1X1: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
    0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
];

/// A 1×1 lossless WebP: RIFF header and one `VP8L` chunk (odd size, so one pad byte).
pub const WEBP_1X1: &[u8] = &[
    0x52, 0x49, 0x46, 0x46, 0x1A, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4C,
    0x0D, 0x00, 0x00, 0x00, 0x2F, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xFE,
    0x07, 0x00,
];

/// A new directory under the system's temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(unique(&format!("strata-media-{name}")));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Every file below the directory, as paths relative to it, sorted.
    pub fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &self.0, &mut out);
        out.sort();
        out
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// This crate's migrations alone, as the binary's migrator runs them.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        strata_media::migrations()
    }
}

/// A SQLite database, migrated when `migrated`.
pub async fn sqlite(migrated: bool) -> TestDb {
    let test = testing::sqlite("strata-media").await;
    if migrated {
        Migrator::up(&test.db, None).await.unwrap();
    }
    test
}

/// A fresh migrated PostgreSQL database; `None` when PostgreSQL is not reachable outside CI.
pub async fn postgres(test: &str) -> Option<TestDb> {
    let db = testing::postgres("strata_media_t", test).await?;
    Migrator::up(&db.db, None).await.unwrap();
    Some(db)
}

/// SQLite, then PostgreSQL when it is there.
pub async fn backends(test: &str) -> Vec<TestDb> {
    let mut dbs = vec![sqlite(true).await];
    dbs.extend(postgres(test).await);
    dbs
}
