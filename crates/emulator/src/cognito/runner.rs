//! Running a started user import job by Cognito's documented rules (StartUserImportJob, in
//! `import_jobs`, checks and starts it).
//!
//! A started job walks Pending → InProgress → Succeeded or Failed, one observable step at a time
//! (`EmulatorConfig::job_step` apart). StopUserImportJob ends it Stopped at once (as the CLI examples
//! show); the runner then stops before its next row. Each row is one step under the state's lock:
//! the stop check, the row's effect on the pool, its count and its log line, so a stopped job's
//! counts and log never move again. Rows are read by `import`, users created in the pool, and one
//! log line written per row in Cognito's format.

use std::sync::Arc;

use tracing::{info, warn};

use super::model::{Cognito, JobStatus, messages};
use super::users::new_user_with_password;
use crate::assumptions;
use crate::import::{HashAlgorithm, ImportFile, Row};
use crate::shared::Shared;

/// What a row did to the pool.
enum Outcome {
    Succeeded,
    Skipped,
    Failed(String),
}

/// Walks a Pending job to its end, one row at a time.
pub(super) async fn run(shared: Arc<Shared>, pool_id: String, job_id: String) {
    let step = shared.config.job_step;
    tokio::time::sleep(step).await;
    if !set_in_progress(&shared, &job_id) {
        return;
    }
    let (log_group, stream, schema, hashing) = {
        let state = shared.cognito.lock().unwrap();
        let (Some(pool), Some(job)) = (state.pools.get(&pool_id), state.jobs.get(&job_id)) else {
            return;
        };
        let config = &shared.config;
        (
            pool.log_group(),
            format!("{}/{}", job.id, job.name),
            pool.import_schema_with(config.require_full_header, config.csv_header_lists_password_hash),
            // CreateUserImportJob took only the API's names.
            job.hashing_algorithm.as_deref().and_then(HashAlgorithm::from_api_name),
        )
    };
    shared.logs.lock().unwrap().create_stream(&log_group, &stream);
    tokio::time::sleep(step).await;

    let bytes = match tokio::fs::read(shared.import_object_path(&pool_id, &job_id)).await {
        Ok(b) => b,
        Err(e) => {
            warn!(job_id, error = %e, "uploaded file unreadable");
            end(
                &shared,
                &job_id,
                JobStatus::Failed,
                assumptions::file_failures::UNREADABLE,
            );
            return;
        }
    };
    let file = match ImportFile::open_for_job(&bytes, &schema, hashing) {
        Ok(f) => f,
        Err(e) => {
            if assumptions::FILE_ERROR_IS_JOB_FAILURE {
                end(&shared, &job_id, JobStatus::Failed, &e.to_string());
            }
            return;
        }
    };

    let row_delay = shared.config.row_delay;
    for row in file.rows() {
        {
            let mut state = shared.cognito.lock().unwrap();
            if !running(&state, &job_id) {
                return;
            }
            let (line, outcome) = apply(&mut state, &pool_id, row);
            let message = match &outcome {
                Outcome::Succeeded => format!("[SUCCEEDED] Line Number {line} - The import succeeded."),
                Outcome::Skipped => format!("[SKIPPED] Line Number {line} - The user already exists."),
                Outcome::Failed(reason) => format!("[FAILED] Line Number {line} - {reason}"),
            };
            let Some(job) = state.jobs.get_mut(&job_id) else { return };
            match outcome {
                Outcome::Succeeded => job.imported += 1,
                Outcome::Skipped => job.skipped += 1,
                Outcome::Failed(_) => job.failed += 1,
            }
            // Logs are locked inside the Cognito state's lock, never the other way round.
            shared.logs.lock().unwrap().append(&log_group, &stream, message);
        }
        if !row_delay.is_zero() {
            tokio::time::sleep(row_delay).await;
        }
    }
    tokio::time::sleep(step).await;
    let verdict = {
        let state = shared.cognito.lock().unwrap();
        let Some(job) = state.jobs.get(&job_id) else { return };
        let rows = job.imported + job.skipped + job.failed;
        let bad = (job.skipped + job.failed) as f64;
        if assumptions::THRESHOLD_APPLIED_AFTER_ALL_ROWS && rows > 0 && bad > rows as f64 * shared.config.failed_ratio {
            (JobStatus::Failed, messages::TOO_MANY_FAILED)
        } else {
            (JobStatus::Succeeded, messages::SUCCEEDED)
        }
    };
    end(&shared, &job_id, verdict.0, verdict.1);
}

/// Applies one row to the pool: a new user is created CONFIRMED with its password hash, or
/// RESET_REQUIRED without one (reference, "imported users"); an existing one is skipped.
fn apply(state: &mut Cognito, pool_id: &str, row: Row) -> (u64, Outcome) {
    match row {
        Row::Invalid { line, reason } => (line, Outcome::Failed(reason)),
        Row::Valid(user) => {
            let Some(pool) = state.pools.get_mut(pool_id) else {
                return (user.line, Outcome::Failed(assumptions::reasons::POOL_GONE.into()));
            };
            if pool.users.contains_key(&user.username) {
                return (user.line, Outcome::Skipped);
            }
            let line = user.line;
            let status = if user.password_hash.is_some() {
                "CONFIRMED"
            } else {
                "RESET_REQUIRED"
            };
            match new_user_with_password(
                pool,
                &user.username,
                user.attributes,
                status,
                user.mfa_enabled,
                user.password_hash,
            ) {
                Ok(_) => (line, Outcome::Succeeded),
                Err(e) => (line, Outcome::Failed(e.message)),
            }
        }
    }
}

/// Whether the job is still running: not stopped by an operator (StopUserImportJob ends it Stopped
/// at once), not otherwise ended, not gone.
fn running(state: &Cognito, job_id: &str) -> bool {
    state.jobs.get(job_id).is_some_and(|job| job.status.is_active())
}

/// Pending → InProgress, unless a Stop came meanwhile (false: the runner is done).
fn set_in_progress(shared: &Shared, job_id: &str) -> bool {
    let mut state = shared.cognito.lock().unwrap();
    match state.jobs.get_mut(job_id) {
        Some(job) if job.status == JobStatus::Pending => {
            job.status = JobStatus::InProgress;
            true
        }
        Some(job) => {
            info!(job_id, status = job.status.as_str(), "import job ended before it ran");
            false
        }
        None => false,
    }
}

/// Ends a running job. A job already ended (Stopped by an operator) keeps its end.
fn end(shared: &Shared, job_id: &str, status: JobStatus, message: &str) {
    let mut state = shared.cognito.lock().unwrap();
    if let Some(job) = state.jobs.get_mut(job_id)
        && job.status.is_active()
    {
        job.finish(status, message);
        info!(
            job_id,
            status = status.as_str(),
            imported = job.imported,
            failed = job.failed,
            "import job ended"
        );
    }
}
