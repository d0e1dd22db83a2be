//! A finished job, seen through: its log read and joined to the source rows, the reports
//! written, the summary published and measured, the source object settled, and the state record
//! closed (Succeeded, ImportFailed or Stopped).

use tracing::{info, warn};

use crate::assumptions;
use crate::joblog::{self, LogError};
use crate::ledger::{LedgerError, Record, Status, now_secs};
use crate::pipeline::{self, App};
use crate::pool::JobState;
use crate::report::{self, ReportError, Summary};
use crate::source;

#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The record status for a finished job's Cognito status.
fn final_status(job_status: &str) -> Status {
    match job_status {
        "Succeeded" => Status::Succeeded,
        "Stopped" => Status::Stopped,
        _ => Status::ImportFailed,
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
    let log = joblog::read(&app.logs, log_group, &stream).await?;
    let settling = state
        .completion_date
        .is_some_and(|end| (now_secs() as f64 - end) < assumptions::LOG_SETTLE_TIME.as_secs_f64());
    if (log.lines.len() as i64) < state.rows() && settling {
        info!(%job_id, logged = log.lines.len(), rows = state.rows(), "the job's log is not complete yet");
        return Ok(None);
    }

    let (report_key, lines_key) = report::keys(&app.config.report_prefix, record);
    // A read error is retried by the next pass; a source that is gone gives a report without
    // usernames.
    let source = pipeline::open_version(&app.s3, record)
        .await
        .map_err(ReportError::Source)?;
    if source.is_none() {
        warn!("the source object is gone; the per-line report has no usernames");
    }
    let problem_lines = report::write_lines(&app.s3, &record.bucket, &lines_key, &log, source).await?;
    let source_object = source::planned(app.config.source_object_policy, &state.status);
    let (total_seconds, queued_seconds, import_seconds) = report::durations(record, &state);
    let summary = Summary {
        bucket: record.bucket.clone(),
        key: record.key.clone(),
        version_id: record.version_id.clone(),
        user_pool_id: app.pool.id().to_owned(),
        job_id: job_id.clone(),
        job_name: record.job_name.clone(),
        status: state.status.clone(),
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
    };
    report::write_summary(&app.s3, &summary).await?;

    // The record is closed before anything that must not happen twice: if closing fails, the
    // next pass writes the same reports again, and nobody has been told twice.
    record.status = final_status(&state.status);
    record.message = state.completion_message.clone();
    record.report_key = Some(report_key);
    record.lines_report_key = Some(lines_key);
    record.finished_at = Some(now_secs());
    record.job_state = Some(state.clone());
    app.ledger.update(record, etag).await?;
    source::settle(&app.s3, app.config.source_object_policy, record, &state.status).await;
    app.notifier.finished(&summary).await;
    info!(
        %job_id,
        status = %summary.status,
        imported = summary.imported_users,
        skipped = summary.skipped_users,
        failed = summary.failed_users,
        "import finished"
    );
    Ok(Some(summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognitos_final_statuses_map_to_record_statuses() {
        assert_eq!(final_status("Succeeded"), Status::Succeeded);
        assert_eq!(final_status("Failed"), Status::ImportFailed);
        assert_eq!(final_status("Stopped"), Status::Stopped);
        assert!(final_status("Failed").is_final());
    }
}
