//! The drop → import flow end to end through every trigger, with the real function code, real AWS
//! SDK clients, SigV4 and HTTP against the local stand-in.

mod common;

use std::sync::Arc;

use cognito_import::domain::record::{Record, Status};
use cognito_import_emulator::JobStatus;
use cognito_import_testkit::{BUCKET, Sandbox};
use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn s3_notification_imports_the_file_and_the_job_succeeds() {
    let record = imports_the_file_of_an_s3_notification(sandbox().await).await;
    assert!(
        record.version_id.is_some(),
        "a versioned bucket's drop is pinned by its version id"
    );
}

#[tokio::test]
async fn in_an_unversioned_bucket_the_etag_pins_the_file_and_the_job_succeeds() {
    let sb = unversioned_sandbox().await;
    let record = imports_the_file_of_an_s3_notification(sb).await;
    assert_eq!(record.version_id, None);
}

/// Drops 25 users, invokes the handler on the S3 event and follows the job to its success;
/// returns the state record.
async fn imports_the_file_of_an_s3_notification(sb: Sandbox) -> Record {
    let csv = users_csv(25, 1);
    let event = drop_file(&sb, "incoming/users.csv", &csv).await;
    let answer = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    let job_id = answer["results"][0]["jobId"].as_str().unwrap().to_owned();

    let job = finished(&sb, &job_id).await;
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!((job.imported, job.skipped, job.failed), (25, 0, 0));
    assert_eq!(job.name, "users.csv");
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 25);
    assert!(
        sb.emulator
            .users(&sb.pool_id)
            .iter()
            .all(|u| u.status == "RESET_REQUIRED")
    );

    let record = only_record(&sb).await;
    assert_eq!(record.status(), Status::Started);
    assert_eq!(record.job_id.as_deref(), Some(job_id.as_str()));
    assert_eq!(record.size, csv.len() as u64);
    // The record is the version the event named: by its version id, or its ETag.
    assert_eq!(record.version_tag(), tag_of(&event));
    record
}

#[tokio::test]
async fn eventbridge_event_imports_the_file() {
    let sb = sandbox().await;
    let csv = users_csv(3, 2);
    let s3 = drop_file(&sb, "incoming/eb users.csv", &csv).await;
    let object = &s3["Records"][0]["s3"]["object"];
    let event = json!({
        "version": "0", "id": "e1", "detail-type": "Object Created", "source": "aws.s3",
        "account": "111111111111", "time": "2026-11-25T00:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{BUCKET}")],
        "detail": {
            "version": "0", "bucket": { "name": BUCKET },
            "object": {
                "key": object["key"], "size": object["size"], "etag": object["eTag"],
                "version-id": object["versionId"], "sequencer": "1"
            },
            "reason": "PutObject"
        }
    });
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    assert_eq!(answer["results"][0]["key"], "incoming/eb users.csv");
    let job = finished(&sb, answer["results"][0]["jobId"].as_str().unwrap()).await;
    assert_eq!((job.status, job.imported), (JobStatus::Succeeded, 3));
}

fn sqs_message(id: &str, body: String) -> Value {
    json!({
        "messageId": id, "receiptHandle": "r", "body": body, "attributes": {}, "messageAttributes": {},
        "md5OfBody": "0", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:111111111111:q",
        "awsRegion": "us-east-1"
    })
}

#[tokio::test]
async fn sqs_batch_imports_good_messages_and_reports_only_the_bad_one() {
    let sb = sandbox().await;
    let first = drop_file(&sb, "incoming/a.csv", &users_csv(2, 3)).await;
    let second = drop_file(&sb, "incoming/b.csv", &users_csv(2, 4)).await;
    let batch = json!({ "Records": [
        sqs_message("m1", first.to_string()),
        sqs_message("m2", "{not json".into()),
        sqs_message("m3", second.to_string()),
    ]});
    let answer = sb.invoke(batch).await.unwrap();
    assert_eq!(answer, json!({ "batchItemFailures": [{ "itemIdentifier": "m2" }] }));
    // a.csv started; b.csv waited for it (one active job per account).
    let statuses: Vec<Status> = records(&sb).await.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&Status::Started), "{statuses:?}");
    assert_eq!(sb.emulator.jobs().len(), 2);
}

#[tokio::test]
async fn direct_invocation_takes_the_key_as_is() {
    let sb = sandbox().await;
    drop_file(&sb, "incoming/ops+manual.csv", &users_csv(1, 5)).await;
    let answer = sb
        .invoke(json!({ "bucket": BUCKET, "key": "incoming/ops+manual.csv" }))
        .await
        .unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
}

#[tokio::test]
async fn keys_with_spaces_plus_signs_and_non_ascii_letters_arrive_intact() {
    for key in [
        "incoming/new users.csv",
        "incoming/a+b.csv",
        "incoming/José Zoë Łukasz.csv",
    ] {
        let sb = sandbox().await;
        let event = drop_file(&sb, key, &users_csv(1, 6)).await;
        let answer = sb.invoke(event).await.unwrap();
        assert_eq!(outcome(&answer), "started", "{key}: {answer}");
        assert_eq!(answer["results"][0]["key"], key);
        assert_eq!(only_record(&sb).await.key, key);
    }
}

#[tokio::test]
async fn objects_outside_the_drop_prefix_or_not_csv_are_ignored() {
    let sb = sandbox().await;
    for key in [
        "elsewhere/users.csv",
        "incoming/users.txt",
        "import-reports/incoming/x.csv@e.json",
    ] {
        let event = drop_file(&sb, key, b"x").await;
        let answer = sb.invoke(event).await.unwrap();
        assert_eq!(outcome(&answer), "ignored", "{key}: {answer}");
    }
    assert!(sb.emulator.jobs().is_empty());
    assert!(records(&sb).await.is_empty());
}

#[tokio::test]
async fn the_same_event_twice_gives_one_job() {
    let sb = sandbox().await;
    let event = drop_file(&sb, "incoming/twice.csv", &users_csv(4, 7)).await;
    let first = sb.invoke(event.clone()).await.unwrap();
    let second = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&first), "started");
    assert_eq!(outcome(&second), "duplicate", "{second}");
    assert_eq!(second["results"][0]["jobId"], first["results"][0]["jobId"]);
    assert_eq!(sb.emulator.jobs().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_copies_of_one_event_give_one_job() {
    let sb = Arc::new(sandbox().await);
    let event = drop_file(&sb, "incoming/concurrent.csv", &users_csv(4, 8)).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (sb, event) = (Arc::clone(&sb), event.clone());
        tasks.push(tokio::spawn(async move { sb.invoke(event).await.unwrap() }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(outcome(&t.await.unwrap()).to_owned());
    }
    assert_eq!(outcomes.iter().filter(|o| *o == "started").count(), 1, "{outcomes:?}");
    assert_eq!(
        outcomes.iter().filter(|o| *o == "duplicate").count(),
        19,
        "{outcomes:?}"
    );
    assert_eq!(sb.emulator.jobs().len(), 1);
    let job = finished(&sb, &sb.emulator.jobs()[0].id).await;
    assert_eq!((job.status, job.imported), (JobStatus::Succeeded, 4));
}
