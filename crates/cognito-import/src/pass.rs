//! The scheduled pass (an EventBridge schedule, every minute), which sees every import through
//! without anyone watching. Under the queue lock, it:
//!
//! 1. **tracks** started jobs with DescribeUserImportJob; a finished one is closed by
//!    [`track::complete`] (reports, notification, metrics, source object);
//! 2. **starts** the oldest queued job when none of ours is active (Cognito runs one import job per
//!    account), after checking it has not expired; an expired one is replaced by a fresh job and a
//!    new upload of the same version — never a second import;
//! 3. **resumes** one object whose invocation died (a stale claim or upload) or that failed (with
//!    backoff); after [`MAX_ATTEMPTS`] takes in all, the object is given up: final and reported.
//!
//! The cheap steps come first and step 3 takes one object per pass, so a slow resume never starves
//! the queue. Right after an upload, the pipeline runs steps 1 (without closing) and 2
//! ([`start_next`]) so a free account starts at once. Records are found by listing the state prefix: only records written in the last
//! [`RECENT`] are read, and the pass rewrites every open record at least every [`HEARTBEAT`].

use std::time::Duration;

use serde::Serialize;
use tracing::{Instrument, info, info_span, warn};

use crate::event::ObjectRef;
use crate::ledger::{LedgerError, Record, Status, now_secs};
use crate::lock::{Lock, LockError};
use crate::pipeline::{self, App, Outcome};
use crate::pool::{PoolError, Start};
use crate::track;

/// Records unwritten for longer than this are settled and not read.
pub const RECENT: Duration = Duration::from_secs(3 * 24 * 3600);
/// Open records are rewritten at least this often, so they stay recent.
pub const HEARTBEAT: Duration = Duration::from_secs(12 * 3600);
/// Takes of one object in all (deliveries and retries) before a failure is left as it is.
pub const MAX_ATTEMPTS: u32 = 5;
/// Wait before the pass retries a failed object: this, doubled for each earlier take.
pub const RETRY_BACKOFF: Duration = Duration::from_secs(60);
/// The queue lock's lease: a Lambda invocation lives at most 15 minutes, so a lock older than
/// this has no living holder.
pub const LOCK_LEASE: Duration = Duration::from_secs(900);

#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// One object the pass acted on.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Touched {
    pub key: String,
    pub job_id: Option<String>,
    pub what: String,
}

/// What a pass did, for its answer and log.
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

fn lock_key(app: &App) -> String {
    format!("{}queue.lock", app.config.state_prefix)
}

/// The whole pass.
pub async fn run(app: &App) -> Result<PassReport, PassError> {
    let span = info_span!("pass");
    async {
        let mut report = PassReport::default();
        let Some(lock) = Lock::acquire(&app.s3, &app.config.drop_bucket, &lock_key(app), LOCK_LEASE).await? else {
            info!("another pass holds the queue lock");
            return Ok(report);
        };
        report.ran = true;
        let result = full(app, &mut report).await;
        lock.release().await;
        result?;
        let idle = report.resumed.is_empty()
            && report.finished.is_empty()
            && report.started.is_none()
            && report.replaced.is_empty()
            && report.errors.is_empty();
        if idle {
            tracing::debug!(queued = report.still_queued, "pass done; nothing to do");
            return Ok(report);
        }
        info!(
            resumed = report.resumed.len(),
            finished = report.finished.len(),
            started = report.started.as_ref().and_then(|t| t.job_id.as_deref()),
            queued = report.still_queued,
            errors = report.errors.len(),
            "pass done"
        );
        Ok(report)
    }
    .instrument(span)
    .await
}

/// Step 3 alone, right after an upload: the job id started, if any. `None` also when another
/// pass holds the lock (it, or the next one, starts the job).
pub async fn start_next(app: &App) -> Result<Option<String>, PassError> {
    let Some(lock) = Lock::acquire(&app.s3, &app.config.drop_bucket, &lock_key(app), LOCK_LEASE).await? else {
        return Ok(None);
    };
    let mut report = PassReport::default();
    let result = async {
        let mut records = open_records(app).await?;
        track_started(app, &mut records, &mut report, false).await;
        start_queue(app, &mut records, &mut report).await;
        Ok::<_, PassError>(())
    }
    .await;
    lock.release().await;
    result?;
    Ok(report.started.and_then(|t| t.job_id))
}

type Open = Vec<(Record, String)>;

/// The records that are not final, with their ETags.
async fn open_records(app: &App) -> Result<Open, PassError> {
    let bucket = &app.config.drop_bucket;
    let since = now_secs().saturating_sub(RECENT.as_secs());
    let mut open = Vec::new();
    for key in app.ledger.recent_keys(bucket, since).await? {
        match app.ledger.read(bucket, &key).await {
            Ok(Some((record, etag))) if !record.status.is_final() => open.push((record, etag)),
            Ok(_) => {}
            Err(e) => warn!(record = %key, error = %e, "unreadable state record skipped"),
        }
    }
    Ok(open)
}

async fn full(app: &App, report: &mut PassReport) -> Result<(), PassError> {
    let mut records = open_records(app).await?;
    track_started(app, &mut records, report, true).await;
    start_queue(app, &mut records, report).await;
    heartbeat(app, &mut records).await;
    resume(app, &records, report).await;
    Ok(())
}

/// Whether the pass should take an object up again now (with takes left or not).
fn due(record: &Record, lease: Duration, now: u64) -> bool {
    let idle = now.saturating_sub(record.updated_at);
    match record.status {
        Status::Claimed | Status::Uploading => idle > lease.as_secs(),
        Status::Failed => idle >= RETRY_BACKOFF.as_secs() << record.attempts.saturating_sub(1).min(10),
        _ => false,
    }
}

/// Takes up the first due object (one per pass: a resume may upload 100 MB), or gives it up
/// after its last allowed take.
async fn resume(app: &App, records: &Open, report: &mut PassReport) {
    let now = now_secs();
    let Some((record, etag)) = records.iter().find(|(r, _)| due(r, app.config.claim_lease, now)) else {
        return;
    };
    let outcome = if record.attempts >= MAX_ATTEMPTS {
        pipeline::give_up(app, record.clone(), etag).await
    } else {
        info!(key = %record.key, status = ?record.status, attempts = record.attempts, "taking the object up again");
        let object = ObjectRef {
            bucket: record.bucket.clone(),
            key: record.key.clone(),
            version_id: record.version_id.clone(),
            etag: Some(record.etag.clone()),
            size: Some(record.size),
        };
        let outcome = pipeline::process(app, &object).await;
        untouched(app, record, etag, &outcome).await;
        outcome
    };
    let job_id = match &outcome {
        Outcome::Started { job_id } | Outcome::Queued { job_id } => Some(job_id.clone()),
        _ => record.job_id.clone(),
    };
    report.resumed.push(Touched {
        key: record.key.clone(),
        job_id,
        what: serde_json::to_value(&outcome)
            .ok()
            .and_then(|v| v["outcome"].as_str().map(str::to_owned))
            .unwrap_or_default(),
    });
}

/// A take that ended before it wrote the record (the object is now ignored, or HeadObject
/// failed) still counts: the record's attempts go up, so it moves on to GaveUp and never holds
/// the resume step forever.
async fn untouched(app: &App, record: &Record, etag: &str, outcome: &Outcome) {
    let key = app.ledger.record_key(record);
    let Ok(Some((mut current, now))) = app.ledger.read(&record.bucket, &key).await else {
        return;
    };
    if now != etag {
        return;
    }
    current.attempts += 1;
    current.message = Some(format!(
        "the scheduled pass could not take it up: {}",
        serde_json::to_string(outcome).unwrap_or_default()
    ));
    if let Err(e) = app.ledger.update(&mut current, &now).await {
        warn!(error = %e, "could not count the take");
    }
}

/// Follows Started records; closes finished ones (only in a full pass: `close`).
async fn track_started(app: &App, records: &mut Open, report: &mut PassReport, close: bool) {
    let mut log_group: Option<String> = None;
    for (record, etag) in records.iter_mut().filter(|(r, _)| r.status == Status::Started) {
        let Some(job_id) = record.job_id.clone() else { continue };
        let span = info_span!("object", key = %record.key, job_id = %job_id);
        let state = match app.pool.describe_job(&job_id).instrument(span.clone()).await {
            Ok(state) => state,
            Err(e) => {
                report.errors.push(format!("{}: {e}", record.key));
                continue;
            }
        };
        if state.is_active() {
            report.active_job = Some(job_id.clone());
        }
        if !state.is_finished() {
            if record.job_state.as_ref() != Some(&state) {
                record.job_state = Some(state);
                match app.ledger.update(record, etag).await {
                    Ok(new) => *etag = new,
                    Err(e) => report.errors.push(format!("{}: {e}", record.key)),
                }
            }
            continue;
        }
        if !close {
            continue;
        }
        if log_group.is_none() {
            match app.pool.log_group().await {
                Ok(group) => log_group = Some(group),
                Err(e) => {
                    report.errors.push(e.to_string());
                    return;
                }
            }
        }
        let group = log_group.as_deref().unwrap_or_default();
        match track::complete(app, group, record, etag, state).instrument(span).await {
            Ok(Some(summary)) => report.finished.push(Touched {
                key: record.key.clone(),
                job_id: Some(job_id),
                what: summary.status,
            }),
            Ok(None) => {}
            Err(e) => report.errors.push(format!("{}: {e}", record.key)),
        }
    }
}

/// Starts the oldest queued job if none of ours is active.
async fn start_queue(app: &App, records: &mut Open, report: &mut PassReport) {
    let mut queued: Vec<&mut (Record, String)> =
        records.iter_mut().filter(|(r, _)| r.status == Status::Queued).collect();
    queued.sort_by(|(a, _), (b, _)| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
    report.still_queued = queued.len();
    if report.active_job.is_some() {
        return;
    }
    for (record, etag) in queued {
        let span = info_span!("object", key = %record.key, job_id = record.job_id.as_deref().unwrap_or("-"));
        match start_one(app, record, etag, report).instrument(span).await {
            Ok(Next::Started) => {
                report.still_queued -= 1;
                return;
            }
            // The account is busy (another pool's job, or one started by hand): wait.
            Ok(Next::Busy) => return,
            // Out of the queue (now Failed, for the resume step): the next oldest may go.
            Ok(Next::Dropped) => report.still_queued -= 1,
            // Oldest first: a younger job does not jump the queue; the next pass tries again.
            Err(e) => {
                report.errors.push(format!("{}: {e}", record.key));
                return;
            }
        }
    }
}

/// What became of the oldest queued record.
enum Next {
    Started,
    Busy,
    Dropped,
}

/// Takes a queued record that cannot start out of the queue: Failed, so that the resume step
/// retries it with backoff (a vanished source ends Missing there, too many tries GaveUp).
async fn drop_from_queue(app: &App, record: &mut Record, etag: &mut String, message: String) -> Result<Next, String> {
    warn!(%message, "taking the object out of the queue");
    record.status = Status::Failed;
    record.message = Some(message);
    *etag = app.ledger.update(record, etag).await.map_err(|e| e.to_string())?;
    Ok(Next::Dropped)
}

/// Starts one queued record's job, replacing it first if it expired.
async fn start_one(app: &App, record: &mut Record, etag: &mut String, report: &mut PassReport) -> Result<Next, String> {
    let Some(job_id) = record.job_id.clone() else {
        return drop_from_queue(app, record, etag, "queued without a job id".into()).await;
    };
    let state = app.pool.describe_job(&job_id).await.map_err(|e| e.to_string())?;
    let job_id = match state.status.as_str() {
        "Created" => job_id,
        "Expired" => {
            warn!(%job_id, "the queued job expired before it could start; replacing it");
            // On a copy: a replacement that fails half-way leaves the record as it was (the next
            // pass replaces it again; the heartbeat never saves a half-made replacement).
            let (mut fresh_record, mut fresh_etag) = (record.clone(), etag.clone());
            let fresh = pipeline::redeliver(app, &mut fresh_record, &mut fresh_etag).await;
            (*record, *etag) = (fresh_record, fresh_etag);
            let fresh = match fresh {
                Ok(fresh) => fresh,
                Err(e) => {
                    let message = format!("replacing the expired job {job_id} failed: {e}");
                    return drop_from_queue(app, record, etag, message).await;
                }
            };
            report.replaced.push(Touched {
                key: record.key.clone(),
                job_id: Some(fresh.clone()),
                what: format!("replaced expired {job_id}"),
            });
            fresh
        }
        // It did start (say, an earlier start's answer was lost): follow it from now on.
        _ => {
            mark_started(app, record, etag).await.map_err(|e| e.to_string())?;
            report.started = Some(started(record, &job_id));
            return Ok(Next::Started);
        }
    };
    match app.pool.start_job(&job_id).await {
        Ok(Start::Started) => {
            mark_started(app, record, etag).await.map_err(|e| e.to_string())?;
            info!(%job_id, "import job started");
            report.started = Some(started(record, &job_id));
            Ok(Next::Started)
        }
        Ok(Start::Busy(message)) => {
            info!(%job_id, %message, "the account has an active import job; waiting");
            Ok(Next::Busy)
        }
        Err(e @ PoolError::Call { .. }) | Err(e @ PoolError::CannotImport(_)) => Err(e.to_string()),
    }
}

fn started(record: &Record, job_id: &str) -> Touched {
    Touched {
        key: record.key.clone(),
        job_id: Some(job_id.to_owned()),
        what: "started".into(),
    }
}

async fn mark_started(app: &App, record: &mut Record, etag: &mut String) -> Result<(), LedgerError> {
    record.status = Status::Started;
    record.started_at = Some(now_secs());
    record.message = None;
    *etag = app.ledger.update(record, etag).await?;
    Ok(())
}

/// Rewrites open records that have not been written for a while, so they stay recent.
async fn heartbeat(app: &App, records: &mut Open) {
    let now = now_secs();
    for (record, etag) in records.iter_mut() {
        let waiting = matches!(record.status, Status::Queued | Status::Started)
            || (record.status == Status::Failed && record.attempts < MAX_ATTEMPTS);
        if waiting && now.saturating_sub(record.updated_at) > HEARTBEAT.as_secs() {
            match app.ledger.update(record, etag).await {
                Ok(new) => *etag = new,
                Err(e) => warn!(key = %record.key, error = %e, "heartbeat failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ObjectRef;

    fn record(status: Status, attempts: u32, idle: u64) -> Record {
        let object = ObjectRef {
            bucket: "b".into(),
            key: "incoming/a.csv".into(),
            version_id: None,
            etag: None,
            size: None,
        };
        let mut r = Record::new(&object, "e", 1);
        r.status = status;
        r.attempts = attempts;
        r.updated_at = 1_000_000 - idle;
        r
    }

    #[test]
    fn stale_claims_and_failures_come_due_with_backoff() {
        let lease = Duration::from_secs(900);
        let now = 1_000_000;
        assert!(!due(&record(Status::Claimed, 1, 600), lease, now));
        assert!(due(&record(Status::Uploading, 1, 901), lease, now));
        assert!(due(&record(Status::Failed, 1, 60), lease, now));
        assert!(!due(&record(Status::Failed, 2, 60), lease, now));
        assert!(due(&record(Status::Failed, 2, 120), lease, now));
        assert!(!due(&record(Status::Failed, 4, 479), lease, now));
        assert!(due(&record(Status::Failed, 4, 480), lease, now));
        assert!(!due(&record(Status::Queued, 1, 100_000), lease, now));
        assert!(!due(&record(Status::Started, 1, 100_000), lease, now));
    }
}
