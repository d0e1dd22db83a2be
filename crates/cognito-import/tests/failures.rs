//! Bad input and bad luck, end to end: every case ends in a reported state, with no job wasted on
//! a file that cannot succeed and never two imports of one object.

mod common;

use std::time::Duration;

use cognito_import::domain::record::Status;
use cognito_import_emulator::{EmulatorConfig, Fault, JobStatus};
use cognito_import_testkit::{BUCKET, Dropped, Sandbox};
use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn an_invalid_file_gets_no_job_and_a_precise_report() {
    let sb = sandbox().await;
    let header = cognito_import_testkit::synth::standard_header();
    let mut csv = String::from_utf8(users_csv(3, 1)).unwrap();
    let columns = header.len();
    let mut bad = vec![""; columns];
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    bad[at("cognito:username")] = "SECRET-USER-9";
    bad[at("email_verified")] = "yes";
    bad[at("phone_number")] = "555-SECRET";
    csv.push_str(&bad.join(","));
    csv.push('\n');
    let event = drop_file(&sb, "incoming/bad.csv", csv.as_bytes()).await;

    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "rejected", "{answer}");
    assert!(
        sb.emulator.jobs().is_empty(),
        "a job was spent on a file that cannot succeed"
    );

    let record = only_record(&sb).await;
    assert_eq!(record.status(), Status::Rejected);
    let report_key = record.report_key.clone().unwrap();
    assert_eq!(answer["results"][0]["reportKey"], report_key.as_str());
    let report = read_object(&sb, &report_key).await;
    let text = String::from_utf8(report.clone()).unwrap();
    let report: Value = serde_json::from_slice(&report).unwrap();
    let problems = report["problems"].as_array().unwrap();
    // Line 5 (header, then three good rows): the boolean, the phone, and no verified contact.
    assert!(problems.iter().all(|p| p["line"] == 5), "{report:#}");
    let columns: Vec<&str> = problems.iter().filter_map(|p| p["column"].as_str()).collect();
    assert!(columns.contains(&"email_verified"), "{report:#}");
    assert!(columns.contains(&"phone_number"), "{report:#}");
    assert_eq!(report["problemCount"], problems.len());
    for secret in ["SECRET-USER-9", "555-SECRET", "yes"] {
        assert!(!text.contains(secret), "the report leaks a value: {text}");
    }
}

#[tokio::test]
async fn in_an_unversioned_bucket_an_object_overwritten_after_its_event_is_never_imported_silently() {
    let sb = unversioned_sandbox().await;
    let event = drop_file(&sb, "incoming/changing.csv", &users_csv(2, 2)).await;
    // A new upload lands before the function reads the first one: the ETag pin sees it.
    drop_file(&sb, "incoming/changing.csv", &users_csv(3, 3)).await;
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "missing", "{answer}");
    assert!(sb.emulator.jobs().is_empty());
    assert_eq!(only_record(&sb).await.status(), Status::Missing);
}

#[tokio::test]
async fn an_object_overwritten_after_its_event_imports_the_version_the_event_named() {
    let sb = sandbox().await;
    let first = users_csv(2, 2);
    let event = drop_file(&sb, "incoming/changing.csv", &first).await;
    // A new upload lands before the function reads the first one: a version of its own.
    let second = drop_file(&sb, "incoming/changing.csv", &users_csv(3, 3)).await;
    assert_ne!(tag_of(&event), tag_of(&second));
    let answer = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    let job = finished(&sb, answer["results"][0]["jobId"].as_str().unwrap()).await;
    assert_eq!(
        (job.status, job.imported),
        (JobStatus::Succeeded, 2),
        "the first file's users"
    );
    let record = only_record(&sb).await;
    assert_eq!(record.version_id.as_deref(), Some(tag_of(&event).as_str()));
    assert_eq!(record.size, first.len() as u64);
    // The newer version is untouched, current, and has its own event to come.
    assert_eq!(read_object(&sb, "incoming/changing.csv").await, users_csv(3, 3));
}

#[tokio::test]
async fn a_missing_object_is_reported_not_imported() {
    let sb = sandbox().await;
    let never = Dropped {
        etag: "0123456789abcdef0123456789abcdef".into(),
        version_id: Some("IYV3p45BT0ac8hjHg1houSdS1a.Mro8e".into()),
    };
    let event = sb.s3_event("incoming/never-there.csv", &never, 10);
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "missing", "{answer}");
    let record = only_record(&sb).await;
    assert_eq!(record.status(), Status::Missing);
    assert_eq!(record.key, "incoming/never-there.csv");
}

#[tokio::test]
async fn a_throttled_create_user_import_job_on_a_free_account_still_starts_at_once() {
    let sb = sandbox().await;
    // The drop gives way after its two tries; its own queue run, the account being free, creates
    // the job (waiting the throttling out) and starts it.
    sb.emulator.faults().inject("CreateUserImportJob", Fault::Throttle, 3);
    sb.emulator.faults().inject("GetCSVHeader", Fault::Fail, 1);
    let event = drop_file(&sb, "incoming/throttled.csv", &users_csv(2, 4)).await;
    sb.emulator.reset_calls();
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    assert_eq!(sb.emulator.jobs().len(), 1);
    assert_eq!(
        answer["results"][0]["jobId"],
        sb.emulator.jobs()[0].id.as_str(),
        "{answer}"
    );
    // The drop's two tries, then the queue run's tries until one got through.
    assert_eq!(sb.emulator.calls().get("cognito-idp:CreateUserImportJob"), Some(&4));
}

#[tokio::test]
async fn a_drop_whose_job_cognito_throttles_waits_in_the_queue_and_gets_its_job_at_its_turn() {
    // Long enough to outlast the drop's two tries.
    let (sb, first) = with_an_active_job(10, 501).await;
    sb.emulator.faults().inject("CreateUserImportJob", Fault::Throttle, 2);
    let second_event = drop_file(&sb, "incoming/second.csv", &users_csv(3, 502)).await;
    let second_tag = tag_of(&second_event);
    let second = sb.invoke(second_event).await.unwrap();
    // Checked and queued, without a job: the invocation did not wait for Cognito.
    assert_eq!(outcome(&second), "queued", "{second}");
    assert_eq!(second["results"][0].get("jobId"), Some(&Value::Null), "{second}");
    let record = sb.record("incoming/second.csv", &second_tag).await.unwrap().unwrap();
    assert_eq!((record.status(), record.job_id.as_deref()), (Status::Queued, None));
    assert!(record.abandoned_jobs.is_empty(), "{record:?}");
    assert_eq!(sb.emulator.jobs().len(), 1, "no job for the second file yet");

    // Its turn: the pass creates its job, uploads the file prepared again from S3, starts it.
    finished(&sb, first["results"][0]["jobId"].as_str().unwrap()).await;
    let record = sb.settle("incoming/second.csv", &second_tag, |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");
    assert_eq!(sb.emulator.jobs().len(), 2, "one job per file");
    let job = sb.emulator.job(record.job_id.as_deref().unwrap()).unwrap();
    assert_eq!((job.status, job.imported), (JobStatus::Succeeded, 3));
}

#[tokio::test]
async fn a_dropped_upload_connection_is_retried_and_imports_once() {
    let sb = sandbox().await;
    sb.emulator.faults().drop_uploads(1);
    let event = drop_file(&sb, "incoming/dropped.csv", &users_csv(6, 5)).await;
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    assert_eq!(sb.emulator.jobs().len(), 1);
    let job = finished(&sb, &sb.emulator.jobs()[0].id).await;
    assert_eq!((job.status, job.imported, job.skipped), (JobStatus::Succeeded, 6, 0));
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 6);
}

#[tokio::test]
async fn a_failed_upload_is_retried_into_the_job_it_already_has_while_its_url_works() {
    let sb = sandbox_with(EmulatorConfig::default(), &[("UPLOAD_ATTEMPTS", "1")]).await;
    sb.emulator.faults().drop_uploads(1);
    let event = drop_file(&sb, "incoming/retried.csv", &users_csv(4, 31)).await;
    sb.invoke(event.clone()).await.unwrap_err();
    let failed = only_record(&sb).await;
    assert_eq!(failed.status(), Status::Failed);
    let first = failed.job_id.clone().expect("the failed attempt keeps its job");

    // Lambda delivers the event again: the file goes to the job it has, not to a new one.
    let answer = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    let jobs = sb.emulator.jobs();
    assert_eq!(jobs.len(), 1, "one file, one job: {jobs:?}");
    let job = finished(&sb, &first).await;
    assert_eq!((job.status, job.imported), (JobStatus::Succeeded, 4));
    let record = sb
        .settle("incoming/retried.csv", &tag_of(&event), |_| {})
        .await
        .unwrap();
    assert_eq!(record.status(), Status::Succeeded);
    assert_eq!(record.job_id.as_deref(), Some(first.as_str()));
    assert!(record.abandoned_jobs.is_empty(), "{:?}", record.abandoned_jobs);
}

#[tokio::test]
async fn an_expired_url_gets_a_fresh_job_and_the_file_is_imported_once() {
    let sb = sandbox_with(EmulatorConfig::default(), &[("UPLOAD_ATTEMPTS", "5")]).await;
    // URLs live 123 s: over the margin no upload starts within (`UPLOAD_URL_MARGIN`, 120 s) by
    // more than the second the URL's signing time is rounded to. Three dropped uploads and their
    // backoff (0.5 + 1 + 2 s) leave the fourth try under it: the URL is as good as expired, and a
    // fresh job takes the file.
    let margin = cognito_import::domain::assumptions::UPLOAD_URL_MARGIN;
    sb.emulator
        .faults()
        .set_url_lifetime(Some(margin + Duration::from_secs(3)));
    sb.emulator.faults().drop_uploads(3);
    let event = drop_file(&sb, "incoming/slow.csv", &users_csv(3, 6)).await;
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");

    let jobs = sb.emulator.jobs();
    assert_eq!(jobs.len(), 2, "one abandoned job and one fresh one");
    assert_eq!(jobs[0].status, JobStatus::Created, "the abandoned job is never started");
    let job = finished(&sb, &jobs[1].id).await;
    assert_eq!((job.status, job.imported), (JobStatus::Succeeded, 3));
    let record = only_record(&sb).await;
    assert_eq!(record.abandoned_jobs, vec![jobs[0].id.clone()]);
    assert_eq!(record.job_id.as_deref(), Some(jobs[1].id.as_str()));
}

#[tokio::test]
async fn urls_that_always_expire_end_in_a_clear_failure_without_a_start() {
    let sb = sandbox().await;
    sb.emulator.faults().set_url_lifetime(Some(Duration::ZERO));
    let event = drop_file(&sb, "incoming/never.csv", &users_csv(1, 7)).await;
    let err = sb.invoke(event).await.unwrap_err().to_string();
    assert!(err.contains("the pre-signed URLs of two jobs expired"), "{err}");
    assert!(!err.contains("X-Amz-Signature"), "the URL leaked: {err}");
    assert!(sb.emulator.jobs().iter().all(|j| j.status == JobStatus::Created));
    assert_eq!(only_record(&sb).await.status(), Status::Failed);
}

/// A sandbox whose jobs take 200 ms a row, and the answer to `incoming/first.csv` (`rows` users
/// from `seed`), whose job is then active.
async fn with_an_active_job(rows: u64, seed: u64) -> (Sandbox, Value) {
    let sb = sandbox_with(
        EmulatorConfig {
            row_delay: Duration::from_millis(200),
            ..Default::default()
        },
        &[],
    )
    .await;
    let first = sb
        .invoke(drop_file(&sb, "incoming/first.csv", &users_csv(rows, seed)).await)
        .await
        .unwrap();
    assert_eq!(outcome(&first), "started", "{first}");
    (sb, first)
}

#[tokio::test]
async fn another_active_job_leaves_the_new_one_queued() {
    let (sb, _) = with_an_active_job(5, 8).await;
    let second = sb
        .invoke(drop_file(&sb, "incoming/second.csv", &users_csv(2, 9)).await)
        .await
        .unwrap();
    assert_eq!(outcome(&second), "queued", "{second}");
    let queued_job = second["results"][0]["jobId"].as_str().unwrap();
    let record = records(&sb)
        .await
        .into_iter()
        .find(|r| r.key == "incoming/second.csv")
        .unwrap();
    assert_eq!(record.status(), Status::Queued);
    assert_eq!(record.job_id.as_deref(), Some(queued_job));
    assert_eq!(
        sb.emulator.job(queued_job).unwrap().status,
        JobStatus::Created,
        "uploaded, waiting to start"
    );
}

#[tokio::test]
async fn a_pool_that_cannot_import_fails_clearly_before_any_job() {
    let sb = Sandbox::start(EmulatorConfig::default(), json!({ "AutoVerifiedAttributes": [] }), &[])
        .await
        .unwrap();
    let event = drop_file(&sb, "incoming/users.csv", &users_csv(1, 10)).await;
    // A setting, not bad luck: ended at once, not retried, the setting named.
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "misconfigured", "{answer}");
    assert_eq!(
        answer["results"][0]["setting"],
        "the user pool's AutoVerifiedAttributes"
    );
    let message = answer["results"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("auto-verifies neither email nor phone_number"),
        "{message}"
    );
    assert!(sb.emulator.jobs().is_empty());
    let record = only_record(&sb).await;
    assert_eq!(record.status(), Status::Misconfigured);
    // A new delivery takes it up again (once the pool is fixed).
    assert!(record.message.unwrap().contains("auto-verifies neither"));
}

#[tokio::test]
async fn malformed_events_are_refused_with_a_clear_message() {
    let sb = sandbox().await;
    let err = sb.invoke(json!({ "hello": "world" })).await.unwrap_err().to_string();
    assert!(err.contains("unrecognised event"), "{err}");
    let err = sb
        .invoke(json!({ "Records": [{ "eventSource": "aws:s3", "s3": {} }] }))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("malformed S3 notification event"), "{err}");
    let ignored = sb
        .invoke(json!({ "Service": "Amazon S3", "Event": "s3:TestEvent" }))
        .await
        .unwrap();
    assert!(ignored["ignored"].as_str().unwrap().contains("test event"));
}

#[tokio::test]
async fn the_bucket_key_holds_nothing_but_the_file_itself() {
    let sb = sandbox().await;
    let event = drop_file(&sb, "incoming/plain.csv", &users_csv(1, 11)).await;
    sb.invoke(event).await.unwrap();
    let listed = sb.app.s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let all: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    // The index of open records (its marker of this open import, and the `built` object) is the
    // function's own, under the state prefix.
    let index = sb.app.ledger.index();
    let (index_keys, keys): (Vec<&str>, Vec<&str>) = all.iter().partition(|k| index.is_reserved(k));
    assert_eq!(keys.len(), 2, "{all:?}");
    assert!(keys.contains(&"incoming/plain.csv"));
    assert!(keys.iter().any(|k| k.starts_with("import-state/incoming/plain.csv@")));
    assert_eq!(index_keys.len(), 2, "{all:?}");
    assert!(index_keys.iter().all(|k| k.starts_with("import-state/")), "{all:?}");
}

#[tokio::test]
async fn a_lost_start_answer_never_leads_to_a_second_job() {
    let sb = sandbox().await;
    // The job starts, but its answer is lost; the SDK's retry then meets a job that is no longer
    // Created. The object stays queued for the scheduled pass.
    sb.emulator.faults().inject("StartUserImportJob", Fault::LoseAnswer, 1);
    let event = drop_file(&sb, "incoming/lost.csv", &users_csv(3, 12)).await;
    let answer = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "queued", "{answer}");
    let jobs = sb.emulator.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(only_record(&sb).await.status(), Status::Queued);

    // The pass asks the job first: it had started, so it is the import.
    let pass = sb.pass().await.unwrap();
    assert_eq!(pass["pass"]["started"]["jobId"], jobs[0].id.as_str(), "{pass}");
    let record = only_record(&sb).await;
    assert_eq!(
        (record.status(), record.job_id.as_deref()),
        (Status::Started, Some(jobs[0].id.as_str()))
    );
    // A redelivery of the event is a duplicate.
    let again = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&again), "duplicate", "{again}");
    assert_eq!(sb.emulator.jobs().len(), 1, "a second job was created");
    let job = finished(&sb, &jobs[0].id).await;
    assert_eq!((job.status, job.imported), (JobStatus::Succeeded, 3));
}

#[tokio::test]
async fn a_late_duplicate_of_an_imported_then_deleted_object_reports_the_import() {
    let sb = sandbox().await;
    let event = drop_file(&sb, "incoming/deleted-later.csv", &users_csv(1, 13)).await;
    let first = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&first), "started");
    sb.app
        .s3
        .delete_object()
        .bucket(BUCKET)
        .key("incoming/deleted-later.csv")
        .send()
        .await
        .unwrap();
    let late = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&late), "duplicate", "{late}");
    assert_eq!(late["results"][0]["jobId"], first["results"][0]["jobId"]);
    assert_eq!(only_record(&sb).await.status(), Status::Started);
}

#[tokio::test]
async fn a_lost_answer_to_the_claim_is_recognised_as_our_own_write() {
    let sb = sandbox().await;
    let event = drop_file(&sb, "incoming/claimed-once.csv", &users_csv(2, 14)).await;
    // The claim (the state record, `….json`; its index marker is written before it) is written,
    // its answer lost; the SDK's retry meets it (412). The record carries this write's id, so the
    // invocation knows the claim is its own and goes on.
    sb.emulator
        .faults()
        .inject_for_key("PutObject", ".json", Fault::LoseAnswer, 1);
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    assert!(
        !sb.emulator
            .faults()
            .take_lost("PutObject", Some("claimed-once.csv.json")),
        "the claim's answer was the one lost"
    );
    assert_eq!(sb.emulator.jobs().len(), 1);
    let job = finished(&sb, &sb.emulator.jobs()[0].id).await;
    assert_eq!((job.status, job.imported), (JobStatus::Succeeded, 2));
}

#[tokio::test]
async fn a_pool_that_does_not_exist_ends_the_object_at_once_naming_the_setting_and_a_new_delivery_after_the_fix_imports_it()
 {
    let sb = sandbox_with(EmulatorConfig::default(), &[("USER_POOL_ID", "us-east-1_NoSuchPool")]).await;
    let event = drop_file(&sb, "incoming/wrong-pool.csv", &users_csv(3, 301)).await;

    // Not a retryable failure: the invocation succeeds, so Lambda does not retry it.
    let answer = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "misconfigured", "{answer}");
    assert_eq!(answer["results"][0]["setting"], "USER_POOL_ID", "{answer}");
    let record = only_record(&sb).await;
    assert_eq!((record.status(), record.attempts), (Status::Misconfigured, 1));
    assert!(record.status().is_final(), "the pass leaves it alone");
    assert!(
        record.message.as_deref().unwrap().contains("USER_POOL_ID"),
        "{record:?}"
    );
    assert!(sb.emulator.jobs().is_empty());
    let metrics: Vec<String> = sb.app.notifier.metrics.lines();
    assert!(
        metrics.iter().any(|l| l.contains("\"MisconfiguredFiles\"")),
        "no metric: {metrics:?}"
    );
    // The pass does not retry it either.
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["resumed"], json!([]), "{answer}");

    // The operator fixes the setting and delivers the object again (`cognito-import handle`).
    let fixed = app_for_pool(&sb, &sb.pool_id);
    let event = lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default());
    let answer = cognito_import::handler::handle(&fixed, event).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    let record = only_record(&sb).await;
    assert_eq!((record.status(), record.attempts), (Status::Started, 2));
    let job = finished(&sb, &sb.emulator.jobs()[0].id).await;
    assert_eq!((job.status, job.imported), (JobStatus::Succeeded, 3));
}

#[tokio::test]
async fn a_queued_job_a_wrong_setting_keeps_from_starting_ends_misconfigured_instead_of_waiting_forever() {
    let (sb, first) = with_an_active_job(5, 401).await;
    let second_event = drop_file(&sb, "incoming/second.csv", &users_csv(2, 402)).await;
    let second_tag = tag_of(&second_event);
    let second = sb.invoke(second_event.clone()).await.unwrap();
    assert_eq!(outcome(&second), "queued", "{second}");

    // The function is redeployed with a pool that does not exist (or the pool was deleted): the
    // queued job cannot be started, and no pass will ever start it.
    let wrong = app_for_pool(&sb, "us-east-1_NoSuchPool");
    finished(&sb, first["results"][0]["jobId"].as_str().unwrap()).await;
    cognito_import::flow::queue::start_next(&wrong).await.unwrap();
    let record = records(&sb)
        .await
        .into_iter()
        .find(|r| r.key == "incoming/second.csv")
        .unwrap();
    assert_eq!(record.status(), Status::Misconfigured, "{record:?}");
    assert!(
        record.message.as_deref().unwrap_or_default().contains("USER_POOL_ID"),
        "{record:?}"
    );

    // After the fix, a new delivery imports it (with a job of its own: the old one is not asked for).
    let fixed = app_for_pool(&sb, &sb.pool_id);
    let event = lambda_runtime::LambdaEvent::new(second_event, lambda_runtime::Context::default());
    let answer = cognito_import::handler::handle(&fixed, event).await.unwrap();
    assert!(matches!(outcome(&answer), "started" | "queued"), "{answer}");
    let record = sb.settle("incoming/second.csv", &second_tag, |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");
}

#[tokio::test]
async fn a_started_job_whose_pool_is_deleted_ends_misconfigured_once_and_another_pool_id_only_reports_it() {
    let (sb, first) = with_an_active_job(5, 601).await;
    let tag = records(&sb).await[0].version_tag().to_owned();
    let job_id = first["results"][0]["jobId"].as_str().unwrap();

    // The function redeployed with another pool id while the job runs: the job may still run in
    // its own pool, so it is only reported, and followed again once the id is set back.
    let wrong = app_for_pool(&sb, "us-east-1_NoSuchPool");
    let report = cognito_import::flow::pass::run(&wrong).await.unwrap();
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].contains(&sb.pool_id) && report.errors[0].contains("USER_POOL_ID"),
        "{:?}",
        report.errors
    );
    let record = sb.record("incoming/first.csv", &tag).await.unwrap().unwrap();
    assert_eq!(record.status(), Status::Started, "{record:?}");

    // The pool itself is deleted: nothing more can be learned of the job; ended once.
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sb.sdk);
    cognito
        .delete_user_pool()
        .user_pool_id(&sb.pool_id)
        .send()
        .await
        .unwrap();
    let report = cognito_import::flow::pass::run(&sb.app).await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.finished.len(), 1, "{:?}", report.finished);
    assert_eq!(report.finished[0].what, "misconfigured");
    let record = sb.record("incoming/first.csv", &tag).await.unwrap().unwrap();
    assert_eq!(record.status(), Status::Misconfigured, "{record:?}");
    assert!(
        record.message.as_deref().unwrap().contains("USER_POOL_ID"),
        "{record:?}"
    );
    assert!(record.abandoned_jobs.iter().any(|j| j == job_id), "{record:?}");
    // Final: the next pass has nothing to say about it.
    let report = cognito_import::flow::pass::run(&sb.app).await.unwrap();
    assert!(report.is_idle(), "{report:?}");
}

/// A drop key of exactly `bytes` bytes, in folders (a file name may not pass 255 bytes on disk).
fn key_of(bytes: usize) -> String {
    let (head, tail) = ("incoming/", "u.csv");
    let mut key = head.to_owned();
    while key.len() + tail.len() + 10 <= bytes {
        key.push_str("abcdefghi/");
    }
    key.push_str(&"x".repeat(bytes - key.len() - tail.len()));
    key.push_str(tail);
    assert_eq!(key.len(), bytes);
    key
}

#[tokio::test]
async fn a_key_too_long_to_track_is_reported_not_failed_and_one_byte_shorter_imports() {
    const TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:imports";
    let sb = sandbox_with(EmulatorConfig::default(), &[("NOTIFICATION_TOPIC_ARN", TOPIC)]).await;
    assert_eq!(sb.emulator.create_topic("imports"), TOPIC);
    // The longest key written for an object is its index marker: `<P><P>index/open/<key>@<tag>`
    // (the stand-in's version ids, like S3's, are 32 characters).
    let around = 2 * sb.app.config.state_prefix.len() + "index/open/".len() + 1 + 32;
    let fits = key_of(1024 - around);
    let over = key_of(1024 - around + 1);

    let event = drop_file(&sb, &over, &users_csv(2, 701)).await;
    assert_eq!(tag_of(&event).len(), 32);
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "ignored", "{answer}");
    let reason = answer["results"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("1 bytes shorter") && reason.contains("1024"),
        "{reason}"
    );
    assert!(records(&sb).await.is_empty());
    assert!(sb.emulator.jobs().is_empty());
    let metrics = sb.app.notifier.metrics.lines();
    assert!(metrics.iter().any(|l| l.contains("\"KeyTooLongFiles\"")), "{metrics:?}");
    let published = sb.emulator.published(TOPIC);
    assert_eq!(published.len(), 1);
    let message: Value = serde_json::from_str(&published[0].message).unwrap();
    assert_eq!(message["status"], "KeyTooLong", "{message}");
    assert_eq!(message["message"].as_str(), Some(reason), "{message}");

    let event = drop_file(&sb, &fits, &users_csv(2, 702)).await;
    let tag = tag_of(&event);
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    let record = sb.settle(&fits, &tag, |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");
}

/// The function as deployed with `USER_POOL_ID` set to `pool_id`, on the sandbox's stand-in.
fn app_for_pool(sb: &cognito_import_testkit::Sandbox, pool_id: &str) -> cognito_import::app::App {
    let config = cognito_import::domain::config::Config::from_lookup(|name| match name {
        "USER_POOL_ID" => Some(pool_id.to_owned()),
        "CLOUDWATCH_LOGS_ROLE_ARN" => Some(cognito_import_testkit::LOGS_ROLE_ARN.into()),
        "DROP_BUCKET" => Some(BUCKET.into()),
        "S3_FORCE_PATH_STYLE" => Some("true".into()),
        _ => None,
    })
    .unwrap();
    cognito_import::app::App::new(config, &sb.sdk)
}
