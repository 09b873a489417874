//! Media in S3-compatible object storage (AWS S3, MinIO, Ceph, Garage…), so every instance sees
//! every upload. The stored name is the object key, checked as the local directory checks it.

use std::io::{Error, ErrorKind};

use async_trait::async_trait;
use axum::body::Body;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use strata_api::{MediaFile, MediaStorage};

use crate::storage::check_name;

/// Where the bucket is and how to reach it (`[media.s3]` in the binary's configuration).
#[derive(Clone, Default)]
pub struct S3Settings {
    pub bucket: String,
    /// A self-hosted server's URL (`http://127.0.0.1:9000`); unset: AWS itself.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint>/<key>`.
    pub path_style: bool,
    /// Allows a plain `http://` endpoint (a local test server).
    pub allow_http: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("allow_http", &self.allow_http)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .field("session_token", &self.session_token.as_ref().map(|_| "***"))
            .finish()
    }
}

#[derive(Debug)]
pub struct S3Storage {
    store: AmazonS3,
}

impl S3Storage {
    /// A client for the bucket; nothing is contacted until the first request.
    pub fn new(settings: &S3Settings) -> Result<Self, object_store::Error> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_virtual_hosted_style_request(!settings.path_style)
            .with_allow_http(settings.allow_http);
        let optional = [
            (
                &settings.endpoint,
                AmazonS3Builder::with_endpoint as fn(_, _) -> _,
            ),
            (&settings.region, AmazonS3Builder::with_region),
            (&settings.access_key_id, AmazonS3Builder::with_access_key_id),
            (
                &settings.secret_access_key,
                AmazonS3Builder::with_secret_access_key,
            ),
            (&settings.session_token, AmazonS3Builder::with_token),
        ];
        for (value, set) in optional {
            if let Some(value) = value {
                builder = set(builder, value.clone());
            }
        }
        Ok(S3Storage {
            store: builder.build()?,
        })
    }
}

fn key(name: &str) -> std::io::Result<Path> {
    Path::parse(check_name(name)?).map_err(|err| Error::new(ErrorKind::InvalidInput, err))
}

fn io_error(err: object_store::Error) -> Error {
    match err {
        object_store::Error::NotFound { .. } => Error::new(ErrorKind::NotFound, err),
        other => Error::other(other),
    }
}

#[async_trait]
impl MediaStorage for S3Storage {
    /// One PUT: an object appears whole or not at all.
    async fn save(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.store
            .put(&key(name)?, PutPayload::from(bytes.to_vec()))
            .await
            .map(|_| ())
            .map_err(io_error)
    }

    /// S3 answers a delete of a missing key with success, as the local directory does.
    async fn delete(&self, name: &str) -> std::io::Result<()> {
        match self.store.delete(&key(name)?).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => other.map_err(io_error),
        }
    }

    async fn open(&self, name: &str) -> std::io::Result<Option<MediaFile>> {
        let found = match self.store.get(&key(name)?).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(io_error(err)),
        };
        let len = found.meta.size;
        let stream = found.into_stream().map_err(io_error);
        Ok(Some(MediaFile {
            len,
            body: Body::from_stream(stream),
        }))
    }
}
