//! The import job operations: CreateUserImportJob, StartUserImportJob, StopUserImportJob,
//! DescribeUserImportJob and ListUserImportJobs. A started job is run in the background by
//! [`runner`].

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::json;

use super::model::{Job, JobStatus, expire_if_due, messages};
use super::request::{page, pool_id_of};
use super::runner;
use crate::assumptions;
use crate::import::HashAlgorithm;
use crate::json::{ApiError, ApiResult, Input, random_id};
use crate::shared::Shared;

const JOB_NAME_MAX: usize = 128;

pub(super) fn create_import_job(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    let name = input.str("JobName")?;
    let name_ok = !name.is_empty()
        && name.chars().count() <= JOB_NAME_MAX
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=,.@-".contains(c));
    if !name_ok {
        return Err(ApiError::invalid(
            "1 validation error detected: Value at 'jobName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+ and be 1 to 128 characters",
        ));
    }
    let role = input.str("CloudWatchLogsRoleArn")?;
    let role_ok = role.starts_with("arn:") && role.split(':').count() >= 6 && role.contains(":role/");
    if !role_ok {
        return Err(ApiError::invalid(format!(
            "CloudWatchLogsRoleArn is not an IAM role ARN: {role}"
        )));
    }
    let hashing = input.opt_str("PasswordHashingAlgorithm")?.map(str::to_owned);
    if let Some(a) = &hashing
        && HashAlgorithm::from_api_name(a).is_none()
    {
        return Err(ApiError::invalid(format!("Unsupported PasswordHashingAlgorithm: {a}")));
    }

    let id = format!("import-{}", random_id(10));
    let url = shared.presigned_url(pool_id, &id);
    let mut state = shared.cognito.lock().unwrap();
    let pool = state.pool_mut(pool_id)?;
    if pool.jobs_created >= shared.config.jobs_per_pool {
        return Err(ApiError::new(
            "LimitExceededException",
            format!(
                "The user pool has reached its limit of {} import jobs.",
                shared.config.jobs_per_pool
            ),
        ));
    }
    pool.jobs_created += 1;
    let job = Job {
        id: id.clone(),
        name: name.to_owned(),
        pool_id: pool_id.to_owned(),
        role_arn: role.to_owned(),
        presigned_url: url,
        hashing_algorithm: hashing,
        created: SystemTime::now(),
        started: None,
        completed: None,
        status: JobStatus::Created,
        imported: 0,
        skipped: 0,
        failed: 0,
        message: None,
    };
    let out = json!({ "UserImportJob": job.to_json() });
    state.jobs.insert(id, job);
    Ok(out)
}

/// StartUserImportJob: checks the job can start, marks it Pending and runs it in the background.
pub(super) fn start_import_job(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    let job_id = input.str("JobId")?;
    let uploaded = shared.import_object_path(pool_id, job_id).is_file();
    let mut state = shared.cognito.lock().unwrap();
    let pool = state.pool(pool_id)?;
    let auto_verifies = pool.auto_verified.iter().any(|a| a == "email" || a == "phone_number");
    let job = state
        .jobs
        .get_mut(job_id)
        .filter(|j| j.pool_id == pool_id)
        .ok_or_else(|| ApiError::not_found(format!("Import job {job_id} does not exist.")))?;
    expire_if_due(job, shared.config.job_expiry);
    if job.status != JobStatus::Created {
        return Err(ApiError::new(
            assumptions::NOT_CREATED_START_ERROR,
            format!(
                "Import job {job_id} is {} and cannot be started; only a Created job can.",
                job.status.as_str()
            ),
        ));
    }
    if !uploaded {
        return Err(ApiError::new(
            "PreconditionNotMetException",
            format!("No csv file was uploaded for {job_id}"),
        ));
    }
    if !auto_verifies {
        return Err(ApiError::new(
            assumptions::NO_AUTO_VERIFY_ERROR,
            "The user pool must auto-verify email or phone_number before users can be imported.",
        ));
    }
    if let Some(active) = state.jobs.values().find(|j| j.status.is_active()) {
        let active = active.id.clone();
        return Err(ApiError::new(
            assumptions::SECOND_ACTIVE_JOB_ERROR,
            format!("Another import job ({active}) is already in progress in this account; one may run at a time."),
        ));
    }
    let job = state.jobs.get_mut(job_id).expect("found above");
    job.status = JobStatus::Pending;
    job.started = Some(SystemTime::now());
    let out = json!({ "UserImportJob": job.to_json() });
    drop(state);

    let shared = Arc::clone(shared);
    let (pool_id, job_id) = (pool_id.to_owned(), job_id.to_owned());
    tokio::spawn(async move { runner::run(shared, pool_id, job_id).await });
    Ok(out)
}

pub(super) fn stop_import_job(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let mut state = shared.cognito.lock().unwrap();
    let job = state.job_mut(pool_id_of(input)?, input.str("JobId")?, shared.config.job_expiry)?;
    match job.status {
        // The CLI examples show StopUserImportJob answering Stopped at once, with its CompletionDate
        // (reference, "statuses"): the job ends here, and the runner finds it ended at its next row.
        JobStatus::Pending | JobStatus::InProgress | JobStatus::Stopping => {
            job.finish(JobStatus::Stopped, messages::STOPPED);
        }
        other => {
            return Err(ApiError::new(
                "PreconditionNotMetException",
                format!("Import job {} is {} and cannot be stopped.", job.id, other.as_str()),
            ));
        }
    }
    Ok(json!({ "UserImportJob": job.to_json() }))
}

pub(super) fn describe_import_job(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let mut state = shared.cognito.lock().unwrap();
    let job = state.job_mut(pool_id_of(input)?, input.str("JobId")?, shared.config.job_expiry)?;
    Ok(json!({ "UserImportJob": job.to_json() }))
}

pub(super) fn list_import_jobs(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    if input.opt_u64("MaxResults")?.is_none() {
        return Err(ApiError::invalid(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: \
             Member must not be null",
        ));
    }
    let limit = input.limit("MaxResults", 60, 60)?;
    let mut state = shared.cognito.lock().unwrap();
    state.pool(pool_id)?;
    let expiry = shared.config.job_expiry;
    let mut jobs: Vec<&mut Job> = state.jobs.values_mut().filter(|j| j.pool_id == pool_id).collect();
    for job in jobs.iter_mut() {
        expire_if_due(job, expiry);
    }
    // Newest first, as Cognito lists them.
    let mut jobs: Vec<&Job> = jobs.into_iter().map(|j| &*j).collect();
    jobs.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    let (jobs, next) = page(&jobs, input.opt_str("PaginationToken")?, limit)?;
    let mut out = json!({ "UserImportJobs": jobs.iter().map(|j| j.to_json()).collect::<Vec<_>>() });
    if let Some(next) = next {
        out["PaginationToken"] = json!(next);
    }
    Ok(out)
}
