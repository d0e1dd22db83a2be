//! The pool's auto-verified attributes, end to end through the stand-in: a row verified only by phone
//! is refused before a job is spent when the pool auto-verifies only email (Cognito would fail it: "The
//! User Record does not set any of the auto verified attributes to true."), and imported where the
//! pool auto-verifies the phone number too.

mod common;

use cognito_import::domain::record::Status;
use cognito_import_emulator::{EmulatorConfig, JobStatus};
use cognito_import_testkit::Sandbox;
use cognito_import_testkit::synth::standard_header;
use common::*;
use serde_json::{Value, json};

/// Three realistic users (lines 2-4), then frank on line 5, verified by his phone number only.
fn file_with_a_phone_only_row() -> Vec<u8> {
    let header = standard_header();
    let mut csv = users_csv(3, 11);
    let row: Vec<&str> = header
        .iter()
        .map(|column| match column.as_str() {
            "cognito:username" => "frank",
            "email" => "frank@example.com",
            "email_verified" => "false",
            "phone_number" => "+14325551212",
            "phone_number_verified" => "true",
            "cognito:mfa_enabled" => "false",
            _ => "",
        })
        .collect();
    csv.extend_from_slice(row.join(",").as_bytes());
    csv.push(b'\n');
    csv
}

#[tokio::test]
async fn a_phone_only_row_in_an_email_only_pool_is_refused_with_no_job() {
    // The sandbox's pool auto-verifies email only.
    let sb = sandbox().await;
    let event = drop_file(&sb, "incoming/phone-only.csv", &file_with_a_phone_only_row()).await;
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "rejected", "{answer}");
    assert!(
        sb.emulator.jobs().is_empty(),
        "a job was spent on a file Cognito would fail"
    );

    let record = only_record(&sb).await;
    assert_eq!(record.status(), Status::Rejected);
    let report: Value = serde_json::from_slice(&read_object(&sb, record.report_key.as_deref().unwrap()).await).unwrap();
    // The precise problem: line 5, its email_verified column, the auto-verified rule; nothing else.
    assert_eq!(
        report["problems"],
        json!([{"line": 5, "column": "email_verified", "rule": "not_auto_verified"}]),
        "{report:#}"
    );
    assert_eq!(report["problemCount"], 1);
}

#[tokio::test]
async fn the_same_file_imports_where_the_pool_auto_verifies_the_phone_number_too() {
    let pool = json!({ "AutoVerifiedAttributes": ["email", "phone_number"] });
    let sb = Sandbox::start(EmulatorConfig::default(), pool, &[]).await.unwrap();
    let event = drop_file(&sb, "incoming/phone-only.csv", &file_with_a_phone_only_row()).await;
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "started", "{answer}");
    let job = finished(&sb, answer["results"][0]["jobId"].as_str().unwrap()).await;
    assert_eq!((job.status, job.imported, job.failed), (JobStatus::Succeeded, 4, 0));
    assert!(sb.emulator.users(&sb.pool_id).iter().any(|u| u.username == "frank"));
}
