//! Started jobs, followed with DescribeUserImportJob; a finished one seen through: its log read and
//! joined to the source rows, the reports written, the state record closed (Succeeded,
//! ImportFailed or Stopped), the source object settled, the summary published and measured.

use tracing::{Instrument, info, info_span, warn};

use crate::adapters::ledger::{LedgerError, Open};
use crate::adapters::logs::{self, LogError};
use crate::adapters::reports::{self, ReportError};
use crate::adapters::source;
use crate::app::App;
use crate::check::{self, HashAlgorithm, PartInfo};
use crate::domain::assumptions;
use crate::domain::job::{JobState, JobStatus};
use crate::domain::joblog::JobLog;
use crate::domain::pass_report::{PassReport, Touched};
use crate::domain::record::{Record, Status, now_secs};
use crate::domain::report::{self, ImportedHashes, Logs, PartOutcome, Summary};
use crate::flow::{import, prepared};

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
            // The pool the job was created in is gone (deleted): nothing more can be learned of
            // this import. The pass ends it at once, as a queued job's; a new delivery after the
            // fix imports the file into the pool then set. Not when `USER_POOL_ID` now names
            // another pool than the job's (the job may be running there: it is followed again once
            // the setting is restored), nor for a denied call (likewise, once the role is fixed).
            Err(e) if close == Close::Finished && import::pool_is_gone(app, record, &e) => {
                record.pool_gone();
                import::misconfigured(app, record, etag, &e).instrument(span).await;
                report
                    .finished
                    .push(Touched::new(record, Some(job_id), "misconfigured".into()));
                continue;
            }
            Err(e) if !record.job_pool_is(app.pool.id()) => {
                let pool = record.job_pool.as_deref().unwrap_or_default();
                report.errors.push(format!(
                    "{}: its job {job_id} was created in user pool {pool}, but USER_POOL_ID is {}; \
                     set it back to follow the job ({e})",
                    record.key,
                    app.pool.id()
                ));
                continue;
            }
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
        match Box::pin(complete(app, group, record, etag, state))
            .instrument(span)
            .await
        {
            Ok(Some(summary)) => report
                .finished
                .push(Touched::new(record, Some(job_id), summary.status.to_string())),
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
    etag: &mut String,
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

    // A part of a split file that succeeded, with another to come: the record waits in the queue
    // for the next part's job. The reports come once, when the last part has finished.
    if state.status == JobStatus::Succeeded && record.part > 0 && (record.part as usize) < record.parts.len() {
        let imported = state.imported_users;
        record.next_part(state).map_err(LedgerError::from)?;
        *etag = app.ledger.update(record, etag).await?;
        info!(
            part = record.part - 1,
            parts = record.parts.len(),
            imported,
            "part imported; the next part waits for its turn"
        );
        return Ok(None);
    }
    let (logs, parts) = if record.parts.is_empty() {
        (Logs::Source(log), Vec::new())
    } else {
        every_part(app, log_group, record, log, &state).await?
    };

    let (report_key, lines_key) = report::keys(&app.config.report_prefix, record);
    // A read error is retried by the next pass; a source that is gone gives a report without
    // usernames.
    let source = prepared::whole(app, record)
        .await
        .map_err(|e| ReportError::Source(e.to_string()))?;
    if source.is_none() {
        warn!("the source object is gone; the per-line report has no usernames");
    }
    let (problem_lines, password_hashes) =
        reports::write_lines(&app.s3, &record.bucket, &lines_key, &logs, source).await?;
    let outcome = state.status.as_str();
    let source_object = source::planned(app.config.source_object_policy, outcome);
    let (total_seconds, queued_seconds, import_seconds) = report::durations(record, &state);
    let total = |count: fn(&PartOutcome) -> i64, this: i64| {
        if parts.is_empty() {
            this
        } else {
            parts.iter().map(count).sum()
        }
    };
    let imported_users = total(|p| p.imported_users, state.imported_users);
    let skipped_users = total(|p| p.skipped_users, state.skipped_users);
    let failed_users = total(|p| p.failed_users, state.failed_users);
    let completion_message = match parts_not_imported(record, &state) {
        Some(said) => Some(said),
        None => state.completion_message.clone(),
    };
    let summary = Summary {
        bucket: record.bucket.clone(),
        key: record.key.clone(),
        version_id: record.version_id.clone(),
        user_pool_id: app.pool.id().to_owned(),
        job_id: job_id.clone(),
        job_name: record.job_name.clone(),
        status: state.status,
        completion_message,
        imported_users,
        skipped_users,
        failed_users,
        bytes: record.size,
        total_seconds,
        queued_seconds,
        import_seconds,
        abandoned_jobs: record.abandoned_jobs.clone(),
        log_group: log_group.to_owned(),
        log_stream: stream,
        logged_lines: logs.lines(),
        report_key: report_key.clone(),
        lines_report_key: lines_key.clone(),
        problem_lines,
        source_object,
        prepared: record
            .normalised
            .as_ref()
            .map(check::Normalised::describe)
            .unwrap_or_default(),
        normalised: record.normalised.clone(),
        parts,
        password_hashes: password_hashes.map(|counts| ImportedHashes {
            algorithms: record.hashes.as_ref().map(|h| h.algorithms.clone()).unwrap_or_default(),
            ..counts
        }),
    };
    reports::write_summary(&app.s3, &summary).await?;

    // The record is closed before anything that must not happen twice: if closing fails, the
    // next pass writes the same reports again, and nobody has been told twice.
    record
        .finished(state, report_key, lines_key)
        .map_err(LedgerError::from)?;
    *etag = app.ledger.update(record, etag).await?;
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

/// The last part of a split file has finished: the logs of every part that had a job, their line
/// numbers the source file's (or, for the parts of one hash algorithm's file, that file's), and
/// each part's outcome.
async fn every_part(
    app: &App,
    log_group: &str,
    record: &Record,
    current: JobLog,
    state: &JobState,
) -> Result<(Logs, Vec<PartOutcome>), TrackError> {
    // The merged log of each hash algorithm's file, in the parts' order; one, `None`, otherwise.
    let mut merged: Vec<(Option<HashAlgorithm>, JobLog)> = Vec::new();
    let mut add = |algorithm: Option<HashAlgorithm>, log: JobLog, info: &PartInfo| {
        if merged.last().is_none_or(|(a, _)| *a != algorithm) {
            merged.push((algorithm, JobLog::default()));
        }
        let (_, into) = merged.last_mut().expect("just pushed");
        into.append(log, |line| info.source_line(u64::from(line)) as u32);
    };
    let mut outcomes = Vec::new();
    for (i, part) in record.parts.iter().enumerate() {
        let number = i as u32 + 1;
        let (job_id, job_state) = match number.cmp(&record.part) {
            std::cmp::Ordering::Less => (part.job_id.clone(), part.job_state.clone()),
            std::cmp::Ordering::Equal => (record.job_id.clone(), Some(state.clone())),
            std::cmp::Ordering::Greater => (None, None),
        };
        let info = &part.info;
        if number < record.part
            && let (Some(job_id), Some(job_name)) = (&part.job_id, &part.job_name)
        {
            let log = logs::read(&app.logs, log_group, &format!("{job_id}/{job_name}")).await?;
            add(info.group.map(|g| g.algorithm), log, info);
        }
        outcomes.push(PartOutcome {
            number,
            algorithm: info.group.map(|g| g.algorithm),
            first_line: info.first_line,
            last_line: info.last_line,
            rows: info.rows,
            job_id,
            status: job_state.as_ref().map(|s| s.status),
            imported_users: job_state.as_ref().map_or(0, |s| s.imported_users),
            skipped_users: job_state.as_ref().map_or(0, |s| s.skipped_users),
            failed_users: job_state.as_ref().map_or(0, |s| s.failed_users),
        });
    }
    let info = &record.parts[record.part as usize - 1].info;
    add(info.group.map(|g| g.algorithm), current, info);
    let logs = match merged.first() {
        Some((Some(_), _)) => Logs::ByAlgorithm(merged.into_iter().filter_map(|(a, log)| Some((a?, log))).collect()),
        _ => Logs::Source(merged.pop().map(|(_, log)| log).unwrap_or_default()),
    };
    Ok((logs, outcomes))
}

/// For a split file whose current part did not succeed: which part ended how, and which parts
/// were not imported, by their source lines.
fn parts_not_imported(record: &Record, state: &JobState) -> Option<String> {
    let part = record.current_part()?;
    if state.status == JobStatus::Succeeded {
        return None;
    }
    let count = record.parts.len();
    if let Some(group) = part.info.group {
        // The lines of one algorithm's file are not the source's: the per-line report names them.
        let mut said = format!(
            "part {} of {count} ({} hashes) ended {}",
            part.info.number, group.algorithm, state.status
        );
        if let Some(message) = &state.completion_message {
            said.push_str(&format!(": {message}"));
        }
        if (part.info.number as usize) < count {
            said.push_str(&format!("; parts {}-{count} were not imported", part.info.number + 1));
        }
        return Some(said);
    }
    let mut said = format!(
        "part {} of {count} (lines {}-{}) ended {}",
        part.info.number, part.info.first_line, part.info.last_line, state.status
    );
    if let Some(message) = &state.completion_message {
        said.push_str(&format!(": {message}"));
    }
    if let Some(last) = record.parts.last().filter(|last| last.info.number > part.info.number) {
        let next = &record.parts[part.info.number as usize];
        said.push_str(&format!(
            "; parts {}-{count} (lines {}-{}) were not imported",
            next.info.number, next.info.first_line, last.info.last_line
        ));
    }
    Some(said)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::ObjectRef;

    fn state(status: JobStatus, message: Option<&str>) -> JobState {
        JobState::ended("j", status, 0, message)
    }

    #[test]
    fn a_part_that_did_not_succeed_is_named_with_the_lines_left_unimported() {
        let object = ObjectRef {
            bucket: "b".into(),
            key: "incoming/big.csv".into(),
            version_id: None,
            etag: None,
            size: None,
        };
        let mut record = Record::in_status(&object, Status::Started);
        let part = |number, first_line, last_line| PartInfo {
            number,
            first_line,
            last_line,
            rows: last_line - first_line + 1,
            bytes: 1,
            group: None,
        };
        record.split(vec![
            part(1, 2, 500_001),
            part(2, 500_002, 1_000_001),
            part(3, 1_000_002, 1_000_100),
        ]);
        assert_eq!(
            parts_not_imported(&record, &state(JobStatus::Failed, Some("Too many users have failed."))).as_deref(),
            Some(
                "part 1 of 3 (lines 2-500001) ended Failed: Too many users have failed.; parts 2-3 (lines \
                 500002-1000100) were not imported"
            )
        );
        record.part = 3;
        assert_eq!(
            parts_not_imported(&record, &state(JobStatus::Stopped, None)).as_deref(),
            Some("part 3 of 3 (lines 1000002-1000100) ended Stopped")
        );
        assert_eq!(parts_not_imported(&record, &state(JobStatus::Succeeded, None)), None);
        // A file imported whole keeps Cognito's own message.
        let whole = Record::in_status(&object, Status::Started);
        assert_eq!(parts_not_imported(&whole, &state(JobStatus::Failed, Some("x"))), None);
    }
}
