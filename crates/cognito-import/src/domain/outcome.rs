//! How one object's invocation ended, for the invocation's answer and logs.

use serde::Serialize;

use crate::domain::record::Status;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum Outcome {
    /// Not an import file (wrong prefix or suffix, or the function's own output).
    Ignored {
        reason: String,
    },
    /// Another invocation has or had this object version.
    Duplicate {
        status: Status,
        job_id: Option<String>,
    },
    /// The object is gone, or changed since its event.
    Missing {
        message: String,
    },
    /// The file breaks Cognito's rules: no job; the report lists every problem.
    Rejected {
        problems: u64,
        report_key: String,
    },
    Started {
        job_id: String,
    },
    /// Waiting for its turn: uploaded to its job, or (`job_id` null) checked and waiting for its
    /// job, which Cognito's throttling put off until the file's turn.
    Queued {
        job_id: Option<String>,
    },
    /// A failure that retrying the invocation may fix (the record allows the retry).
    Failed {
        message: String,
    },
    /// Failed on every allowed take: final, reported, never retried.
    GaveUp {
        message: String,
    },
    /// A setting is wrong: final, reported, not retried until the object is delivered again.
    Misconfigured {
        setting: String,
        message: String,
    },
}

impl Outcome {
    /// Whether the invocation should fail so that the delivery is retried.
    pub fn wants_retry(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }

    /// The outcome's name, as the answer spells it (`started`, `queued`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Ignored { .. } => "ignored",
            Outcome::Duplicate { .. } => "duplicate",
            Outcome::Missing { .. } => "missing",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Started { .. } => "started",
            Outcome::Queued { .. } => "queued",
            Outcome::Failed { .. } => "failed",
            Outcome::GaveUp { .. } => "gave_up",
            Outcome::Misconfigured { .. } => "misconfigured",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_the_serialised_tag() {
        let all = [
            Outcome::Ignored { reason: "r".into() },
            Outcome::Duplicate {
                status: Status::Queued,
                job_id: None,
            },
            Outcome::Missing { message: "m".into() },
            Outcome::Rejected {
                problems: 1,
                report_key: "k".into(),
            },
            Outcome::Started { job_id: "j".into() },
            Outcome::Queued {
                job_id: Some("j".into()),
            },
            Outcome::Failed { message: "m".into() },
            Outcome::GaveUp { message: "m".into() },
            Outcome::Misconfigured {
                setting: "USER_POOL_ID".into(),
                message: "m".into(),
            },
        ];
        for outcome in all {
            assert_eq!(serde_json::to_value(&outcome).unwrap()["outcome"], outcome.name());
        }
    }
}
