//! The Lambda function: logs, configuration and clients once, then the handler per event.

use cognito_import::adapters::spool;
use cognito_import::app::App;
use cognito_import::domain::config::Config;
use cognito_import::{app, handler, logging};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init(&logging::Controls::from_env());
    let config = Config::from_env()?;
    // One invocation at a time per sandbox: any spool left in /tmp is from a killed invocation.
    let stale = spool::clean_stale(std::time::Duration::ZERO);
    if stale > 0 {
        tracing::warn!(
            files = stale,
            "removed temporary files of an earlier, killed invocation"
        );
    }
    let app = App::new(config, &app::aws_config().await);
    lambda_runtime::run(service_fn(|event| handler::handle(&app, event))).await
}
