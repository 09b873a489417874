//! What an upload is, decided from its bytes — never from the client's file name or type.

/// Larger sides are refused: decoding them would cost more memory than any page needs.
pub const MAX_SIDE: usize = 10_000;

pub const NOT_AN_IMAGE: &str =
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidImage {
    pub ext: &'static str,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// A PNG, JPEG, GIF or WebP whose header gives sane dimensions; else DRF's message.
pub fn validate_image(bytes: &[u8], max_bytes: usize) -> Result<ValidImage, String> {
    if bytes.is_empty() {
        return Err("The submitted file is empty.".into());
    }
    if bytes.len() > max_bytes {
        return Err(format!(
            "Ensure this file is no larger than {max_bytes} bytes."
        ));
    }
    let (ext, content_type) = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Png) => ("png", "image/png"),
        Ok(imagesize::ImageType::Jpeg) => ("jpg", "image/jpeg"),
        Ok(imagesize::ImageType::Gif) => ("gif", "image/gif"),
        Ok(imagesize::ImageType::Webp) => ("webp", "image/webp"),
        _ => return Err(NOT_AN_IMAGE.into()),
    };
    if !complete(ext, bytes) {
        return Err(NOT_AN_IMAGE.into());
    }
    let size = imagesize::blob_size(bytes).map_err(|_| NOT_AN_IMAGE.to_owned())?;
    if size.width == 0 || size.height == 0 || size.width > MAX_SIDE || size.height > MAX_SIDE {
        return Err(format!(
            "Image dimensions must be between 1 and {MAX_SIDE} pixels a side."
        ));
    }
    Ok(ValidImage {
        ext,
        content_type,
        width: size.width as u32,
        height: size.height as u32,
    })
}

/// The format's end marker is where it must be: a truncated or forged file (a magic number
/// followed by anything) is refused without decoding it.
fn complete(ext: &str, bytes: &[u8]) -> bool {
    match ext {
        "png" => bytes.ends_with(&[0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]),
        "jpg" => bytes.ends_with(&[0xFF, 0xD9]),
        "gif" => bytes.ends_with(&[0x3B]),
        "webp" => bytes
            .get(4..8)
            .and_then(|n| n.try_into().ok())
            .map(u32::from_le_bytes)
            .is_some_and(|n| n as usize + 8 == bytes.len()),
        _ => false,
    }
}
