//! The scheduled pass (an EventBridge schedule, every minute), which sees every import through
//! without anyone watching. Under the queue lock, it:
//!
//! 1. **tracks** started jobs; a finished one is closed ([`track`]);
//! 2. **starts** the oldest queued job when none of ours is active ([`queue`]);
//! 3. keeps open records recent (the heartbeat);
//! 4. **resumes** one object whose invocation died (a stale claim or upload) or that failed (with
//!    backoff); after [`MAX_ATTEMPTS`] takes in all, the object is given up: final and reported.
//!    A resumed object that uploads is started in the same pass when the account is free.
//!
//! The cheap steps come first and step 4 takes one object per pass, so a slow resume never starves
//! the queue. Only open records are read, through the ledger's index of them: finished records
//! cost a pass nothing, however many there are (see [`Ledger::open_records`]).
//!
//! [`Ledger::open_records`]: crate::adapters::ledger::Ledger::open_records

use std::time::Duration;

use tracing::{Instrument, info, info_span, warn};

use crate::adapters::ledger::{LedgerError, Open};
use crate::adapters::lock::{Lock, LockError};
use crate::app::App;
use crate::domain::outcome::Outcome;
use crate::domain::pass_report::{PassReport, Touched};
use crate::domain::record::{Record, Status, now_secs};
use crate::flow::import::{self, MAX_ATTEMPTS};
use crate::flow::queue::{self, LOCK_LEASE};
use crate::flow::track::{self, Close};

/// Open records are rewritten at least this often, so they stay recent.
pub const HEARTBEAT: Duration = Duration::from_secs(12 * 3600);
/// Wait before the pass retries a failed object: this, doubled for each earlier take.
pub const RETRY_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The whole pass.
pub async fn run(app: &App) -> Result<PassReport, PassError> {
    async {
        let mut report = PassReport::default();
        let Some(lock) = Lock::acquire(&app.s3, &app.config.drop_bucket, &app.lock_key(), LOCK_LEASE).await? else {
            info!("another pass holds the queue lock");
            return Ok(report);
        };
        report.ran = true;
        let result = steps(app, &mut report).await;
        lock.release().await;
        result?;
        if report.is_idle() {
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
    .instrument(info_span!("pass"))
    .await
}

async fn steps(app: &App, report: &mut PassReport) -> Result<(), PassError> {
    let bucket = &app.config.drop_bucket;
    let mut records = app.ledger.open_records(bucket).await?;
    track::follow(app, &mut records, report, Close::Finished).await;
    queue::start_oldest(app, &mut records, report).await;
    heartbeat(app, &mut records).await;
    if let Some(Outcome::Queued { .. }) = resume(app, &records, report).await
        && report.started.is_none()
        && report.active_job.is_none()
    {
        // The resumed object is in the queue now, and the account is free: this pass holds the
        // lock, so it starts the queue again itself.
        let mut records = app.ledger.open_records(bucket).await?;
        queue::start_oldest(app, &mut records, report).await;
    }
    Ok(())
}

/// Whether the pass should take an object up again now (with takes left or not).
fn due(record: &Record, lease: Duration, now: u64) -> bool {
    let idle = now.saturating_sub(record.updated_at);
    match record.status() {
        Status::Claimed | Status::Uploading => idle > lease.as_secs(),
        Status::Failed => idle >= RETRY_BACKOFF.as_secs() << record.attempts.saturating_sub(1).min(10),
        _ => false,
    }
}

/// Takes up the first due object (one per pass: a resume may upload 100 MB), or gives it up
/// after its last allowed take. Its outcome, if there was one to take.
async fn resume(app: &App, records: &Open, report: &mut PassReport) -> Option<Outcome> {
    let now = now_secs();
    let (record, etag) = records.iter().find(|(r, _)| due(r, app.config.claim_lease, now))?;
    let outcome = if record.attempts >= MAX_ATTEMPTS {
        import::give_up(app, record.clone(), etag).await
    } else {
        info!(key = %record.key, status = ?record.status(), attempts = record.attempts, "taking the object up again");
        // Boxed, as every call from the queue or the pass into a whole import: the nested futures
        // of an import would otherwise sit inline in the pass's, past a thread's stack in debug
        // builds.
        let outcome = Box::pin(import::process(app, &record.object())).await;
        untouched(app, record, etag, &outcome).await;
        outcome
    };
    let job_id = match &outcome {
        Outcome::Started { job_id } => Some(job_id.clone()),
        Outcome::Queued { job_id } => job_id.clone(),
        _ => record.job_id.clone(),
    };
    report
        .resumed
        .push(Touched::new(record, job_id, outcome.name().to_owned()));
    Some(outcome)
}

/// A take that ended before it wrote the record (the object is now ignored, or HeadObject
/// failed) still counts: the record's attempts go up, so it moves on to GaveUp and never holds
/// the resume step forever.
async fn untouched(app: &App, record: &Record, etag: &str, outcome: &Outcome) {
    let Ok(Some((mut current, now))) = app.ledger.reread(record).await else {
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

/// Rewrites open records that have not been written for a while, so they stay recent.
async fn heartbeat(app: &App, records: &mut Open) {
    let now = now_secs();
    for (record, etag) in records.iter_mut() {
        let waiting = matches!(record.status(), Status::Queued | Status::Started)
            || (record.status() == Status::Failed && record.attempts < MAX_ATTEMPTS);
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
    use crate::domain::event::ObjectRef;

    fn record(status: Status, attempts: u32, idle: u64) -> Record {
        let object = ObjectRef {
            bucket: "b".into(),
            key: "incoming/a.csv".into(),
            version_id: None,
            etag: None,
            size: None,
        };
        let mut r = Record::in_status(&object, status);
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
