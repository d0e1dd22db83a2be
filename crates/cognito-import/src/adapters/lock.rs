//! The queue lock: one object, `<STATE_PREFIX>queue.lock`, created with `If-None-Match: *`, so
//! that two copies of the scheduled pass (or a pass and an upload's immediate start) never decide
//! the queue at the same time. A lock left behind by a function that died expires after the lease
//! and is taken over with `If-Match`; a release deletes only our own write (`If-Match` on its
//! ETag). The conditional writes are [`crate::adapters::s3cas`]'s.

use std::time::Duration;

use aws_sdk_s3::Client;
use serde::{Deserialize, Serialize};

use crate::adapters::s3cas::{self, CasError, Condition, Deleted, Stamped, Written};
use crate::domain::record::now_secs;

#[derive(Debug, thiserror::Error)]
#[error("the queue lock: {0}")]
pub struct LockError(#[from] CasError);

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    /// The stamp of the write: who holds the lock.
    owner: String,
    acquired_at: u64,
    expires_at: u64,
}

impl Stamped for Body {
    fn stamp(&self) -> &str {
        &self.owner
    }

    fn set_stamp(&mut self, stamp: String) {
        self.owner = stamp;
    }
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

impl Lock {
    /// Takes the lock if it is free or expired; `None` if someone holds it.
    pub async fn acquire(s3: &Client, bucket: &str, key: &str, lease: Duration) -> Result<Option<Lock>, LockError> {
        let now = now_secs();
        let body = Body {
            owner: String::new(),
            acquired_at: now,
            expires_at: now + lease.as_secs(),
        };
        let held = |etag: String| Lock {
            s3: s3.clone(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag,
        };
        let etag = match s3cas::write(s3, bucket, key, &body, Condition::Absent).await {
            Ok(Written::Ours(etag)) => return Ok(Some(held(etag))),
            // Released between our two calls: the next pass takes it.
            Ok(Written::Theirs(None)) => return Ok(None),
            Ok(Written::Theirs(Some((other, _)))) if other.expires_at >= now_secs() => return Ok(None),
            Ok(Written::Theirs(Some((_, etag)))) => etag,
            // An unreadable lock can only be a broken write: treated as expired.
            Err(CasError::Corrupt { etag, .. }) => etag,
            Err(e) => return Err(e.into()),
        };
        match s3cas::write(s3, bucket, key, &body, Condition::Matches(&etag)).await {
            Ok(Written::Ours(etag)) => Ok(Some(held(etag))),
            // Taken over by another pass first.
            Ok(Written::Theirs(_)) | Err(CasError::Corrupt { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Lets the lock go if it is still ours: a lock taken over meanwhile is never removed.
    pub async fn release(self) {
        match s3cas::delete(&self.s3, &self.bucket, &self.key, &self.etag).await {
            Ok(Deleted::Ours) => {}
            Ok(Deleted::NotOurs) => tracing::warn!("the queue lock was taken over before its release"),
            Err(e) => tracing::warn!(error = %e, "could not release the queue lock; it expires by itself"),
        }
    }
}
