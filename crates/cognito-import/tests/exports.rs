//! Files as people export them, end to end: written as Excel, Google Sheets, LibreOffice and pandas
//! write CSV by default (and as exporters that quote every field), with only the columns a team
//! uses, dropped in the sandbox's bucket and imported through the real function and AWS SDK
//! clients — every value as it was in the sheet.

mod common;

use cognito_import::domain::record::Status;
use cognito_import_emulator::JobStatus;
use cognito_import_testkit::exports::Exporter;
use common::*;
use serde_json::Value;

/// The columns a team uses: a partial header, in the team's order and spelling.
const HEADER: [&str; 6] = [
    "cognito:username",
    "Email",
    "email_verified",
    "given_name",
    "name",
    "address",
];

/// Rows whose values need quoting in RFC 4180: commas, quotes, non-ASCII letters, an empty value.
fn sheet(prefix: &str) -> Vec<Vec<String>> {
    let rows = [
        [
            "zoe",
            "zoe@example.com",
            "TRUE",
            "Zoë",
            "Zoë \"Z\" Ünal",
            "1 Main St, Apt 2",
        ],
        ["bob", "bob@example.com", "true", "Bob", "Jones, Bob Jr", ""],
        [
            "marta",
            "marta@example.com",
            "true",
            "Marta",
            "Marta \"\"Maz\"\" Łoś",
            "Rua \"Azul\", 9",
        ],
        ["li", "li@example.com", "true", "李", "李, 小龍", "北京"],
    ];
    rows.iter()
        .map(|row| {
            let mut row: Vec<String> = row.iter().map(|v| v.to_string()).collect();
            row[0] = format!("{prefix}-{}", row[0]);
            row
        })
        .collect()
}

#[tokio::test]
async fn spreadsheet_files_import_with_every_value_as_in_the_sheet() {
    let sb = sandbox().await;
    let exporters = [
        Exporter::ExcelCsvUtf8,
        Exporter::GoogleSheets,
        Exporter::LibreOffice,
        Exporter::Pandas,
        Exporter::QuoteAll,
    ];
    for exporter in exporters {
        let rows = sheet(exporter.name());
        let bytes = exporter.write(&HEADER, &rows);
        let key = format!("incoming/{}.csv", exporter.name());
        let event = drop_file(&sb, &key, &bytes).await;
        let answer = sb.invoke(event.clone()).await.unwrap();
        assert!(
            matches!(outcome(&answer), "started" | "queued"),
            "{}: {answer}",
            exporter.name()
        );
        let record = sb.settle(&key, &tag_of(&event), |_| {}).await.unwrap();
        assert_eq!(record.status(), Status::Succeeded, "{}: {record:?}", exporter.name());
        let job = sb.emulator.job(record.job_id.as_deref().unwrap()).unwrap();
        assert_eq!(job.status, JobStatus::Succeeded);
        assert_eq!(
            (job.imported, job.skipped, job.failed),
            (4, 0, 0),
            "{}",
            exporter.name()
        );

        // Every value exactly as in the sheet: commas, quotes and letters intact, empty left out.
        let users = sb.emulator.users(&sb.pool_id);
        for row in &rows {
            let user = users
                .iter()
                .find(|u| u.username == row[0])
                .unwrap_or_else(|| panic!("{}: {} was not imported", exporter.name(), row[0]));
            for (column, value) in HEADER.iter().zip(row).skip(1) {
                let attribute = column.to_lowercase();
                let expected = (!value.is_empty()).then(|| {
                    if attribute == "email_verified" {
                        value.to_lowercase()
                    } else {
                        value.clone()
                    }
                });
                assert_eq!(
                    user.attribute(&attribute).map(str::to_owned),
                    expected,
                    "{}: {} of {}",
                    exporter.name(),
                    attribute,
                    row[0]
                );
            }
        }

        // The report says what preparing changed.
        let summary: Value =
            serde_json::from_str(&sb.read_text(record.report_key.as_deref().unwrap()).await.unwrap()).unwrap();
        let normalised = &summary["normalised"];
        assert_eq!(normalised["readAs"], "rfc4180", "{}", exporter.name());
        assert_eq!(
            normalised["byteOrderMarkRemoved"],
            exporter == Exporter::ExcelCsvUtf8,
            "{}",
            exporter.name()
        );
        assert_eq!(normalised["columnsRenamed"], serde_json::json!(["email"]));
        assert_eq!(normalised["columnsAdded"].as_array().unwrap().len(), 21 - HEADER.len());
        assert_eq!(normalised["commasEscaped"], 4, "{normalised}");
        let said: Vec<&str> = summary["prepared"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(said.iter().any(|s| s.starts_with("columns added, empty: ")), "{said:?}");
    }
}

#[tokio::test]
async fn a_skipped_row_of_a_quoted_file_is_reported_with_its_line_and_username() {
    let sb = sandbox().await;
    sb.emulator
        .add_user(&sb.pool_id, "quote-all-bob", &[("email", "bob@example.com")])
        .unwrap();
    let bytes = Exporter::QuoteAll.write(&HEADER, &sheet("quote-all"));
    let event = drop_file(&sb, "incoming/team.csv", &bytes).await;
    sb.invoke(event.clone()).await.unwrap();
    let record = sb.settle("incoming/team.csv", &tag_of(&event), |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded);
    let lines = sb.read_text(record.lines_report_key.as_deref().unwrap()).await.unwrap();
    // bob is the second row: line 3 of the file; his username without the quotes around it.
    let bob: Vec<&str> = lines.lines().filter(|l| l.contains("quote-all-bob")).collect();
    assert_eq!(bob.len(), 1, "{lines}");
    assert!(bob[0].starts_with("3,quote-all-bob,SKIPPED"), "{lines}");
}

fn row(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// A file refused before any job: its report names each problem by line and column, no value.
async fn refused(bytes: &[u8]) -> Vec<Value> {
    let sb = sandbox().await;
    let event = drop_file(&sb, "incoming/refused.csv", bytes).await;
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "rejected", "{answer}");
    assert!(
        sb.emulator.jobs().is_empty(),
        "no job is spent on a file that cannot import"
    );
    let report: Value = serde_json::from_str(
        &sb.read_text(answer["results"][0]["reportKey"].as_str().unwrap())
            .await
            .unwrap(),
    )
    .unwrap();
    report["problems"].as_array().unwrap().clone()
}

#[tokio::test]
async fn excels_plain_csv_in_windows_1252_is_refused_naming_line_and_column() {
    let rows = vec![
        row(&["ann", "ann@example.com", "true", "Ann", "Ann Lee", ""]),
        row(&["zoe", "zoe@example.com", "true", "Zoë", "Zoë Ünal", ""]),
    ];
    let problems = refused(&Exporter::ExcelCsv.write(&HEADER, &rows)).await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["line"], 3);
    assert_eq!(problems[0]["column"], "given_name");
    assert_eq!(problems[0]["rule"], "invalid_utf8");
}

#[tokio::test]
async fn a_line_break_inside_a_cell_is_refused_naming_line_and_column() {
    let rows = vec![
        row(&["ann", "ann@example.com", "true", "Ann", "Ann", "1 Main St\nFloor 2"]),
        row(&["bob", "bob@example.com", "true", "Bob", "Bob", ""]),
    ];
    let problems = refused(&Exporter::ExcelCsvUtf8.write(&HEADER, &rows)).await;
    let found: Vec<(u64, &str, &str)> = problems
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["column"].as_str().unwrap_or("-"),
                p["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [(2, "address", "line_break_in_value")]);
}

/// A replacement job is given the file prepared again from S3 (no spool outlives the invocation
/// that checked it): the same bytes, so every value still arrives as in the sheet.
#[tokio::test]
async fn an_expired_job_is_replaced_with_the_file_prepared_again_from_s3() {
    let config = cognito_import_emulator::EmulatorConfig {
        row_delay: std::time::Duration::from_millis(30),
        job_expiry: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let sb = sandbox_with(config, &[]).await;
    // Running long enough (2.4 s) for the next drop to find the account busy on a loaded machine.
    let busy = drop_file(&sb, "incoming/first.csv", &users_csv(80, 61)).await;
    assert_eq!(outcome(&sb.invoke(busy.clone()).await.unwrap()), "started");
    let rows = sheet("excel");
    let event = drop_file(&sb, "incoming/excel.csv", &Exporter::ExcelCsvUtf8.write(&HEADER, &rows)).await;
    let answer = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "queued", "{answer}");
    let expired_job = answer["results"][0]["jobId"].as_str().unwrap().to_owned();

    sb.settle("incoming/first.csv", &tag_of(&busy), |_| {}).await.unwrap();
    let record = sb.settle("incoming/excel.csv", &tag_of(&event), |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded);
    assert_eq!(record.abandoned_jobs, [expired_job]);
    let users = sb.emulator.users(&sb.pool_id);
    for row in &rows {
        let user = users.iter().find(|u| u.username == row[0]).unwrap();
        assert_eq!(user.attribute("name"), Some(row[4].as_str()));
        assert_eq!(
            user.attribute("address"),
            (!row[5].is_empty()).then_some(row[5].as_str())
        );
    }
}
