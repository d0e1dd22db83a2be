//! The dropped object, always as the version its event named: by version id, or (in an
//! unversioned bucket) by `If-Match` on the event's ETag. A version that is gone, or a key that
//! now holds another object, reads as `None`: an object changed since its event is never imported
//! silently.

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

/// The ETag and size of the version the event names; `None` if it is gone or changed.
pub async fn pin(s3: &Client, object: &ObjectRef) -> Result<Option<(String, u64)>, ObjectError> {
    let mut head = s3.head_object().bucket(&object.bucket).key(&object.key);
    if let Some(v) = &object.version_id {
        head = head.version_id(v);
    } else if let Some(etag) = &object.etag {
        head = head.if_match(format!("\"{etag}\""));
    }
    match head.send().await {
        Ok(out) => {
            let etag = out.e_tag.unwrap_or_default().trim_matches('"').to_owned();
            Ok(Some((etag, out.content_length.unwrap_or(0).max(0) as u64)))
        }
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(object_error("HeadObject", &object.bucket, &object.key, e)),
    }
}

/// A GetObject of exactly the claimed version; `None` if it is gone or changed.
pub async fn open(s3: &Client, record: &Record) -> Result<Option<ByteStream>, ObjectError> {
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
