//! The Lambda entry point: decode the trigger, run the flows, answer.
//!
//! - S3 notification, EventBridge, direct invocation: each object is imported, then the queue is
//!   run so that a free account starts its job at once; the answer lists each object's outcome.
//!   The invocation fails (so that Lambda retries it) only if an object failed in a retryable way.
//! - the schedule: one pass over the queue and the started jobs; the answer says what it did;
//! - SQS: each message is handled on its own; messages that failed (or could not be read) are
//!   returned in `batchItemFailures` so that only they are redelivered.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::{Value, json};
use tracing::{error, info, warn};

use crate::app::App;
use crate::domain::event::{self, EventError, ObjectRef, Trigger};
use crate::domain::outcome::Outcome;
use crate::domain::pass_report::Touched;
use crate::flow::pass::{self, PassError};
use crate::flow::{import, queue};

/// Why an invocation failed. Each variant is the `errorType` Lambda reports, a name an operator
/// can alarm on.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event is not one this function reads.
    #[error("unreadable event: {0}")]
    UnreadableEvent(#[from] EventError),
    /// Some objects failed in a way a retry may fix; the answer lists each object's outcome.
    #[error("some objects failed and will be retried: {0}")]
    ObjectFailed(Value),
    /// The scheduled pass could not run (the queue lock or the ledger failed).
    #[error("the scheduled pass failed: {0}")]
    PassFailed(#[from] PassError),
}

impl HandlerError {
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::UnreadableEvent(_) => "UnreadableEvent",
            HandlerError::ObjectFailed(_) => "ObjectFailed",
            HandlerError::PassFailed(_) => "PassFailed",
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: e.error_type().into(),
            error_message: e.to_string(),
        }
    }
}

#[derive(Serialize)]
struct ObjectResult<'a> {
    bucket: &'a str,
    key: &'a str,
    #[serde(rename = "versionId", skip_serializing_if = "Option::is_none")]
    version_id: Option<&'a str>,
    #[serde(flatten)]
    outcome: &'a Outcome,
}

/// Imports each object, then runs the queue once if any was queued.
async fn drop_all(app: &App, objects: &[ObjectRef]) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(objects.len());
    // One at a time: Cognito runs one import job per account anyway, and each object streams.
    for object in objects {
        outcomes.push(Box::pin(import::process(app, object)).await);
    }
    if !outcomes.iter().any(|o| matches!(o, Outcome::Queued { .. })) {
        return outcomes;
    }
    // Oldest first, one active job per account: a free account starts the oldest queued job.
    match Box::pin(queue::start_next(app)).await {
        Ok(Some(Touched {
            key,
            version_id,
            job_id: Some(started),
            ..
        })) => {
            // The object whose job started; one that had no job got it just now, at its turn.
            for (object, outcome) in objects.iter().zip(&mut outcomes) {
                let this = match outcome {
                    Outcome::Queued { job_id: Some(job_id) } => *job_id == started,
                    Outcome::Queued { job_id: None } => object.key == key && object.version_id == version_id,
                    _ => false,
                };
                if this {
                    *outcome = Outcome::Started {
                        job_id: started.clone(),
                    };
                }
            }
        }
        Ok(Some(_)) => {}
        Ok(None) => info!("queued behind other imports; the scheduled pass starts them"),
        Err(e) => warn!(error = %e, "could not start at once; the scheduled pass starts the queue"),
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
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, HandlerError> {
    let trigger = event::parse(event.payload).inspect_err(|e| error!(error = %e, "unreadable event"))?;
    match trigger {
        Trigger::Pass => match Box::pin(pass::run(app)).await {
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
            let outcomes = drop_all(app, &objects).await;
            let answer = results(&objects, &outcomes);
            if outcomes.iter().any(Outcome::wants_retry) {
                // Failing the invocation makes Lambda retry; the ledger lets the retry resume.
                return Err(HandlerError::ObjectFailed(answer));
            }
            Ok(answer)
        }
        Trigger::Sqs(items) => {
            info!(messages = items.len(), "SQS batch");
            let mut failures = Vec::new();
            for item in items {
                match item.objects {
                    Ok(objects) => {
                        let outcomes = drop_all(app, &objects).await;
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
