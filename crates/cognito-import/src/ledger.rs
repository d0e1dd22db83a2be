//! The ledger: one small JSON state record per dropped object version, in the drop bucket under
//! `STATE_PREFIX`. It makes at-least-once delivery import each version exactly once.
//!
//! The record is created with `If-None-Match: *` (the claim: one invocation wins, every duplicate
//! or concurrent copy of the event sees it taken) and every later change is written with `If-Match`
//! on the record's ETag, so two writers never overwrite each other. An unfinished record older than
//! the claim lease (its invocation died) may be taken over, again by `If-Match`.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use crate::event::ObjectRef;
use crate::pool::JobState;

/// Where an object stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Claimed; the file is being checked.
    Claimed,
    /// The file breaks Cognito's rules: no job was created; see `report_key`.
    Rejected,
    /// The object is gone, or changed since its event; nothing was imported.
    Missing,
    /// A job exists and the file is being uploaded to it.
    Uploading,
    /// Uploaded; waiting for the account's active job to end before it can start.
    Queued,
    /// StartUserImportJob accepted; Cognito is importing. The scheduled pass follows the job.
    Started,
    /// The job ended Succeeded; see `report_key`.
    Succeeded,
    /// The job ended Failed (Cognito's `completion_message` says why); see `report_key`.
    ImportFailed,
    /// An operator stopped the job; see `report_key`.
    Stopped,
    /// Something failed before the job started; see `message`. A new delivery or the scheduled
    /// pass tries again (nothing was imported).
    Failed,
    /// Failed on every allowed take (see `attempts`, `message`); nothing was imported and
    /// nothing more is tried.
    GaveUp,
}

impl Status {
    /// Whether nothing more will happen to the object by itself.
    pub fn is_settled(self) -> bool {
        !matches!(self, Status::Claimed | Status::Uploading)
    }

    /// Whether the object's story has ended: its job finished, or it never gets one.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Rejected
                | Status::Missing
                | Status::Succeeded
                | Status::ImportFailed
                | Status::Stopped
                | Status::GaveUp
        )
    }
}

/// The state record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub etag: String,
    pub size: u64,
    pub status: Status,
    pub job_id: Option<String>,
    pub job_name: Option<String>,
    /// Jobs created for this object and given up before they started (their URL ran out).
    #[serde(default)]
    pub abandoned_jobs: Vec<String>,
    /// The JSON report: the problems of a rejected file, or the summary of a finished import.
    pub report_key: Option<String>,
    /// The per-line outcomes of a finished import (CSV).
    #[serde(default)]
    pub lines_report_key: Option<String>,
    /// What the operator should know: why it was rejected or failed. Never file contents.
    pub message: Option<String>,
    /// The job as DescribeUserImportJob last reported it.
    #[serde(default)]
    pub job_state: Option<JobState>,
    /// Times the pipeline took the object up (the first delivery included).
    #[serde(default)]
    pub attempts: u32,
    /// Seconds since the epoch.
    pub created_at: u64,
    pub updated_at: u64,
    /// Set anew by every write (see `Ledger::put`).
    #[serde(default)]
    pub write_id: String,
    #[serde(default)]
    pub uploaded_at: Option<u64>,
    #[serde(default)]
    pub started_at: Option<u64>,
    #[serde(default)]
    pub finished_at: Option<u64>,
}

impl Record {
    pub fn new(object: &ObjectRef, etag: &str, size: u64) -> Record {
        let now = now_secs();
        Record {
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            version_id: object.version_id.clone(),
            etag: etag.to_owned(),
            size,
            status: Status::Claimed,
            job_id: None,
            job_name: None,
            abandoned_jobs: Vec::new(),
            report_key: None,
            lines_report_key: None,
            message: None,
            job_state: None,
            attempts: 1,
            created_at: now,
            updated_at: now,
            write_id: String::new(),
            uploaded_at: None,
            started_at: None,
            finished_at: None,
        }
    }

    /// The version this record is about: the version id, or the ETag in an unversioned bucket.
    pub fn version_tag(&self) -> &str {
        self.version_id.as_deref().unwrap_or(&self.etag)
    }
}

/// A value unique to one write: process, time and a counter.
pub fn write_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}-{n}", std::process::id())
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Ledger failures; `Conflict` means another invocation changed the record first.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("state record {key} was changed by another invocation")]
    Conflict { key: String },
    #[error("cannot {action} state record {key}: {source}")]
    S3 {
        action: &'static str,
        key: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("state record {key} is not valid JSON: {source}")]
    Corrupt { key: String, source: serde_json::Error },
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

/// The condition a record is written under.
enum Write<'a> {
    /// Only if no record exists (`If-None-Match: *`).
    Create,
    /// Only over the version with this ETag (`If-Match`).
    Replace(&'a str),
}

/// What a conditional write did.
enum Written {
    /// Our write stands; its ETag.
    Ours(String),
    /// Someone else's stands (the record and its ETag), or nothing (deleted meanwhile).
    Theirs(Option<Box<(Record, String)>>),
}

/// The state records of one bucket.
#[derive(Clone)]
pub struct Ledger {
    s3: Client,
    prefix: String,
    lease: Duration,
}

fn is_precondition_failed<E>(err: &aws_sdk_s3::error::SdkError<E>) -> bool {
    // 412 for a failed If-Match / If-None-Match; 409 when a concurrent conditional write won.
    err.raw_response()
        .is_some_and(|r| matches!(r.status().as_u16(), 412 | 409))
}

fn s3_error<E>(action: &'static str, key: &str, err: aws_sdk_s3::error::SdkError<E>) -> LedgerError
where
    E: std::error::Error + Send + Sync + 'static,
{
    let source = aws_sdk_s3::error::DisplayErrorContext(err).to_string().into();
    LedgerError::S3 {
        action,
        key: key.to_owned(),
        source,
    }
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
        let (existing, etag) = match self.write(record, &key, Write::Create).await? {
            Written::Ours(etag) => return Ok(Claim::Won(Box::new(record.clone()), etag)),
            Written::Theirs(Some(found)) => *found,
            // Deleted between our write and read: an operator cleared it; try once more.
            Written::Theirs(None) => return Box::pin(self.claim(record)).await,
        };
        let stale =
            !existing.status.is_settled() && now_secs().saturating_sub(existing.updated_at) > self.lease.as_secs();
        if !stale {
            return Ok(Claim::Taken(Box::new(existing)));
        }
        let mut takeover = existing.clone();
        takeover.status = Status::Claimed;
        takeover.attempts += 1;
        match self.update(&mut takeover, &etag).await {
            Ok(new_etag) => Ok(Claim::Won(Box::new(takeover), new_etag)),
            Err(LedgerError::Conflict { .. }) => Ok(Claim::Taken(Box::new(existing))),
            Err(e) => Err(e),
        }
    }

    /// Writes `record` over the version whose ETag is `etag`; returns the new ETag.
    pub async fn update(&self, record: &mut Record, etag: &str) -> Result<String, LedgerError> {
        record.updated_at = now_secs();
        let key = self.record_key(record);
        self.put(record, &key, Write::Replace(etag)).await
    }

    /// Writes the record under its condition; returns the new ETag. A failed condition is a
    /// `Conflict`: someone else created or changed the record first.
    async fn put(&self, record: &Record, key: &str, write: Write<'_>) -> Result<String, LedgerError> {
        match self.write(record, key, write).await? {
            Written::Ours(etag) => Ok(etag),
            Written::Theirs(_) => Err(LedgerError::Conflict { key: key.to_owned() }),
        }
    }

    /// [`Ledger::put`], but a failed condition hands back the record that stands (read once).
    async fn write(&self, record: &Record, key: &str, write: Write<'_>) -> Result<Written, LedgerError> {
        // A mark of this write: if the answer is lost and the SDK's retry meets our own write
        // (412), the record read back carries it, and the write is ours after all.
        let mut record = record.clone();
        record.write_id = write_id();
        let put = self
            .s3
            .put_object()
            .bucket(&record.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(
                serde_json::to_vec_pretty(&record).expect("a record serialises"),
            ));
        let (put, action) = match write {
            Write::Create => (put.if_none_match("*"), "create"),
            Write::Replace(etag) => (put.if_match(etag), "update"),
        };
        match put.send().await {
            Ok(out) => out
                .e_tag
                .filter(|e| !e.is_empty())
                .map(Written::Ours)
                .ok_or_else(|| LedgerError::S3 {
                    action,
                    key: key.to_owned(),
                    source: "S3 answered without an ETag".into(),
                }),
            Err(e) if is_precondition_failed(&e) => match self.read(&record.bucket, key).await? {
                Some((current, etag)) if current.write_id == record.write_id => Ok(Written::Ours(etag)),
                found => Ok(Written::Theirs(found.map(Box::new))),
            },
            Err(e) => Err(s3_error(action, key, e)),
        }
    }

    /// Reads a record and its ETag; `None` if there is none.
    pub async fn read(&self, bucket: &str, key: &str) -> Result<Option<(Record, String)>, LedgerError> {
        let out = match self.s3.get_object().bucket(bucket).key(key).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(s3_error("read", key, e)),
        };
        let etag = out.e_tag.clone().unwrap_or_default();
        let bytes = out.body.collect().await.map_err(|e| LedgerError::S3 {
            action: "read",
            key: key.to_owned(),
            source: Box::new(e),
        })?;
        let record = serde_json::from_slice(&bytes.into_bytes()).map_err(|source| LedgerError::Corrupt {
            key: key.to_owned(),
            source,
        })?;
        Ok(Some((record, etag)))
    }
}

impl Ledger {
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
            let page = page.map_err(|e| s3_error("list", &self.prefix, e))?;
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
