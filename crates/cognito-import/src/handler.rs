//! The Lambda entry point: decode the trigger, run the pipeline for each object, answer.
//!
//! - S3 notification, EventBridge, direct invocation: the answer lists each object's outcome; the
//!   invocation fails (so that Lambda retries it) only if an object failed in a retryable way.
//! - the schedule: one pass over the queue and the started jobs; the answer says what it did;
//! - SQS: each message is handled on its own; messages that failed (or could not be read) are
//!   returned in `batchItemFailures` so that only they are redelivered.

use lambda_runtime::{Error, LambdaEvent};
use serde_json::{Value, json};
use tracing::{error, info};

use crate::event::{self, ObjectRef, Trigger};
use crate::pass;
use crate::pipeline::{self, App, Outcome};

#[derive(Serialize)]
struct ObjectResult<'a> {
    bucket: &'a str,
    key: &'a str,
    #[serde(rename = "versionId", skip_serializing_if = "Option::is_none")]
    version_id: Option<&'a str>,
    #[serde(flatten)]
    outcome: &'a Outcome,
}

use serde::Serialize;

async fn process_all(app: &App, objects: &[ObjectRef]) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(objects.len());
    // One at a time: Cognito runs one import job per account anyway, and each object streams.
    for object in objects {
        outcomes.push(pipeline::process(app, object).await);
    }
    outcomes
}

fn results(objects: &[ObjectRef], outcomes: &[Outcome]) -> Value {
    let list: Vec<Value> = objects
        .iter()
        .zip(outcomes)
        .map(|(o, outcome)| {
            serde_json::to_value(ObjectResult {
                bucket: &o.bucket,
                key: &o.key,
                version_id: o.version_id.as_deref(),
                outcome,
            })
            .expect("results serialise")
        })
        .collect();
    json!({ "results": list })
}

/// Handles one invocation of any supported trigger.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let trigger = match event::parse(event.payload) {
        Ok(t) => t,
        Err(e) => {
            error!(error = %e, "unreadable event");
            return Err(e.into());
        }
    };
    match trigger {
        Trigger::Pass => match pass::run(app).await {
            Ok(report) => Ok(json!({ "pass": report })),
            Err(e) => {
                error!(error = %e, "the scheduled pass failed");
                Err(e.into())
            }
        },
        Trigger::Nothing(reason) => {
            info!(%reason, "nothing to import");
            Ok(json!({ "results": [], "ignored": reason }))
        }
        Trigger::Objects { source, objects } => {
            info!(?source, objects = objects.len(), "invocation");
            let outcomes = process_all(app, &objects).await;
            let answer = results(&objects, &outcomes);
            if outcomes.iter().any(Outcome::wants_retry) {
                // Failing the invocation makes Lambda retry; the ledger lets the retry resume.
                return Err(format!("some objects failed and will be retried: {answer}").into());
            }
            Ok(answer)
        }
        Trigger::Sqs(items) => {
            info!(messages = items.len(), "SQS batch");
            let mut failures = Vec::new();
            for item in items {
                match item.objects {
                    Ok(objects) => {
                        let outcomes = process_all(app, &objects).await;
                        if outcomes.iter().any(Outcome::wants_retry) {
                            failures.push(item.message_id);
                        }
                    }
                    Err(e) => {
                        // Redelivery cannot fix it, but the queue's redrive policy moves it to the
                        // dead-letter queue, where an operator sees it.
                        error!(message_id = %item.message_id, error = %e, "unreadable SQS message");
                        failures.push(item.message_id);
                    }
                }
            }
            let failures: Vec<Value> = failures.into_iter().map(|id| json!({ "itemIdentifier": id })).collect();
            Ok(json!({ "batchItemFailures": failures }))
        }
    }
}
