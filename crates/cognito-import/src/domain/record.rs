//! The state record of one dropped object version, and its lifecycle.
//!
//! ```text
//!                 ┌──────────── take over (stale) ───────────┐
//!                 ▼                                          │
//!   (claim) ─▶ Claimed ──▶ Uploading ──▶ Queued ──▶ Started ─┴▶ Succeeded | ImportFailed | Stopped
//!              │  ▲  │ │      │  ▲       ▲  │  ▲
//!              │  │  │ │      └──┘ new   │  └──┘ expired job replaced, or its job made (via Uploading)
//!              │  │  │ └─ job put off ───┘
//!              │  │  └──▶ Rejected
//!              │  └── retake ── Failed | Missing | Misconfigured
//!              └──▶ Failed ──▶ GaveUp          (Claimed, Uploading, Queued → Failed or GaveUp)
//! ```
//!
//! A wrong setting ends Claimed, Uploading, Queued (and Started, when its pool is gone) as
//! Misconfigured.
//!
//! A file over Cognito's limits is imported as parts ([`Record::parts`]), one job each, in order:
//! the record walks the same path once per part, and `Started ──▶ Queued` ([`Record::next_part`])
//! takes it from a part that succeeded to the next, which has no job yet.
//!
//! The status changes only through the methods below; each refuses a move the table in
//! [`Status::can_become`] does not allow, so a record can never, say, start a job it never
//! uploaded, or leave a final state.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::check::{HashAlgorithm, Normalised, PartInfo};
use crate::domain::event::ObjectRef;
use crate::domain::job::{JobState, JobStatus};

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
    /// Waiting for its turn, oldest first: uploaded to its job, which starts when the account's
    /// active job ends; or checked but without a job yet (the next part of a split file, or a
    /// file whose job Cognito's throttling put off), which is created and given the file then.
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
    /// A setting is wrong (the pool does not exist, the logs role cannot be passed, …): nothing was
    /// imported, nothing is retried; `message` names the setting. A new delivery of the object
    /// (`cognito-import handle`) takes it up again after the fix.
    Misconfigured,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 12] = [
        Status::Claimed,
        Status::Uploading,
        Status::Queued,
        Status::Started,
        Status::Succeeded,
        Status::ImportFailed,
        Status::Stopped,
        Status::Rejected,
        Status::Missing,
        Status::Failed,
        Status::GaveUp,
        Status::Misconfigured,
    ];

    /// Whether a record in this status may move to `next`: the lifecycle, in one place.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            // A stale take (its invocation died) taken over; a failed or vanished one retaken.
            (Claimed | Uploading | Failed | Missing | Misconfigured, Claimed)
                | (Claimed, Rejected)
                | (Claimed | Failed, Missing)
                // A job created (again: when a URL ran out, or a queued job expired unstarted).
                | (Claimed | Uploading | Queued, Uploading)
                | (Uploading, Queued)
                // Checked, and Cognito throttled its job: it waits for its job in the queue.
                | (Claimed, Queued)
                // Queued and started; or an earlier take's job turned out to have started.
                | (Claimed | Queued, Started)
                | (Started, Succeeded | ImportFailed | Stopped)
                // A part of a split file succeeded: the next one waits for its job.
                | (Started, Queued)
                | (Claimed | Uploading | Queued, Failed)
                | (Claimed | Uploading | Queued | Failed, GaveUp)
                | (Claimed | Uploading | Queued, Misconfigured)
                // The started job's pool is gone: nothing more can be learned of it.
                | (Started, Misconfigured)
        )
    }

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
                | Status::Misconfigured
        )
    }

    /// The record status for a finished job's status (Expired counts as failed: it never ran).
    pub fn after_job(job: JobStatus) -> Status {
        match job {
            JobStatus::Succeeded => Status::Succeeded,
            JobStatus::Stopped => Status::Stopped,
            _ => Status::ImportFailed,
        }
    }
}

/// A move the lifecycle does not allow.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the state record of {key} cannot go from {from:?} to {to:?}")]
pub struct IllegalMove {
    pub key: String,
    pub from: Status,
    pub to: Status,
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
    /// Changed only by the lifecycle methods.
    status: Status,
    pub job_id: Option<String>,
    pub job_name: Option<String>,
    /// The user pool `job_id` was created in (`None` in records of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_pool: Option<String>,
    /// Jobs created for this object and given up: before they started (their URL ran out, a setting
    /// kept them from starting), or with their pool (deleted).
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
    /// Set anew by every write, so that a write whose answer was lost is recognised as ours.
    #[serde(default)]
    pub write_id: String,
    #[serde(default)]
    pub uploaded_at: Option<u64>,
    #[serde(default)]
    pub started_at: Option<u64>,
    #[serde(default)]
    pub finished_at: Option<u64>,
    /// What preparing the file changed (set by the check; `None` before it). The upload sends the
    /// prepared bytes: [`Record::upload_size`] of them.
    #[serde(default)]
    pub normalised: Option<Normalised>,
    /// The parts of a file over Cognito's limits, in order, each imported as its own job; empty for
    /// a file imported whole. `job_id`, `job_name` and `job_state` above are the current part's.
    #[serde(default)]
    pub parts: Vec<Part>,
    /// The part being imported (1-based), when there are parts.
    #[serde(default)]
    pub part: u32,
    /// A file with a `password_hash` column: the algorithms its jobs are created with, and its rows
    /// by hash (set by the check; `None` for a file without the column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Hashes>,
}

/// A hash file's jobs' algorithms and its rows by `password_hash`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hashes {
    /// One, or one per part's algorithm when the file is imported as one file per algorithm (its
    /// parts' [`PartInfo::group`]).
    pub algorithms: Vec<HashAlgorithm>,
    /// Rows with a hash.
    pub with_hash: u64,
    /// Rows with an empty `password_hash` (those users must reset their password).
    pub without_hash: u64,
}

/// One part of a split file, and the job it was given once its turn came.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    #[serde(flatten)]
    pub info: PartInfo,
    /// Its job, once it has finished (the current part's job is the record's own).
    pub job_id: Option<String>,
    pub job_name: Option<String>,
    pub job_state: Option<JobState>,
}

impl Record {
    /// The bytes the upload sends: the current part, the file as prepared, or the file as dropped
    /// before it is checked.
    pub fn upload_size(&self) -> u64 {
        match self.current_part() {
            Some(part) => part.info.bytes,
            None => self.normalised.as_ref().map_or(self.size, |n| n.bytes_out),
        }
    }

    /// The object version this record is about, as an event would name it.
    pub fn object(&self) -> ObjectRef {
        ObjectRef {
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            version_id: self.version_id.clone(),
            etag: Some(self.etag.clone()),
            size: Some(self.size),
        }
    }

    /// The `PasswordHashingAlgorithm` of the current job: its part's, or the file's (`None`: no
    /// hash job).
    pub fn job_algorithm(&self) -> Option<HashAlgorithm> {
        match self.current_part().and_then(|p| p.info.group) {
            Some(group) => Some(group.algorithm),
            None => self.hashes.as_ref().and_then(|h| h.algorithms.first().copied()),
        }
    }

    /// The part being imported, if the file is split.
    pub fn current_part(&self) -> Option<&Part> {
        (self.part as usize).checked_sub(1).and_then(|i| self.parts.get(i))
    }

    /// Sets the parts of a file over the limits, the first one current (before its job exists).
    pub fn split(&mut self, parts: Vec<PartInfo>) {
        self.parts = parts
            .into_iter()
            .map(|info| Part {
                info,
                job_id: None,
                job_name: None,
                job_state: None,
            })
            .collect();
        self.part = u32::from(!self.parts.is_empty());
    }

    /// The current part's job has succeeded and another part follows: its job is kept with the part
    /// and the record waits in the queue for the next part's job. `false` (nothing changed) when
    /// this was the last part, or the file is not split.
    pub fn next_part(&mut self, state: JobState) -> Result<bool, IllegalMove> {
        if self.part == 0 || self.part as usize >= self.parts.len() {
            return Ok(false);
        }
        self.go_from(Status::Started, Status::Queued)?;
        self.keep_part_job(Some(state));
        self.part += 1;
        self.uploaded_at = None;
        self.started_at = None;
        Ok(true)
    }

    /// Moves the current job (and its last state) into the current part.
    fn keep_part_job(&mut self, state: Option<JobState>) {
        let i = self.part as usize - 1;
        self.parts[i].job_id = self.job_id.take();
        self.parts[i].job_name = self.job_name.take();
        self.parts[i].job_state = state.or_else(|| self.job_state.take());
        self.job_state = None;
    }

    /// A new claim of the version with `etag` and `size`.
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
            job_pool: None,
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
            normalised: None,
            parts: Vec::new(),
            part: 0,
            hashes: None,
        }
    }

    /// The record of a version that vanished before anyone claimed it.
    pub fn vanished(object: &ObjectRef, message: &str) -> Record {
        let tag = object.etag.clone().unwrap_or_else(|| "unknown".into());
        let mut record = Record::new(object, &tag, object.size.unwrap_or(0));
        record.status = Status::Missing;
        record.message = Some(message.to_owned());
        record
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// The version this record is about: the version id, or the ETag in an unversioned bucket.
    pub fn version_tag(&self) -> &str {
        self.version_id.as_deref().unwrap_or(&self.etag)
    }

    fn go(&mut self, to: Status) -> Result<(), IllegalMove> {
        if !self.status.can_become(to) {
            return Err(IllegalMove {
                key: self.key.clone(),
                from: self.status,
                to,
            });
        }
        self.status = to;
        Ok(())
    }

    /// [`Record::go`], for a method that one status alone may take to `to` (Queued is entered by
    /// an upload, by a job put off, and by a part's end: each its own way).
    fn go_from(&mut self, from: Status, to: Status) -> Result<(), IllegalMove> {
        if self.status != from {
            return Err(IllegalMove {
                key: self.key.clone(),
                from: self.status,
                to,
            });
        }
        self.go(to)
    }

    /// Claimed again, for another take: a stale claim or upload taken over, or a failed or
    /// vanished one retried. Counts the take.
    pub fn take_again(&mut self) -> Result<(), IllegalMove> {
        let retake = matches!(self.status, Status::Failed | Status::Missing | Status::Misconfigured);
        self.go(Status::Claimed)?;
        if retake {
            self.message = None;
        }
        self.attempts += 1;
        Ok(())
    }

    /// The file breaks Cognito's rules; `report_key` lists the problems.
    pub fn reject(&mut self, report_key: String, message: String) -> Result<(), IllegalMove> {
        self.go(Status::Rejected)?;
        self.report_key = Some(report_key);
        self.message = Some(message);
        Ok(())
    }

    /// The version is gone or changed: nothing was imported.
    pub fn vanish(&mut self, message: &str) -> Result<(), IllegalMove> {
        self.go(Status::Missing)?;
        self.message = Some(message.to_owned());
        Ok(())
    }

    /// A job was created for the object: its file goes up next. A job the record had before is
    /// kept as abandoned (it never started).
    pub fn uploading(&mut self, job_id: &str, job_name: &str, pool_id: &str) -> Result<(), IllegalMove> {
        self.go(Status::Uploading)?;
        if self.job_id.as_deref() != Some(job_id) {
            self.abandon_job();
        }
        // An earlier attempt's job taken up again is no longer abandoned.
        self.abandoned_jobs.retain(|j| j != job_id);
        self.job_id = Some(job_id.to_owned());
        self.job_name = Some(job_name.to_owned());
        self.job_pool = Some(pool_id.to_owned());
        Ok(())
    }

    /// The pool the record's jobs were created in is gone, and what they imported with it: every
    /// job is kept as abandoned, and a new delivery checks and imports the whole file again into
    /// the pool then set (a split file cut anew: another pool may complete its header otherwise).
    pub fn pool_gone(&mut self) {
        self.abandon_job();
        for job in std::mem::take(&mut self.parts).into_iter().filter_map(|p| p.job_id) {
            self.abandon(job);
        }
        self.part = 0;
        self.job_pool = None;
        self.job_state = None;
    }

    /// Whether the record's job was created in `pool_id` (assumed for records that do not say).
    pub fn job_pool_is(&self, pool_id: &str) -> bool {
        self.job_pool.as_deref().is_none_or(|p| p == pool_id)
    }

    /// Moves the record's job (if any) to the abandoned ones: it never started (or its pool is
    /// gone).
    pub fn abandon_job(&mut self) {
        if let Some(old) = self.job_id.take() {
            self.abandon(old);
        }
    }

    fn abandon(&mut self, job: String) {
        if !self.abandoned_jobs.contains(&job) {
            self.abandoned_jobs.push(job);
        }
    }

    /// The file is checked, but Cognito throttled its job's creation: it waits in the queue without
    /// a job, and gets one (and the file, prepared again from S3) when its turn comes.
    pub fn wait_for_job(&mut self) -> Result<(), IllegalMove> {
        self.go_from(Status::Claimed, Status::Queued)?;
        self.abandon_job();
        self.uploaded_at = None;
        Ok(())
    }

    /// The file is uploaded to the job; it starts when the account's queue allows.
    pub fn queued(&mut self) -> Result<(), IllegalMove> {
        self.go_from(Status::Uploading, Status::Queued)?;
        self.uploaded_at = Some(now_secs());
        self.message = None;
        Ok(())
    }

    /// StartUserImportJob accepted the job (or an earlier take's job turned out to have started).
    pub fn started(&mut self) -> Result<(), IllegalMove> {
        self.go(Status::Started)?;
        self.started_at.get_or_insert(now_secs());
        self.message = None;
        Ok(())
    }

    /// The job has finished: the record is closed with its reports. (The last part's job stays the
    /// record's own, and is also kept with its part.)
    pub fn finished(&mut self, state: JobState, report_key: String, lines_key: String) -> Result<(), IllegalMove> {
        self.go(Status::after_job(state.status))?;
        if let Some(part) = (self.part as usize).checked_sub(1).and_then(|i| self.parts.get_mut(i)) {
            part.job_id = self.job_id.clone();
            part.job_name = self.job_name.clone();
            part.job_state = Some(state.clone());
        }
        self.message = state.completion_message.clone();
        self.report_key = Some(report_key);
        self.lines_report_key = Some(lines_key);
        self.finished_at = Some(now_secs());
        self.job_state = Some(state);
        Ok(())
    }

    /// A take failed before its job started; a later take may succeed.
    pub fn fail(&mut self, message: String) -> Result<(), IllegalMove> {
        self.go(Status::Failed)?;
        self.message = Some(message);
        Ok(())
    }

    /// A setting is wrong: final until a new delivery after the fix.
    pub fn misconfigured(&mut self, message: String) -> Result<(), IllegalMove> {
        self.go(Status::Misconfigured)?;
        self.message = Some(message);
        Ok(())
    }

    /// Failed on every allowed take: final. Returns the message it now holds.
    pub fn give_up(&mut self) -> Result<String, IllegalMove> {
        self.go(Status::GaveUp)?;
        let message = format!(
            "gave up after {} attempts; the last: {}",
            self.attempts,
            self.message.as_deref().unwrap_or("(no message)")
        );
        self.message = Some(message.clone());
        Ok(message)
    }

    /// A record in `status`, for tests elsewhere that need one without walking the lifecycle.
    #[cfg(test)]
    pub fn in_status(object: &ObjectRef, status: Status) -> Record {
        let mut record = Record::new(object, "e", 1);
        record.status = status;
        record
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of statuses: row = from, column = to, in [`Status::ALL`]'s order
    /// (Claimed, Uploading, Queued, Started, Succeeded, ImportFailed, Stopped, Rejected, Missing,
    /// Failed, GaveUp, Misconfigured). `x` = allowed.
    const MOVES: [&str; 12] = [
        //  C U Q S s I T R M F G X
        "x x x x . . . x x x x x", // Claimed
        "x x x . . . . . . x x x", // Uploading
        ". x . x . . . . . x x x", // Queued
        ". . x . x x x . . . . x", // Started
        ". . . . . . . . . . . .", // Succeeded
        ". . . . . . . . . . . .", // ImportFailed
        ". . . . . . . . . . . .", // Stopped
        ". . . . . . . . . . . .", // Rejected
        "x . . . . . . . . . . .", // Missing
        "x . . . . . . . x . x .", // Failed
        ". . . . . . . . . . . .", // GaveUp
        "x . . . . . . . . . . .", // Misconfigured
    ];

    #[test]
    fn the_lifecycle_allows_exactly_the_moves_in_the_table() {
        for (row, from) in Status::ALL.into_iter().enumerate() {
            let allowed: Vec<bool> = MOVES[row].split(' ').map(|c| c == "x").collect();
            assert_eq!(allowed.len(), Status::ALL.len());
            for (col, to) in Status::ALL.into_iter().enumerate() {
                assert_eq!(from.can_become(to), allowed[col], "{from:?} → {to:?}");
            }
        }
    }

    fn object() -> ObjectRef {
        ObjectRef {
            bucket: "b".into(),
            key: "incoming/a.csv".into(),
            version_id: None,
            etag: None,
            size: None,
        }
    }

    #[test]
    fn final_statuses_refuse_every_move_and_say_which() {
        for status in Status::ALL
            .into_iter()
            .filter(|s| s.is_final() && !matches!(s, Status::Missing | Status::Misconfigured))
        {
            let mut record = Record::in_status(&object(), status);
            assert_eq!(
                record.take_again(),
                Err(IllegalMove {
                    key: "incoming/a.csv".into(),
                    from: status,
                    to: Status::Claimed
                })
            );
            assert_eq!(record.status(), status, "a refused move changes nothing");
        }
    }

    #[test]
    fn a_split_file_walks_its_parts_in_order_keeping_each_parts_job() {
        let part = |number, first_line, last_line| PartInfo {
            number,
            first_line,
            last_line,
            rows: last_line - first_line + 1,
            bytes: 100 * number as u64,
            group: None,
        };
        let mut record = Record::new(&object(), "e", 1000);
        record.split(vec![part(1, 2, 10), part(2, 11, 15)]);
        assert_eq!((record.part, record.upload_size()), (1, 100));
        record.uploading("j1", "a.csv part 1 of 2", "us-east-1_P").unwrap();
        record.queued().unwrap();
        record.started().unwrap();
        let done = |job: &str| JobState::ended(job, JobStatus::Succeeded, 9, None);
        assert_eq!(record.next_part(done("j1")), Ok(true));
        assert_eq!(record.status(), Status::Queued);
        assert_eq!(
            (record.part, record.upload_size(), record.job_id.as_deref()),
            (2, 200, None)
        );
        assert_eq!(record.parts[0].job_id.as_deref(), Some("j1"));
        assert_eq!(
            record.parts[0].job_state.as_ref().map(|s| s.status),
            Some(JobStatus::Succeeded)
        );
        record.uploading("j2", "a.csv part 2 of 2", "us-east-1_P").unwrap();
        record.queued().unwrap();
        record.started().unwrap();
        // Were the pool deleted now, part 1's import would be gone with it: the file starts over.
        let mut gone = record.clone();
        gone.pool_gone();
        assert_eq!(
            (gone.part, gone.job_id.as_deref(), gone.job_pool.as_deref()),
            (0, None, None)
        );
        assert_eq!(gone.abandoned_jobs, ["j2", "j1"]);
        assert!(gone.parts.is_empty(), "cut anew when delivered again");
        // The last part: no next one; the record is closed as a whole.
        assert_eq!(record.next_part(done("j2")), Ok(false));
        assert_eq!(record.status(), Status::Started);
        record.finished(done("j2"), "r".into(), "l".into()).unwrap();
        assert_eq!(record.status(), Status::Succeeded);
        assert_eq!(record.parts[1].job_id.as_deref(), Some("j2"));
        // A file imported whole has no next part.
        let mut whole = Record::in_status(&object(), Status::Started);
        assert_eq!(whole.next_part(done("j")), Ok(false));
        assert_eq!(whole.status(), Status::Started);
    }

    #[test]
    fn a_record_walks_from_claim_to_success() {
        let mut record = Record::new(&object(), "e", 1);
        assert!(
            record.queued().is_err(),
            "nothing is queued as uploaded before its upload"
        );
        assert!(
            Record::in_status(&object(), Status::Uploading).wait_for_job().is_err(),
            "a job is put off only before it is made"
        );
        record.uploading("import-1", "a.csv", "us-east-1_P").unwrap();
        record.queued().unwrap();
        record.started().unwrap();
        let state = JobState::ended("import-1", JobStatus::Succeeded, 1, None);
        record.finished(state, "r.json".into(), "r.lines.csv".into()).unwrap();
        assert_eq!(record.status(), Status::Succeeded);
        assert!(record.status().is_final());
    }

    #[test]
    fn a_second_job_abandons_the_first_and_a_retake_clears_the_message() {
        let mut record = Record::new(&object(), "e", 1);
        record.uploading("import-1", "a.csv", "us-east-1_P").unwrap();
        record.uploading("import-2", "a.csv", "us-east-1_P").unwrap();
        assert_eq!(record.abandoned_jobs, ["import-1"]);
        record.fail("network".into()).unwrap();
        record.take_again().unwrap();
        assert_eq!(
            (record.status(), record.attempts, record.message.as_deref()),
            (Status::Claimed, 2, None)
        );
    }

    #[test]
    fn cognitos_final_statuses_map_to_record_statuses() {
        assert_eq!(Status::after_job(JobStatus::Succeeded), Status::Succeeded);
        assert_eq!(Status::after_job(JobStatus::Failed), Status::ImportFailed);
        assert_eq!(Status::after_job(JobStatus::Stopped), Status::Stopped);
        assert!(Status::after_job(JobStatus::Failed).is_final());
    }
}
