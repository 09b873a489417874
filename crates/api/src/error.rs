//! The one mapping from failures to HTTP, in Django REST framework's shapes.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use strata_db::sea_orm::DbErr;

/// Field name → messages, as DRF reports validation errors: `{"price": ["A valid number is
/// required."]}`. Errors that belong to no field go under `non_field_errors`.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub const NON_FIELD: &'static str = "non_field_errors";

    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// Both sets of errors, messages of one field kept in order.
    pub fn merge(mut self, other: FieldErrors) -> Self {
        for (field, messages) in other.0 {
            self.0.entry(field).or_default().extend(messages);
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// Each field with its messages, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0
            .iter()
            .map(|(field, messages)| (field.as_str(), messages.as_slice()))
    }

    /// `Ok(value)` when nothing was reported, else the errors as a 400.
    pub fn check<T>(self, value: T) -> Result<T, ApiError> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Invalid(self))
        }
    }
}

/// The body of every error but validation: `{"detail": "Not found."}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Detail {
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Not found.")]
    NotFound,
    /// A 404 with DRF's wording for a page number past the end.
    #[error("Invalid page.")]
    InvalidPage,
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    /// Malformed JSON or multipart: `{"detail": "JSON parse error - …"}`.
    #[error("{0}")]
    Parse(String),
    #[error("Authentication credentials were not provided.")]
    NotAuthenticated,
    #[error("{0}")]
    AuthenticationFailed(&'static str),
    #[error("You do not have permission to perform this action.")]
    PermissionDenied,
    #[error("CSRF Failed: {0}")]
    CsrfFailed(&'static str),
    #[error("Request body is too large.")]
    PayloadTooLarge,
    #[error("Unsupported media type \"{0}\" in request.")]
    UnsupportedMediaType(String),
    #[error("Request was throttled.")]
    Throttled,
    /// Anything else: logged with its cause, answered as an opaque 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(FieldErrors::single(field, message))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound | ApiError::InvalidPage => StatusCode::NOT_FOUND,
            ApiError::Invalid(_) | ApiError::Parse(_) => StatusCode::BAD_REQUEST,
            ApiError::NotAuthenticated | ApiError::AuthenticationFailed(_) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::PermissionDenied | ApiError::CsrfFailed(_) => StatusCode::FORBIDDEN,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Throttled => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        ApiError::Internal(format!("database: {err}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Invalid(errors) => json!(errors),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                json!({"detail": "A server error occurred."})
            }
            other => json!({"detail": other.to_string()}),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            // DRF sends the scheme of the first authenticator that has one (Token).
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        response
    }
}
