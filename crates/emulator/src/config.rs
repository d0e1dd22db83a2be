//! How an emulator behaves: where it listens and stores, whom it trusts, and how fast and how
//! strictly its import jobs run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::assumptions;

/// How an emulator behaves. `Default` gives a fast, Cognito-like emulator on an ephemeral port.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Where S3 keeps buckets; `None` uses a temporary directory removed on drop.
    pub data_dir: Option<PathBuf>,
    pub region: String,
    pub account_id: String,
    /// Access key → secret pairs accepted in SigV4 signatures.
    pub credentials: Vec<(String, String)>,
    /// The endpoint written into pre-signed URLs; defaults to `http://<bound address>`.
    pub public_endpoint: Option<String>,
    /// Time between a job's status steps (Pending → InProgress → …).
    pub job_step: Duration,
    /// Time spent on each row; zero by default, raised by tests that stop a job mid-way.
    pub row_delay: Duration,
    /// A Created job not started within this time becomes Expired.
    pub job_expiry: Duration,
    /// Cognito's documented rule: the header must hold every GetCSVHeader column. `false` accepts
    /// a subset (an older documentation example did).
    pub require_full_header: bool,
    /// Whether GetCSVHeader lists `password_hash` (a pool that supports hash imports; the reference
    /// says not every pool does). `false` (default): a job without a PasswordHashingAlgorithm fails a
    /// file with that column as an unknown column. `true`: it is a header column like the others
    /// (the full-header rule requires it; a non-empty value fails its row on a job without an
    /// algorithm). A job with an algorithm requires the column either way.
    pub csv_header_lists_password_hash: bool,
    /// Import jobs a pool may create (Cognito's quota is 1,000).
    pub jobs_per_pool: usize,
    /// Share of failed-or-skipped rows above which a job ends Failed.
    pub failed_ratio: f64,
    /// Cognito's request quotas on the import operations (`quotas`): 5 requests a second of each
    /// operation per pool, and the account's UserPoolResourceUpdate (15/s) and UserPoolResourceRead
    /// (20/s) categories, answered TooManyRequestsException past them. On by default; `false`
    /// serves every request.
    pub cognito_quotas: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            region: "us-east-1".into(),
            account_id: "111111111111".into(),
            credentials: vec![("test".into(), "test".into())],
            public_endpoint: None,
            job_step: Duration::from_millis(20),
            row_delay: Duration::ZERO,
            job_expiry: assumptions::DEFAULT_JOB_EXPIRY,
            require_full_header: true,
            csv_header_lists_password_hash: false,
            jobs_per_pool: assumptions::DEFAULT_JOBS_PER_POOL,
            failed_ratio: assumptions::FAILED_OR_SKIPPED_RATIO,
            cognito_quotas: true,
        }
    }
}
