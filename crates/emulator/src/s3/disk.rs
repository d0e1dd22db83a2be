//! s3s-fs as the store calls it: every key it is handed is the one s3s-fs keeps the object under
//! (`long_keys`), and every key it answers with is the real one. Keys that need no surrogate pass
//! through untouched, so their answers are s3s-fs's own.

use std::path::{Path, PathBuf};

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};

use crate::s3::long_keys::{self, surrogate};

/// A failure of the files under the store: S3's InternalError (the cause is logged).
pub(super) fn io_error(e: std::io::Error) -> s3s::S3Error {
    tracing::error!(error = %e, "the S3 store's files failed");
    s3s::s3_error!(InternalError, "We encountered an internal error. Please try again.")
}

/// s3s-fs on the S3 root, with long keys stored under surrogates.
pub struct Disk {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
}

impl Disk {
    pub fn open(root: &Path) -> Result<Disk, String> {
        Ok(Disk {
            fs: s3s_fs::FileSystem::new(root).map_err(|e| format!("{e:?}"))?,
            root: root.to_owned(),
        })
    }

    /// Whether `bucket` exists. s3s-fs writes an object into a bucket that does not, making its
    /// directory; S3 answers NoSuchBucket.
    pub fn has_bucket(&self, bucket: &str) -> bool {
        self.root.join(bucket).is_dir()
    }

    /// A write or delete of `key` (under its lock) as it ended, once the real key beside its
    /// surrogate agrees with it (see `long_keys::settle`).
    async fn settled<T>(&self, bucket: &str, key: &str, result: S3Result<T>) -> S3Result<T> {
        let settled = long_keys::settle(&self.root, bucket, key).await.map_err(io_error);
        let out = result?;
        settled?;
        Ok(out)
    }
}

#[async_trait::async_trait]
impl S3 for Disk {
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

    async fn head_object(&self, mut req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        if let Some(stored) = surrogate(&req.input.bucket, &req.input.key) {
            req.input.key = stored;
        }
        self.fs.head_object(req).await
    }

    async fn get_object(&self, mut req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        if let Some(stored) = surrogate(&req.input.bucket, &req.input.key) {
            req.input.key = stored;
        }
        self.fs.get_object(req).await
    }

    async fn put_object(&self, mut req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let Some(stored) = surrogate(&bucket, &key) else {
            return self.fs.put_object(req).await;
        };
        req.input.key = stored;
        let resp = self.fs.put_object(req).await;
        self.settled(&bucket, &key, resp).await
    }

    async fn delete_object(&self, mut req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let Some(stored) = surrogate(&bucket, &key) else {
            return self.fs.delete_object(req).await;
        };
        req.input.key = stored;
        let resp = self.fs.delete_object(req).await;
        self.settled(&bucket, &key, resp).await
    }

    /// Runs without the keys' locks, so the real keys stay beside the surrogates of the objects it
    /// deletes (listings skip a real key with no object) until the next call that settles them.
    async fn delete_objects(
        &self,
        mut req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        let mut real = Vec::new();
        for object in &mut req.input.delete.objects {
            if let Some(stored) = surrogate(&bucket, &object.key) {
                real.push((stored.clone(), std::mem::replace(&mut object.key, stored)));
            }
        }
        let mut resp = self.fs.delete_objects(req).await?;
        let deleted = resp.output.deleted.iter_mut().flatten();
        for key in deleted.filter_map(|d| d.key.as_mut()) {
            if let Some((_, key_of)) = real.iter().find(|(stored, _)| stored == key) {
                key.clone_from(key_of);
            }
        }
        Ok(resp)
    }

    async fn copy_object(&self, mut req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        if let CopySource::Bucket { bucket, key, .. } = &mut req.input.copy_source
            && let Some(stored) = surrogate(bucket, key)
        {
            // The source's key too: s3s-fs reads its files.
            *key = stored.into();
        }
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let Some(stored) = surrogate(&bucket, &key) else {
            return self.fs.copy_object(req).await;
        };
        req.input.key = stored;
        let resp = self.fs.copy_object(req).await;
        self.settled(&bucket, &key, resp).await
    }

    async fn create_multipart_upload(
        &self,
        mut req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let key = req.input.key.clone();
        let Some(stored) = surrogate(&req.input.bucket, &key) else {
            return self.fs.create_multipart_upload(req).await;
        };
        req.input.key = stored;
        let mut resp = self.fs.create_multipart_upload(req).await?;
        resp.output.key = Some(key);
        Ok(resp)
    }

    /// s3s-fs keeps parts by upload id alone: the key plays no part.
    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        self.fs.upload_part(req).await
    }

    async fn list_parts(&self, mut req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        let key = req.input.key.clone();
        let Some(stored) = surrogate(&req.input.bucket, &key) else {
            return self.fs.list_parts(req).await;
        };
        req.input.key = stored;
        let mut resp = self.fs.list_parts(req).await?;
        resp.output.key = Some(key);
        Ok(resp)
    }

    async fn complete_multipart_upload(
        &self,
        mut req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let Some(stored) = surrogate(&bucket, &key) else {
            return self.fs.complete_multipart_upload(req).await;
        };
        req.input.key = stored;
        // The object is written by now; only the answer waits in the future.
        let resp = self.fs.complete_multipart_upload(req).await;
        let mut resp = self.settled(&bucket, &key, resp).await?;
        if let Some(answer) = resp.output.future.take() {
            let key = key.clone();
            resp.output.future = Some(Box::pin(async move {
                let mut output = answer.await?;
                output.key = Some(key);
                Ok(output)
            }));
        }
        resp.output.key = resp.output.key.map(|_| key);
        Ok(resp)
    }

    async fn abort_multipart_upload(
        &self,
        mut req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        if let Some(stored) = surrogate(&req.input.bucket, &req.input.key) {
            req.input.key = stored;
        }
        self.fs.abort_multipart_upload(req).await
    }
}
