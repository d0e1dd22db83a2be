//! Every behaviour of the emulator that Cognito's documentation does not state.
//!
//! The emulator follows `cognito-import-reference.md`; where that reference is silent or marks a
//! point as unknown, the choice made here is named and explained, so that it can be changed in one
//! place when better evidence arrives. (The CSV row rules keep their own assumptions at the top of
//! `import/rules.rs`.)

use std::time::Duration;

/// A second StartUserImportJob while another job of the account is Pending or InProgress.
/// Cognito documents the one-active-job limit but not the error; PreconditionNotMetException is
/// the only documented StartUserImportJob error that describes a state conflict.
pub const SECOND_ACTIVE_JOB_ERROR: &str = "PreconditionNotMetException";

/// StartUserImportJob on a job that is not Created (already started, Stopped, Expired or ended).
/// Cognito says only that a stopped job "cannot be started again"; the request names a job whose
/// state rules it out, which the service reports as an invalid parameter.
pub const NOT_CREATED_START_ERROR: &str = "InvalidParameterException";

/// The job fails with "Too many users have failed or been skipped during the import." when more
/// than this share of its rows failed or were skipped. Cognito does not publish its threshold.
pub const FAILED_OR_SKIPPED_RATIO: f64 = 0.5;

/// A job whose file cannot be parsed (file-level rule broken) ends Failed with the rule's text as
/// its CompletionMessage; Cognito's exact wording is not documented.
pub const FILE_ERROR_IS_JOB_FAILURE: bool = true;

/// Rows are processed in full before the threshold is applied, so a Failed job may still have
/// imported users. Cognito does not say whether it stops early.
pub const THRESHOLD_APPLIED_AFTER_ALL_ROWS: bool = true;

/// StartUserImportJob on a pool that auto-verifies neither email nor phone_number answers
/// InvalidParameterException (the guide says only that "the job will not start").
pub const NO_AUTO_VERIFY_ERROR: &str = "InvalidParameterException";

/// A Created job expires after this long if not started (the guide says 24-48 hours).
pub const DEFAULT_JOB_EXPIRY: Duration = Duration::from_secs(24 * 60 * 60);

/// GetCSVHeader puts `custom:` columns after the standard attributes and before
/// `cognito:mfa_enabled` and `cognito:username`. Order does not matter to an import.
pub const CUSTOM_COLUMNS_BEFORE_COGNITO_COLUMNS: bool = true;

/// Import jobs per user pool (an adjustable quota); CreateUserImportJob past it answers
/// LimitExceededException.
pub const DEFAULT_JOBS_PER_POOL: usize = 1_000;
