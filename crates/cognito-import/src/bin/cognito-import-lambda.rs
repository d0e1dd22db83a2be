//! The Lambda function: logs, configuration and clients once, then the handler per event —
//! several at once when the environment allows it (`AWS_LAMBDA_MAX_CONCURRENCY` > 1, Lambda
//! Managed Instances), else one after another.

use std::sync::Arc;

use cognito_import::adapters::spool;
use cognito_import::app::App;
use cognito_import::domain::config::Config;
use cognito_import::{app, handler, logging};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init(&logging::Controls::from_env());
    let config = Config::from_env()?;
    // Temporary files whose invocation was killed (a timeout): nobody holds their lock any more.
    let stale = spool::clean_stale();
    if stale > 0 {
        tracing::warn!(
            files = stale,
            "removed temporary files of an earlier, killed invocation"
        );
    }
    // When the environment shuts down, what its invocations left in /tmp goes with it.
    lambda_runtime::spawn_graceful_shutdown_handler(|| async {
        spool::clean_stale();
    })
    .await;
    let app = Arc::new(App::new(config, &app::aws_config().await));
    lambda_runtime::run_concurrent(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move { handler::handle(&app, event).await }
    }))
    .await
}
