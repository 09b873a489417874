//! How a read hands its value back: decoded ([`Cache::get_or_load`](crate::Cache::get_or_load)),
//! or as the stored JSON bytes ([`Cache::get_or_load_json`](crate::Cache::get_or_load_json)),
//! which a handler can send as the response body without decoding and re-encoding them.

use std::marker::PhantomData;

use bytes::Bytes;
use strata_plain::PlainData;

/// A cached value as its JSON bytes, typed by what they decode to.
pub struct Json<T> {
    bytes: Bytes,
    shape: PhantomData<fn() -> T>,
}

impl<T> Clone for Json<T> {
    fn clone(&self) -> Self {
        Json {
            bytes: self.bytes.clone(),
            shape: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Json<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Json").field(&self.bytes).finish()
    }
}

impl<T: PlainData> Json<T> {
    /// Serializes `value` as the cache stores it.
    pub fn encode(value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self::trusted(Bytes::from(serde_json::to_vec(value)?)))
    }

    /// Bytes known to decode as `T` (they were encoded from one, or checked).
    pub(crate) fn trusted(bytes: Bytes) -> Self {
        Json {
            bytes,
            shape: PhantomData,
        }
    }

    pub fn decode(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.bytes)
    }

    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

impl<T: PlainData> Json<Option<T>> {
    /// `None` for a cached `null` (a missing row, cached as the policy's "none").
    pub fn transpose(self) -> Option<Json<T>> {
        (self.bytes.as_ref() != b"null").then(|| Json::trusted(self.bytes))
    }
}

/// What a read returns, built from stored bytes or from the loader's value.
pub(crate) trait Shape<T: PlainData>: Sized {
    /// From bytes the store returned. `checked`: they are known to decode as `T` (the
    /// near-cache and the in-process store hold only what this process encoded or checked);
    /// otherwise they must be checked, since another writer (Django) may have stored them.
    fn from_stored(bytes: &Bytes, checked: bool) -> Result<Self, serde_json::Error>;
    /// Why a loaded value cannot be handed back in this shape.
    type Unencodable;
    /// From the loader's value; `encoded` when the fill already serialized it.
    fn from_loaded(value: T, encoded: Option<Bytes>) -> Result<Self, Self::Unencodable>;
}

/// A loaded value that could not be serialized to JSON (a map with non-string keys, say):
/// [`Cache::get_or_load_json`](crate::Cache::get_or_load_json) hands it to the caller's error type.
#[derive(Debug, thiserror::Error)]
#[error("a loaded value cannot be encoded as JSON: {0}")]
pub struct EncodeError(#[from] pub serde_json::Error);

impl<T: PlainData> Shape<T> for T {
    fn from_stored(bytes: &Bytes, _checked: bool) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    type Unencodable = std::convert::Infallible;

    fn from_loaded(value: T, _encoded: Option<Bytes>) -> Result<Self, Self::Unencodable> {
        Ok(value)
    }
}

impl<T: PlainData> Shape<T> for Json<T> {
    fn from_stored(bytes: &Bytes, checked: bool) -> Result<Self, serde_json::Error> {
        if !checked {
            serde_json::from_slice::<T>(bytes)?;
        }
        Ok(Json::trusted(bytes.clone()))
    }

    type Unencodable = EncodeError;

    fn from_loaded(value: T, encoded: Option<Bytes>) -> Result<Self, Self::Unencodable> {
        match encoded {
            Some(bytes) => Ok(Json::trusted(bytes)),
            None => Ok(Json::encode(&value)?),
        }
    }
}
