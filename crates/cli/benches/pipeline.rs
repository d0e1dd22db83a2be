//! The function process alone, end to end on the local stand-in, for a 10 MB and a ~100 MB file,
//! each in Cognito's dialect and as Excel's "CSV UTF-8" writes the same table (prepared as it streams),
//! and a 520,000-row file (split: the time is to its first part's job started):
//! peak RSS, time from event to job started, and throughput — beside the floor measured in the
//! same run on the same emulator: a plain GET of the object streamed into a plain PUT to a
//! pre-signed URL.
//!
//! `cargo bench --bench pipeline` (release). The emulator runs in this process; the function runs
//! as a child process (`cognito-import handle --event …`) so that its peak RSS is its own.
//! The child's stdout is one short line, so reading it after the exit cannot block the child.
//! Prints figures; asserts only that every import started and succeeded.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use cognito_import::adapters::pool::Throttled;
use cognito_import::adapters::{fetch, upload};
use cognito_import_emulator::{EmulatorConfig, JobStatus};
use cognito_import_testkit::exports::Exporter;
use cognito_import_testkit::synth;
use cognito_import_testkit::{BUCKET, Sandbox};
use serde_json::json;

const MB: f64 = 1_000_000.0;

/// The peak RSS of a live process, in bytes: `VmHWM` of its own address space. (A child's
/// `ru_maxrss` would not do: spawned with `CLONE_VM`, it inherits the parent's high-water mark.)
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs a command to its end; returns its wall time, its peak RSS in bytes and its stdout.
fn run_measured(cmd: &mut Command) -> (Duration, u64, String) {
    let started = Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the function binary starts");
    // The high-water mark only grows: its last reading before the exit is the peak (to within the
    // final few milliseconds, in which the process only answers and exits).
    let mut rss = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        rss = peak_rss(child.id()).unwrap_or(rss);
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = started.elapsed();
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("piped"), &mut stdout).unwrap();
    assert!(status.success(), "the function failed: {status:?}\n{stdout}");
    (elapsed, rss, stdout)
}

async fn floor(sb: &Sandbox, key: &str, size: u64) -> Duration {
    let job = sb
        .app
        .pool
        .create_job("floor", None, Throttled::WaitItOut)
        .await
        .unwrap();
    let started = Instant::now();
    let object = sb.app.s3.get_object().bucket(BUCKET).key(key).send().await.unwrap();
    upload::put(&sb.app.http, &job.presigned_url, fetch::chunks(object.body), size)
        .await
        .unwrap();
    started.elapsed()
}

/// Measures one file of `rows` users: in Cognito's dialect, or as `exporter` writes the same table
/// (the function then prepares it as it streams).
async fn measure(sb: &Sandbox, dir: &Path, rows: u64, exporter: Option<Exporter>) {
    let label = exporter.map_or("cognito", Exporter::name);
    let file = dir.join(format!("users-{rows}-{label}.csv"));
    let mut cognito = Vec::new();
    // Another seed per format: other usernames, so that no user already exists in the pool.
    let seed = rows + u64::from(exporter.is_some());
    synth::write_users(&mut cognito, &synth::standard_header(), rows, seed).unwrap();
    let bytes = match exporter {
        Some(exporter) => exporter.rewrite(&cognito),
        None => cognito,
    };
    std::fs::write(&file, &bytes).unwrap();
    let size = bytes.len() as u64;
    drop(bytes);
    let key = format!("incoming/bench-{rows}-{label}.csv");
    let dropped = sb
        .drop_bytes(&key, ByteStream::from_path(&file).await.unwrap())
        .await
        .unwrap();

    let floor = floor(sb, &key, size).await;

    let event_path = dir.join(format!("event-{rows}.json"));
    std::fs::write(&event_path, sb.s3_event(&key, &dropped, size).to_string()).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cognito-import"));
    cmd.arg("handle")
        .arg("--event")
        .arg(&event_path)
        .env("AWS_ENDPOINT_URL", sb.emulator.endpoint())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", &sb.emulator.config().region)
        .env("USER_POOL_ID", &sb.pool_id)
        .env("CLOUDWATCH_LOGS_ROLE_ARN", cognito_import_testkit::LOGS_ROLE_ARN)
        .env("DROP_BUCKET", BUCKET)
        .env("S3_FORCE_PATH_STYLE", "true")
        .env(
            "RUST_LOG",
            std::env::var("BENCH_FUNCTION_LOG").unwrap_or_else(|_| "warn".into()),
        );
    let (elapsed, rss, stdout) = run_measured(&mut cmd);
    let answer: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(answer["results"][0]["outcome"], "started", "{answer}");
    let job_id = answer["results"][0]["jobId"].as_str().unwrap();

    println!(
        "pipeline: {:.1} MB ({rows} rows, {label}): event→started {:.3} s, floor (GET streamed into PUT) {:.3} s = {:.2}× floor; \
         throughput {:.0} MB/s (floor {:.0} MB/s); function peak RSS {:.1} MB",
        size as f64 / MB,
        elapsed.as_secs_f64(),
        floor.as_secs_f64(),
        elapsed.as_secs_f64() / floor.as_secs_f64(),
        size as f64 / MB / elapsed.as_secs_f64(),
        size as f64 / MB / floor.as_secs_f64(),
        rss as f64 / MB,
    );
    // One job at a time per account: let this one finish before the next file.
    let job = sb
        .emulator
        .wait_for_job(job_id, Duration::from_secs(600))
        .await
        .unwrap();
    // A file over the limits is split: its first part's job is the one started here.
    let first_part = rows.min(cognito_import::check::MAX_ROWS);
    assert_eq!(
        (job.status, job.imported),
        (JobStatus::Succeeded, first_part),
        "{job:?}"
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing and expects a quick run.
    let full = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let config = EmulatorConfig {
            data_dir: Some(dir.path().join("s3")),
            ..Default::default()
        };
        std::fs::create_dir_all(dir.path().join("s3")).unwrap();
        let sb = Sandbox::start(config, json!({}), &[]).await.unwrap();
        let sizes: &[u64] = if full { &[50_000, 500_000] } else { &[2_000] };
        for &rows in sizes {
            measure(&sb, dir.path(), rows, None).await;
            measure(&sb, dir.path(), rows, Some(Exporter::ExcelCsvUtf8)).await;
        }
        if full {
            // Over the row limit: split, part 1 started (last: its part 2 stays queued, unstarted).
            measure(&sb, dir.path(), 520_000, None).await;
        }
        println!("(MB = 10^6 bytes; peak RSS is VmHWM of the function's own process)");
    });
}
