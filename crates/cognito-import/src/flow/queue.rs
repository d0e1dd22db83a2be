//! The queue: Cognito runs one import job per account at a time, so uploaded jobs wait, and the
//! oldest starts when none of ours is active — after checking that it has not expired (an expired
//! one is replaced by a fresh job and a new upload of the same version, never a second import). A
//! queued file without a job (the next part of a split file, or a file whose job Cognito's
//! throttling put off) gets one, and the file prepared again from S3, when its turn comes.
//!
//! [`start_next`] runs it for a drop (taking the queue lock);
//! [`start_oldest`] runs it under a lock the caller already holds (the scheduled pass).

use tracing::{Instrument, info, info_span, warn};

use crate::adapters::ledger::{LedgerError, Open};
use crate::adapters::lock::{Lock, LockError};
use crate::adapters::pool::{PoolError, Start};
use crate::app::App;
use crate::domain::job::JobStatus;
use crate::domain::pass_report::{PassReport, Touched};
use crate::domain::record::{Record, Status};
use crate::flow::import::{self, ImportError};
use crate::flow::track::{self, Close};

/// The queue lock's lease: a Lambda invocation lives at most 15 minutes, so a lock older than
/// this has no living holder.
pub const LOCK_LEASE: std::time::Duration = std::time::Duration::from_secs(900);

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// Right after a drop: takes the queue lock, notes the active job, starts the oldest queued job if
/// the account is free. The object and job started, if any; `None` also when another pass holds
/// the lock (it, or the next one, starts the job).
pub async fn start_next(app: &App) -> Result<Option<Touched>, QueueError> {
    let Some(lock) = Lock::acquire(&app.s3, &app.config.drop_bucket, &app.lock_key(), LOCK_LEASE).await? else {
        return Ok(None);
    };
    let mut report = PassReport::default();
    let result = async {
        let mut records = app.ledger.open_records(&app.config.drop_bucket).await?;
        track::follow(app, &mut records, &mut report, Close::Nothing).await;
        start_oldest(app, &mut records, &mut report).await;
        Ok::<_, QueueError>(())
    }
    .await;
    lock.release().await;
    result?;
    Ok(report.started)
}

/// Starts the oldest queued job if none of ours is active (`report.active_job`, from
/// [`track::follow`]). The caller holds the queue lock.
pub async fn start_oldest(app: &App, records: &mut Open, report: &mut PassReport) {
    let mut queued: Vec<&mut (Record, String)> = records
        .iter_mut()
        .filter(|(r, _)| r.status() == Status::Queued)
        .collect();
    queued.sort_by(|(a, _), (b, _)| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
    report.still_queued = queued.len();
    if report.active_job.is_some() || report.started.is_some() {
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

/// Takes a queued record that cannot start out of the queue: Failed, so that the pass's resume
/// step retries it with backoff (a vanished source ends Missing there, too many tries GaveUp).
async fn drop_from_queue(
    app: &App,
    record: &mut Record,
    etag: &mut String,
    message: String,
) -> Result<Next, QueueError> {
    warn!(reason = %message, "taking the object out of the queue");
    record.fail(message).map_err(LedgerError::from)?;
    *etag = app.ledger.update(record, etag).await?;
    Ok(Next::Dropped)
}

/// Starts one queued record's job, replacing it first if it expired.
async fn start_one(
    app: &App,
    record: &mut Record,
    etag: &mut String,
    report: &mut PassReport,
) -> Result<Next, QueueError> {
    let Some(job_id) = record.job_id.clone() else {
        // The next part of a split file, or a file whose job Cognito's throttling put off: its
        // job is made and given the file (or part) now, its turn.
        return match job_at_its_turn(app, record, etag).await {
            Ok(job_id) => start(app, record, etag, report, job_id).await,
            Err(ImportError::Pool(e)) if e.setting().is_some() => setting_wrong(app, record, etag, e).await,
            Err(e) => {
                let what = match record.current_part() {
                    Some(_) => format!("part {}", record.part),
                    None => "the file".to_owned(),
                };
                drop_from_queue(app, record, etag, format!("giving {what} its job failed: {e}")).await
            }
        };
    };
    let state = match app.pool.describe_job(&job_id).await {
        Ok(state) => state,
        Err(e) if e.setting().is_some() => return setting_wrong(app, record, etag, e).await,
        Err(e) => return Err(e.into()),
    };
    let job_id = match state.status {
        JobStatus::Created => job_id,
        JobStatus::Expired => match replace_expired(app, record, etag, &job_id).await {
            Ok(fresh) => {
                report.replaced.push(Touched::new(
                    record,
                    Some(fresh.clone()),
                    format!("replaced expired {job_id}"),
                ));
                fresh
            }
            Err(e) => {
                let message = format!("replacing the expired job {job_id} failed: {e}");
                return drop_from_queue(app, record, etag, message).await;
            }
        },
        // It did start (say, an earlier start's answer was lost): follow it from now on.
        _ => {
            mark_started(app, record, etag).await?;
            report.started = Some(started(record, &job_id));
            return Ok(Next::Started);
        }
    };
    start(app, record, etag, report, job_id).await
}

/// StartUserImportJob for a queued record's job (created, uploaded, not expired).
async fn start(
    app: &App,
    record: &mut Record,
    etag: &mut String,
    report: &mut PassReport,
    job_id: String,
) -> Result<Next, QueueError> {
    let answer = match app.pool.start_job(&job_id).await {
        Ok(answer) => answer,
        Err(e) if e.setting().is_some() => return setting_wrong(app, record, etag, e).await,
        Err(e) => return Err(e.into()),
    };
    match answer {
        Start::Started => {
            mark_started(app, record, etag).await?;
            info!("import job started");
            report.started = Some(started(record, &job_id));
            Ok(Next::Started)
        }
        Start::Busy(cognito_says) => {
            info!(%cognito_says, "the account has an active import job; waiting");
            Ok(Next::Busy)
        }
    }
}

/// A queued record whose job a wrong setting keeps from starting (the pool deleted, the call
/// denied, the operation not enabled): ended at once as misconfigured, as a drop is, instead of
/// being reported by every pass; a new delivery after the fix takes it up again.
async fn setting_wrong(app: &App, record: &Record, etag: &str, error: PoolError) -> Result<Next, QueueError> {
    // The job is not asked for again after the fix: the pool it is in may be gone.
    let (mut record, mut etag) = (record.clone(), etag.to_owned());
    if import::pool_is_gone(app, &record, &error) {
        // Its pool is gone, with what earlier parts imported: the file starts over.
        record.pool_gone();
    } else {
        record.abandon_job();
    }
    import::misconfigured(app, &mut record, &mut etag, &error).await;
    Ok(Next::Dropped)
}

/// A fresh job for a queued record whose job expired before it could start: the old job is
/// abandoned (it never ran) and the pinned version uploaded again. Works on a copy: a replacement
/// that fails half-way leaves the record as it was written last (the next pass replaces it again).
async fn replace_expired(app: &App, record: &mut Record, etag: &mut String, old: &str) -> Result<String, ImportError> {
    warn!(expired_job = %old, "the queued job expired before it could start; replacing it");
    let (mut fresh_record, mut fresh_etag) = (record.clone(), etag.clone());
    let fresh = Box::pin(import::deliver(app, &mut fresh_record, &mut fresh_etag, None)).await;
    (*record, *etag) = (fresh_record, fresh_etag);
    fresh
}

/// A job for a queued record that has none, given the file or its current part (prepared, and
/// cut, again from S3). Works on a copy, as [`replace_expired`] does.
async fn job_at_its_turn(app: &App, record: &mut Record, etag: &mut String) -> Result<String, ImportError> {
    match record.current_part() {
        Some(_) => info!(part = record.part, parts = record.parts.len(), "the next part's turn"),
        None => info!("the file's turn: creating its job"),
    }
    let (mut fresh_record, mut fresh_etag) = (record.clone(), etag.clone());
    // Boxed: a whole delivery inline would make the queue's future (and the pass's) too large
    // for a thread's stack in debug builds.
    let job = Box::pin(import::deliver(app, &mut fresh_record, &mut fresh_etag, None)).await;
    (*record, *etag) = (fresh_record, fresh_etag);
    job
}

fn started(record: &Record, job_id: &str) -> Touched {
    Touched::new(record, Some(job_id.to_owned()), "started".into())
}

async fn mark_started(app: &App, record: &mut Record, etag: &mut String) -> Result<(), LedgerError> {
    record.started()?;
    *etag = app.ledger.update(record, etag).await?;
    Ok(())
}
