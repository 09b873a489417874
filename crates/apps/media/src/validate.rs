//! What an upload is, decided from its bytes — never from the client's file name or content
//! type.
//!
//! The format comes from the magic bytes; the dimensions from [`imagesize`]; and the file must
//! be whole: its container is walked to its end marker (PNG chunks with their CRCs, JPEG
//! segments and scans, GIF blocks, WebP's RIFF chunks), so a truncated file, or a magic number
//! followed by anything, is refused. Pixels are not decoded — the same bar as Django's
//! `ImageField`, which opens the file and runs Pillow's `verify()`.

use container::is_whole;

/// Larger sides are refused: no page needs them, and decoding one could take gigabytes.
pub const MAX_SIDE: u32 = 10_000;

/// More pixels are refused as a decompression bomb (a few kilobytes of PNG can claim
/// 10000×10000): 50 megapixels still takes a 48 MP phone photo, and decodes in at most 200 MB
/// (four bytes a pixel), the bound the rendition task's decoder is held to.
pub const MAX_PIXELS: u64 = 50_000_000;

/// The image formats accepted, each with the extension and content type it is stored and
/// served with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageFormat {
    /// The format a stored name's extension stands for (what `/media/` serves it as).
    pub fn from_ext(ext: &str) -> Option<Self> {
        [Self::Png, Self::Jpeg, Self::Gif, Self::Webp]
            .into_iter()
            .find(|format| format.ext() == ext)
    }

    pub fn ext(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Gif => "gif",
            ImageFormat::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Webp => "image/webp",
        }
    }
}

/// An accepted image: what it is and its size in pixels (each side 1..=[`MAX_SIDE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidImage {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// Why an upload is refused; `Display` is the message the API reports on the field (DRF's
/// wording where DRF has one).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidImage {
    #[error("The submitted file is empty.")]
    Empty,
    #[error("Ensure this file is no larger than {max_bytes} bytes.")]
    TooLarge { max_bytes: usize },
    #[error(
        "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
    )]
    NotAnImage,
    #[error(
        "Ensure this image is no larger than {MAX_SIDE}×{MAX_SIDE} pixels (it is {width}×{height})."
    )]
    OversizedDimensions { width: usize, height: usize },
    #[error("Ensure this image has no more than {MAX_PIXELS} pixels (it is {width}×{height}).")]
    TooManyPixels { width: u32, height: u32 },
}

/// A whole PNG, JPEG, GIF or WebP of at most `max_bytes` whose sides are 1..=[`MAX_SIDE`]
/// with at most [`MAX_PIXELS`] pixels.
pub fn validate_image(bytes: &[u8], max_bytes: usize) -> Result<ValidImage, InvalidImage> {
    if bytes.is_empty() {
        return Err(InvalidImage::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(InvalidImage::TooLarge { max_bytes });
    }
    let format = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Png) => ImageFormat::Png,
        Ok(imagesize::ImageType::Jpeg) => ImageFormat::Jpeg,
        Ok(imagesize::ImageType::Gif) => ImageFormat::Gif,
        Ok(imagesize::ImageType::Webp) => ImageFormat::Webp,
        _ => return Err(InvalidImage::NotAnImage),
    };
    if !is_whole(format, bytes) {
        return Err(InvalidImage::NotAnImage);
    }
    let size = imagesize::blob_size(bytes).map_err(|_| InvalidImage::NotAnImage)?;
    if size.width == 0 || size.height == 0 {
        return Err(InvalidImage::NotAnImage);
    }
    let side = |n: usize| u32::try_from(n).ok().filter(|n| *n <= MAX_SIDE);
    match (side(size.width), side(size.height)) {
        (Some(width), Some(height)) if u64::from(width) * u64::from(height) > MAX_PIXELS => {
            Err(InvalidImage::TooManyPixels { width, height })
        }
        (Some(width), Some(height)) => Ok(ValidImage {
            format,
            width,
            height,
        }),
        _ => Err(InvalidImage::OversizedDimensions {
            width: size.width,
            height: size.height,
        }),
    }
}

/// Walks of each container to its end. Each returns `None` as soon as a length points past
/// the end of the bytes or a structure is not where the format puts it.
mod container {
    use super::ImageFormat;

    pub(super) fn is_whole(format: ImageFormat, bytes: &[u8]) -> bool {
        match format {
            ImageFormat::Png => png(bytes),
            ImageFormat::Jpeg => jpeg(bytes),
            ImageFormat::Gif => gif(bytes),
            ImageFormat::Webp => webp(bytes),
        }
        .is_some()
    }

    fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
        bytes.get(at..at.checked_add(N)?)?.try_into().ok()
    }

    fn be16(bytes: &[u8], at: usize) -> Option<usize> {
        array(bytes, at).map(|a| usize::from(u16::from_be_bytes(a)))
    }

    fn be32(bytes: &[u8], at: usize) -> Option<u32> {
        array(bytes, at).map(u32::from_be_bytes)
    }

    fn le32(bytes: &[u8], at: usize) -> Option<usize> {
        array(bytes, at).and_then(|a| usize::try_from(u32::from_le_bytes(a)).ok())
    }

    /// Chunks after the signature: IHDR first, at least one IDAT, every CRC right, and IEND
    /// as the last bytes.
    fn png(bytes: &[u8]) -> Option<()> {
        let mut pos = 8;
        let mut first = true;
        let mut has_data = false;
        loop {
            let length = usize::try_from(be32(bytes, pos)?).ok()?;
            let kind: [u8; 4] = array(bytes, pos + 4)?;
            let data_end = pos.checked_add(8)?.checked_add(length)?;
            let crc = be32(bytes, data_end)?;
            if crc32fast::hash(bytes.get(pos + 4..data_end)?) != crc {
                return None;
            }
            if first && (&kind != b"IHDR" || length != 13) {
                return None;
            }
            first = false;
            has_data |= &kind == b"IDAT";
            pos = data_end + 4;
            if &kind == b"IEND" {
                return (has_data && pos == bytes.len()).then_some(());
            }
        }
    }

    /// Marker segments up to a frame header and a scan, then the entropy-coded data (with the
    /// further tables and scans of a progressive JPEG) up to EOI. Bytes after EOI are allowed:
    /// phones append data there (motion photos), and decoders ignore it.
    fn jpeg(bytes: &[u8]) -> Option<()> {
        let mut pos = 2;
        let mut frame = false;
        // Before the first scan every segment starts right where the previous one ended.
        loop {
            if *bytes.get(pos)? != 0xFF {
                return None;
            }
            let marker = *bytes.get(pos + 1)?;
            match marker {
                // Fill byte before a marker.
                0xFF => pos += 1,
                // Standalone markers (TEM, RSTn) have no length.
                0x01 | 0xD0..=0xD7 => pos += 2,
                // A second SOI, or EOI before any image data.
                0x00 | 0xD8 | 0xD9 => return None,
                _ => {
                    let end = pos + 2 + segment_length(bytes, pos)?;
                    // SOFn; C4 (DHT), C8 (reserved) and CC (DAC) share the range.
                    frame |= matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
                    pos = end;
                    if marker == 0xDA {
                        if !frame {
                            return None;
                        }
                        break;
                    }
                }
            }
        }
        // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte), a restart marker, or
        // a marker segment between scans; EOI ends the image.
        loop {
            pos += bytes.get(pos..)?.iter().position(|b| *b == 0xFF)?;
            match *bytes.get(pos + 1)? {
                0x00 | 0xD0..=0xD7 => pos += 2,
                0xFF => pos += 1,
                0xD9 => return Some(()),
                0x01 | 0xD8 => return None,
                _ => pos += 2 + segment_length(bytes, pos)?,
            }
        }
    }

    /// The length of the marker segment at `pos` (after its two marker bytes), which counts
    /// its own two length bytes; the segment must fit in the file.
    fn segment_length(bytes: &[u8], pos: usize) -> Option<usize> {
        let length = be16(bytes, pos + 2).filter(|n| *n >= 2)?;
        (pos + 2 + length <= bytes.len()).then_some(length)
    }

    /// Header, logical screen descriptor and global color table, then extensions and images
    /// (each a descriptor, a local color table and LZW data in sub-blocks), then the trailer
    /// as the last byte. At least one image.
    fn gif(bytes: &[u8]) -> Option<()> {
        let mut pos = 13 + color_table_length(*bytes.get(10)?);
        let mut images = 0;
        loop {
            match *bytes.get(pos)? {
                0x21 => pos = sub_blocks(bytes, pos + 2)?,
                0x2C => {
                    pos += 10 + color_table_length(*bytes.get(pos + 9)?);
                    // The LZW minimum code size precedes the data.
                    pos = sub_blocks(bytes, pos + 1)?;
                    images += 1;
                }
                0x3B => return (images > 0 && pos + 1 == bytes.len()).then_some(()),
                _ => return None,
            }
        }
    }

    fn color_table_length(packed: u8) -> usize {
        if packed & 0x80 == 0 {
            0
        } else {
            3 << ((packed & 0x07) + 1)
        }
    }

    /// Skips sub-blocks (a length byte, then that many bytes) through the zero-length
    /// terminator; returns the position after it.
    fn sub_blocks(bytes: &[u8], mut pos: usize) -> Option<usize> {
        loop {
            let length = usize::from(*bytes.get(pos)?);
            pos += 1 + length;
            if length == 0 {
                return Some(pos);
            }
        }
    }

    /// The RIFF size covers the file exactly; chunks (padded to even sizes) tile it; the first
    /// is `VP8 `, `VP8L` or `VP8X`, and some chunk holds image data.
    fn webp(bytes: &[u8]) -> Option<()> {
        if le32(bytes, 4)?.checked_add(8)? != bytes.len() {
            return None;
        }
        let mut pos = 12;
        let mut has_data = false;
        while pos < bytes.len() {
            let kind: [u8; 4] = array(bytes, pos)?;
            if pos == 12 && !matches!(&kind, b"VP8 " | b"VP8L" | b"VP8X") {
                return None;
            }
            has_data |= matches!(&kind, b"VP8 " | b"VP8L" | b"ANMF");
            let size = le32(bytes, pos + 4)?;
            pos = pos.checked_add(8 + size + (size & 1))?;
        }
        (has_data && pos == bytes.len()).then_some(())
    }
}
