//! Path parameters as DRF routes match them: `{id}` only matches digits, so anything else is a
//! 404, not a parse error.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::error::ApiError;

/// The object id of a detail route (`/api/properties/{id}/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        match raw.parse::<i64>() {
            Ok(id) if id > 0 && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(Id(id)),
            _ => Err(ApiError::NotFound),
        }
    }
}
