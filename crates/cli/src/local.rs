//! `cognito-import local FILE`: the whole drop → import flow on the embedded stand-in — the file
//! dropped in the sandbox's bucket, the handler run on its S3 event, the scheduled pass run until
//! the import is final — and its reports shown.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use cognito_import::domain::record::Status;
use cognito_import_emulator::EmulatorConfig;
use cognito_import_testkit::{BUCKET, LocalError, Sandbox};
use serde_json::{Value, json};

/// `cognito-import local FILE`: returns whether the import succeeded.
pub async fn run(file: &Path, as_json: bool) -> Result<bool, LocalError> {
    let file_error = |source| LocalError::File {
        path: file.display().to_string(),
        source,
    };
    let size = std::fs::metadata(file).map_err(file_error)?.len();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "users.csv".into());
    let key = format!("incoming/{name}");

    let sandbox = Sandbox::start(EmulatorConfig::default(), json!({}), &[]).await?;
    let body = ByteStream::from_path(file)
        .await
        .map_err(|e| file_error(std::io::Error::other(e)))?;
    let dropped = sandbox.drop_bytes(&key, body).await?;
    if !as_json {
        eprintln!(
            "dropped {} ({size} bytes) as s3://{BUCKET}/{key} on the local stand-in at {}",
            file.display(),
            sandbox.emulator.endpoint()
        );
    }
    let answer = sandbox.invoke(sandbox.s3_event(&key, &dropped, size)).await?;
    let result = &answer["results"][0];
    match result["outcome"].as_str() {
        Some("started" | "queued") => {}
        Some("rejected") => return report_rejection(&sandbox, result, as_json).await,
        _ => {
            println!(
                "{}",
                if as_json {
                    result.to_string()
                } else {
                    format!("not imported: {result}")
                }
            );
            return Ok(false);
        }
    }

    // The scheduled pass follows the job to its end and writes the reports.
    let bar = indicatif::ProgressBar::new_spinner();
    if as_json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    let record = sandbox
        .settle(&key, dropped.tag(), |r| {
            if let Some(s) = &r.job_state {
                bar.set_message(format!(
                    "{}: {} — {} imported, {} skipped, {} failed",
                    s.job_id, s.status, s.imported_users, s.skipped_users, s.failed_users
                ));
            }
        })
        .await?;
    bar.finish_and_clear();
    let report_key = record.report_key.clone().unwrap_or_default();
    let summary: Value = serde_json::from_str(&sandbox.read_text(&report_key).await?)
        .map_err(|e| LocalError::Aws(format!("the report {report_key} is not JSON: {e}")))?;
    if as_json {
        let out = json!({
            "jobId": summary["jobId"],
            "status": summary["status"],
            "importedUsers": summary["importedUsers"],
            "skippedUsers": summary["skippedUsers"],
            "failedUsers": summary["failedUsers"],
            "completionMessage": summary["completionMessage"],
            "reportKey": report_key,
            "linesReportKey": summary["linesReportKey"],
            "problemLines": summary["problemLines"],
            "normalised": summary["normalised"],
            "prepared": summary["prepared"],
            "parts": summary["parts"],
            "passwordHashes": summary["passwordHashes"],
        });
        println!("{out}");
    } else {
        let text = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
        println!("job:      {}", text(&summary["jobId"]));
        println!("status:   {}", text(&summary["status"]));
        println!("imported: {}", summary["importedUsers"]);
        println!("skipped:  {}", summary["skippedUsers"]);
        println!("failed:   {}", summary["failedUsers"]);
        if let Some(m) = summary["completionMessage"].as_str() {
            println!("message:  {m}");
        }
        print_prepared(&summary["prepared"]);
        let hashes = &summary["passwordHashes"];
        if !hashes.is_null() {
            println!(
                "passwords: {} users keep theirs ({}), {} must reset",
                hashes["importedWithHash"],
                hashes["algorithms"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                hashes["importedWithoutHash"]
            );
        }
        for part in summary["parts"].as_array().into_iter().flatten() {
            // A part of one hash algorithm's file is named by its algorithm: its lines are not the
            // file's (the per-line report has those).
            let rows = match part["algorithm"].as_str() {
                Some(algorithm) => format!("{} rows of {algorithm} hashes", part["rows"]),
                None => format!("lines {}-{}", part["firstLine"], part["lastLine"]),
            };
            println!(
                "part {}:   {rows}, job {}: {} — {} imported, {} skipped, {} failed",
                part["number"],
                text(&part["jobId"]),
                text(&part["status"]),
                part["importedUsers"],
                part["skippedUsers"],
                part["failedUsers"]
            );
        }
        println!("report:   s3://{BUCKET}/{report_key}");
        println!("lines:    s3://{BUCKET}/{}", text(&summary["linesReportKey"]));
        for line in summary["problemLines"].as_array().into_iter().flatten() {
            println!(
                "  line {}: {} {} — {}",
                line["line"],
                text(&line["outcome"]),
                text(&line["username"]),
                text(&line["reason"])
            );
        }
    }
    Ok(record.status() == Status::Succeeded)
}

async fn report_rejection(sandbox: &Sandbox, result: &Value, as_json: bool) -> Result<bool, LocalError> {
    let report_key = result["reportKey"].as_str().unwrap_or_default();
    let report: Value = serde_json::from_str(&sandbox.read_text(report_key).await?)
        .map_err(|e| LocalError::Aws(format!("the report {report_key} is not JSON: {e}")))?;
    if as_json {
        println!(
            "{}",
            json!({
                "status": "Rejected",
                "reportKey": report_key,
                "problemCount": report["problemCount"],
                "problems": report["summary"],
                "normalised": report["normalised"],
            })
        );
    } else {
        println!(
            "rejected: {} problem(s); no import job was created",
            report["problemCount"]
        );
        println!("report:   s3://{BUCKET}/{report_key}");
        let described: Vec<Value> = normalised_words(&report["normalised"]);
        print_prepared(&Value::from(described));
        for line in report["summary"].as_array().into_iter().flatten() {
            println!("  {}", line.as_str().unwrap_or_default());
        }
    }
    Ok(false)
}

/// What preparing the file changed, one line each (nothing when it changed nothing).
fn print_prepared(described: &Value) {
    for (i, change) in described.as_array().into_iter().flatten().enumerate() {
        let label = if i == 0 { "prepared:" } else { "" };
        println!("{label:<9} {}", change.as_str().unwrap_or_default());
    }
}

/// The rejection report's `normalised` object in words, as the import summary's `prepared` has them.
fn normalised_words(normalised: &Value) -> Vec<Value> {
    serde_json::from_value::<cognito_import::check::Normalised>(normalised.clone())
        .map(|n| n.describe().into_iter().map(Value::from).collect())
        .unwrap_or_default()
}
