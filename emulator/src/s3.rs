//! S3, path-style, on `s3s` + `s3s-fs`: the drop buckets, and the import bucket that pre-signed
//! URLs write to.
//!
//! s3s-fs does the storage; this layer adds what it lacks: conditional writes that are atomic
//! (s3s-fs checks `If-None-Match`/`If-Match` and then writes, so writes to one key are serialised
//! here), `If-Match` on GetObject, injected faults, and an import bucket only the emulator's own
//! signing key may write to, as only Cognito can write to its bucket in AWS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use s3s::access::{S3Access, S3AccessContext};
use s3s::dto::*;
use s3s::path::S3Path;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

use crate::faults::{Fault, Faults};

/// One object: bucket and key.
type ObjectId = (String, String);

/// Per-key locks, created on demand and dropped when nobody holds them.
#[derive(Default)]
struct KeyLocks {
    locks: Mutex<HashMap<ObjectId, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyLocks {
    async fn run<T>(&self, bucket: &str, key: &str, f: impl Future<Output = T>) -> T {
        let id = (bucket.to_owned(), key.to_owned());
        let lock = Arc::clone(self.locks.lock().unwrap().entry(id.clone()).or_default());
        let out = {
            let _guard = lock.lock().await;
            f.await
        };
        let mut locks = self.locks.lock().unwrap();
        // Two references left: the map's and ours. Nobody else waits, so the entry can go.
        if Arc::strong_count(&lock) == 2 {
            locks.remove(&id);
        }
        out
    }
}

/// `If-Match` on a read: S3 answers 412 when the object's ETag is not the one named.
fn check_if_match(condition: Option<&ETagCondition>, actual: Option<&ETag>) -> S3Result<()> {
    match condition {
        Some(ETagCondition::ETag(expected)) if !actual.is_some_and(|etag| etag.strong_cmp(expected)) => Err(s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        )),
        _ => Ok(()),
    }
}

/// The S3 implementation: s3s-fs with atomic conditional writes and `If-Match` reads.
pub struct Store {
    fs: s3s_fs::FileSystem,
    locks: KeyLocks,
}

impl Store {
    pub fn new(fs: s3s_fs::FileSystem) -> Self {
        Store {
            fs,
            locks: KeyLocks::default(),
        }
    }
}

#[async_trait::async_trait]
impl S3 for Store {
    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
        self.fs.create_bucket(req).await
    }

    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.fs.delete_bucket(req).await
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
        self.fs.list_buckets(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.fs.get_bucket_location(req).await
    }

    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
        self.fs.list_objects(req).await
    }

    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.fs.list_objects_v2(req).await
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        let if_match = req.input.if_match.clone();
        let resp = self.fs.head_object(req).await?;
        check_if_match(if_match.as_ref(), resp.output.e_tag.as_ref())?;
        Ok(resp)
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let if_match = req.input.if_match.clone();
        let resp = self.fs.get_object(req).await?;
        // The body is only a file handle until it is polled: dropping it reads nothing.
        check_if_match(if_match.as_ref(), resp.output.e_tag.as_ref())?;
        Ok(resp)
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.locks.run(&bucket, &key, self.fs.put_object(req)).await
    }

    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.locks.run(&bucket, &key, self.fs.delete_object(req)).await
    }

    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.fs.delete_objects(req).await
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.locks.run(&bucket, &key, self.fs.copy_object(req)).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.fs.create_multipart_upload(req).await
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        self.fs.upload_part(req).await
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.fs.list_parts(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.locks
            .run(&bucket, &key, self.fs.complete_multipart_upload(req))
            .await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.fs.abort_multipart_upload(req).await
    }
}

/// Who may do what: callers' keys everywhere but the import bucket; the import signing key only
/// PutObject into the import bucket; only signatures scoped to the emulator's region. Also where
/// S3 faults are injected.
pub struct Access {
    /// The emulator's region: S3 refuses a signature scoped to another one (s3s does not check).
    pub region: String,
    pub import_bucket: String,
    pub import_access_key: String,
    pub faults: Arc<Faults>,
}

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(cred) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Anonymous access is not allowed"));
        };
        match credential_region(cx) {
            Some((region, false)) if region != self.region => {
                return Err(s3_error!(
                    AuthorizationHeaderMalformed,
                    "The authorization header is malformed; the region '{}' is wrong; expecting '{}'",
                    region,
                    self.region
                ));
            }
            Some((region, true)) if region != self.region => {
                return Err(s3_error!(
                    AuthorizationQueryParametersError,
                    "Error parsing the X-Amz-Credential parameter; the region '{}' is wrong; expecting '{}'",
                    region,
                    self.region
                ));
            }
            _ => {}
        }
        let is_import_key = cred.access_key == self.import_access_key;
        let in_import_bucket = match cx.s3_path() {
            S3Path::Root => false,
            S3Path::Bucket { bucket } | S3Path::Object { bucket, .. } => **bucket == *self.import_bucket,
        };
        let op = cx.s3_op().name();
        if is_import_key != in_import_bucket || (is_import_key && op != "PutObject") {
            return Err(s3_error!(AccessDenied, "Access Denied"));
        }
        match self.faults.take(op) {
            Some(Fault::Throttle) => Err(s3_error!(SlowDown, "Please reduce your request rate.")),
            Some(Fault::Fail | Fault::LoseAnswer) => Err(s3_error!(
                InternalError,
                "We encountered an internal error. Please try again."
            )),
            None => Ok(()),
        }
    }
}

/// The region of a request's SigV4 credential scope (`AK/date/REGION/s3/aws4_request`), from the
/// Authorization header or, for a pre-signed URL, the `X-Amz-Credential` parameter (then `true`).
fn credential_region(cx: &S3AccessContext<'_>) -> Option<(String, bool)> {
    let region_of = |credential: &str| credential.split('/').nth(2).map(str::to_owned);
    if let Some(auth) = cx.headers().get("authorization").and_then(|v| v.to_str().ok()) {
        let credential = auth.split_once("Credential=")?.1.split(',').next()?;
        return region_of(credential.trim()).map(|r| (r, false));
    }
    let credential = cx.uri().query()?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == "X-Amz-Credential").then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    })?;
    region_of(&credential).map(|r| (r, true))
}
