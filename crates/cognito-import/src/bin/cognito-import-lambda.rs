//! The Lambda function: JSON logs, configuration and clients once, then the handler per event.

use cognito_import::{clients, config::Config, handler};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,aws_config=warn".into()),
        )
        .with_current_span(true)
        .with_span_list(false)
        .without_time() // CloudWatch stamps each line
        .init();
    let config = Config::from_env()?;
    // One invocation at a time per sandbox: any spool left in /tmp is from a killed invocation.
    let stale = cognito_import::spool::clean_stale(std::time::Duration::ZERO);
    if stale > 0 {
        tracing::warn!(
            files = stale,
            "removed temporary files of an earlier, killed invocation"
        );
    }
    let sdk = clients::aws_config().await;
    let app = clients::app(config, &sdk);
    lambda_runtime::run(service_fn(|event| handler::handle(&app, event))).await
}
