//! End to end through the emulator: every dropped file seen through to a reported, final state by
//! the scheduled pass — one job at a time, tracked, reported, notified, measured.

mod common;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use cognito_import::domain::metrics;
use cognito_import::domain::record::{Record, Status};
use cognito_import_emulator::import::dialect;
use cognito_import_emulator::{EmulatorConfig, JobStatus};
use cognito_import_testkit::{BUCKET, Sandbox};
use common::*;
use serde_json::Value;

/// Jobs that take a moment (so that others queue behind them) but finish quickly.
fn paced() -> EmulatorConfig {
    EmulatorConfig {
        row_delay: Duration::from_millis(15),
        ..EmulatorConfig::default()
    }
}

/// Jobs that take about a second for 30 rows, and Created jobs that expire after 0.3 s: a file
/// queued behind another one sees its job expire.
fn expiring() -> EmulatorConfig {
    EmulatorConfig {
        row_delay: Duration::from_millis(30),
        job_expiry: Duration::from_millis(300),
        ..EmulatorConfig::default()
    }
}

/// Runs passes until the record of `key` is final; fails after 30 s.
async fn settle(sb: &Sandbox, key: &str, event: &Value) -> Record {
    tokio::time::timeout(Duration::from_secs(30), sb.settle(key, &tag_of(event), |_| {}))
        .await
        .expect("the record settles within 30 s")
        .unwrap()
}

async fn summary_of(sb: &Sandbox, record: &Record) -> Value {
    let key = record.report_key.as_deref().expect("a report key");
    serde_json::from_str(&sb.read_text(key).await.unwrap()).unwrap()
}

/// `line,username,outcome,reason` rows of a per-line report.
async fn lines_of(sb: &Sandbox, record: &Record) -> Vec<[String; 4]> {
    let key = record.lines_report_key.as_deref().expect("a lines report key");
    let text = sb.read_text(key).await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["line", "username", "outcome", "reason"]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            [0, 1, 2, 3].map(|i| r[i].to_owned())
        })
        .collect()
}

/// Usernames of a file by line number, read with the emulator's own dialect.
fn usernames(csv: &[u8]) -> HashMap<u64, String> {
    let text = std::str::from_utf8(csv).unwrap();
    let mut lines = dialect::lines(text);
    let header: Vec<String> = lines.next().unwrap().fields().map(|f| f.to_string()).collect();
    let column = header.iter().position(|h| h == "cognito:username").unwrap();
    lines
        .map(|l| (l.number, l.fields().nth(column).unwrap().to_string()))
        .collect()
}

/// Checks the per-line report against the emulator's log of the job, line for line, and against
/// the source rows.
async fn assert_lines_match_log(sb: &Sandbox, record: &Record, source: &[u8]) {
    let rows = lines_of(sb, record).await;
    let log = sb.emulator.job_log(record.job_id.as_deref().unwrap());
    assert_eq!(rows.len(), log.len(), "one report row per log line");
    let names = usernames(source);
    for (row, message) in rows.iter().zip(&log) {
        let expected = format!("[{}] Line Number {} - {}", row[2], row[0], row[3]);
        assert_eq!(&expected, message);
        assert_eq!(
            row[1],
            names[&row[0].parse::<u64>().unwrap()],
            "username of line {}",
            row[0]
        );
    }
}

fn secs(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs_f64()
}

#[tokio::test]
async fn three_files_dropped_at_once_import_one_after_another_each_with_its_report() {
    let sb = sandbox_with(paced(), &[]).await;
    let files: Vec<(String, Vec<u8>)> = (0..3u64)
        .map(|i| (format!("incoming/batch-{i}.csv"), users_csv(8 + i, 100 + i)))
        .collect();
    let mut events = Vec::new();
    for (key, bytes) in &files {
        events.push(drop_file(&sb, key, bytes).await);
    }
    let answers = futures::future::join_all(events.iter().map(|e| sb.invoke(e.clone()))).await;
    for answer in answers {
        let answer = answer.unwrap();
        // Started, or queued behind another file's job. (Two may answer "started" when the stand-in's
        // request quotas hold one invocation back until the first job has ended: what must never
        // happen, two jobs active together, is checked below on the jobs' own times.)
        match outcome(&answer) {
            "started" | "queued" => {}
            other => panic!("unexpected outcome {other}: {answer}"),
        }
    }

    for ((key, bytes), event) in files.iter().zip(&events) {
        let record = settle(&sb, key, event).await;
        assert_eq!(record.status(), Status::Succeeded, "{record:?}");
        let summary = summary_of(&sb, &record).await;
        assert_eq!(summary["status"], "Succeeded");
        assert_eq!(summary["jobId"], record.job_id.as_deref().unwrap());
        let rows = bytes.iter().filter(|b| **b == b'\n').count() as i64 - 1;
        assert_eq!(summary["importedUsers"], rows);
        assert_eq!(summary["failedUsers"], 0);
        assert_eq!(summary["bytes"], bytes.len());
        assert_eq!(summary["problemLines"].as_array().unwrap().len(), 0);
        assert_lines_match_log(&sb, &record, bytes).await;
    }

    // One after another: no two jobs were ever active together.
    let mut jobs = sb.emulator.jobs();
    assert_eq!(jobs.len(), 3);
    jobs.sort_by_key(|j| j.started);
    for pair in jobs.windows(2) {
        assert!(
            secs(pair[0].completed.unwrap()) <= secs(pair[1].started.unwrap()),
            "{} ran while {} was active",
            pair[1].id,
            pair[0].id
        );
    }
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 8 + 9 + 10);

    // Each finished import was measured (EMF).
    let metrics: Vec<Value> = sb
        .app
        .notifier
        .metrics
        .lines()
        .iter()
        .filter_map(|l| metrics::parse_metrics(l))
        .collect();
    let mut imported: Vec<i64> = metrics.iter().map(|m| m["ImportedUsers"].as_i64().unwrap()).collect();
    imported.sort();
    assert_eq!(imported, [8, 9, 10]);
    for m in &metrics {
        assert_eq!(m["_aws"]["CloudWatchMetrics"][0]["Namespace"], "CognitoImport");
        assert!(m["Duration"].as_f64().unwrap() >= 0.0);
    }
}

#[tokio::test]
async fn queued_files_start_oldest_first() {
    let config = EmulatorConfig {
        row_delay: Duration::from_millis(60),
        ..EmulatorConfig::default()
    };
    let sb = sandbox_with(config, &[]).await;
    // Dropped in reverse name order, a second apart: drop order and name order disagree.
    let mut events = Vec::new();
    for name in ["c", "b", "a"] {
        let key = format!("incoming/{name}.csv");
        let event = drop_file(&sb, &key, &users_csv(6, name.as_bytes()[0] as u64)).await;
        let answer = sb.invoke(event.clone()).await.unwrap();
        assert!(matches!(outcome(&answer), "started" | "queued"), "{answer}");
        events.push((key, event));
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let mut order = Vec::new();
    for (key, event) in &events {
        let record = settle(&sb, key, event).await;
        assert_eq!(record.status(), Status::Succeeded);
        let job = sb.emulator.job(record.job_id.as_deref().unwrap()).unwrap();
        order.push((job.started.unwrap(), key.clone()));
    }
    order.sort();
    let keys: Vec<&str> = order.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(keys, ["incoming/c.csv", "incoming/b.csv", "incoming/a.csv"]);
}

#[tokio::test]
async fn a_job_that_ends_failed_reports_which_lines_failed_and_why() {
    let sb = sandbox().await;
    let bytes = users_csv(10, 31);
    let names = usernames(&bytes);
    // Six of the ten users exist already: their rows are SKIPPED, too many for Cognito.
    let mut existing: Vec<(u64, String)> = names.iter().map(|(l, n)| (*l, n.clone())).collect();
    existing.sort();
    for (_, name) in existing.iter().take(6) {
        sb.emulator.add_user(&sb.pool_id, name, &[]).unwrap();
    }
    let event = drop_file(&sb, "incoming/known users.csv", &bytes).await;
    assert_eq!(outcome(&sb.invoke(event.clone()).await.unwrap()), "started");
    let record = settle(&sb, "incoming/known users.csv", &event).await;
    assert_eq!(record.status(), Status::ImportFailed);
    assert_eq!(
        record.message.as_deref(),
        Some("Too many users have failed or been skipped during the import.")
    );

    let summary = summary_of(&sb, &record).await;
    assert_eq!(summary["status"], "Failed");
    assert_eq!(
        (summary["importedUsers"].as_i64(), summary["skippedUsers"].as_i64()),
        (Some(4), Some(6))
    );
    let listed = summary["problemLines"].as_array().unwrap();
    assert_eq!(listed.len(), 6);
    for (entry, (line, name)) in listed.iter().zip(existing.iter().take(6)) {
        assert_eq!(entry["line"].as_u64(), Some(*line));
        assert_eq!(entry["username"], name.as_str());
        assert_eq!(entry["outcome"], "SKIPPED");
        assert_eq!(entry["reason"], "The user already exists.");
    }
    assert_lines_match_log(&sb, &record, &bytes).await;
}

#[tokio::test]
async fn a_job_stopped_by_an_operator_is_reported_stopped() {
    let config = EmulatorConfig {
        row_delay: Duration::from_millis(40),
        ..EmulatorConfig::default()
    };
    let sb = sandbox_with(config, &[]).await;
    let bytes = users_csv(50, 41);
    let event = drop_file(&sb, "incoming/long.csv", &bytes).await;
    let answer = sb.invoke(event.clone()).await.unwrap();
    let job_id = answer["results"][0]["jobId"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(200)).await;
    aws_sdk_cognitoidentityprovider::Client::new(&sb.sdk)
        .stop_user_import_job()
        .user_pool_id(&sb.pool_id)
        .job_id(&job_id)
        .send()
        .await
        .unwrap();
    let record = settle(&sb, "incoming/long.csv", &event).await;
    assert_eq!(record.status(), Status::Stopped);
    let summary = summary_of(&sb, &record).await;
    assert_eq!(summary["status"], "Stopped");
    assert_eq!(
        summary["completionMessage"],
        "The Import Job was stopped by the developer."
    );
    let done = summary["importedUsers"].as_i64().unwrap();
    assert!(done < 50, "the job was stopped part-way ({done} imported)");
    assert_lines_match_log(&sb, &record, &bytes).await;
}

#[tokio::test]
async fn a_queued_job_that_expires_is_replaced_and_imported_once() {
    let sb = sandbox_with(expiring(), &[]).await;
    // The first file keeps the account busy for about a second.
    let busy = drop_file(&sb, "incoming/first.csv", &users_csv(30, 51)).await;
    assert_eq!(outcome(&sb.invoke(busy.clone()).await.unwrap()), "started");
    let second_bytes = users_csv(5, 52);
    let second = drop_file(&sb, "incoming/second.csv", &second_bytes).await;
    let answer = sb.invoke(second.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "queued", "{answer}");
    let expired_job = answer["results"][0]["jobId"].as_str().unwrap().to_owned();

    settle(&sb, "incoming/first.csv", &busy).await;
    let record = settle(&sb, "incoming/second.csv", &second).await;
    assert_eq!(record.status(), Status::Succeeded);
    assert_eq!(record.abandoned_jobs, std::slice::from_ref(&expired_job));
    assert_ne!(record.job_id.as_deref(), Some(expired_job.as_str()));
    let old = sb.emulator.job(&expired_job).unwrap();
    assert_eq!((old.status, old.imported), (JobStatus::Expired, 0));
    assert_eq!(
        sb.emulator.users(&sb.pool_id).len(),
        35,
        "every user imported exactly once"
    );
    let summary = summary_of(&sb, &record).await;
    assert_eq!(summary["abandonedJobs"][0], expired_job.as_str());
    assert_eq!(summary["importedUsers"], 5);
}

/// Makes a record look `idle` seconds old, as if time had passed since its last write.
async fn age(sb: &Sandbox, record: &Record, idle: u64) {
    let mut aged = record.clone();
    aged.updated_at -= idle;
    let key = format!(
        "{}{}@{}.json",
        sb.app.config.state_prefix,
        record.key,
        record.version_tag()
    );
    sb.app
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from(serde_json::to_vec(&aged).unwrap()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_upload_that_missed_its_url_window_gets_a_fresh_job_from_the_pass() {
    let sb = sandbox().await;
    // Every URL is dead on arrival: both jobs of the first take are given up.
    sb.emulator.faults().set_url_lifetime(Some(Duration::ZERO));
    let bytes = users_csv(4, 61);
    let event = drop_file(&sb, "incoming/late.csv", &bytes).await;
    let err = sb.invoke(event.clone()).await.unwrap_err().to_string();
    assert!(err.contains("expired"), "{err}");
    let failed = only_record(&sb).await;
    assert_eq!((failed.status(), failed.abandoned_jobs.len()), (Status::Failed, 2));

    // The pass retries after its backoff, with a fresh job.
    sb.emulator.faults().set_url_lifetime(None);
    let answer = sb.pass().await.unwrap();
    assert!(
        answer["pass"]["resumed"].as_array().unwrap().is_empty(),
        "retried before its backoff: {answer}"
    );
    age(&sb, &failed, 3600).await;
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["resumed"][0]["key"], "incoming/late.csv", "{answer}");
    let record = settle(&sb, "incoming/late.csv", &event).await;
    assert_eq!(record.status(), Status::Succeeded);
    assert_eq!(record.abandoned_jobs, failed.abandoned_jobs);
    assert_eq!(record.attempts, 2);
    let jobs = sb.emulator.jobs();
    assert_eq!(jobs.len(), 3);
    assert_eq!(
        jobs.iter().filter(|j| j.imported > 0).count(),
        1,
        "only the fresh job imported"
    );
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 4);
}

#[tokio::test]
async fn a_stale_upload_left_by_a_dead_invocation_is_resumed() {
    let sb = sandbox().await;
    let event = drop_file(&sb, "incoming/orphan.csv", &users_csv(3, 71)).await;
    // As if the invocation had died during its upload: the record says Uploading, long ago.
    let answer = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "started");
    let record = with_status(&only_record(&sb).await, Status::Uploading);
    age(&sb, &record, 3600).await;
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["resumed"][0]["key"], "incoming/orphan.csv", "{answer}");
    let record = settle(&sb, "incoming/orphan.csv", &event).await;
    assert_eq!(
        record.status(),
        Status::Succeeded,
        "{record:?} {:?}",
        sb.emulator.jobs()
    );
    assert_eq!(record.attempts, 2);
    // The earlier attempt's job had started: it is the import, no second job.
    assert_eq!(sb.emulator.jobs().len(), 1);
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 3);
}

#[tokio::test]
async fn concurrent_and_duplicate_passes_never_start_two_jobs() {
    let sb = sandbox_with(paced(), &[]).await;
    let mut pending = Vec::new();
    for i in 0..3u64 {
        let key = format!("incoming/together-{i}.csv");
        let event = drop_file(&sb, &key, &users_csv(6, 80 + i)).await;
        sb.invoke(event.clone()).await.unwrap();
        pending.push((key, event));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let answers = futures::future::join_all((0..4).map(|_| sb.pass())).await;
        let started: Vec<&Value> = answers
            .iter()
            .map(|a| &a.as_ref().unwrap()["pass"]["started"])
            .filter(|s| !s.is_null())
            .collect();
        assert!(started.len() <= 1, "two passes started jobs together: {started:?}");
        let active = sb
            .emulator
            .jobs()
            .into_iter()
            .filter(|j| matches!(j.status, JobStatus::Pending | JobStatus::InProgress))
            .count();
        assert!(active <= 1, "{active} jobs active at once");
        let mut done = true;
        for (key, event) in &pending {
            let record = sb.record(key, &tag_of(event)).await.unwrap().unwrap();
            done &= record.status().is_final();
        }
        if done {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the queue did not drain");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let jobs = sb.emulator.jobs();
    assert_eq!(jobs.len(), 3, "one job per file");
    assert!(jobs.iter().all(|j| j.status == JobStatus::Succeeded));
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 18);
}

const TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:imports";

#[tokio::test]
async fn each_finished_import_is_published_without_user_data_and_its_source_tagged() {
    let sb = sandbox_with(
        EmulatorConfig::default(),
        &[("NOTIFICATION_TOPIC_ARN", TOPIC), ("SOURCE_OBJECT_POLICY", "tag")],
    )
    .await;
    assert_eq!(sb.emulator.create_topic("imports"), TOPIC);
    let bytes = users_csv(5, 91);
    let names = usernames(&bytes);
    // One user exists already: a skipped line that names a user in the report, not the message.
    let known = &names[&3];
    sb.emulator.add_user(&sb.pool_id, known, &[]).unwrap();
    let event = drop_file(&sb, "incoming/tagged.csv", &bytes).await;
    sb.invoke(event.clone()).await.unwrap();
    let record = settle(&sb, "incoming/tagged.csv", &event).await;
    assert_eq!(record.status(), Status::Succeeded);

    let published = sb.emulator.published(TOPIC);
    assert_eq!(published.len(), 1);
    assert_eq!(
        published[0].subject.as_deref(),
        Some("Cognito import Succeeded: tagged.csv")
    );
    let message: Value = serde_json::from_str(&published[0].message).unwrap();
    assert_eq!(message["jobId"], record.job_id.as_deref().unwrap());
    assert_eq!(
        (message["importedUsers"].as_i64(), message["skippedUsers"].as_i64()),
        (Some(4), Some(1))
    );
    assert_eq!(message["problemLines"][0]["line"], 3);
    for name in names.values() {
        assert!(!published[0].message.contains(name.as_str()), "{name} published");
    }
    // The report itself names the user.
    assert_eq!(
        summary_of(&sb, &record).await["problemLines"][0]["username"],
        known.as_str()
    );

    let tags = sb.emulator.object_tags(BUCKET, "incoming/tagged.csv").unwrap();
    assert_eq!(tags, [("cognito-import-outcome".to_owned(), "Succeeded".to_owned())]);
}

#[tokio::test]
async fn the_delete_policy_removes_a_succeeded_source_and_tags_a_rejected_one() {
    let sb = sandbox_with(
        EmulatorConfig::default(),
        &[("NOTIFICATION_TOPIC_ARN", TOPIC), ("SOURCE_OBJECT_POLICY", "delete")],
    )
    .await;
    sb.emulator.create_topic("imports");
    let event = drop_file(&sb, "incoming/done.csv", &users_csv(3, 95)).await;
    sb.invoke(event.clone()).await.unwrap();
    let record = settle(&sb, "incoming/done.csv", &event).await;
    assert_eq!(record.status(), Status::Succeeded);
    assert_eq!(
        sb.emulator.object_tags(BUCKET, "incoming/done.csv"),
        None,
        "the source is gone"
    );
    // The per-line report was written before the source went: it has the usernames.
    let rows = lines_of(&sb, &record).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|row| !row[1].is_empty()), "{rows:?}");

    let mut bad = users_csv(2, 96);
    bad.extend_from_slice(b"not,a,valid,row\n");
    let event = drop_file(&sb, "incoming/broken.csv", &bad).await;
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "rejected", "{answer}");
    let tags = sb.emulator.object_tags(BUCKET, "incoming/broken.csv").unwrap();
    assert_eq!(tags, [("cognito-import-outcome".to_owned(), "Rejected".to_owned())]);
    let subjects: Vec<String> = sb
        .emulator
        .published(TOPIC)
        .into_iter()
        .filter_map(|p| p.subject)
        .collect();
    assert_eq!(
        subjects,
        [
            "Cognito import Succeeded: done.csv",
            "Cognito import Rejected: broken.csv"
        ]
    );
}

#[tokio::test]
async fn the_delete_policy_removes_only_the_imported_version() {
    let sb = sandbox_with(EmulatorConfig::default(), &[("SOURCE_OBJECT_POLICY", "delete")]).await;
    let key = "incoming/replaced.csv";
    let event = drop_file(&sb, key, &users_csv(3, 102)).await;
    sb.invoke(event.clone()).await.unwrap();
    // A newer upload lands while the import runs: its own version, its own import later.
    let newer = drop_file(&sb, key, &users_csv(2, 103)).await;
    let record = settle(&sb, key, &event).await;
    assert_eq!(record.status(), Status::Succeeded);

    let imported = sb
        .app
        .s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .version_id(tag_of(&event))
        .send()
        .await;
    let gone = imported.expect_err("the imported version is deleted");
    assert_eq!(gone.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert_eq!(
        read_object(&sb, key).await,
        users_csv(2, 103),
        "the newer version stays current"
    );
    let listed = sb
        .app
        .s3
        .list_object_versions()
        .bucket(BUCKET)
        .prefix(key)
        .send()
        .await
        .unwrap();
    let versions: Vec<&str> = listed.versions().iter().filter_map(|v| v.version_id()).collect();
    assert_eq!(versions, [tag_of(&newer)], "only the newer version is left");
    assert!(
        listed.delete_markers().is_empty(),
        "deleted by version id: no delete marker"
    );
}

#[tokio::test]
async fn a_failed_object_whose_file_is_then_deleted_ends_missing() {
    let sb = sandbox_with(EmulatorConfig::default(), &[("UPLOAD_ATTEMPTS", "1")]).await;
    sb.emulator.faults().drop_uploads(1);
    let event = drop_file(&sb, "incoming/gone.csv", &users_csv(3, 97)).await;
    sb.invoke(event.clone()).await.unwrap_err();
    let failed = only_record(&sb).await;
    assert_eq!(failed.status(), Status::Failed);
    sb.app
        .s3
        .delete_object()
        .bucket(BUCKET)
        .key("incoming/gone.csv")
        .send()
        .await
        .unwrap();
    age(&sb, &failed, 3600).await;
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["resumed"][0]["what"], "missing", "{answer}");
    let record = only_record(&sb).await;
    assert_eq!(record.status(), Status::Missing);
    assert!(record.status().is_final());
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 0);
}

#[tokio::test]
async fn an_object_that_fails_every_take_is_given_up_and_reported() {
    let sb = sandbox_with(EmulatorConfig::default(), &[("NOTIFICATION_TOPIC_ARN", TOPIC)]).await;
    sb.emulator.create_topic("imports");
    sb.emulator.faults().set_url_lifetime(Some(Duration::ZERO));
    let event = drop_file(&sb, "incoming/doomed.csv", &users_csv(2, 98)).await;
    sb.invoke(event.clone()).await.unwrap_err();
    for take in 2..=cognito_import::flow::import::MAX_ATTEMPTS {
        let record = only_record(&sb).await;
        assert_eq!((record.status(), record.attempts), (Status::Failed, take - 1));
        age(&sb, &record, 3600).await;
        let answer = sb.pass().await.unwrap();
        assert_eq!(answer["pass"]["resumed"][0]["key"], "incoming/doomed.csv", "{answer}");
    }
    let record = only_record(&sb).await;
    assert_eq!(
        (record.status(), record.attempts),
        (Status::GaveUp, cognito_import::flow::import::MAX_ATTEMPTS)
    );
    assert!(
        record
            .message
            .as_deref()
            .unwrap()
            .starts_with("gave up after 5 attempts"),
        "{record:?}"
    );
    // Final: later passes leave it alone.
    age(&sb, &record, 3600).await;
    let answer = sb.pass().await.unwrap();
    assert!(answer["pass"]["resumed"].as_array().unwrap().is_empty(), "{answer}");
    let published = sb.emulator.published(TOPIC);
    assert_eq!(published.len(), 1);
    assert_eq!(
        published[0].subject.as_deref(),
        Some("Cognito import GaveUp: doomed.csv")
    );
    assert!(sb.emulator.jobs().iter().all(|j| j.imported == 0));
}

#[tokio::test]
async fn a_held_queue_lock_keeps_a_second_pass_out_until_released_or_expired() {
    use cognito_import::adapters::lock::Lock;
    let sb = sandbox_with(paced(), &[]).await;
    let lock_key = format!("{}queue.lock", sb.app.config.state_prefix);
    // Another pass holds the lock: a drop is queued, not started, and a pass does nothing.
    let held = Lock::acquire(&sb.app.s3, BUCKET, &lock_key, Duration::from_secs(900))
        .await
        .unwrap()
        .expect("the lock is free");
    let event = drop_file(&sb, "incoming/locked.csv", &users_csv(3, 99)).await;
    assert_eq!(outcome(&sb.invoke(event.clone()).await.unwrap()), "queued");
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["ran"], false, "{answer}");
    assert!(answer["pass"]["started"].is_null());
    assert!(
        Lock::acquire(&sb.app.s3, BUCKET, &lock_key, Duration::from_secs(900))
            .await
            .unwrap()
            .is_none()
    );
    held.release().await;

    // A lock whose holder died (its lease ran out) is taken over.
    let body = serde_json::json!({ "owner": "dead", "acquiredAt": 1, "expiresAt": 2 });
    sb.app
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(&lock_key)
        .body(ByteStream::from(body.to_string().into_bytes()))
        .send()
        .await
        .unwrap();
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["ran"], true, "{answer}");
    assert_eq!(answer["pass"]["started"]["key"], "incoming/locked.csv", "{answer}");
    // Released at the end of the pass.
    let listed = sb
        .app
        .s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(&lock_key)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 0, "the lock was left behind");
    assert_eq!(
        settle(&sb, "incoming/locked.csv", &event).await.status(),
        Status::Succeeded
    );

    // A holder whose lock was taken over meanwhile leaves the new holder's lock alone.
    let first = Lock::acquire(&sb.app.s3, BUCKET, &lock_key, Duration::from_secs(900))
        .await
        .unwrap()
        .expect("the lock is free");
    let takeover = serde_json::json!({ "owner": "next", "acquiredAt": 3, "expiresAt": 4_000_000_000u64 });
    sb.app
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(&lock_key)
        .body(ByteStream::from(takeover.to_string().into_bytes()))
        .send()
        .await
        .unwrap();
    first.release().await;
    assert_eq!(sb.read_text(&lock_key).await.unwrap(), takeover.to_string());
}

#[tokio::test]
async fn a_queued_job_that_expires_after_its_file_was_deleted_ends_missing() {
    let sb = sandbox_with(expiring(), &[]).await;
    let busy = drop_file(&sb, "incoming/busy.csv", &users_csv(20, 53)).await;
    assert_eq!(outcome(&sb.invoke(busy.clone()).await.unwrap()), "started");
    let event = drop_file(&sb, "incoming/withdrawn.csv", &users_csv(4, 54)).await;
    assert_eq!(outcome(&sb.invoke(event.clone()).await.unwrap()), "queued");
    // The operator withdraws the file while it waits; its job expires meanwhile.
    sb.app
        .s3
        .delete_object()
        .bucket(BUCKET)
        .key("incoming/withdrawn.csv")
        .send()
        .await
        .unwrap();
    settle(&sb, "incoming/busy.csv", &busy).await;
    // The replacement cannot upload: the object leaves the queue (failed) …
    let mut record = sb
        .record("incoming/withdrawn.csv", &tag_of(&event))
        .await
        .unwrap()
        .unwrap();
    for _ in 0..50 {
        if record.status() != Status::Queued {
            break;
        }
        sb.pass().await.unwrap();
        record = sb
            .record("incoming/withdrawn.csv", &tag_of(&event))
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(record.status(), Status::Failed, "{record:?}");
    assert!(
        record
            .message
            .as_deref()
            .unwrap()
            .starts_with("replacing the expired job"),
        "{record:?}"
    );
    // … and its retry finds the file gone: final, nothing imported.
    age(&sb, &record, 3600).await;
    sb.pass().await.unwrap();
    let record = sb
        .record("incoming/withdrawn.csv", &tag_of(&event))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status(), Status::Missing, "{record:?}");
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 20);
}

#[tokio::test]
async fn a_resumed_object_that_can_start_starts_in_the_same_pass() {
    let sb = sandbox_with(EmulatorConfig::default(), &[("UPLOAD_ATTEMPTS", "1")]).await;
    sb.emulator.faults().drop_uploads(1);
    let event = drop_file(&sb, "incoming/again.csv", &users_csv(3, 101)).await;
    sb.invoke(event.clone()).await.unwrap_err();
    let failed = only_record(&sb).await;
    assert_eq!(failed.status(), Status::Failed);
    age(&sb, &failed, 3600).await;

    // One pass: it takes the object up again, uploads it and, the account being free, starts it
    // under the queue lock it already holds — not a minute later, on the next pass.
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["resumed"][0]["what"], "queued", "{answer}");
    let job_id = answer["pass"]["resumed"][0]["jobId"].as_str().unwrap().to_owned();
    assert_eq!(answer["pass"]["started"]["jobId"], job_id.as_str(), "{answer}");
    let record = only_record(&sb).await;
    assert_eq!(
        (record.status(), record.job_id.as_deref()),
        (Status::Started, Some(job_id.as_str()))
    );
    let job = finished(&sb, &job_id).await;
    assert_eq!((job.status, job.imported), (JobStatus::Succeeded, 3));
}
