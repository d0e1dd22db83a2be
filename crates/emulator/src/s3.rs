//! S3, path-style, on `s3s` + `s3s-fs`: the drop buckets, and the import bucket that pre-signed
//! URLs write to.
//!
//! s3s-fs does the storage; this layer adds what it lacks: conditional writes that are atomic
//! (s3s-fs checks `If-None-Match`/`If-Match` and then writes, so writes to one key are serialised
//! here, see `locks`), `If-Match` on GetObject and DeleteObject, object tagging (kept in memory,
//! see [`ObjectTags`]), bucket versioning (`objects`, `versions`, `history`, `listing`), listings
//! that read only what is under their prefix (`walk`), keys as long as S3's that s3s-fs's file
//! names cannot hold (`long_keys`, `disk`), injected faults, and an import bucket only the
//! emulator's own signing key may write to, as only Cognito can write to its bucket in AWS.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::dto::*;
use s3s::path::S3Path;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

use crate::faults::{Fault, Faults};

mod disk;
mod history;
mod listing;
mod locks;
mod long_keys;
mod objects;
mod tags;
mod versions;
mod walk;

use locks::KeyLocks;
use objects::Objects;
pub use tags::{ObjectTags, Tags};
use tags::{tags_from_header, tags_from_xml};
use versions::Status;

/// The file that holds the current object `key` of `bucket` in the store at `root` (a directory
/// for a key s3s-fs made one); `None` for a key whose path would leave its bucket.
pub(crate) fn object_file(root: &Path, bucket: &str, key: &str) -> Option<PathBuf> {
    let [data, _, _] = history::files(root, bucket, key);
    let relative = data.strip_prefix(root).ok()?;
    let plain = relative.components().all(|c| matches!(c, Component::Normal(_)));
    (!bucket.is_empty() && !key.is_empty() && plain).then_some(data)
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

/// A HeadObject of `bucket`/`key` carrying another request's context: how the tagging calls ask
/// s3s-fs whether an object exists (NoSuchBucket, NoSuchKey), as S3 answers them.
fn head_request<T>(req: S3Request<T>, bucket: &str, key: &str) -> S3Request<HeadObjectInput> {
    req.map_input(|_| HeadObjectInput {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        ..Default::default()
    })
}

fn internal_error() -> s3s::S3Error {
    s3_error!(InternalError, "We encountered an internal error. Please try again.")
}

/// The S3 implementation: s3s-fs with atomic conditional writes, `If-Match` reads, tagging and
/// versions.
pub struct Store {
    objects: Objects,
    locks: KeyLocks,
    /// For LoseAnswer, which acts after the call (the access check handles the others).
    faults: Arc<Faults>,
}

impl Store {
    /// The store on `root`; `tags` is shared with the emulator, which reads it for
    /// `Emulator::object_tags`.
    pub fn open(root: &Path, tags: Arc<ObjectTags>, faults: Arc<Faults>) -> Result<Self, String> {
        Ok(Store {
            objects: Objects::open(root, tags)?,
            locks: KeyLocks::default(),
            faults,
        })
    }

    fn fs(&self) -> &disk::Disk {
        &self.objects.fs
    }

    fn tags(&self) -> &ObjectTags {
        &self.objects.tags
    }

    /// The call on `key` went through; its answer is lost if a LoseAnswer fault waits for it.
    fn answer<T>(&self, operation: &str, key: &str, resp: S3Response<T>) -> S3Result<S3Response<T>> {
        if self.faults.take_lost(operation, Some(key)) {
            return Err(internal_error());
        }
        Ok(resp)
    }

    /// Runs a read of `key`: in a versioned bucket alone on the key, so that no write moves the
    /// version between finding it and opening it; otherwise as it comes.
    async fn read<T>(&self, bucket: &str, key: &str, read: impl Future<Output = T>) -> T {
        match self.objects.status(bucket) {
            Status::Unversioned => read.await,
            Status::Enabled | Status::Suspended => self.locks.run(bucket, key, read).await,
        }
    }
}

#[async_trait::async_trait]
impl S3 for Store {
    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
        self.fs().create_bucket(req).await
    }

    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
        let bucket = req.input.bucket.clone();
        // s3s-fs removes a bucket with everything in it.
        let resp = self.fs().delete_bucket(req).await?;
        self.objects.remove_bucket(&bucket).await?;
        Ok(resp)
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs().head_bucket(req).await
    }

    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
        self.fs().list_buckets(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.fs().get_bucket_location(req).await
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let bucket = req.input.bucket.clone();
        let status = match req.input.versioning_configuration.status.as_ref().map(|s| s.as_str()) {
            Some(BucketVersioningStatus::ENABLED) => Status::Enabled,
            Some(BucketVersioningStatus::SUSPENDED) => Status::Suspended,
            _ => {
                return Err(s3_error!(
                    MalformedXML,
                    "The XML you provided was not well-formed or did not validate against our published schema"
                ));
            }
        };
        self.fs()
            .head_bucket(req.map_input(|i| HeadBucketInput {
                bucket: i.bucket,
                ..Default::default()
            }))
            .await?;
        self.objects.set_status(&bucket, status);
        Ok(S3Response::new(PutBucketVersioningOutput::default()))
    }

    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let bucket = req.input.bucket.clone();
        self.fs()
            .head_bucket(req.map_input(|i| HeadBucketInput {
                bucket: i.bucket,
                ..Default::default()
            }))
            .await?;
        let status = match self.objects.status(&bucket) {
            Status::Unversioned => None,
            Status::Enabled => Some(BucketVersioningStatus::ENABLED),
            Status::Suspended => Some(BucketVersioningStatus::SUSPENDED),
        };
        Ok(S3Response::new(GetBucketVersioningOutput {
            status: status.map(BucketVersioningStatus::from_static),
            mfa_delete: None,
        }))
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        self.objects.list_versions(req).await
    }

    /// Through ListObjectsV2, as s3s-fs does it: V1's marker is V2's StartAfter.
    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
        let marker = req.input.marker.clone();
        let resp = self.objects.list(req.map_input(Into::into)).await?;
        Ok(resp.map_output(|v2| ListObjectsOutput {
            name: v2.name,
            prefix: v2.prefix,
            delimiter: v2.delimiter,
            marker,
            max_keys: v2.max_keys,
            is_truncated: v2.is_truncated,
            next_marker: v2.next_continuation_token,
            contents: v2.contents,
            common_prefixes: v2.common_prefixes,
            encoding_type: v2.encoding_type,
            ..Default::default()
        }))
    }

    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.objects.list(req).await
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let if_match = req.input.if_match.clone();
        let version_id = req.input.version_id.clone();
        let head = async {
            let found = self.objects.find(&bucket, &key, version_id.as_deref())?;
            self.objects.head(req, &found).await
        };
        let resp = self.read(&bucket, &key, head).await?;
        check_if_match(if_match.as_ref(), resp.output.e_tag.as_ref())?;
        Ok(resp)
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let if_match = req.input.if_match.clone();
        let version_id = req.input.version_id.clone();
        let get = async {
            let found = self.objects.find(&bucket, &key, version_id.as_deref())?;
            self.objects.get(req, &found).await
        };
        let resp = self.read(&bucket, &key, get).await?;
        // The body is only a file handle until it is polled: dropping it reads nothing.
        check_if_match(if_match.as_ref(), resp.output.e_tag.as_ref())?;
        Ok(resp)
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        // S3 refuses bad tags before it stores anything; an overwrite replaces the tags (with none
        // when the request has no x-amz-tagging).
        let tags = tags_from_header(req.input.tagging.as_deref())?;
        let put = async {
            let (mut resp, version_id) = self.objects.write(&bucket, &key, self.fs().put_object(req)).await?;
            resp.output.version_id = version_id;
            self.tags().set(&bucket, &key, tags);
            self.answer("PutObject", &key, resp)
        };
        self.locks.run(&bucket, &key, put).await
    }

    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let version_id = req.input.version_id.clone();
        let delete = async {
            // A conditional delete, as S3 does it: If-Match is checked against the version named
            // (the current object without a version id) under the key's lock (missing → 404
            // NoSuchKey, another ETag → 412).
            if let Some(condition) = req.input.if_match.clone() {
                let found = self.objects.find(&bucket, &key, version_id.as_deref())?;
                let head = self
                    .objects
                    .head(head_request(req.clone(), &bucket, &key), &found)
                    .await?;
                check_if_match(Some(&condition), head.output.e_tag.as_ref())?;
            }
            let resp = match self.objects.status(&bucket) {
                Status::Unversioned => {
                    // Only null names a version here: any other id is refused.
                    self.objects.find(&bucket, &key, version_id.as_deref())?;
                    let resp = self.fs().delete_object(req).await?;
                    self.tags().set(&bucket, &key, Tags::new());
                    resp
                }
                Status::Enabled | Status::Suspended => {
                    S3Response::new(self.objects.delete(&bucket, &key, version_id.as_deref()).await?)
                }
            };
            self.answer("DeleteObject", &key, resp)
        };
        self.locks.run(&bucket, &key, delete).await
    }

    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        if self.objects.status(&bucket) == Status::Unversioned {
            let resp = self.fs().delete_objects(req).await?;
            for key in resp.output.deleted.iter().flatten().filter_map(|d| d.key.as_deref()) {
                self.tags().set(&bucket, key, Tags::new());
            }
            return Ok(resp);
        }
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        for object in req.input.delete.objects {
            let version_id = object.version_id.as_deref();
            let delete = self.objects.delete(&bucket, &object.key, version_id);
            match self.locks.run(&bucket, &object.key, delete).await {
                Ok(out) => deleted.push(DeletedObject {
                    key: Some(object.key),
                    delete_marker: out.delete_marker,
                    delete_marker_version_id: out.delete_marker.and(out.version_id.clone()),
                    version_id: object.version_id,
                }),
                Err(e) => errors.push(Error {
                    key: Some(object.key),
                    version_id: object.version_id,
                    code: Some(e.code().as_str().to_owned()),
                    message: e.message().map(str::to_owned),
                }),
            }
        }
        let quiet = req.input.delete.quiet.unwrap_or(false);
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!quiet && !deleted.is_empty()).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        // S3 copies the source's tags unless the directive is REPLACE, which takes x-amz-tagging.
        let replace = req
            .input
            .tagging_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == TaggingDirective::REPLACE);
        let replacement = if replace {
            Some(tags_from_header(req.input.tagging.as_deref())?)
        } else {
            None
        };
        let source = match &req.input.copy_source {
            CopySource::Bucket {
                bucket,
                key,
                version_id,
            } => Some((
                bucket.to_string(),
                key.to_string(),
                version_id.as_deref().map(str::to_owned),
            )),
            _ => None,
        };
        // s3s-fs copies the source's current object: a copy of an older version is not emulated.
        let source_version = match &source {
            Some((b, k, requested)) => match self.objects.find(b, k, requested.as_deref())? {
                versions::Found::Current(id) => id,
                versions::Found::Kept { .. } => {
                    return Err(s3_error!(NotImplemented, "The emulator copies only current versions"));
                }
            },
            None => None,
        };
        let copy = async {
            let (mut resp, version_id) = self.objects.write(&bucket, &key, self.fs().copy_object(req)).await?;
            resp.output.version_id = version_id;
            resp.output.copy_source_version_id = source_version;
            let tags = match (replacement, source) {
                (Some(tags), _) => tags,
                (None, Some((b, k, _))) => self.tags().get(&b, &k),
                (None, None) => Tags::new(),
            };
            self.tags().set(&bucket, &key, tags);
            Ok(resp)
        };
        self.locks.run(&bucket, &key, copy).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let tags = tags_from_header(req.input.tagging.as_deref())?;
        let resp = self.fs().create_multipart_upload(req).await?;
        if let Some(upload_id) = &resp.output.upload_id {
            self.tags().start_upload(upload_id, tags);
        }
        Ok(resp)
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        self.fs().upload_part(req).await
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.fs().list_parts(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let upload_id = req.input.upload_id.clone();
        let complete = async {
            let (mut resp, version_id) = self
                .objects
                .write(&bucket, &key, self.fs().complete_multipart_upload(req))
                .await?;
            // s3s-fs answers through a future (S3 keeps the connection alive meanwhile).
            if let Some(answer) = resp.output.future.take() {
                let version_id = version_id.clone();
                resp.output.future = Some(Box::pin(async move {
                    let mut output = answer.await?;
                    output.version_id = version_id;
                    Ok(output)
                }));
            }
            resp.output.version_id = version_id;
            self.tags().set(&bucket, &key, self.tags().end_upload(&upload_id));
            Ok(resp)
        };
        self.locks.run(&bucket, &key, complete).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let upload_id = req.input.upload_id.clone();
        let resp = self.fs().abort_multipart_upload(req).await?;
        self.tags().end_upload(&upload_id);
        Ok(resp)
    }

    // Tagging takes the object's lock so that it cannot interleave with an overwrite or a delete;
    // `versionId` names the version whose tags are meant (the current one without it).

    async fn put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let version_id = req.input.version_id.clone();
        let tags = tags_from_xml(&req.input.tagging)?;
        let head = head_request(req, &bucket, &key);
        let put = async {
            let found = self.objects.find(&bucket, &key, version_id.as_deref())?;
            self.objects.retag(head, &found, tags).await?;
            Ok(S3Response::new(PutObjectTaggingOutput { version_id: found.id() }))
        };
        self.locks.run(&bucket, &key, put).await
    }

    async fn get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let version_id = req.input.version_id.clone();
        let head = head_request(req, &bucket, &key);
        let get = async {
            let found = self.objects.find(&bucket, &key, version_id.as_deref())?;
            let tag_set = self
                .objects
                .tags_of(head, &found)
                .await?
                .into_iter()
                .map(|(key, value)| Tag {
                    key: Some(key),
                    value: Some(value),
                })
                .collect();
            Ok(S3Response::new(GetObjectTaggingOutput {
                tag_set,
                version_id: found.id(),
            }))
        };
        self.locks.run(&bucket, &key, get).await
    }

    async fn delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let version_id = req.input.version_id.clone();
        let head = head_request(req, &bucket, &key);
        let delete = async {
            let found = self.objects.find(&bucket, &key, version_id.as_deref())?;
            self.objects.retag(head, &found, Tags::new()).await?;
            Ok(S3Response::new(DeleteObjectTaggingOutput { version_id: found.id() }))
        };
        self.locks.run(&bucket, &key, delete).await
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

/// Where the access check leaves the name s3s gave a request's operation, for the server's call
/// count (s3s names it only there).
#[derive(Clone, Default)]
pub struct OperationSlot(Arc<std::sync::OnceLock<String>>);

impl OperationSlot {
    pub fn name(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let name = cx.s3_op().name().to_owned();
        if let Some(slot) = cx.extensions_mut().get::<OperationSlot>() {
            // The first check of a request names it.
            let _ = slot.0.set(name);
        }
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
        let key = match cx.s3_path() {
            S3Path::Object { key, .. } => Some(&**key),
            S3Path::Root | S3Path::Bucket { .. } => None,
        };
        match self.faults.take_before(op, key) {
            Some(Fault::Throttle) => Err(s3_error!(SlowDown, "Please reduce your request rate.")),
            Some(_) => Err(internal_error()),
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

#[cfg(test)]
pub(crate) mod tests {
    /// A request as s3s hands one to the store, for unit tests that call s3s-fs directly.
    pub fn request<T>(input: T) -> s3s::S3Request<T> {
        s3s::S3Request {
            input,
            method: http::Method::PUT,
            uri: http::Uri::from_static("/"),
            headers: Default::default(),
            extensions: Default::default(),
            credentials: None,
            region: None,
            service: None,
            trailing_headers: None,
        }
    }
}
