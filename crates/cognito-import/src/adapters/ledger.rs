//! The ledger: one small JSON state record per dropped object version, in the drop bucket under
//! `STATE_PREFIX`. It makes at-least-once delivery import each version exactly once.
//!
//! The record is created with `If-None-Match: *` (the claim: one invocation wins, every duplicate
//! or concurrent copy of the event sees it taken) and every later change is written with `If-Match`
//! on the record's ETag, so two writers never overwrite each other ([`crate::adapters::s3cas`]). An
//! unfinished record older than the claim lease (its invocation died) may be taken over.

use std::time::Duration;

use aws_sdk_s3::Client;

use crate::adapters::s3cas::{self, CasError, Condition, Stamped, Written};
use crate::domain::record::{IllegalMove, Record, now_secs};

impl Stamped for Record {
    fn stamp(&self) -> &str {
        &self.write_id
    }

    fn set_stamp(&mut self, stamp: String) {
        self.write_id = stamp;
    }
}

/// Records unwritten for longer than this are settled and not read; the scheduled pass rewrites
/// open records well within it (its heartbeat).
pub const RECENT: Duration = Duration::from_secs(3 * 24 * 3600);

/// Open records with their ETags.
pub type Open = Vec<(Record, String)>;

/// Ledger failures; `Conflict` means another invocation changed the record first.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("state record {key} was changed by another invocation")]
    Conflict { key: String },
    #[error(transparent)]
    S3(#[from] CasError),
    #[error(transparent)]
    Lifecycle(#[from] IllegalMove),
}

/// The result of a claim.
#[derive(Debug)]
pub enum Claim {
    /// This invocation owns the object: the record as it now stands (a stale record taken over
    /// keeps its job id, so the retry asks that job first) and its ETag for the next update.
    Won(Box<Record>, String),
    /// Another invocation owns it (or finished it): its record as it stands.
    Taken(Box<Record>),
}

/// The state records of one bucket.
#[derive(Clone)]
pub struct Ledger {
    s3: Client,
    prefix: String,
    lease: Duration,
}

impl Ledger {
    pub fn new(s3: Client, prefix: impl Into<String>, lease: Duration) -> Ledger {
        Ledger {
            s3,
            prefix: prefix.into(),
            lease,
        }
    }

    /// The record's key: readable, next to the others, one per object version.
    pub fn record_key(&self, record: &Record) -> String {
        format!("{}{}@{}.json", self.prefix, record.key, record.version_tag())
    }

    /// Creates the record if nobody has; else takes over a stale unfinished one, or reports it taken.
    pub async fn claim(&self, record: &Record) -> Result<Claim, LedgerError> {
        let key = self.record_key(record);
        let (existing, etag) = match s3cas::write(&self.s3, &record.bucket, &key, record, Condition::Absent).await? {
            Written::Ours(etag) => return Ok(Claim::Won(Box::new(record.clone()), etag)),
            Written::Theirs(Some(found)) => found,
            // Deleted between our write and read: an operator cleared it; try once more.
            Written::Theirs(None) => return Box::pin(self.claim(record)).await,
        };
        let stale =
            !existing.status().is_settled() && now_secs().saturating_sub(existing.updated_at) > self.lease.as_secs();
        if !stale {
            return Ok(Claim::Taken(Box::new(existing)));
        }
        let mut takeover = existing.clone();
        takeover.take_again()?;
        match self.update(&mut takeover, &etag).await {
            Ok(new_etag) => Ok(Claim::Won(Box::new(takeover), new_etag)),
            Err(LedgerError::Conflict { .. }) => Ok(Claim::Taken(Box::new(existing))),
            Err(e) => Err(e),
        }
    }

    /// Writes `record` over the version whose ETag is `etag`; returns the new ETag. A failed
    /// condition is a `Conflict`: someone else changed the record first.
    pub async fn update(&self, record: &mut Record, etag: &str) -> Result<String, LedgerError> {
        record.updated_at = now_secs();
        let key = self.record_key(record);
        match s3cas::write(&self.s3, &record.bucket, &key, record, Condition::Matches(etag)).await? {
            Written::Ours(etag) => Ok(etag),
            Written::Theirs(_) => Err(LedgerError::Conflict { key }),
        }
    }

    /// Reads a record and its ETag; `None` if there is none.
    pub async fn read(&self, bucket: &str, key: &str) -> Result<Option<(Record, String)>, LedgerError> {
        Ok(s3cas::read(&self.s3, bucket, key).await?)
    }

    /// Reads `record`'s own record as it stands now.
    pub async fn reread(&self, record: &Record) -> Result<Option<(Record, String)>, LedgerError> {
        self.read(&record.bucket, &self.record_key(record)).await
    }

    /// The records that are not final, with their ETags: those written in the last [`RECENT`]
    /// (unreadable ones are skipped, with a warning).
    pub async fn open_records(&self, bucket: &str) -> Result<Open, LedgerError> {
        let since = now_secs().saturating_sub(RECENT.as_secs());
        let mut open = Vec::new();
        for key in self.recent_keys(bucket, since).await? {
            match self.read(bucket, &key).await {
                Ok(Some((record, etag))) if !record.status().is_final() => open.push((record, etag)),
                Ok(_) => {}
                Err(e) => tracing::warn!(record = %key, error = %e, "unreadable state record skipped"),
            }
        }
        Ok(open)
    }

    /// Keys of the records in `bucket` last written at or after `since` (seconds since the epoch).
    /// Records unwritten for longer are settled: the scheduled pass rewrites open ones daily.
    pub async fn recent_keys(&self, bucket: &str, since: u64) -> Result<Vec<String>, LedgerError> {
        let mut keys = Vec::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&self.prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| CasError::S3 {
                action: "list",
                bucket: bucket.to_owned(),
                key: self.prefix.clone(),
                detail: aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
            })?;
            for object in page.contents() {
                let (Some(key), Some(modified)) = (object.key(), object.last_modified()) else {
                    continue;
                };
                if key.ends_with(".json") && modified.secs() >= since as i64 {
                    keys.push(key.to_owned());
                }
            }
        }
        Ok(keys)
    }
}
