//! An import job as Cognito reports it: its status (Created → Pending → InProgress → Succeeded or
//! Failed; Pending/InProgress → Stopping → Stopped; Created → Expired) and its counts.

use serde::{Deserialize, Serialize};

/// A job's status, as DescribeUserImportJob names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    Created,
    Pending,
    InProgress,
    Stopping,
    Stopped,
    Failed,
    Expired,
    Succeeded,
    /// A status this function does not know (a newer API): treated as neither active nor finished,
    /// so the job is asked again on the next pass.
    #[serde(other)]
    Unknown,
}

impl JobStatus {
    /// Every status Cognito reports, in lifecycle order.
    pub const ALL: [JobStatus; 8] = [
        JobStatus::Created,
        JobStatus::Pending,
        JobStatus::InProgress,
        JobStatus::Stopping,
        JobStatus::Stopped,
        JobStatus::Failed,
        JobStatus::Expired,
        JobStatus::Succeeded,
    ];

    /// The status Cognito's API spells `name`.
    pub fn from_api(name: &str) -> JobStatus {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).unwrap_or(JobStatus::Unknown)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Created => "Created",
            JobStatus::Pending => "Pending",
            JobStatus::InProgress => "InProgress",
            JobStatus::Stopping => "Stopping",
            JobStatus::Stopped => "Stopped",
            JobStatus::Failed => "Failed",
            JobStatus::Expired => "Expired",
            JobStatus::Succeeded => "Succeeded",
            JobStatus::Unknown => "Unknown",
        }
    }

    /// Nothing more will happen to the job.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Stopped | JobStatus::Expired
        )
    }

    /// Pending or InProgress: the account's one active import job.
    pub fn is_active(self) -> bool {
        matches!(self, JobStatus::Pending | JobStatus::InProgress)
    }

    /// The job was started at some point (so it is, or was, the object's import). A status this
    /// function does not know counts as started: never a second job on a guess.
    pub fn was_started(self) -> bool {
        !matches!(self, JobStatus::Created | JobStatus::Expired)
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job's progress as DescribeUserImportJob reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobState {
    pub job_id: String,
    pub status: JobStatus,
    pub imported_users: i64,
    pub skipped_users: i64,
    pub failed_users: i64,
    pub completion_message: Option<String>,
    /// Seconds since the epoch, as Cognito reports them.
    #[serde(default)]
    pub creation_date: Option<f64>,
    #[serde(default)]
    pub start_date: Option<f64>,
    #[serde(default)]
    pub completion_date: Option<f64>,
}

impl JobState {
    /// A finished job's state, for tests.
    #[cfg(test)]
    pub fn ended(job_id: &str, status: JobStatus, imported_users: i64, completion_message: Option<&str>) -> JobState {
        JobState {
            job_id: job_id.into(),
            status,
            imported_users,
            skipped_users: 0,
            failed_users: 0,
            completion_message: completion_message.map(str::to_owned),
            creation_date: None,
            start_date: None,
            completion_date: None,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }

    pub fn is_active(&self) -> bool {
        self.status.is_active()
    }

    /// Rows the job has logged an outcome for.
    pub fn rows(&self) -> i64 {
        self.imported_users + self.skipped_users + self.failed_users
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_and_write_as_cognito_spells_them() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::from_api(status.as_str()), status);
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(JobStatus::from_api("Paused"), JobStatus::Unknown);
    }

    #[test]
    fn only_pending_and_in_progress_are_active_and_four_statuses_are_final() {
        let active: Vec<_> = JobStatus::ALL
            .into_iter()
            .chain([JobStatus::Unknown])
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(active, [JobStatus::Pending, JobStatus::InProgress]);
        assert!(JobStatus::Expired.is_finished() && !JobStatus::Expired.was_started());
        assert!(!JobStatus::Stopping.is_finished() && JobStatus::Stopping.was_started());
        assert!(!JobStatus::Unknown.is_finished() && !JobStatus::Unknown.is_active());
        assert!(
            JobStatus::Unknown.was_started(),
            "an unknown status never gets a second job"
        );
    }
}
