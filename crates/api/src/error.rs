//! The one mapping from failures to HTTP, in Django REST framework's shapes.

use std::collections::BTreeMap;
use std::time::Duration;

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

/// What a `412` carries: the current representation and its version.
#[derive(Debug)]
pub struct Stale {
    pub body: serde_json::Value,
    pub version: i64,
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
    /// A 409: the write would break what other rows rely on (a term still in use, which
    /// Django's `on_delete=PROTECT` refuses); the message says how many and what to do.
    #[error("{0}")]
    Conflict(String),
    /// A 412: `If-Match` named a version the row no longer has; the body is the row as it is
    /// now (see [`crate::admin::version`]), so the client can show what changed.
    #[error("Precondition failed: the object was changed since it was read.")]
    PreconditionFailed(Box<Stale>),
    #[error("Request body is too large.")]
    PayloadTooLarge,
    #[error("Unsupported media type \"{0}\" in request.")]
    UnsupportedMediaType(String),
    /// A 429 with `Retry-After`; the wait is rounded up to whole seconds, as DRF does.
    #[error("Request was throttled. Expected available in {} {}.", whole_secs(*.0), plural(whole_secs(*.0)))]
    Throttled(Duration),
    /// A dependency is down (the database): a 503 with `Retry-After`, so clients and load
    /// balancers back off instead of seeing a 500.
    #[error("Service temporarily unavailable, try again later.")]
    Unavailable { retry_after: Duration },
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
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<strata_cache::EncodeError> for ApiError {
    fn from(error: strata_cache::EncodeError) -> Self {
        ApiError::internal(error)
    }
}

impl From<DbErr> for ApiError {
    /// A lost or unobtainable connection is the database being down (a 503 the client may
    /// retry); anything else is a bug or a broken query (a 500).
    fn from(err: DbErr) -> Self {
        if strata_db::is_connection_error(&err) {
            // Not logged per request: the database's breaker logs the outage once.
            tracing::debug!(%err, "the database is unavailable");
            ApiError::Unavailable {
                retry_after: strata_db::RETRY_AFTER,
            }
        } else {
            ApiError::Internal(format!("database: {err}"))
        }
    }
}

/// Whole seconds, rounded up (DRF's `math.ceil(wait)`), never 0: a client told to retry in 0
/// seconds would retry at once.
fn whole_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "second" } else { "seconds" }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Invalid(errors) => json!(errors),
            ApiError::PreconditionFailed(stale) => stale.body.clone(),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                json!({"detail": "A server error occurred."})
            }
            other => json!({"detail": other.to_string()}),
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            // DRF sends the scheme of the first authenticator that has one (Token).
            ApiError::NotAuthenticated | ApiError::AuthenticationFailed(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
            }
            ApiError::PreconditionFailed(stale) => {
                headers.insert(header::ETAG, crate::admin::version::etag(stale.version));
            }
            ApiError::Throttled(wait) | ApiError::Unavailable { retry_after: wait } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(whole_secs(*wait)));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    async fn body(error: ApiError) -> (StatusCode, Option<String>, serde_json::Value) {
        let response = error.into_response();
        let retry = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        (status, retry, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn throttled_says_when_in_drfs_words() {
        let (status, retry, json) = body(ApiError::Throttled(Duration::from_millis(41_200))).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry.as_deref(), Some("42"));
        assert_eq!(
            json,
            json!({"detail": "Request was throttled. Expected available in 42 seconds."})
        );
        let (_, retry, json) = body(ApiError::Throttled(Duration::ZERO)).await;
        assert_eq!(retry.as_deref(), Some("1"));
        assert_eq!(
            json,
            json!({"detail": "Request was throttled. Expected available in 1 second."})
        );
    }

    #[tokio::test]
    async fn a_database_that_cannot_be_reached_is_a_503_with_retry_after() {
        use strata_db::sea_orm::ConnAcquireErr;
        let error = ApiError::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
        let (status, retry, json) = body(error).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry, Some(strata_db::RETRY_AFTER.as_secs().to_string()));
        assert_eq!(
            json,
            json!({"detail": "Service temporarily unavailable, try again later."})
        );
        let other = ApiError::from(DbErr::RecordNotFound("x".into()));
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
