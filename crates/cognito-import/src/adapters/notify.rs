//! Telling people: the summary of each finished import published to an optional SNS topic, and
//! CloudWatch metrics in the Embedded Metric Format (one JSON line on stdout, which Lambda sends
//! to CloudWatch Logs and CloudWatch turns into metrics: no API call, no extra permission).
//!
//! Notifications carry counts, status and report keys, never usernames.

use std::sync::{Arc, Mutex};

use aws_sdk_sns::error::DisplayErrorContext;
use serde_json::{Value, json};
use tracing::warn;

use crate::domain::metrics::{import_metrics, not_imported_metrics, subject};
use crate::domain::report::Summary;

/// Where EMF lines go.
#[derive(Clone, Debug, Default)]
pub enum MetricsSink {
    /// Stdout, as Lambda expects.
    #[default]
    Stdout,
    /// Kept in memory (the local run and tests read them back).
    Memory(Arc<Mutex<Vec<String>>>),
}

impl MetricsSink {
    pub fn memory() -> MetricsSink {
        MetricsSink::Memory(Arc::default())
    }

    /// The lines a memory sink holds.
    pub fn lines(&self) -> Vec<String> {
        match self {
            MetricsSink::Stdout => Vec::new(),
            MetricsSink::Memory(lines) => lines.lock().unwrap().clone(),
        }
    }

    fn emit(&self, line: String) {
        match self {
            MetricsSink::Stdout => println!("{line}"),
            MetricsSink::Memory(lines) => lines.lock().unwrap().push(line),
        }
    }
}

/// The SNS topic (if any) and the metrics sink.
#[derive(Clone)]
pub struct Notifier {
    sns: Option<(aws_sdk_sns::Client, String)>,
    namespace: String,
    pub metrics: MetricsSink,
}

impl Notifier {
    pub fn new(sns: Option<(aws_sdk_sns::Client, String)>, namespace: &str, metrics: MetricsSink) -> Notifier {
        Notifier {
            sns,
            namespace: namespace.to_owned(),
            metrics,
        }
    }

    /// Publishes the summary and emits its metrics. A failed publish is logged, not fatal: the
    /// report in the bucket is the record of the import.
    pub async fn finished(&self, summary: &Summary) -> Option<String> {
        self.metrics
            .emit(import_metrics(&self.namespace, summary, now_millis()));
        let (client, topic) = self.sns.as_ref()?;
        let message = serde_json::to_string_pretty(&summary.without_users()).expect("a summary serialises");
        let answer = client
            .publish()
            .topic_arn(topic)
            .subject(subject(summary.status.as_str(), &summary.key))
            .message(message)
            .send()
            .await;
        match answer {
            Ok(out) => out.message_id,
            Err(e) => {
                warn!(error = %DisplayErrorContext(e), "publishing the import summary failed");
                None
            }
        }
    }

    /// A file that ends without an import (`status`: Rejected, GaveUp): a metric
    /// (`<status>Files`), and a notification with `details` if there is a topic.
    pub async fn not_imported(&self, pool_id: &str, key: &str, status: &str, details: Value) {
        self.metrics
            .emit(not_imported_metrics(&self.namespace, pool_id, status, now_millis()));
        let Some((client, topic)) = self.sns.as_ref() else {
            return;
        };
        let mut message = json!({ "status": status, "userPoolId": pool_id, "key": key });
        if let (Some(m), Some(extra)) = (message.as_object_mut(), details.as_object()) {
            m.extend(extra.clone());
        }
        if let Err(e) = client
            .publish()
            .topic_arn(topic)
            .subject(subject(status, key))
            .message(serde_json::to_string_pretty(&message).expect("JSON serialises"))
            .send()
            .await
        {
            warn!(error = %DisplayErrorContext(e), "publishing the outcome failed");
        }
    }
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
