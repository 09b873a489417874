//! Responses whose body is a cached value's JSON as the cache holds it: a hit is sent without
//! being decoded and encoded again (the same bytes `axum::Json` would write for the value).

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use strata_cache::{Json, PlainData};

use crate::error::ApiError;

/// An `application/json` body already encoded.
pub struct JsonBody(pub Bytes);

impl IntoResponse for JsonBody {
    fn into_response(self) -> Response {
        ([(CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

impl<T> From<Json<T>> for JsonBody
where
    T: PlainData,
{
    fn from(json: Json<T>) -> Self {
        JsonBody(json.into_bytes())
    }
}

/// The value of a cached JSON, for callers that need it decoded (pages, filters). Bytes the
/// engine hands out decode as `T`; a failure is a 500, never a panic.
pub fn decoded<T: PlainData>(json: &Json<T>) -> Result<T, ApiError> {
    json.decode().map_err(ApiError::internal)
}
