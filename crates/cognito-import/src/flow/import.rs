//! One dropped object, to an uploaded job waiting in the queue, in this order:
//!
//! 1. **filter** — only `.csv` keys under the drop prefix; never the function's own output;
//! 2. **pin** — HeadObject of the version the event names (versionId, or If-Match on its ETag);
//! 3. **claim** — the ledger's conditional write: one invocation per object version;
//! 4. **prepare and check** — the pool's rules, then the whole object in one streaming pass:
//!    decoded into Cognito's dialect and its header completed ([`check::Preparer`]), checked, cut
//!    into parts where it is over Cognito's limits ([`check::Splitter`]), and spooled as prepared
//!    (the first part); problems → a report and no job;
//! 5. **create** — CreateUserImportJob, named after the file (and the part);
//! 6. **upload** — the prepared file (the spool, or the pinned version prepared again) streamed to
//!    the pre-signed URL; transient failures retried while the URL lives, else one fresh job — a
//!    job is never started twice for one object.
//!
//! The record then says Queued, and the caller runs [`crate::flow::queue`] (under the queue lock
//! it holds or takes) to start it.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;
use serde_json::json;
use tracing::{Instrument, error, info, info_span, warn};

use crate::adapters::fetch::{self, FetchError};
use crate::adapters::ledger::{Claim, LedgerError};
use crate::adapters::objects::{self, ObjectError};
use crate::adapters::pool::{self, PoolError, Throttled};
use crate::adapters::reports::{self, ReportError};
use crate::adapters::source;
use crate::adapters::spool::Spool;
use crate::adapters::upload::{self, UploadError};
use crate::app::App;
use crate::check::{
    self, GroupedSplit, MAX_PART_BYTES, Normalised, PartInfo, Piece, Prepared, Preparer, Problem, Rule, Splitter,
    Verdict,
};
use crate::domain::assumptions;
use crate::domain::config::Config;
use crate::domain::event::ObjectRef;
use crate::domain::job::JobStatus;
use crate::domain::outcome::Outcome;
use crate::domain::record::{Hashes, IllegalMove, Record, Status};
use crate::domain::report;
use crate::flow::prepared;

/// Takes of one object in all (deliveries and retries) before a failure is left as it is.
pub const MAX_ATTEMPTS: u32 = 5;

/// Why an import stopped early; turned into an [`Outcome`] at the top.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("upload to job {job_id} failed: {source}")]
    Upload { job_id: String, source: UploadError },
    #[error("the pre-signed URLs of two jobs expired before the upload went through")]
    UrlsExpired,
    #[error(transparent)]
    Lifecycle(#[from] IllegalMove),
}

/// Runs the import of one object, in a span naming it.
pub async fn process(app: &App, object: &ObjectRef) -> Outcome {
    let span = info_span!(
        "object",
        bucket = %object.bucket,
        key = %object.key,
        version = object.version_id.as_deref().unwrap_or("-"),
        job_id = tracing::field::Empty,
    );
    let outcome = run(app, object).instrument(span.clone()).await;
    span.in_scope(|| match &outcome {
        Outcome::Failed { message } => warn!(error = %message, "object failed"),
        other => info!(outcome = other.name(), "object done"),
    });
    outcome
}

fn ignore_reason(config: &Config, bucket: &str, key: &str) -> Option<String> {
    if bucket != config.drop_bucket {
        return Some(format!("not the drop bucket {}", config.drop_bucket));
    }
    if key.starts_with(&config.state_prefix) || key.starts_with(&config.report_prefix) {
        return Some("written by this function".into());
    }
    if !key.starts_with(&config.drop_prefix) {
        return Some(format!("outside the drop prefix {}", config.drop_prefix));
    }
    if !key.to_ascii_lowercase().ends_with(".csv") {
        return Some("not a .csv file".into());
    }
    None
}

async fn run(app: &App, object: &ObjectRef) -> Outcome {
    if let Some(reason) = ignore_reason(&app.config, &object.bucket, &object.key) {
        info!(%reason, "ignored");
        return Outcome::Ignored { reason };
    }
    let (etag, size) = match objects::pin(&app.s3, object).await {
        Ok(Some(found)) => found,
        Ok(None) => return missing(app, object, "the object no longer exists, or changed since its event").await,
        Err(e) => return Outcome::Failed { message: e.to_string() },
    };
    let claim = Record::new(object, &etag, size);
    if let Some(reason) = key_too_long(app, &claim) {
        return too_long(app, &claim, reason).await;
    }
    let (mut record, mut record_etag) = match app.ledger.claim(&claim).await {
        Ok(Claim::Won(claimed, etag)) => (*claimed, etag),
        Ok(Claim::Taken(existing))
            if matches!(
                existing.status(),
                Status::Failed | Status::Missing | Status::Misconfigured
            ) =>
        {
            // Nothing was imported for it: a new delivery retries it (after a fix, for a setting).
            match retake(app, &existing).await {
                Ok(Some(taken)) => taken,
                Ok(None) => return duplicate(&existing),
                Err(e) => return Outcome::Failed { message: e.to_string() },
            }
        }
        Ok(Claim::Taken(existing)) => {
            info!(status = ?existing.status(), "already claimed");
            return duplicate(&existing);
        }
        Err(e) => return Outcome::Failed { message: e.to_string() },
    };
    match import(app, &mut record, &mut record_etag).await {
        Ok(outcome) => outcome,
        Err(ImportError::Ledger(e @ LedgerError::Conflict { .. })) => Outcome::Failed { message: e.to_string() },
        Err(ImportError::Pool(e)) if e.setting().is_some() => {
            misconfigured(app, &mut record, &mut record_etag, &e).await
        }
        Err(stop) => {
            let message = stop.to_string();
            if record.attempts >= MAX_ATTEMPTS {
                record.message = Some(message);
                return give_up(app, record, &record_etag).await;
            }
            let recorded = match record.fail(message.clone()) {
                Ok(()) => app.ledger.update(&mut record, &record_etag).await.map(drop),
                Err(e) => Err(e.into()),
            };
            if let Err(e) = recorded {
                warn!(error = %e, "could not record the failure");
            }
            Outcome::Failed { message }
        }
    }
}

/// S3's longest object key, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// Why the function cannot keep track of this object, if it cannot: the keys it would write for it
/// (its state record, the record's index marker, its reports) name the object's key with more
/// around it, and S3 refuses a key over 1,024 bytes. Checked before the claim, which could not
/// be written, so that such an object is reported instead of failing every take.
fn key_too_long(app: &App, record: &Record) -> Option<String> {
    let record_key = app.ledger.record_key(record);
    let (report_key, lines_key) = report::keys(&app.config.report_prefix, record);
    let marker_key = app.ledger.index().marker_key(&record_key).unwrap_or_default();
    let longest = [record_key.len(), marker_key.len(), report_key.len(), lines_key.len()]
        .into_iter()
        .max()
        .unwrap_or_default();
    (longest > MAX_KEY_BYTES).then(|| {
        let over = longest - MAX_KEY_BYTES;
        format!(
            "the object key is {} bytes: the keys this function writes for it would be {longest}, over S3's \
             {MAX_KEY_BYTES}; drop the file under a key at least {over} bytes shorter",
            record.key.len()
        )
    })
}

/// An object whose key is too long to track: not imported, and said so (log, metric
/// `KeyTooLongFiles`, notification), since no state record can hold it.
async fn too_long(app: &App, record: &Record, reason: String) -> Outcome {
    error!(%reason, "not imported: the key is too long");
    app.notifier
        .not_imported(app.pool.id(), &record.key, "KeyTooLong", json!({ "message": reason }))
        .await;
    Outcome::Ignored { reason }
}

fn duplicate(existing: &Record) -> Outcome {
    Outcome::Duplicate {
        status: existing.status(),
        job_id: existing.job_id.clone(),
    }
}

/// Closes a record that failed on every one of its takes: final, reported, never retried.
pub async fn give_up(app: &App, mut record: Record, etag: &str) -> Outcome {
    let message = match record.give_up() {
        Ok(message) => message,
        Err(e) => return Outcome::Failed { message: e.to_string() },
    };
    if let Err(e) = app.ledger.update(&mut record, etag).await {
        warn!(error = %e, "could not record giving up");
    }
    warn!(attempts = record.attempts, "giving up on the object");
    app.notifier
        .not_imported(
            app.pool.id(),
            &record.key,
            "GaveUp",
            json!({ "message": message, "jobId": record.job_id }),
        )
        .await;
    Outcome::GaveUp { message }
}

/// Ends an object whose import a wrong setting stops: final at once (retrying cannot help), with
/// a message naming the setting, a metric and a notification.
pub(crate) async fn misconfigured(app: &App, record: &mut Record, etag: &mut String, error: &PoolError) -> Outcome {
    let setting = error.setting().unwrap_or_default().to_owned();
    let message = error.to_string();
    let closed = match record.misconfigured(message.clone()) {
        Ok(()) => app.ledger.update(record, etag).await.map(|new| *etag = new),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = closed {
        warn!(error = %e, "could not record the misconfiguration");
    }
    error!(%setting, error = %message, "a setting is wrong; the object waits for the fix and a new delivery");
    app.notifier
        .not_imported(
            app.pool.id(),
            &record.key,
            "Misconfigured",
            json!({ "setting": setting, "message": message }),
        )
        .await;
    Outcome::Misconfigured { setting, message }
}

/// Whether `error` says that the pool `record`'s job was created in is gone (deleted), and with it
/// what the job imported; not when `USER_POOL_ID` now names another pool (the job may live on
/// there). Records of earlier versions, which do not name their job's pool, are taken to be in the
/// pool set.
pub(crate) fn pool_is_gone(app: &App, record: &Record, error: &PoolError) -> bool {
    error.is_about_the_pool() && record.job_pool_is(app.pool.id())
}

/// Takes a Failed, Missing or Misconfigured record back for a new attempt.
async fn retake(app: &App, existing: &Record) -> Result<Option<(Record, String)>, LedgerError> {
    let Some((mut record, etag)) = app.ledger.reread(existing).await? else {
        return Ok(None);
    };
    if !matches!(
        record.status(),
        Status::Failed | Status::Missing | Status::Misconfigured
    ) {
        return Ok(None);
    }
    record.take_again()?;
    match app.ledger.update(&mut record, &etag).await {
        Ok(etag) => Ok(Some((record, etag))),
        Err(LedgerError::Conflict { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Records a vanished object so that it too ends in a reported state.
async fn missing(app: &App, object: &ObjectRef, message: &str) -> Outcome {
    let close = |mut record: Record, etag: String| async move {
        // Nothing was imported and the version is gone: its story ends here.
        let closed = match record.vanish(message) {
            Ok(()) => app.ledger.update(&mut record, &etag).await.map(drop),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = closed {
            warn!(error = %e, "could not record the missing object");
        }
    };
    match app.ledger.claim(&Record::vanished(object, message)).await {
        // A stale claim or upload taken over: it is closed as Missing.
        Ok(Claim::Won(claimed, etag)) if claimed.status() != Status::Missing => close(*claimed, etag).await,
        Ok(Claim::Taken(existing)) if existing.status() == Status::Failed => match app.ledger.reread(&existing).await {
            Ok(Some((current, etag))) if current.status() == Status::Failed => close(current, etag).await,
            Ok(_) => {}
            Err(e) => warn!(error = %e, "could not record the missing object"),
        },
        // Gone now, but an earlier delivery had it: that is what happened to this version.
        Ok(Claim::Taken(existing)) if existing.status() != Status::Missing => return duplicate(&existing),
        Ok(_) => {}
        Err(e) => warn!(error = %e, "could not record the missing object"),
    }
    warn!(reason = message, "object missing");
    Outcome::Missing {
        message: message.to_owned(),
    }
}

/// Steps 4 to 6 for a claimed object.
async fn import(app: &App, record: &mut Record, etag: &mut String) -> Result<Outcome, ImportError> {
    if let Some(previous) = record.job_id.clone() {
        // A retry after a failure that followed CreateUserImportJob. If that job did start (say,
        // StartUserImportJob's answer was lost), it is the import: never start a second one.
        let state = app.pool.describe_job(&previous).await?;
        if state.status.was_started() {
            record.started()?;
            *etag = app.ledger.update(record, etag).await?;
            tracing::Span::current().record("job_id", previous.as_str());
            info!(status = %state.status, "the earlier attempt's job had started");
            return Ok(Outcome::Started { job_id: previous });
        }
        // An upload that failed: the same job takes the file while its URL lives, so that a file
        // gets one job however often its upload is retried (a pool has 1,000 jobs in all).
        if state.status == JobStatus::Created
            && let Some(job) = app.pool.open_job(&previous).await?
            && job.time_left() >= assumptions::UPLOAD_URL_MARGIN
        {
            tracing::Span::current().record("job_id", previous.as_str());
            info!("uploading again to the earlier attempt's job, whose URL still works");
            return deliver_or_wait(app, record, etag, None, Some(job)).await;
        }
        record.abandon_job();
    }
    if record.part > 1 {
        // A later part of a split file, taken again after a failure: the file was checked when it
        // was dropped, and the parts before this one are imported. Only this part is given a job.
        return deliver_or_wait(app, record, etag, None, None).await;
    }
    let rules = app.pool.rules(app.config.require_full_header).await?;
    let Some((prepared, parts, spool)) = prepare_and_spool(app, record, &rules).await? else {
        return Ok(settle_missing(app, record, etag).await?);
    };
    let Prepared { verdict, normalised } = prepared;
    if parts.len() > 1 && record.parts.is_empty() {
        info!(
            parts = parts.len(),
            "the file is over Cognito's limits: one import job per part, in order"
        );
        record.split(parts);
    }
    if normalised.changed() {
        info!(
            bytes_in = normalised.bytes_in,
            bytes_out = normalised.bytes_out,
            changes = ?normalised.describe(),
            "file prepared for Cognito"
        );
    }
    record.normalised = Some(normalised);
    if !verdict.is_clean() {
        return reject(app, record, etag, &verdict).await;
    }
    let tally = &verdict.hashes;
    let mut spool = spool;
    let algorithms = match tally.job_algorithm(app.config.password_hashing) {
        Some(algorithm) => vec![algorithm],
        None if tally.algorithms().len() > 1 => {
            // A job hashes with one algorithm: one file per algorithm, cut into parts as any
            // file, each prepared again from S3 when its turn comes.
            let algorithms = tally.algorithms();
            let Some(parts) = group_parts(app, record, &rules, &algorithms).await? else {
                return Ok(settle_missing(app, record, etag).await?);
            };
            if parts.len() > MAX_PARTS {
                let bytes = record.normalised.as_ref().map_or(record.size, |n| n.bytes_out);
                return reject(app, record, etag, &over_the_most_parts(bytes, parts.len())).await;
            }
            info!(
                parts = parts.len(),
                algorithms = ?algorithms,
                "hashes of several algorithms: one import job per algorithm (and part), in turn"
            );
            record.split(parts);
            spool = None;
            algorithms
        }
        None => Vec::new(),
    };
    if tally.column {
        record.hashes = Some(Hashes {
            algorithms,
            with_hash: tally.with_hash(),
            without_hash: tally.without,
        });
        info!(
            with_hash = tally.with_hash(),
            without_hash = tally.without,
            "a password hash file: its users with a hash keep their password"
        );
    }
    deliver_or_wait(app, record, etag, spool.as_ref(), None).await
}

/// Most parts (jobs) one file may be split into: 20 parts of at most 500,000 users or 100 MB
/// (10 million users, 2 GB). A pool has 1,000 import jobs in all (an adjustable quota); a file
/// larger than this is more likely a mistake than a user list.
pub const MAX_PARTS: usize = 20;

/// Reads the pinned version once: prepared (decoded into Cognito's dialect, its header completed),
/// checked, cut into parts where it is over Cognito's limits, and its first part spooled. `None`
/// if the version vanished meanwhile. The spool is kept only for a clean file.
async fn prepare_and_spool(
    app: &App,
    record: &Record,
    rules: &check::PoolRules,
) -> Result<Option<(Prepared, Vec<PartInfo>, Option<Spool>)>, ImportError> {
    let most_bytes = MAX_PARTS as u64 * MAX_PART_BYTES;
    if record.size > most_bytes {
        // More parts than a file may take, whatever it holds: no need to read it.
        let verdict = over_the_most_parts(record.size, 1);
        let normalised = Normalised {
            bytes_in: record.size,
            bytes_out: record.size,
            ..Normalised::default()
        };
        return Ok(Some((Prepared { verdict, normalised }, Vec::new(), None)));
    }
    let mut body = fetch::read(&app.s3, record);
    let mut preparer = Preparer::new(rules, app.config.prepare_options());
    let mut splitter = Splitter::cognito();
    let mut copy = Spool::create();
    // The part the pieces belong to: only the first is spooled (the others are prepared again from
    // S3 when their turn comes).
    let mut part = 0;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(FetchError::Gone) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        spool_first_part(&mut copy, &mut part, splitter.feed(preparer.feed(&chunk))).await;
    }
    let (tail, mut prepared) = preparer.finish();
    spool_first_part(&mut copy, &mut part, splitter.feed(&tail)).await;
    let (last, parts) = splitter.finish();
    spool_first_part(&mut copy, &mut part, last.pieces()).await;
    if parts.len() > 1 {
        prepared.verdict = check::verdict_when_split(prepared.verdict, &parts);
        if parts.len() > MAX_PARTS {
            prepared.verdict = over_the_most_parts(prepared.normalised.bytes_out, parts.len());
        }
    }
    let first_part = parts.first().map_or(prepared.normalised.bytes_out, |p| p.bytes);
    let spool = match copy {
        Some(copy) if prepared.verdict.is_clean() => copy.finish(first_part).await,
        _ => None,
    };
    Ok(Some((prepared, parts, spool)))
}

/// The parts of a clean file imported as one file per hash algorithm (`algorithms`, the first
/// taking the rows without a hash), from a second read of the pinned version; `None` if it
/// vanished meanwhile.
async fn group_parts(
    app: &App,
    record: &Record,
    rules: &check::PoolRules,
    algorithms: &[check::HashAlgorithm],
) -> Result<Option<Vec<PartInfo>>, ImportError> {
    let mut body = fetch::read(&app.s3, record);
    let mut preparer = Preparer::new(rules, app.config.prepare_options());
    let mut split = GroupedSplit::new(algorithms, Splitter::cognito);
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => split.feed(preparer.feed(&chunk)),
            Err(FetchError::Gone) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
    let (tail, _) = preparer.finish();
    split.feed(&tail);
    Ok(Some(split.finish()))
}

/// Writes the pieces of part 1 to the spool; `part` is the part the pieces are in.
async fn spool_first_part(copy: &mut Option<Spool>, part: &mut u32, pieces: impl Iterator<Item = Piece<'_>>) {
    for piece in pieces {
        match piece {
            Piece::Part(number) => *part = number,
            Piece::Bytes(bytes) if *part == 1 => {
                if let Some(copy) = copy.as_mut() {
                    copy.write(bytes).await;
                }
            }
            Piece::Bytes(_) => {}
        }
    }
}

/// The verdict on a file that would take more than [`MAX_PARTS`] jobs.
fn over_the_most_parts(bytes: u64, parts: usize) -> Verdict {
    let problem = Problem {
        line: 1,
        column: None,
        rule: Rule::FileTooLarge {
            limit_bytes: MAX_PARTS as u64 * MAX_PART_BYTES,
        },
    };
    warn!(
        bytes,
        parts,
        most = MAX_PARTS,
        "the file would take more import jobs than one file may"
    );
    Verdict {
        rows: 0,
        bytes,
        problems: vec![problem],
        problem_count: 1,
        hashes: Default::default(),
    }
}

/// A file that breaks the rules: its report, its record closed, the operator told. No job.
async fn reject(app: &App, record: &mut Record, etag: &mut String, verdict: &Verdict) -> Result<Outcome, ImportError> {
    let report_key =
        reports::write_rejection(&app.s3, &app.config.report_prefix, app.pool.id(), record, verdict).await?;
    let message = match verdict.problems.first() {
        Some(first) => format!("{} problem(s); the first: {first}", verdict.problem_count),
        None => format!("{} problem(s)", verdict.problem_count),
    };
    record.reject(report_key.clone(), message)?;
    *etag = app.ledger.update(record, etag).await?;
    warn!(problems = verdict.problem_count, report = %report_key, "file rejected");
    source::settle(&app.s3, app.config.source_object_policy, record, "Rejected").await;
    app.notifier
        .not_imported(
            app.pool.id(),
            &record.key,
            "Rejected",
            json!({ "problemCount": verdict.problem_count, "reportKey": report_key }),
        )
        .await;
    Ok(Outcome::Rejected {
        problems: verdict.problem_count,
        report_key,
    })
}

/// Creates a job, uploads the claimed version to it and leaves the record Queued; returns the job
/// id. If the URL runs out before an upload gets through, one more job is tried. A queued record
/// whose job expired unstarted comes here too, for a fresh job (the old one is abandoned).
pub async fn deliver(
    app: &App,
    record: &mut Record,
    etag: &mut String,
    spool: Option<&Spool>,
) -> Result<String, ImportError> {
    deliver_to(app, record, etag, spool, None, Throttled::WaitItOut).await
}

/// A drop's delivery: [`deliver`], except that when Cognito throttles the job's creation the
/// record waits in the queue without a job, instead of the invocation waiting (billed) for a
/// slot; the queue creates the job when the file's turn comes. Files dropped together thus
/// create their jobs one at a time, as they start.
async fn deliver_or_wait(
    app: &App,
    record: &mut Record,
    etag: &mut String,
    spool: Option<&Spool>,
    open: Option<pool::NewJob>,
) -> Result<Outcome, ImportError> {
    match deliver_to(app, record, etag, spool, open, Throttled::GiveWay).await {
        Ok(job_id) => Ok(Outcome::Queued { job_id: Some(job_id) }),
        // No job was made in this take (the record is still Claimed).
        Err(ImportError::Pool(PoolError::Throttled { .. })) if record.status() == Status::Claimed => {
            record.wait_for_job()?;
            *etag = app.ledger.update(record, etag).await?;
            info!("Cognito is throttling job creation: the file waits in the queue for its job");
            Ok(Outcome::Queued { job_id: None })
        }
        Err(e) => Err(e),
    }
}

/// [`deliver`], to `open` first when it is given: an earlier attempt's job whose URL still works.
/// `throttled` is for the first job it creates; a second (the first one's URL ran out) waits the
/// throttling out.
async fn deliver_to(
    app: &App,
    record: &mut Record,
    etag: &mut String,
    spool: Option<&Spool>,
    mut open: Option<pool::NewJob>,
    mut throttled: Throttled,
) -> Result<String, ImportError> {
    let name = match record.current_part() {
        Some(part) => pool::part_job_name(&record.key, part.info.number, record.parts.len()),
        None => pool::job_name(&record.key),
    };
    for _ in 0..2 {
        let job = match open.take() {
            Some(job) => job,
            None => {
                let job = app.pool.create_job(&name, record.job_algorithm(), throttled).await?;
                throttled = Throttled::WaitItOut;
                tracing::Span::current().record("job_id", job.id.as_str());
                info!("import job created");
                job
            }
        };
        record.uploading(&job.id, &job.name, app.pool.id())?;
        *etag = app.ledger.update(record, etag).await?;

        match upload_with_retries(app, record, &job, spool).await {
            Ok(()) => {}
            Err(UploadError::Expired) => {
                warn!("pre-signed URL expired before the upload went through; creating a new job");
                continue;
            }
            Err(source) => {
                let job_id = job.id.clone();
                record.abandon_job();
                // Kept as the record's job, so that a retry asks it first.
                record.job_id = Some(job_id.clone());
                return Err(ImportError::Upload { job_id, source });
            }
        }
        info!(bytes = record.upload_size(), "file uploaded");
        record.queued()?;
        *etag = app.ledger.update(record, etag).await?;
        return Ok(job.id);
    }
    record.abandon_job();
    Err(ImportError::UrlsExpired)
}

async fn settle_missing(app: &App, record: &mut Record, etag: &mut String) -> Result<Outcome, LedgerError> {
    let message = "the object changed or was deleted after its event; the new version has its own event";
    record.vanish(message)?;
    *etag = app.ledger.update(record, etag).await?;
    warn!(reason = message, "object missing");
    Ok(Outcome::Missing {
        message: message.into(),
    })
}

/// Read size of the spooled copy: large reads keep the socket busy (the default is 4 KiB).
const UPLOAD_READ_BUFFER: usize = 256 * 1024;

/// Uploads the claimed version (from the spool when there is one); retries transient failures
/// with backoff while the URL has time.
async fn upload_with_retries(
    app: &App,
    record: &Record,
    job: &pool::NewJob,
    spool: Option<&Spool>,
) -> Result<(), UploadError> {
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        if job.time_left() < assumptions::UPLOAD_URL_MARGIN {
            return Err(UploadError::Expired);
        }
        let source = match spool {
            Some(spool) => ByteStream::read_from()
                .path(spool.path())
                .buffer_size(UPLOAD_READ_BUFFER)
                .build()
                .await
                .map(|file| Some(fetch::chunks(file)))
                .map_err(|e| UploadError::Transient(format!("reading the spooled copy: {e}")))?,
            None => prepared::upload(app, record)
                .await
                .map_err(|e| UploadError::Transient(e.to_string()))?,
        };
        let Some(body) = source else {
            return Err(UploadError::Refused {
                status: 412,
                code: "the object changed during the import".into(),
            });
        };
        match upload::put(&app.http, &job.presigned_url, body, record.upload_size()).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_transient() && attempt < app.config.upload_attempts => {
                warn!(attempt, error = %e, "upload failed; trying again");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|n| match n {
            "USER_POOL_ID" => Some("us-east-1_Abc".into()),
            "CLOUDWATCH_LOGS_ROLE_ARN" => Some("arn:aws:iam::111111111111:role/R".into()),
            "DROP_BUCKET" => Some("drops".into()),
            _ => None,
        })
        .unwrap()
    }

    #[test]
    fn only_csv_files_under_the_drop_prefix_are_imported() {
        let c = config();
        assert_eq!(ignore_reason(&c, "drops", "incoming/users.csv"), None);
        assert_eq!(ignore_reason(&c, "drops", "incoming/sub/Users.CSV"), None);
        assert_eq!(
            ignore_reason(&c, "drops", "incoming/users.txt").as_deref(),
            Some("not a .csv file")
        );
        assert_eq!(
            ignore_reason(&c, "drops", "elsewhere/users.csv").as_deref(),
            Some("outside the drop prefix incoming/")
        );
        assert_eq!(
            ignore_reason(&c, "drops", "import-state/incoming/users.csv@v.json").as_deref(),
            Some("written by this function")
        );
        assert_eq!(
            ignore_reason(&c, "drops", "import-reports/x.csv").as_deref(),
            Some("written by this function")
        );
    }
}
