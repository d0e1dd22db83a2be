//! The AWS clients, built once per process from the standard AWS configuration chain (region,
//! credentials, `AWS_ENDPOINT_URL*`), with the SDK's standard retries for throttling and 5xx.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::config::Config;
use crate::pipeline::{App, Clients};

/// Attempts per AWS call (the first try included), with exponential backoff and jitter, before an
/// error reaches the pipeline. Cognito shares its rate limits with every user-pool management call
/// in the account, so throttling is expected under load.
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

/// The app over clients made from `sdk`.
pub fn app(config: Config, sdk: &SdkConfig) -> App {
    let s3 = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(config.s3_force_path_style)
        .build();
    let clients = Clients {
        s3: aws_sdk_s3::Client::from_conf(s3),
        cognito: aws_sdk_cognitoidentityprovider::Client::new(sdk),
        logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
        sns: aws_sdk_sns::Client::new(sdk),
    };
    App::new(config, clients)
}
