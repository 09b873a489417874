//! Metadata out of the stored original: a phone's JPEG carries EXIF (the GPS position where
//! it was taken, the camera's serial number), XMP and comments, and bytes after its end
//! (motion photos), all of which `/media/` would serve to anyone. The file is rewritten
//! without them, losslessly — segments and chunks are dropped, pixels are never re-encoded —
//! keeping what displaying it needs: the colour profile (ICC), JFIF and Adobe segments, and
//! the EXIF orientation, written back as a minimal EXIF block holding only that tag.
//!
//! - JPEG: APP1 (EXIF, XMP), APP2 other than ICC profiles, APP3–APP13 and APP15, COM, and
//!   everything after EOI are dropped.
//! - PNG: `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks are dropped (an orientation is kept
//!   in a minimal `eXIf`).
//! - WebP: `EXIF` and `XMP ` chunks are dropped and the `VP8X` flags say so.
//! - GIF has no EXIF; it is stored as uploaded.
//!
//! Called on bytes [`crate::validate::validate_image`] accepted, whose containers were walked
//! to their end already; anything unexpected is still refused rather than stored unstripped.

use crate::validate::{ImageFormat, InvalidImage};

/// `bytes` without their metadata (see the module).
pub fn strip_metadata(format: ImageFormat, bytes: Vec<u8>) -> Result<Vec<u8>, InvalidImage> {
    match format {
        ImageFormat::Jpeg => jpeg(&bytes),
        ImageFormat::Png => png(&bytes),
        ImageFormat::Webp => webp(&bytes),
        ImageFormat::Gif => Some(bytes),
    }
    .ok_or(InvalidImage::NotAnImage)
}

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    let pair: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(usize::from(u16::from_be_bytes(pair)))
}

fn be32(bytes: &[u8], at: usize) -> Option<usize> {
    let four: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(four)).ok()
}

fn le32(bytes: &[u8], at: usize) -> Option<usize> {
    let four: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(four)).ok()
}

/// The EXIF orientation (2–8) in a TIFF structure (EXIF's payload), if it says anything but
/// the default 1.
fn orientation(tiff: &[u8]) -> Option<u16> {
    let big = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let pair: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        })
    };
    let u32_at = |at: usize| -> Option<usize> {
        let four: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        usize::try_from(if big {
            u32::from_be_bytes(four)
        } else {
            u32::from_le_bytes(four)
        })
        .ok()
    };
    let ifd = u32_at(4)?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries).find_map(|n| {
        let entry = ifd.checked_add(2)?.checked_add(n.checked_mul(12)?)?;
        // Tag 0x0112, type SHORT, one value (in the first two bytes of the value field).
        (u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|value| (2..=8).contains(value))
    })
}

/// A TIFF structure holding only the orientation tag (big-endian).
fn orientation_tiff(value: u16) -> Vec<u8> {
    let mut tiff = b"MM\0*\0\0\0\x08\0\x01".to_vec();
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    tiff.extend_from_slice(&value.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    tiff
}

/// The segments up to the first scan, filtered; then the scans as they are, through EOI.
fn jpeg(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut kept: Vec<&[u8]> = Vec::new();
    let mut rotation = None;
    let mut pos = 2;
    loop {
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(pos + 1)?;
        match marker {
            0xFF => pos += 1,
            0x01 | 0xD0..=0xD7 => pos += 2,
            0x00 | 0xD8 | 0xD9 => return None,
            _ => {
                let end = pos.checked_add(2)?.checked_add(be16(bytes, pos + 2)?)?;
                let segment = bytes.get(pos..end)?;
                let data = segment.get(4..)?;
                match marker {
                    0xE1 => {
                        if let Some(tiff) = data.strip_prefix(b"Exif\0\0") {
                            rotation = rotation.or_else(|| orientation(tiff));
                        }
                    }
                    0xE2 if data.starts_with(b"ICC_PROFILE\0") => kept.push(segment),
                    0xE0 if data.starts_with(b"JFIF\0") => kept.push(segment),
                    0xEE => kept.push(segment),
                    0xE0..=0xEF | 0xFE => {}
                    _ => kept.push(segment),
                }
                pos = end;
                if marker == 0xDA {
                    break;
                }
            }
        }
    }
    let scans_start = pos;
    // Entropy-coded data through EOI, as the validator walks it; nothing after EOI is kept.
    loop {
        pos += bytes.get(pos..)?.iter().position(|b| *b == 0xFF)?;
        match *bytes.get(pos + 1)? {
            0x00 | 0xD0..=0xD7 => pos += 2,
            0xFF => pos += 1,
            0xD9 => break,
            0x01 | 0xD8 => return None,
            _ => pos += 2 + be16(bytes, pos + 2)?,
        }
    }
    let scans = bytes.get(scans_start..pos + 2)?;

    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    // JFIF wants its APP0 first; the orientation's EXIF block comes right after it.
    let jfif_first = kept.first().is_some_and(|s| s.get(1) == Some(&0xE0));
    let mut segments = kept.into_iter();
    if jfif_first {
        out.extend_from_slice(segments.next()?);
    }
    if let Some(value) = rotation {
        let mut data = b"Exif\0\0".to_vec();
        data.extend_from_slice(&orientation_tiff(value));
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&u16::try_from(data.len() + 2).ok()?.to_be_bytes());
        out.extend_from_slice(&data);
    }
    for segment in segments {
        out.extend_from_slice(segment);
    }
    out.extend_from_slice(scans);
    Some(out)
}

/// PNG chunks without the metadata ones; an orientation goes back as a minimal `eXIf` right
/// after `IHDR` (it must precede the image data).
fn png(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = bytes.get(..8)?.to_vec();
    let mut pos = 8;
    let mut rotation = None;
    let mut chunks: Vec<&[u8]> = Vec::new();
    while pos < bytes.len() {
        let length = be32(bytes, pos)?;
        let end = pos.checked_add(12)?.checked_add(length)?;
        let chunk = bytes.get(pos..end)?;
        let kind = chunk.get(4..8)?;
        match kind {
            b"eXIf" => rotation = rotation.or_else(|| orientation(chunk.get(8..8 + length)?)),
            b"tEXt" | b"zTXt" | b"iTXt" | b"tIME" => {}
            _ => chunks.push(chunk),
        }
        pos = end;
    }
    let mut chunks = chunks.into_iter();
    out.extend_from_slice(chunks.next()?); // IHDR
    if let Some(value) = rotation {
        let data = orientation_tiff(value);
        out.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
        let start = out.len();
        out.extend_from_slice(b"eXIf");
        out.extend_from_slice(&data);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    for chunk in chunks {
        out.extend_from_slice(chunk);
    }
    Some(out)
}

/// RIFF chunks without `EXIF` and `XMP `; the `VP8X` flags drop their bits, the RIFF size is
/// recomputed.
fn webp(bytes: &[u8]) -> Option<Vec<u8>> {
    const EXIF_FLAG: u8 = 0x08;
    const XMP_FLAG: u8 = 0x04;
    let mut out = bytes.get(..12)?.to_vec();
    let mut pos = 12;
    while pos < bytes.len() {
        let kind = bytes.get(pos..pos + 4)?;
        let size = le32(bytes, pos + 4)?;
        let end = pos.checked_add(8 + size + (size & 1))?;
        let chunk = bytes.get(pos..end)?;
        match kind {
            b"EXIF" | b"XMP " => {}
            b"VP8X" => {
                let flags_at = out.len() + 8;
                out.extend_from_slice(chunk);
                *out.get_mut(flags_at)? &= !(EXIF_FLAG | XMP_FLAG);
            }
            _ => out.extend_from_slice(chunk),
        }
        pos = end;
    }
    let riff_size = u32::try_from(out.len() - 8).ok()?;
    out.get_mut(4..8)?.copy_from_slice(&riff_size.to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_is_read_in_both_byte_orders() {
        assert_eq!(orientation(&orientation_tiff(6)), Some(6));
        let little = [
            b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0,
            0,
        ];
        assert_eq!(orientation(&little), Some(8));
        assert_eq!(
            orientation(&orientation_tiff(1)),
            None,
            "the default is not kept"
        );
        assert_eq!(orientation(b"MM\0*\xff\xff\xff\xff"), None);
        assert_eq!(orientation(b""), None);
    }
}
