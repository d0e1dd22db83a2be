//! The app: configuration and every client, built once per process from the standard AWS
//! configuration chain (region, credentials, `AWS_ENDPOINT_URL*`), with the SDK's standard retries
//! for throttling and 5xx. Everything else receives an [`App`].

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::adapters::ledger::Ledger;
use crate::adapters::notify::{MetricsSink, Notifier};
use crate::adapters::pool::Pool;
use crate::domain::config::Config;

/// Attempts per AWS call (the first try included), with exponential backoff and jitter, before an
/// error reaches a flow. Cognito shares its rate limits with every user-pool management call in
/// the account, so throttling is expected under load.
const MAX_ATTEMPTS: u32 = 6;

pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_max_backoff(Duration::from_secs(10))
}

/// The object is read only as fast as the upload sends it on, so a download may pause while the
/// PUT drains: a longer grace period than the default keeps that from reading as a stall.
pub fn stalled_stream_protection() -> StalledStreamProtectionConfig {
    StalledStreamProtectionConfig::enabled()
        .grace_period(Duration::from_secs(30))
        .build()
}

/// Loads the shared AWS configuration.
pub async fn aws_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .stalled_stream_protection(stalled_stream_protection())
        .load()
        .await
}

/// Everything one invocation needs: configuration and clients, built once per process.
#[derive(Clone)]
pub struct App {
    pub config: Config,
    pub s3: aws_sdk_s3::Client,
    pub pool: Pool,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub http: reqwest::Client,
    pub ledger: Ledger,
    pub notifier: Notifier,
}

impl App {
    /// The app over clients made from `sdk`.
    pub fn new(config: Config, sdk: &SdkConfig) -> App {
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(config.s3_force_path_style)
            .build();
        let s3 = aws_sdk_s3::Client::from_conf(s3);
        // Cognito allows each import operation 5 requests a second per pool (reference, "request
        // rates"). Its client retries in the standard mode too: the adaptive mode's client-side
        // limiter, once throttled, held the next try back about 20 s (`--bench many`: the slowest
        // of 40 drops 8.9 s, against 1.4 s). Files dropped together do not queue for their creates
        // at all: a throttled drop gives way (`pool::Throttled::GiveWay`).
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(sdk);
        let pool = Pool::new(cognito, &config.user_pool_id, &config.logs_role_arn);
        let ledger = Ledger::new(s3.clone(), &config.state_prefix, config.claim_lease);
        let sns = config
            .notification_topic_arn
            .clone()
            .map(|topic| (aws_sdk_sns::Client::new(sdk), topic));
        let notifier = Notifier::new(sns, &config.metrics_namespace, MetricsSink::Stdout);
        App {
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                // A stalled upload fails (and is retried) instead of running into the function's
                // timeout.
                .read_timeout(Duration::from_secs(60))
                .build()
                .expect("an HTTP client builds"),
            pool,
            ledger,
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            s3,
            notifier,
            config,
        }
    }

    /// The queue lock's key.
    pub fn lock_key(&self) -> String {
        format!("{}queue.lock", self.config.state_prefix)
    }
}
