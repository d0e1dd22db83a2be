//! Started jobs, followed with DescribeUserImportJob; a finished one seen through: its log read and
//! joined to the source rows, the reports written, the state record closed (Succeeded,
//! ImportFailed or Stopped), the source object settled, the summary published and measured.

use tracing::{Instrument, info, info_span, warn};

use crate::adapters::ledger::{LedgerError, Open};
use crate::adapters::logs::{self, LogError};
use crate::adapters::reports::{self, ReportError};
use crate::adapters::source;
use crate::check;
use crate::flow::prepared;
use crate::app::App;
use crate::domain::assumptions;
use crate::domain::job::JobState;
use crate::domain::pass_report::{PassReport, Touched};
use crate::domain::record::{Record, Status, now_secs};
use crate::domain::report::{self, Summary};

#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Whether [`follow`] closes the finished jobs it finds, or only notes who is active (a drop's
/// own queue run leaves the closing to the scheduled pass).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Close {
    Finished,
    Nothing,
}

/// Follows the Started records: notes the active job, keeps their job state current, closes
/// finished ones when asked.
pub async fn follow(app: &App, records: &mut Open, report: &mut PassReport, close: Close) {
    let mut log_group: Option<String> = None;
    for (record, etag) in records.iter_mut().filter(|(r, _)| r.status() == Status::Started) {
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
        if close == Close::Nothing {
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
        match complete(app, group, record, etag, state).instrument(span).await {
            Ok(Some(summary)) => report.finished.push(Touched {
                key: record.key.clone(),
                job_id: Some(job_id),
                what: summary.status.to_string(),
            }),
            Ok(None) => {}
            Err(e) => report.errors.push(format!("{}: {e}", record.key)),
        }
    }
}

/// Closes a record whose job has finished. `None` if the job's log is not complete yet (the next
/// pass tries again).
pub async fn complete(
    app: &App,
    log_group: &str,
    record: &mut Record,
    etag: &str,
    state: JobState,
) -> Result<Option<Summary>, TrackError> {
    let job_id = state.job_id.clone();
    let job_name = record.job_name.clone().unwrap_or_default();
    let stream = format!("{job_id}/{job_name}");
    let log = logs::read(&app.logs, log_group, &stream).await?;
    let settling = state
        .completion_date
        .is_some_and(|end| (now_secs() as f64 - end) < assumptions::LOG_SETTLE_TIME.as_secs_f64());
    if (log.lines.len() as i64) < state.rows() && settling {
        info!(
            logged = log.lines.len(),
            rows = state.rows(),
            "the job's log is not complete yet"
        );
        return Ok(None);
    }

    let (report_key, lines_key) = report::keys(&app.config.report_prefix, record);
    // A read error is retried by the next pass; a source that is gone gives a report without
    // usernames.
    let source = prepared::source(app, record)
        .await
        .map_err(|e| ReportError::Source(e.to_string()))?;
    if source.is_none() {
        warn!("the source object is gone; the per-line report has no usernames");
    }
    let problem_lines = reports::write_lines(&app.s3, &record.bucket, &lines_key, &log, source).await?;
    let outcome = state.status.as_str();
    let source_object = source::planned(app.config.source_object_policy, outcome);
    let (total_seconds, queued_seconds, import_seconds) = report::durations(record, &state);
    let summary = Summary {
        bucket: record.bucket.clone(),
        key: record.key.clone(),
        version_id: record.version_id.clone(),
        user_pool_id: app.pool.id().to_owned(),
        job_id: job_id.clone(),
        job_name: record.job_name.clone(),
        status: state.status,
        completion_message: state.completion_message.clone(),
        imported_users: state.imported_users,
        skipped_users: state.skipped_users,
        failed_users: state.failed_users,
        bytes: record.size,
        total_seconds,
        queued_seconds,
        import_seconds,
        abandoned_jobs: record.abandoned_jobs.clone(),
        log_group: log_group.to_owned(),
        log_stream: stream,
        logged_lines: log.lines.len(),
        report_key: report_key.clone(),
        lines_report_key: lines_key.clone(),
        problem_lines,
        source_object,
        prepared: record.normalised.as_ref().map(check::Normalised::describe).unwrap_or_default(),
        normalised: record.normalised.clone(),
    };
    reports::write_summary(&app.s3, &summary).await?;

    // The record is closed before anything that must not happen twice: if closing fails, the
    // next pass writes the same reports again, and nobody has been told twice.
    record
        .finished(state, report_key, lines_key)
        .map_err(LedgerError::from)?;
    app.ledger.update(record, etag).await?;
    source::settle(&app.s3, app.config.source_object_policy, record, outcome).await;
    app.notifier.finished(&summary).await;
    // The span names the job: no field twice on one line.
    info!(
        status = %summary.status,
        imported = summary.imported_users,
        skipped = summary.skipped_users,
        failed = summary.failed_users,
        "import finished"
    );
    Ok(Some(summary))
}
