//! Reading an image upload from a `multipart/form-data` body, bounded while it streams.

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use strata_api::{ApiError, FieldErrors};

use crate::strip::strip_metadata;
use crate::validate::{InvalidImage, ValidImage, validate_image};

/// The longest alternative text, in characters.
pub const ALT_MAX_CHARS: usize = 200;

/// What the parts other than the file (`alt`, unknown parts) may add up to: ample for a short
/// text, small enough that nobody makes the server buffer much beside the file.
const OTHER_PARTS_MAX_BYTES: usize = 64 * 1024;

/// A `multipart/form-data` body (with its boundary). Any other content type is DRF's 415
/// naming it: `Unsupported media type "application/json" in request.`
pub struct ImageForm(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for ImageForm {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        // Multipart's only rejection is a content type without a multipart boundary.
        Multipart::from_request(req, state)
            .await
            .map(ImageForm)
            .map_err(|_| ApiError::UnsupportedMediaType(content_type))
    }
}

/// A validated upload: the bytes, what they are, and the alternative text (trimmed).
#[derive(Debug)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub image: ValidImage,
    pub alt: String,
}

/// Reads the form's `file` part (required: the image) and `alt` part (optional, at most
/// [`ALT_MAX_CHARS`] characters), as DRF's `ImageField` and `CharField` would, and validates
/// the image from its bytes ([`validate_image`]).
///
/// Reading stops as soon as the file passes `max_bytes` (a 400 on `file`: "Ensure this file is
/// no larger than N bytes.") or the other parts pass 64 KiB (a 413). The multipart parser
/// underneath buffers whatever part of the body is already available when asked for more, so
/// the hard memory bound per request is the body limit around the route (a 413 when passed),
/// which should be a little over `max_bytes`. Other errors: no file → `{"file": ["No file was submitted."]}`; a `file` part that is
/// a plain field rather than a file → DRF's "The submitted data was not a file…"; a malformed
/// body → `{"detail": "Multipart form parse error - …"}`.
pub async fn read_image_upload(mut form: Multipart, max_bytes: usize) -> Result<Upload, ApiError> {
    let mut file: Option<Vec<u8>> = None;
    let mut plain_file_field = false;
    let mut alt = String::new();
    let mut errors = FieldErrors::new();
    let mut other_left = OTHER_PARTS_MAX_BYTES;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().map(str::to_owned);
        let file_name = field.file_name().map(str::to_owned);
        match (name.as_deref(), file_name.as_deref()) {
            // Django skips a file part without a file name (a form submitted with no file
            // chosen); a repeated `file` part replaces the earlier one, as in Django.
            (Some("file"), Some(file_name)) if !file_name.is_empty() => {
                // The earlier file's memory goes before the next one is read.
                file.take();
                match read_limited(&mut field, max_bytes).await? {
                    Some(bytes) => file = Some(bytes),
                    None => {
                        errors.add("file", InvalidImage::TooLarge { max_bytes }.to_string());
                        return Err(ApiError::Invalid(errors));
                    }
                }
            }
            (Some(name), file_name) => {
                let bytes = read_other(&mut field, &mut other_left).await?;
                match (name, file_name) {
                    ("file", None) => plain_file_field = true,
                    ("alt", None) => match alt_text(bytes) {
                        Ok(text) => alt = text,
                        Err(message) => errors.add("alt", message),
                    },
                    _ => {}
                }
            }
            (None, _) => {
                read_other(&mut field, &mut other_left).await?;
            }
        }
    }
    let bytes = match file {
        Some(bytes) => bytes,
        None if plain_file_field => {
            errors.add(
                "file",
                "The submitted data was not a file. Check the encoding type on the form.",
            );
            return Err(ApiError::Invalid(errors));
        }
        None => {
            errors.add("file", "No file was submitted.");
            return Err(ApiError::Invalid(errors));
        }
    };
    // What is stored is the image without its metadata (GPS position, camera, comments) and
    // without bytes after its end: `/media/` serves originals to anyone.
    match validate_image(&bytes, max_bytes)
        .and_then(|image| Ok((strip_metadata(image.format, bytes)?, image)))
    {
        Ok((bytes, image)) => errors.check(Upload { bytes, image, alt }),
        Err(invalid) => {
            errors.add("file", invalid.to_string());
            Err(ApiError::Invalid(errors))
        }
    }
}

/// The part's bytes, or `None` as soon as they would pass `limit` (the rest is not read).
async fn read_limited(field: &mut Field<'_>, limit: usize) -> Result<Option<Vec<u8>>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if chunk.len() > limit - bytes.len() {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// A part other than the file, charged to the shared allowance: past it, a 413.
async fn read_other(field: &mut Field<'_>, left: &mut usize) -> Result<Vec<u8>, ApiError> {
    let bytes = read_limited(field, *left)
        .await?
        .ok_or(ApiError::PayloadTooLarge)?;
    *left -= bytes.len();
    Ok(bytes)
}

/// DRF `CharField(max_length=200, allow_blank=True)`: trimmed, no NUL (PostgreSQL cannot store
/// it), at most 200 characters.
fn alt_text(bytes: Vec<u8>) -> Result<String, String> {
    let text = String::from_utf8(bytes).map_err(|_| "Not a valid string.".to_owned())?;
    if text.contains('\0') {
        return Err("Null characters are not allowed.".to_owned());
    }
    let text = text.trim();
    if text.chars().count() > ALT_MAX_CHARS {
        return Err(format!(
            "Ensure this field has no more than {ALT_MAX_CHARS} characters."
        ));
    }
    Ok(text.to_owned())
}

/// A body over the server's limit is a 413; anything else malformed is DRF's parse error.
fn multipart_error(err: MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::Parse(format!("Multipart form parse error - {}", err.body_text()))
    }
}
