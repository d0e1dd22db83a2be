//! Telling people: the summary of each finished import published to an optional SNS topic, and
//! CloudWatch metrics in the Embedded Metric Format (one JSON line on stdout, which Lambda sends
//! to CloudWatch Logs and CloudWatch turns into metrics: no API call, no extra permission).
//!
//! Notifications carry counts, status and report keys, never usernames.

use std::sync::{Arc, Mutex};

use aws_sdk_sns::error::DisplayErrorContext;
use serde_json::{Value, json};
use tracing::warn;

use crate::report::Summary;

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
            .subject(subject(&summary.status, &summary.key))
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

/// An SNS subject: printable ASCII, at most 100 characters.
pub fn subject(status: &str, key: &str) -> String {
    let file = key.rsplit('/').next().unwrap_or(key);
    let text = format!("Cognito import {status}: {file}");
    let clean: String = text
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .collect();
    clean.chars().take(100).collect()
}

/// The EMF line of a finished import: dimensions UserPoolId, and UserPoolId + Status.
pub fn import_metrics(namespace: &str, s: &Summary, timestamp_ms: u64) -> String {
    let mut line = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["UserPoolId"], ["UserPoolId", "Status"]],
                "Metrics": [
                    { "Name": "ImportedUsers", "Unit": "Count" },
                    { "Name": "SkippedUsers", "Unit": "Count" },
                    { "Name": "FailedUsers", "Unit": "Count" },
                    { "Name": "ImportJobs", "Unit": "Count" },
                    { "Name": "Bytes", "Unit": "Bytes" },
                    { "Name": "Duration", "Unit": "Seconds" },
                    { "Name": "ImportDuration", "Unit": "Seconds" },
                ],
            }],
        },
        "UserPoolId": s.user_pool_id,
        "Status": s.status,
        "ImportedUsers": s.imported_users,
        "SkippedUsers": s.skipped_users,
        "FailedUsers": s.failed_users,
        "ImportJobs": 1,
        "Bytes": s.bytes,
        "JobId": s.job_id,
    });
    // A metric without a value is left out rather than reported as zero.
    let object = line.as_object_mut().expect("an object");
    for (name, value) in [("Duration", s.total_seconds), ("ImportDuration", s.import_seconds)] {
        match value {
            Some(v) => {
                object.insert(name.into(), json!(v));
            }
            None => {
                if let Some(metrics) = object["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array_mut() {
                    metrics.retain(|m| m["Name"] != name);
                }
            }
        }
    }
    line.to_string()
}

/// The EMF line of a file that was not imported: metric `<status>Files` (RejectedFiles,
/// GaveUpFiles).
pub fn not_imported_metrics(namespace: &str, pool_id: &str, status: &str, timestamp_ms: u64) -> String {
    let name = format!("{status}Files");
    let mut line = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["UserPoolId"]],
                "Metrics": [{ "Name": name, "Unit": "Count" }],
            }],
        },
        "UserPoolId": pool_id,
    });
    line[name.as_str()] = json!(1);
    line.to_string()
}

/// Reads an EMF line back (tests and the local run).
pub fn parse_metrics(line: &str) -> Option<Value> {
    serde_json::from_str::<Value>(line)
        .ok()
        .filter(|v| v.get("_aws").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::joblog::RowOutcome;
    use crate::report::LineOutcome;

    fn summary() -> Summary {
        Summary {
            bucket: "b".into(),
            key: "incoming/Zoë's users.csv".into(),
            version_id: None,
            user_pool_id: "us-east-1_X".into(),
            job_id: "import-1".into(),
            job_name: Some("users".into()),
            status: "Failed".into(),
            completion_message: Some("Too many users have failed or been skipped during the import.".into()),
            imported_users: 3,
            skipped_users: 1,
            failed_users: 6,
            bytes: 1234,
            total_seconds: Some(12.5),
            queued_seconds: None,
            import_seconds: None,
            abandoned_jobs: vec![],
            log_group: "g".into(),
            log_stream: "s".into(),
            logged_lines: 10,
            report_key: "r.json".into(),
            lines_report_key: "r.lines.csv".into(),
            problem_lines: vec![LineOutcome {
                line: 3,
                username: "zoe".into(),
                outcome: RowOutcome::Failed,
                reason: "bad".into(),
            }],
            source_object: "kept".into(),
        }
    }

    #[test]
    fn emf_names_each_metric_it_carries_and_no_other() {
        let line = import_metrics("CognitoImport", &summary(), 1_700_000_000_000);
        let v = parse_metrics(&line).unwrap();
        let names: Vec<&str> = v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "ImportedUsers",
                "SkippedUsers",
                "FailedUsers",
                "ImportJobs",
                "Bytes",
                "Duration"
            ]
        );
        for name in names {
            assert!(v[name].is_number(), "{name} has no value in {line}");
        }
        assert_eq!(v["FailedUsers"], 6);
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(v["UserPoolId"], "us-east-1_X");
        assert!(!line.contains("zoe"), "no usernames in metrics: {line}");
    }

    #[test]
    fn subjects_are_short_printable_ascii() {
        assert_eq!(
            subject("Succeeded", "incoming/users.csv"),
            "Cognito import Succeeded: users.csv"
        );
        assert_eq!(subject("Failed", "incoming/Zoë.csv"), "Cognito import Failed: Zo?.csv");
        assert_eq!(subject("Failed", &"a".repeat(300)).len(), 100);
    }

    #[test]
    fn notifications_hold_no_usernames() {
        let s = summary().without_users();
        assert_eq!(s.problem_lines[0].username, "");
        assert_eq!(s.problem_lines[0].line, 3);
    }
}
