//! What the function assumes where AWS's documentation is silent, each in one place.

use std::time::Duration;

/// EventBridge "Object Created" events carry the key URL-encoded like S3 notifications do (the
/// reference notes that Powertools decodes both); keys are decoded the same way for both.
pub const EVENTBRIDGE_KEYS_ARE_URL_ENCODED: bool = true;

/// A pre-signed upload URL is valid for 899 seconds from CreateUserImportJob.
pub const UPLOAD_URL_LIFETIME: Duration = Duration::from_secs(899);

/// No upload attempt starts with less than this left of the URL's life: a 100 MB PUT must finish
/// before S3 checks the expiry at the end of the request.
pub const UPLOAD_URL_MARGIN: Duration = Duration::from_secs(120);

/// StartUserImportJob answering PreconditionNotMetException after our upload succeeded means that
/// another job of the account is active (Cognito runs one at a time and does not document this
/// error's shape); the job is then queued, not failed.
pub const PRECONDITION_AFTER_UPLOAD_MEANS_BUSY: bool = true;

/// CloudWatch Logs may show the last lines of a job's log a little after DescribeUserImportJob
/// reports the job finished. For this long after completion, a log with fewer row outcomes than
/// the job's counts is read again on the next pass instead of being reported incomplete.
pub const LOG_SETTLE_TIME: Duration = Duration::from_secs(120);
