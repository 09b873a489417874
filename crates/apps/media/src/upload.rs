//! Reading an image upload from a multipart form, bounded in size while it streams.

use axum::extract::Multipart;
use strata_api::{ApiError, FieldErrors};

use crate::validate::{ValidImage, validate_image};

/// A validated upload: the bytes, what they are, and the alternative text.
#[derive(Debug)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub image: ValidImage,
    pub alt: String,
}

fn parse_error(err: impl std::fmt::Display) -> ApiError {
    ApiError::Parse(format!("Multipart form parse error - {err}"))
}

/// Parts: `file` (required) and `alt` (≤ 200 characters). Reading stops as soon as the file
/// passes `max_bytes`.
pub async fn read_image_upload(mut form: Multipart, max_bytes: usize) -> Result<Upload, ApiError> {
    let mut file: Option<Vec<u8>> = None;
    let mut alt = String::new();
    let mut errors = FieldErrors::new();
    while let Some(mut field) = form.next_field().await.map_err(parse_error)? {
        match field.name() {
            Some("file") => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(parse_error)? {
                    if bytes.len() + chunk.len() > max_bytes {
                        return Err(ApiError::field(
                            "file",
                            format!("Ensure this file is no larger than {max_bytes} bytes."),
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(bytes);
            }
            Some("alt") => {
                alt = field.text().await.map_err(parse_error)?.trim().to_owned();
                if alt.chars().count() > 200 {
                    errors.add("alt", "Ensure this field has no more than 200 characters.");
                }
            }
            _ => {}
        }
    }
    let Some(bytes) = file else {
        errors.add("file", "No file was submitted.");
        return Err(ApiError::Invalid(errors));
    };
    match validate_image(&bytes, max_bytes) {
        Ok(image) => errors.check(Upload { bytes, image, alt }),
        Err(message) => {
            errors.add("file", message);
            Err(ApiError::Invalid(errors))
        }
    }
}
