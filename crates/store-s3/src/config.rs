//! [`S3Config`]: where the bucket is and how to reach it, and the client built from it.

use std::fmt;
use std::sync::Arc;

use ferry_core::{Error, Result};
use object_store::aws::{AmazonS3, AmazonS3Builder};

use crate::keys::Keys;

/// How to reach the bucket, and the key prefix under which Ferry keeps its objects.
#[derive(Clone)]
pub struct S3Config {
    /// The S3 endpoint, e.g. `http://127.0.0.1:3900` (`http` is allowed: loopback clusters).
    pub endpoint: String,
    /// The region the endpoint signs for (Garage: its `s3_region`).
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// Access key id.
    pub key_id: String,
    /// Secret access key.
    pub secret: String,
    /// Keys prefix inside the bucket (empty: the bucket's root).
    pub prefix: String,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("key_id", &self.key_id)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The client and the key layout, shared by a store's clones.
#[derive(Debug)]
pub(crate) struct Bucket {
    pub(crate) s3: AmazonS3,
    pub(crate) keys: Keys,
}

impl S3Config {
    /// An `object_store` client for the bucket (the one the stores use; also the direct
    /// reference `ferry-bench --store s3` measures against).
    pub fn client(&self) -> Result<AmazonS3> {
        // The S3 client's rustls has no provider compiled in (see Cargo.toml): use ring, as
        // the rest of Ferry does. Already installed (by Ferry's TLS or an earlier store) is
        // fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(self.endpoint.starts_with("http://"))
            .with_region(&self.region)
            .with_bucket_name(&self.bucket)
            .with_access_key_id(&self.key_id)
            .with_secret_access_key(&self.secret)
            .with_virtual_hosted_style_request(false)
            .build()
            .map_err(Error::internal)
    }
}

impl Bucket {
    pub(crate) fn connect(config: &S3Config) -> Result<Arc<Bucket>> {
        Ok(Arc::new(Bucket {
            s3: config.client()?,
            keys: Keys::new(&config.prefix),
        }))
    }
}

/// `object_store`'s not-found, as a test.
pub(crate) fn is_not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
}
