//! Many files at once, under Cognito's request quotas (the stand-in's `quotas`, on): what a drop
//! folder pays when a team drops a batch, and when nothing happens.
//!
//! 1. **Forty files dropped at once** (200 users each): forty concurrent invocations on one host
//!    (one `App`, as Lambda's `run_concurrent` shares it; each invocation its own Tokio task), then
//!    scheduled passes until every object is final. Before each pass the bench waits for the
//!    account's running job to end, as a pass a minute later would find it (the stand-in's jobs
//!    take milliseconds). Wall time, passes, jobs created, failed first deliveries, users
//!    imported, throttled answers, and per file: S3, Cognito, Logs requests, uploads and Lambda
//!    invocations (deliveries, redeliveries, passes).
//! 2. **Twenty concurrent copies of one event**: one job, no failed delivery.
//! 3. **An idle pass** (nothing open, beside the finished records): its requests and time.
//!
//! Then what a deployment pays: requests per imported file and per idle day (a pass a minute),
//! and Lambda GB-seconds from the measured durations and the template's `MemorySize`.
//!
//! A failed delivery is redelivered as Lambda's asynchronous invocation does (at most twice; at
//! once here, not after Lambda's minute), and counted.
//!
//! `cargo bench -p cognito-import-cli --bench many` (release). Exits non-zero when an invariant
//! fails: jobs ≠ files, a failed first delivery, a user not imported, an object not final.
//! `cargo test --benches` runs a small version (4 files, 3 copies). `MANY_QUOTAS=off` runs it
//! without the stand-in's Cognito quotas, for comparison.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use cognito_import::domain::record::Status;
use cognito_import_emulator::{EmulatorConfig, JobStatus};
use cognito_import_testkit::synth;
use cognito_import_testkit::{Dropped, Sandbox};
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// Lambda retries a failed asynchronous invocation twice.
const LAMBDA_RETRIES: usize = 2;
/// Scheduled passes a day at one a minute (`rate(1 minute)` in template.yaml).
const PASSES_PER_DAY: f64 = 1_440.0;
/// The most passes the bench runs before it calls the objects stuck.
const MAX_PASSES: usize = 400;
/// Idle passes measured (median taken).
const IDLE_PASSES: usize = 9;

/// Request counts by `service:operation`.
type Calls = BTreeMap<String, u64>;

fn add(total: &mut Calls, calls: &Calls) {
    for (op, n) in calls {
        *total.entry(op.clone()).or_default() += n;
    }
}

/// The requests of one service (`s3`, `cognito-idp`, `logs`, `upload`, `sns`).
fn of(calls: &Calls, service: &str) -> u64 {
    let prefix = format!("{service}:");
    calls
        .iter()
        .filter(|(op, _)| op.starts_with(&prefix))
        .map(|(_, n)| n)
        .sum()
}

/// Adds the stand-in's counts since the last reset (requests, and throttled answers) to the
/// totals, and resets them.
fn take(sb: &Sandbox, calls: &mut Calls, throttled: &mut Calls) {
    add(calls, &sb.emulator.calls());
    add(throttled, &sb.emulator.throttled());
    sb.emulator.reset_calls();
}

fn ops(calls: &Calls, service: &str) -> String {
    let prefix = format!("{service}:");
    let list: Vec<String> = calls
        .iter()
        .filter_map(|(op, n)| op.strip_prefix(&prefix).map(|op| format!("{op} {n}")))
        .collect();
    if list.is_empty() { "-".into() } else { list.join(", ") }
}

/// The invariants that failed, kept for the exit code.
#[derive(Default)]
struct Checks(Vec<String>);

impl Checks {
    fn expect(&mut self, ok: bool, what: String) {
        if !ok {
            println!("many: CHECK FAILED: {what}");
            self.0.push(what);
        }
    }
}

/// One file put in the drop bucket.
struct File {
    key: String,
    dropped: Dropped,
    event: Value,
}

async fn drop_file(sb: &Sandbox, key: &str, users: u64, seed: u64) -> File {
    let mut bytes = Vec::new();
    synth::write_users(&mut bytes, &synth::standard_header(), users, seed).unwrap();
    let size = bytes.len() as u64;
    let dropped = sb.drop_bytes(key, ByteStream::from(bytes)).await.unwrap();
    let event = sb.s3_event(key, &dropped, size);
    File {
        key: key.to_owned(),
        dropped,
        event,
    }
}

/// One invocation's outcome: its duration, and its answer or error.
struct Delivery {
    index: usize,
    took: Duration,
    answer: Result<Value, String>,
}

/// Every event at once, each invocation its own task on the one `App`.
async fn deliver_all(sb: &Arc<Sandbox>, events: Vec<(usize, Value)>) -> Vec<Delivery> {
    let mut tasks = JoinSet::new();
    for (index, event) in events {
        let sb = Arc::clone(sb);
        tasks.spawn(async move {
            let started = Instant::now();
            let answer = sb.invoke(event).await.map_err(|e| e.to_string());
            Delivery {
                index,
                took: started.elapsed(),
                answer,
            }
        });
    }
    let mut out = Vec::new();
    while let Some(done) = tasks.join_next().await {
        out.push(done.expect("an invocation task panicked"));
    }
    out.sort_by_key(|d| d.index);
    out
}

/// The outcomes of an answer; a file queued without a job (Cognito throttled its creation: the
/// queue makes it at the file's turn) is told apart.
fn outcomes(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|r| match r["outcome"].as_str().unwrap_or("?") {
                    "queued" if r["jobId"].is_null() => "queued (its job at its turn)".to_owned(),
                    other => other.to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until no job of the account is active (Pending, InProgress, Stopping).
async fn account_idle(sb: &Sandbox) {
    for job in sb.emulator.jobs() {
        if matches!(
            job.status,
            JobStatus::Pending | JobStatus::InProgress | JobStatus::Stopping
        ) {
            sb.emulator.wait_for_job(&job.id, Duration::from_secs(120)).await;
        }
    }
}

/// What the passes until every object was final cost.
struct Settled {
    passes: usize,
    pass_time: Duration,
    calls: Calls,
    throttled: Calls,
    /// (key, status, attempts, message) of every record, at the end.
    records: Vec<(String, Option<Status>, u32, Option<String>)>,
    all_final: bool,
}

/// Scheduled passes until every file's record is final (or [`MAX_PASSES`]). The requests counted
/// are the passes' own: the bench's record reads are left out.
async fn settle(sb: &Sandbox, files: &[File]) -> Settled {
    let (mut calls, mut throttled) = (Calls::new(), Calls::new());
    let (mut passes, mut pass_time) = (0, Duration::ZERO);
    loop {
        let records = read_records(sb, files).await;
        let all_final = records
            .iter()
            .all(|(_, status, _, _)| status.is_some_and(Status::is_final));
        if all_final || passes == MAX_PASSES {
            return Settled {
                passes,
                pass_time,
                calls,
                throttled,
                records,
                all_final,
            };
        }
        account_idle(sb).await;
        sb.emulator.reset_calls();
        let started = Instant::now();
        let answer = sb.pass().await;
        pass_time += started.elapsed();
        passes += 1;
        take(sb, &mut calls, &mut throttled);
        if let Err(e) = answer {
            println!("many: pass {passes} failed: {e}");
        }
        if passes % 50 == 0 {
            // Something waits (a failed object's backoff): a real schedule would wait minutes.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn read_records(sb: &Sandbox, files: &[File]) -> Vec<(String, Option<Status>, u32, Option<String>)> {
    let mut out = Vec::new();
    for file in files {
        let record = sb.record(&file.key, file.dropped.tag()).await.unwrap();
        out.push(match record {
            Some(r) => (file.key.clone(), Some(r.status()), r.attempts, r.message.clone()),
            None => (file.key.clone(), None, 0, None),
        });
    }
    out
}

/// `MemorySize` of the template's function, in MB: its value, or the `Default` of the parameter
/// it `!Ref`s. Read line by line (CloudFormation's `!Ref` is not plain YAML).
fn template_memory_mb() -> (u64, String) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml is readable");
    let lines: Vec<&str> = text.lines().collect();
    let function = lines
        .iter()
        .position(|l| l.trim() == "Type: AWS::Serverless::Function")
        .expect("a function in template.yaml");
    let value = lines[function..]
        .iter()
        .find_map(|l| l.trim().strip_prefix("MemorySize:"))
        .expect("the function has a MemorySize")
        .trim()
        .to_owned();
    if let Ok(mb) = value.parse() {
        return (mb, format!("MemorySize: {mb}"));
    }
    let parameter = value
        .strip_prefix("!Ref ")
        .expect("MemorySize is a number or a !Ref")
        .trim();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("{parameter}:"))
        .expect("the parameter MemorySize names");
    let default = lines[start..]
        .iter()
        .find_map(|l| l.trim().strip_prefix("Default:"))
        .expect("the parameter has a Default")
        .trim();
    let mb = default.parse().expect("a numeric Default");
    (mb, format!("MemorySize: !Ref {parameter}, Default {mb}"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> ExitCode {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing and expects a quick run.
    let full = std::env::args().any(|a| a == "--bench");
    let (files, users, copies) = if full { (40, 200, 20) } else { (4, 20, 3) };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let failed = runtime.block_on(run(files, users, copies));
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("many: {} check(s) failed: {}", failed.len(), failed.join("; "));
        ExitCode::FAILURE
    }
}

async fn run(n_files: usize, users: u64, copies: usize) -> Vec<String> {
    let mut checks = Checks::default();
    let (memory_mb, memory_source) = template_memory_mb();
    let gb = memory_mb as f64 / 1024.0;
    // `MANY_QUOTAS=off`: the same run without the stand-in's Cognito quotas, for comparison.
    let quotas = std::env::var("MANY_QUOTAS").map_or(true, |v| v != "off");
    let config = EmulatorConfig {
        cognito_quotas: quotas,
        ..EmulatorConfig::default()
    };
    println!(
        "many: the stand-in's Cognito request quotas: {}",
        if quotas {
            "on (5/s per operation and pool; 15/s update, 20/s read per account)"
        } else {
            "OFF (MANY_QUOTAS=off)"
        }
    );

    // ---- 1. Many files at once -----------------------------------------------------------------
    let sb = Arc::new(Sandbox::start(config.clone(), json!({}), &[]).await.unwrap());
    let mut files = Vec::new();
    for i in 0..n_files {
        files.push(drop_file(&sb, &format!("incoming/batch/file-{i:02}.csv"), users, 100 + i as u64).await);
    }
    sb.emulator.reset_calls();
    let started = Instant::now();
    let first = deliver_all(&sb, files.iter().map(|f| f.event.clone()).enumerate().collect()).await;
    let first_wall = started.elapsed();
    let (mut delivery_calls, mut delivery_throttled) = (Calls::new(), Calls::new());
    take(&sb, &mut delivery_calls, &mut delivery_throttled);
    let mut invocation_time: Duration = first.iter().map(|d| d.took).sum();
    let mut deliveries = first.len();
    let first_failed: Vec<&Delivery> = first.iter().filter(|d| d.answer.is_err()).collect();
    let mut first_outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for d in &first {
        match &d.answer {
            Ok(answer) => outcomes(answer)
                .into_iter()
                .for_each(|o| *first_outcomes.entry(o).or_default() += 1),
            Err(_) => *first_outcomes.entry("invocation failed".into()).or_default() += 1,
        }
    }
    for d in &first_failed {
        println!(
            "many: first delivery of {} failed: {}",
            files[d.index].key,
            d.answer.as_ref().unwrap_err()
        );
    }
    // Lambda's retries of the failed ones.
    let mut retry: Vec<usize> = first_failed.iter().map(|d| d.index).collect();
    let mut redeliveries = 0;
    for round in 1..=LAMBDA_RETRIES {
        if retry.is_empty() {
            break;
        }
        let again = deliver_all(&sb, retry.iter().map(|&i| (i, files[i].event.clone())).collect()).await;
        redeliveries += again.len();
        deliveries += again.len();
        invocation_time += again.iter().map(|d| d.took).sum::<Duration>();
        retry = again
            .iter()
            .filter(|d| d.answer.is_err())
            .inspect(|d| {
                println!(
                    "many: redelivery {round} of {} failed: {}",
                    files[d.index].key,
                    d.answer.as_ref().unwrap_err()
                )
            })
            .map(|d| d.index)
            .collect();
    }
    take(&sb, &mut delivery_calls, &mut delivery_throttled);

    let settled = settle(&sb, &files).await;
    let wall = started.elapsed();
    let mut throttled = delivery_throttled.clone();
    add(&mut throttled, &settled.throttled);
    invocation_time += settled.pass_time;
    let mut total = delivery_calls.clone();
    add(&mut total, &settled.calls);

    let jobs = sb.emulator.jobs();
    let imported: u64 = sb.emulator.users(&sb.pool_id).len() as u64;
    let expected_users = n_files as u64 * users;
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for (_, status, _, _) in &settled.records {
        *by_status
            .entry(status.map_or("no record".into(), |s| format!("{s:?}")))
            .or_default() += 1;
    }
    let mut job_status: BTreeMap<String, usize> = BTreeMap::new();
    for job in &jobs {
        *job_status.entry(format!("{:?}", job.status)).or_default() += 1;
    }
    let retried: Vec<_> = settled
        .records
        .iter()
        .filter(|(_, status, attempts, _)| *attempts > 1 || *status != Some(Status::Succeeded))
        .collect();

    println!(
        "many: {n_files} files × {users} users dropped at once: {n_files} concurrent invocations on one host \
         (one App; a throttled CreateUserImportJob gives way after 2 tries), then scheduled passes until every \
         object is final"
    );
    let mut took: Vec<Duration> = first.iter().map(|d| d.took).collect();
    took.sort();
    println!(
        "many: first deliveries: {:?}; all answered in {:.0} ms; each invocation: fastest {:.0} ms, median {:.0} ms, slowest {:.0} ms",
        first_outcomes,
        ms(first_wall),
        ms(took[0]),
        ms(took[took.len() / 2]),
        ms(took[took.len() - 1]),
    );
    println!("many: +--------------------------------------+-------------------+");
    let row = |what: &str, value: String| println!("many: | {what:<36} | {value:>17} |");
    row("wall time, drop to all final", format!("{:.2} s", wall.as_secs_f64()));
    row("passes needed", settled.passes.to_string());
    row("jobs created (must be N)", format!("{} of {n_files}", jobs.len()));
    row("failed first deliveries (must be 0)", first_failed.len().to_string());
    row("redeliveries (Lambda's retries)", redeliveries.to_string());
    row(
        "users imported (must be all)",
        format!("{imported} of {expected_users}"),
    );
    row(
        "throttled answers (stand-in)",
        of(&throttled, "cognito-idp").to_string(),
    );
    println!("many: +--------------------------------------+-------------------+");
    let per = |n: u64| n as f64 / n_files as f64;
    let invocations = deliveries + settled.passes;
    println!("many: per file           | deliveries | passes | total");
    for (what, service) in [
        ("S3 requests", "s3"),
        ("Cognito requests", "cognito-idp"),
        ("Logs requests", "logs"),
        ("uploads (pre-signed)", "upload"),
        ("SNS requests", "sns"),
    ] {
        println!(
            "many:   {what:<20} | {:>10.2} | {:>6.2} | {:>6.2}",
            per(of(&delivery_calls, service)),
            per(of(&settled.calls, service)),
            per(of(&total, service)),
        );
    }
    println!(
        "many:   {:<20} | {:>10.2} | {:>6.2} | {:>6.2}",
        "Lambda invocations",
        deliveries as f64 / n_files as f64,
        settled.passes as f64 / n_files as f64,
        invocations as f64 / n_files as f64,
    );
    println!(
        "many: Cognito requests by operation (all {n_files} files): {}",
        ops(&total, "cognito-idp")
    );
    println!(
        "many: throttled by operation: deliveries {:?}; passes {:?}",
        delivery_throttled, settled.throttled
    );
    println!(
        "many: S3 requests by operation (all {n_files} files): {}",
        ops(&total, "s3")
    );
    println!("many: records: {by_status:?}; jobs: {job_status:?}");
    for (key, status, attempts, message) in &retried {
        println!("many:   record {key}: {status:?}, attempts {attempts}, message {message:?}");
    }
    checks.expect(
        jobs.len() == n_files,
        format!("{} jobs for {n_files} files", jobs.len()),
    );
    checks.expect(
        first_failed.is_empty(),
        format!("{} failed first deliveries", first_failed.len()),
    );
    checks.expect(
        imported == expected_users,
        format!("{imported} of {expected_users} users imported"),
    );
    checks.expect(
        settled.all_final,
        format!("objects not final after {} passes", settled.passes),
    );
    let throttle_messages = settled
        .records
        .iter()
        .filter(|(_, _, _, m)| {
            m.as_deref()
                .is_some_and(|m| m.contains("TooManyRequests") || m.contains("Rate exceeded"))
        })
        .count();
    checks.expect(
        throttle_messages == 0,
        format!("{throttle_messages} records carry a throttling error"),
    );

    // ---- 3. An idle pass (nothing open; the finished records beside it) ---------------------------
    sb.pass().await.unwrap();
    let mut idle_times = Vec::new();
    let mut idle_calls = Calls::new();
    for i in 0..IDLE_PASSES {
        sb.emulator.reset_calls();
        let started = Instant::now();
        let answer = sb.pass().await.unwrap();
        idle_times.push(started.elapsed());
        if i == 0 {
            idle_calls = sb.emulator.calls();
            checks.expect(
                answer["pass"]["activeJob"].is_null() && answer["pass"]["stillQueued"] == 0,
                format!("the idle pass found something open: {answer}"),
            );
        }
    }
    idle_times.sort();
    let idle_time = idle_times[idle_times.len() / 2];
    let idle_requests: u64 = idle_calls.values().sum();

    // ---- 2. Twenty concurrent copies of one event ------------------------------------------------
    let copies_sb = Arc::new(Sandbox::start(config.clone(), json!({}), &[]).await.unwrap());
    let file = drop_file(&copies_sb, "incoming/copies/one.csv", users, 7).await;
    copies_sb.emulator.reset_calls();
    let copy_deliveries = deliver_all(&copies_sb, (0..copies).map(|i| (i, file.event.clone())).collect()).await;
    let copy_calls = copies_sb.emulator.calls();
    let copy_failed = copy_deliveries.iter().filter(|d| d.answer.is_err()).count();
    let mut copy_outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for d in &copy_deliveries {
        match &d.answer {
            Ok(answer) => outcomes(answer)
                .into_iter()
                .for_each(|o| *copy_outcomes.entry(o).or_default() += 1),
            Err(e) => {
                println!("many: a copy's delivery failed: {e}");
                *copy_outcomes.entry("invocation failed".into()).or_default() += 1;
            }
        }
    }
    let copy_settled = settle(&copies_sb, std::slice::from_ref(&file)).await;
    let copy_jobs = copies_sb.emulator.jobs().len();
    let copy_users = copies_sb.emulator.users(&copies_sb.pool_id).len() as u64;
    println!(
        "many: {copies} concurrent copies of one event: outcomes {copy_outcomes:?}; jobs {copy_jobs} (must be 1); \
         failed deliveries {copy_failed} (must be 0); users {copy_users} of {users}; passes to final {}; \
         requests of the deliveries: S3 {}, Cognito {} ({}), uploads {}",
        copy_settled.passes,
        of(&copy_calls, "s3"),
        of(&copy_calls, "cognito-idp"),
        ops(&copy_calls, "cognito-idp"),
        of(&copy_calls, "upload"),
    );
    checks.expect(
        copy_jobs == 1,
        format!("{copy_jobs} jobs for {copies} copies of one event"),
    );
    checks.expect(
        copy_failed == 0,
        format!("{copy_failed} failed deliveries of {copies} copies"),
    );
    checks.expect(
        copy_users == users,
        format!("{copy_users} of {users} users imported from the copies"),
    );

    // ---- What a deployment pays --------------------------------------------------------------------
    println!(
        "many: idle pass (nothing open, {n_files} finished records beside it): {idle_requests} requests ({}); \
         median {:.2} ms of {IDLE_PASSES}",
        idle_calls
            .iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        ms(idle_time)
    );
    let per_file_seconds = invocation_time.as_secs_f64() / n_files as f64;
    let delivery_seconds = (invocation_time - settled.pass_time).as_secs_f64() / n_files as f64;
    let pass_seconds = settled.pass_time.as_secs_f64() / n_files as f64;
    println!("many: what a deployment pays (counts, no prices)");
    println!(
        "many:   per imported file: {:.1} requests (S3 {:.1}, Cognito {:.1}, Logs {:.1}, uploads {:.1}), \
         {:.2} Lambda invocations, {:.3} s of invocation time (deliveries {:.3} s, passes {:.3} s) → {:.4} GB-s",
        per(total.values().sum()),
        per(of(&total, "s3")),
        per(of(&total, "cognito-idp")),
        per(of(&total, "logs")),
        per(of(&total, "upload")),
        invocations as f64 / n_files as f64,
        per_file_seconds,
        delivery_seconds,
        pass_seconds,
        per_file_seconds * gb,
    );
    println!(
        "many:   per idle day: {PASSES_PER_DAY} passes × {idle_requests} requests = {:.0} requests \
         ({}), {PASSES_PER_DAY} invocations, {:.1} s of invocation time → {:.2} GB-s",
        PASSES_PER_DAY * idle_requests as f64,
        idle_calls
            .iter()
            .map(|(op, n)| format!("{op} {:.0}", PASSES_PER_DAY * *n as f64))
            .collect::<Vec<_>>()
            .join(", "),
        PASSES_PER_DAY * idle_time.as_secs_f64(),
        PASSES_PER_DAY * idle_time.as_secs_f64() * gb,
    );
    println!(
        "many:   measured on the stand-in: request counts, invocations, passes, durations (loopback, \
         no S3/Cognito latency: real durations are longer, so GB-s here are a floor). Assumed: \
         {memory_mb} MB per invocation (template.yaml {memory_source}), each invocation billed for its own \
         duration (on-demand Lambda; ms rounding ignored), a pass a minute ({PASSES_PER_DAY}/day), \
         each job done before the next pass, Lambda's 2 retries of a failed asynchronous invocation."
    );
    checks.0
}
