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

/// S3 version ids, as the emulator makes them: this many characters of
/// [`VERSION_ID_ALPHABET`] (S3's own ids look like `IYV3p45BT0ac8hjHg1houSdS1a.Mro8e`; their
/// format is not documented). Besides `null`, a version id of any other length or with another
/// character is malformed: S3 answers 400 InvalidArgument "Invalid version id specified", as it
/// does for ids it could never have made, and 404 NoSuchVersion only for a well-formed id it does
/// not hold.
pub const VERSION_ID_LEN: usize = 32;

/// The characters of the emulator's version ids (see [`VERSION_ID_LEN`]).
pub const VERSION_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

/// A version id other than `null` on an object of a bucket that never had versioning: S3 is
/// reported to answer 400 (InvalidArgument) for any such id, since the bucket holds no versions.
pub const VERSION_ID_IN_UNVERSIONED_BUCKET_IS_INVALID: bool = true;

/// DeleteObject of a well-formed version id the key does not hold succeeds (204) and changes
/// nothing: deletes are idempotent in S3.
pub const DELETING_AN_UNKNOWN_VERSION_SUCCEEDS: bool = true;
