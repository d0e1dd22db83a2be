//! Files over Cognito's limits, end to end: cut into parts that each import as a job of their own,
//! one after another, with one report for the file whose line numbers are the file's. These files
//! are as large as the limits (100 MB, 500,000 rows), so each test takes a while.

mod common;

use cognito_import::domain::record::Status;
use cognito_import_emulator::JobStatus;
use cognito_import_testkit::synth;
use common::*;
use serde_json::Value;

/// Imports `bytes` as `key`, running passes until its record is final; returns the record, the
/// summary and the jobs the emulator ran, in the order they were created.
async fn import(
    sb: &cognito_import_testkit::Sandbox,
    key: &str,
    bytes: &[u8],
) -> (
    cognito_import::domain::record::Record,
    Value,
    Vec<cognito_import_emulator::Job>,
) {
    let event = drop_file(sb, key, bytes).await;
    let answer = sb.invoke(event.clone()).await.unwrap();
    assert!(matches!(outcome(&answer), "started" | "queued"), "{answer}");
    let record = sb.settle(key, &tag_of(&event), |_| {}).await.unwrap();
    let summary: Value =
        serde_json::from_str(&sb.read_text(record.report_key.as_deref().unwrap()).await.unwrap()).unwrap();
    let mut jobs = sb.emulator.jobs();
    jobs.sort_by_key(|j| j.created);
    (record, summary, jobs)
}

#[tokio::test]
async fn a_file_of_520000_rows_imports_as_two_jobs_with_the_files_line_numbers() {
    let sb = sandbox().await;
    let bytes = users_csv(520_000, 77);
    // A user of the second part exists already: skipped, and reported on its line of the file.
    let line = 510_002; // the 510,001st user
    let text = std::str::from_utf8(&bytes).unwrap();
    let row = text.lines().nth(line - 1).unwrap();
    let username = row.rsplit(',').next().unwrap();
    sb.emulator
        .add_user(&sb.pool_id, username, &[("email", "x@example.com")])
        .unwrap();

    let (record, summary, jobs) = import(&sb, "incoming/big.csv", &bytes).await;
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");
    let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["big.csv part 1 of 2", "big.csv part 2 of 2"]);
    assert!(jobs.iter().all(|j| j.status == JobStatus::Succeeded), "{jobs:?}");
    assert_eq!((jobs[0].imported, jobs[0].skipped), (500_000, 0));
    assert_eq!((jobs[1].imported, jobs[1].skipped), (19_999, 1));
    // The second job started only after the first had finished.
    assert!(jobs[1].started.unwrap() >= jobs[0].completed.unwrap());
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 520_000);

    assert_eq!(summary["status"], "Succeeded");
    assert_eq!(summary["importedUsers"], 519_999);
    assert_eq!(summary["skippedUsers"], 1);
    let parts = summary["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0]["firstLine"].as_u64(), parts[0]["lastLine"].as_u64()),
        (Some(2), Some(500_001))
    );
    assert_eq!(
        (parts[1]["firstLine"].as_u64(), parts[1]["lastLine"].as_u64()),
        (Some(500_002), Some(520_001))
    );
    assert_eq!(summary["problemLines"][0]["line"], line as u64);
    assert_eq!(summary["problemLines"][0]["username"], username);

    // One per-line report for the file, every line on the file's own number.
    let lines = sb.read_text(record.lines_report_key.as_deref().unwrap()).await.unwrap();
    let skipped: Vec<&str> = lines.lines().filter(|l| l.contains("SKIPPED")).collect();
    assert_eq!(skipped.len(), 1, "{}", &lines[..300]);
    assert!(
        skipped[0].starts_with(&format!("{line},{username},SKIPPED")),
        "{}",
        skipped[0]
    );
    assert_eq!(lines.lines().count(), 1 + 520_000, "a header and one line per user");
}

#[tokio::test]
async fn a_file_of_115_mb_imports_as_two_jobs_each_under_100_mb() {
    let sb = sandbox().await;
    // 300,000 users of about 380 bytes: under the row limit, over the size limit. Only the columns
    // a team uses: the header is completed too.
    let header: Vec<String> = ["cognito:username", "email", "email_verified", "address"]
        .map(String::from)
        .to_vec();
    let mut bytes = Vec::new();
    synth::write_users(&mut bytes, &header, 300_000, 78).unwrap();
    let long_address = "x".repeat(300);
    let text = String::from_utf8(bytes).unwrap();
    let mut file = String::with_capacity(text.len() + 300_000 * 301);
    for (i, line) in text.lines().enumerate() {
        file.push_str(line);
        if i > 0 {
            file.push_str(&long_address);
        }
        file.push('\n');
    }
    assert!(file.len() > 115_000_000, "{}", file.len());

    let (record, summary, jobs) = import(&sb, "incoming/wide.csv", file.as_bytes()).await;
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let imported: u64 = jobs.iter().map(|j| j.imported).sum();
    assert_eq!(imported, 300_000);
    assert_eq!(summary["importedUsers"], 300_000);
    for part in record.parts.iter() {
        assert!(part.info.bytes <= 100_000_000, "{part:?}");
    }
    let parts = summary["parts"].as_array().unwrap();
    assert_eq!(parts[0]["firstLine"], 2);
    assert_eq!(parts[1]["lastLine"], 300_001);
    assert_eq!(
        parts[0]["lastLine"].as_u64().unwrap() + 1,
        parts[1]["firstLine"].as_u64().unwrap()
    );
    let user = sb.emulator.users(&sb.pool_id).into_iter().next().unwrap();
    assert!(user.attribute("address").unwrap().ends_with(&long_address));
}
