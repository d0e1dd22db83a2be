//! The queue lock: one object, `<STATE_PREFIX>queue.lock`, created with `If-None-Match: *`, so
//! that two copies of the scheduled pass (or a pass and an upload's immediate start) never decide
//! the queue at the same time. A lock left behind by a function that died expires after the lease
//! and is taken over with `If-Match`; a release deletes only our own write (`If-Match` on its
//! ETag).

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use crate::ledger::now_secs;

#[derive(Debug, thiserror::Error)]
#[error("the queue lock {key}: {detail}")]
pub struct LockError {
    key: String,
    detail: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    owner: String,
    acquired_at: u64,
    expires_at: u64,
}

/// The lock as it stands (`None` if absent): its body (`None` if unreadable) and ETag.
async fn read(s3: &Client, bucket: &str, key: &str) -> Result<Option<(Option<Body>, Option<String>)>, String> {
    let held = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(held) => held,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {}", DisplayErrorContext(e))),
    };
    let etag = held.e_tag.clone();
    let bytes = held.body.collect().await.map_err(|e| format!("cannot read it: {e}"))?;
    Ok(Some((serde_json::from_slice(&bytes.into_bytes()).ok(), etag)))
}

/// A held lock; [`Lock::release`] lets it go (or it expires).
#[derive(Debug)]
pub struct Lock {
    s3: Client,
    bucket: String,
    key: String,
    /// The ETag of our write: the release deletes only that.
    etag: String,
}

fn precondition_failed<E>(e: &aws_sdk_s3::error::SdkError<E>) -> bool {
    e.raw_response()
        .is_some_and(|r| matches!(r.status().as_u16(), 412 | 409))
}

fn owner_id() -> String {
    crate::ledger::write_id()
}

impl Lock {
    /// Takes the lock if it is free or expired; `None` if someone holds it.
    pub async fn acquire(s3: &Client, bucket: &str, key: &str, lease: Duration) -> Result<Option<Lock>, LockError> {
        let error = |detail: String| LockError {
            key: key.to_owned(),
            detail,
        };
        let owner = owner_id();
        let body = |owner: &str| {
            let now = now_secs();
            ByteStream::from(
                serde_json::to_vec(&Body {
                    owner: owner.to_owned(),
                    acquired_at: now,
                    expires_at: now + lease.as_secs(),
                })
                .expect("a lock serialises"),
            )
        };
        // Without an ETag the release could not be conditional: refuse such an answer.
        let lock = |etag: Option<String>| match etag.filter(|e| !e.is_empty()) {
            Some(etag) => Ok(Some(Lock {
                s3: s3.clone(),
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                etag,
            })),
            None => Err(error("S3 answered without an ETag".into())),
        };
        let created = s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .if_none_match("*")
            .body(body(&owner))
            .send()
            .await;
        match created {
            Ok(out) => return lock(out.e_tag),
            Err(e) if precondition_failed(&e) => {}
            Err(e) => return Err(error(format!("cannot create it: {}", DisplayErrorContext(e)))),
        }
        let Some((held, etag)) = read(s3, bucket, key).await.map_err(error)? else {
            // Released between our two calls: the next pass takes it.
            return Ok(None);
        };
        // Our own create landed and its answer was lost (the SDK's retry then met it): ours.
        if held.as_ref().is_some_and(|b| b.owner == owner) {
            return lock(etag);
        }
        // An unreadable lock is treated as expired: it can only be a broken write.
        if held.is_some_and(|b| b.expires_at >= now_secs()) {
            return Ok(None);
        }
        match s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .if_match(etag.unwrap_or_default())
            .body(body(&owner))
            .send()
            .await
        {
            Ok(out) => lock(out.e_tag),
            // Taken over by another pass, or by this takeover whose answer was lost: look.
            Err(e) if precondition_failed(&e) => match read(s3, bucket, key).await {
                Ok(Some((Some(b), etag))) if b.owner == owner => lock(etag),
                _ => Ok(None),
            },
            Err(e) => Err(error(format!("cannot take it over: {}", DisplayErrorContext(e)))),
        }
    }

    /// Lets the lock go if it is still ours: a delete conditional on our write's ETag, so a lock
    /// taken over meanwhile is never removed.
    pub async fn release(self) {
        let deleted = self
            .s3
            .delete_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .if_match(&self.etag)
            .send()
            .await;
        match deleted {
            Ok(_) => {}
            Err(e)
                if e.raw_response()
                    .is_some_and(|r| matches!(r.status().as_u16(), 404 | 412)) =>
            {
                tracing::warn!("the queue lock was taken over before its release");
            }
            Err(e) => {
                tracing::warn!(error = %DisplayErrorContext(e), "could not release the queue lock; it expires by itself");
            }
        }
    }
}
