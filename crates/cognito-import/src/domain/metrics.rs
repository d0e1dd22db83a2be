//! What the function tells CloudWatch and the SNS topic, as text: the Embedded Metric Format lines
//! of a finished import or of a file that ends without one, and SNS subjects. Counts, statuses and
//! keys only, never usernames.

use serde_json::{Value, json};

use crate::domain::report::Summary;

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
    use crate::domain::joblog::RowOutcome;
    use crate::domain::report::LineOutcome;

    fn summary() -> Summary {
        Summary {
            bucket: "b".into(),
            key: "incoming/Zoë's users.csv".into(),
            version_id: None,
            user_pool_id: "us-east-1_X".into(),
            job_id: "import-1".into(),
            job_name: Some("users".into()),
            status: crate::domain::job::JobStatus::Failed,
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
            normalised: None,
            prepared: Vec::new(),
            parts: Vec::new(),
            password_hashes: None,
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
