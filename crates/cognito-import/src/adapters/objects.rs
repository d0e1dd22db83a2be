//! The dropped object, always as the version its event named: by version id, or (in an
//! unversioned bucket) by `If-Match` on the event's ETag. It reads as `None` when that version is
//! gone, when (unversioned) the key now holds another object, or when (versioned) the key was
//! deleted since: S3 then keeps the version under a delete marker, but the file is withdrawn as
//! surely as an unversioned delete withdraws it. An object changed or deleted since its event is
//! never imported silently; in a versioned bucket, a newer upload leaves the named version to be
//! imported, and is an import of its own.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use crate::adapters::s3cas::is_gone;
use crate::domain::event::ObjectRef;
use crate::domain::record::Record;

/// Reading the dropped object failed (not: it is gone, which is an answer).
#[derive(Debug, thiserror::Error)]
#[error("{call} of s3://{bucket}/{key} failed: {detail}")]
pub struct ObjectError {
    call: &'static str,
    bucket: String,
    key: String,
    detail: String,
}

fn object_error<E>(call: &'static str, bucket: &str, key: &str, e: aws_sdk_s3::error::SdkError<E>) -> ObjectError
where
    E: std::error::Error + Send + Sync + 'static,
{
    ObjectError {
        call,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        detail: DisplayErrorContext(e).to_string(),
    }
}

/// Whether `key` was deleted: its latest version is a delete marker, so a HeadObject of the key
/// (no version id) answers 404 even though older versions can still be read by id.
async fn deleted(s3: &Client, bucket: &str, key: &str) -> Result<bool, ObjectError> {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => Ok(false),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(true),
        Err(e) => Err(object_error("HeadObject", bucket, key, e)),
    }
}

/// The ETag and size of the version the event names; `None` if it is gone, changed or deleted.
pub async fn pin(s3: &Client, object: &ObjectRef) -> Result<Option<(String, u64)>, ObjectError> {
    let mut head = s3.head_object().bucket(&object.bucket).key(&object.key);
    if let Some(v) = &object.version_id {
        head = head.version_id(v);
    } else if let Some(etag) = &object.etag {
        head = head.if_match(format!("\"{etag}\""));
    }
    let out = match head.send().await {
        Ok(out) => out,
        Err(e) if is_gone(&e) => return Ok(None),
        Err(e) => return Err(object_error("HeadObject", &object.bucket, &object.key, e)),
    };
    if object.version_id.is_some() && deleted(s3, &object.bucket, &object.key).await? {
        return Ok(None);
    }
    let etag = out.e_tag.unwrap_or_default().trim_matches('"').to_owned();
    Ok(Some((etag, out.content_length.unwrap_or(0).max(0) as u64)))
}

/// A GetObject of exactly the claimed version; `None` if it is gone, changed or deleted.
pub async fn open(s3: &Client, record: &Record) -> Result<Option<ByteStream>, ObjectError> {
    if record.version_id.is_some() && deleted(s3, &record.bucket, &record.key).await? {
        return Ok(None);
    }
    let mut get = s3.get_object().bucket(&record.bucket).key(&record.key);
    get = match &record.version_id {
        Some(v) => get.version_id(v),
        None => get.if_match(format!("\"{}\"", record.etag)),
    };
    match get.send().await {
        Ok(out) => Ok(Some(out.body)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(object_error("GetObject", &record.bucket, &record.key, e)),
    }
}
