//! Compare-and-swap on small JSON objects in S3, written once for the ledger and the queue lock.
//!
//! A write is conditional: `If-None-Match: *` creates only if nothing is there, `If-Match: <ETag>`
//! replaces only the version that was read. S3 answers 412 when the condition fails (and may
//! answer 409 ConditionalRequestConflict to one of two racing writes; both mean "not written by
//! this call"). A write whose answer is lost is retried by the SDK and then meets itself: so each
//! value carries a stamp unique to the write, and a failed condition reads the object back — if it
//! holds our stamp, the write was ours after all.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::record::write_id;

/// A value that carries the stamp of the write that stored it.
pub trait Stamped {
    fn stamp(&self) -> &str;
    fn set_stamp(&mut self, stamp: String);
}

/// The condition a value is written under.
#[derive(Clone, Copy, Debug)]
pub enum Condition<'a> {
    /// Only if nothing is stored (`If-None-Match: *`).
    Absent,
    /// Only over the version with this ETag (`If-Match`).
    Matches(&'a str),
}

/// What a conditional write did.
#[derive(Debug)]
pub enum Written<T> {
    /// Our write stands; its ETag.
    Ours(String),
    /// Someone else's stands (the value and its ETag), or nothing (deleted meanwhile).
    Theirs(Option<(T, String)>),
}

/// An S3 call on a compare-and-swap object failed, or what it holds is not the JSON expected.
#[derive(Debug, thiserror::Error)]
pub enum CasError {
    #[error("cannot {action} s3://{bucket}/{key}: {detail}")]
    S3 {
        action: &'static str,
        bucket: String,
        key: String,
        detail: String,
    },
    #[error("s3://{bucket}/{key} is not the JSON expected: {source}")]
    Corrupt {
        bucket: String,
        key: String,
        /// The unreadable version, so that a caller may replace it.
        etag: String,
        source: serde_json::Error,
    },
}

/// Whether a failed call means "not the version you named": gone (404) or changed (412). S3 is
/// reported to answer 404 NoSuchKey to `If-Match` on a missing key; both mean the same here.
pub fn is_gone<E>(err: &SdkError<E>) -> bool {
    err.raw_response()
        .is_some_and(|r| matches!(r.status().as_u16(), 404 | 412))
}

/// Whether a conditional write was refused: its condition failed (412), a racing conditional
/// write won (409), or `If-Match` named a key that is gone (404).
fn is_refused<E>(err: &SdkError<E>) -> bool {
    err.raw_response()
        .is_some_and(|r| matches!(r.status().as_u16(), 404 | 409 | 412))
}

fn s3_error<E>(action: &'static str, bucket: &str, key: &str, err: SdkError<E>) -> CasError
where
    E: std::error::Error + Send + Sync + 'static,
{
    CasError::S3 {
        action,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        detail: DisplayErrorContext(err).to_string(),
    }
}

/// Reads a value and its ETag; `None` if there is none.
pub async fn read<T: DeserializeOwned>(s3: &Client, bucket: &str, key: &str) -> Result<Option<(T, String)>, CasError> {
    let out = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
        Err(e) => return Err(s3_error("read", bucket, key, e)),
    };
    let etag = out.e_tag.clone().unwrap_or_default();
    let bytes = out.body.collect().await.map_err(|e| CasError::S3 {
        action: "read",
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        detail: e.to_string(),
    })?;
    match serde_json::from_slice(&bytes.into_bytes()) {
        Ok(value) => Ok(Some((value, etag))),
        Err(source) => Err(CasError::Corrupt {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag,
            source,
        }),
    }
}

/// Writes `value` under `condition` with a fresh stamp; a refused write hands back what stands.
pub async fn write<T>(
    s3: &Client,
    bucket: &str,
    key: &str,
    value: &T,
    condition: Condition<'_>,
) -> Result<Written<T>, CasError>
where
    T: Stamped + Serialize + DeserializeOwned + Clone,
{
    let mut value = value.clone();
    value.set_stamp(write_id());
    let body = serde_json::to_vec_pretty(&value).expect("a compare-and-swap value serialises");
    let put = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body));
    let (put, action) = match condition {
        Condition::Absent => (put.if_none_match("*"), "create"),
        Condition::Matches(etag) => (put.if_match(etag), "replace"),
    };
    match put.send().await {
        Ok(out) => match out.e_tag.filter(|e| !e.is_empty()) {
            Some(etag) => Ok(Written::Ours(etag)),
            // Without an ETag the next write could not be conditional: refuse such an answer.
            None => Err(CasError::S3 {
                action,
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                detail: "S3 answered without an ETag".into(),
            }),
        },
        Err(e) if is_refused(&e) => match read::<T>(s3, bucket, key).await? {
            Some((current, etag)) if current.stamp() == value.stamp() => Ok(Written::Ours(etag)),
            found => Ok(Written::Theirs(found)),
        },
        Err(e) => Err(s3_error(action, bucket, key, e)),
    }
}

/// What a conditional delete did.
#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    /// The version with the ETag is gone.
    Ours,
    /// The key holds another version now (or nothing): left as it is.
    NotOurs,
}

/// Deletes `key` only while it holds the version with `etag`.
pub async fn delete(s3: &Client, bucket: &str, key: &str, etag: &str) -> Result<Deleted, CasError> {
    match s3.delete_object().bucket(bucket).key(key).if_match(etag).send().await {
        Ok(_) => Ok(Deleted::Ours),
        Err(e) if is_gone(&e) => Ok(Deleted::NotOurs),
        Err(e) => Err(s3_error("delete", bucket, key, e)),
    }
}
