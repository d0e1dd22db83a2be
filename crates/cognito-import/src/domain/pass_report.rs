//! What a scheduled pass (or a drop's own queue run) did, for its answer and log.

use serde::Serialize;

use crate::domain::record::Record;

/// One object the pass acted on.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Touched {
    pub key: String,
    /// The object's version (none in an unversioned bucket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    pub job_id: Option<String>,
    pub what: String,
}

impl Touched {
    pub fn new(record: &Record, job_id: Option<String>, what: String) -> Touched {
        Touched {
            key: record.key.clone(),
            version_id: record.version_id.clone(),
            job_id,
            what,
        }
    }
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassReport {
    /// False when another pass held the lock: this one did nothing.
    pub ran: bool,
    pub resumed: Vec<Touched>,
    pub finished: Vec<Touched>,
    pub started: Option<Touched>,
    /// Queued jobs whose own job expired, given a fresh one.
    pub replaced: Vec<Touched>,
    /// The job of ours that is active (Pending or InProgress), if any.
    pub active_job: Option<String>,
    pub still_queued: usize,
    pub errors: Vec<String>,
}

impl PassReport {
    /// Nothing happened: no object moved, nothing failed.
    pub fn is_idle(&self) -> bool {
        self.resumed.is_empty()
            && self.finished.is_empty()
            && self.started.is_none()
            && self.replaced.is_empty()
            && self.errors.is_empty()
    }
}
