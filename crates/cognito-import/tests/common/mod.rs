//! Shared set-up of the end-to-end tests: a sandbox (emulator + pool + drop bucket + the
//! function's App) and small helpers over it. Everything goes through real HTTP and SigV4.

#![allow(dead_code)] // each test file uses its own share of the helpers

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use cognito_import::domain::record::{Record, Status};
use cognito_import_emulator::{EmulatorConfig, Job, JobStatus};
use cognito_import_testkit::synth;
use cognito_import_testkit::{BUCKET, DropBucket, Sandbox};
use serde_json::{Value, json};

pub async fn sandbox() -> Sandbox {
    sandbox_with(EmulatorConfig::default(), &[]).await
}

pub async fn sandbox_with(config: EmulatorConfig, env: &[(&str, &str)]) -> Sandbox {
    Sandbox::start(config, json!({}), env).await.expect("sandbox starts")
}

/// A sandbox whose drop bucket is unversioned: the function pins drops by their ETag.
pub async fn unversioned_sandbox() -> Sandbox {
    Sandbox::start_with_bucket(EmulatorConfig::default(), json!({}), &[], DropBucket::Unversioned)
        .await
        .expect("sandbox starts")
}

/// A valid file of `rows` realistic users for the standard header.
pub fn users_csv(rows: u64, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    synth::write_users(&mut out, &synth::standard_header(), rows, seed).unwrap();
    out
}

/// Puts `bytes` at `key`; returns the S3 event for it.
pub async fn drop_file(sb: &Sandbox, key: &str, bytes: &[u8]) -> Value {
    let dropped = sb.drop_bytes(key, ByteStream::from(bytes.to_vec())).await.unwrap();
    sb.s3_event(key, &dropped, bytes.len() as u64)
}

/// The tag of the version an S3 event names, as state records are keyed: its version id, or its
/// ETag in an unversioned bucket.
pub fn tag_of(event: &Value) -> String {
    let object = &event["Records"][0]["s3"]["object"];
    object["versionId"]
        .as_str()
        .or(object["eTag"].as_str())
        .expect("an S3 event names its object's version")
        .to_owned()
}

pub fn outcome(answer: &Value) -> &str {
    answer["results"][0]["outcome"].as_str().unwrap_or("(none)")
}

/// Waits for a job to end and returns it.
pub async fn finished(sb: &Sandbox, job_id: &str) -> Job {
    let job = sb
        .emulator
        .wait_for_job(job_id, Duration::from_secs(20))
        .await
        .expect("the job exists");
    assert!(
        !matches!(
            job.status,
            JobStatus::Created | JobStatus::Pending | JobStatus::InProgress
        ),
        "job {job_id} did not finish: {:?}",
        job.status
    );
    job
}

/// Every state record in the drop bucket.
pub async fn records(sb: &Sandbox) -> Vec<Record> {
    let listed = sb
        .app
        .s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(&sb.app.config.state_prefix)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for obj in listed.contents() {
        let key = obj.key().unwrap();
        if !key.ends_with(".json") {
            continue; // the queue lock
        }
        let (record, _) = sb.app.ledger.read(BUCKET, key).await.unwrap().unwrap();
        out.push(record);
    }
    out
}

/// The one state record of the bucket.
pub async fn only_record(sb: &Sandbox) -> Record {
    let mut all = records(sb).await;
    assert_eq!(all.len(), 1, "expected one state record, found {all:?}");
    all.remove(0)
}

pub async fn read_object(sb: &Sandbox, key: &str) -> Vec<u8> {
    let out = sb.app.s3.get_object().bucket(BUCKET).key(key).send().await.unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

/// `record` as a dead invocation would have left it, in `status`: edited as JSON, the way a
/// crashed writer leaves it behind (the lifecycle methods refuse such a jump).
pub fn with_status(record: &Record, status: Status) -> Record {
    let mut value = serde_json::to_value(record).unwrap();
    value["status"] = serde_json::to_value(status).unwrap();
    serde_json::from_value(value).unwrap()
}
