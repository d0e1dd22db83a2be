//! A busy drop folder: the scheduled pass and a drop beside the folder's history. One open import
//! (a job that runs through the whole benchmark) beside 0 and then 3,000 finished state records
//! (three days of a folder that gets 1,000 files a day), each planted with S3 PutObject as the
//! function writes a finished record. Times, several repetitions each (best and median):
//!
//! - the scheduled pass (the handler fed the schedule's event);
//! - a drop's queue run (`flow::queue::start_next`, what a drop runs after its upload);
//! - a whole drop (the handler fed the S3 event of a small file: claim, check, job, upload, queue
//!   run; it queues behind the open import, and is then closed, so that one import stays open).
//!
//! and the S3 requests the stand-in served for one pass. Repetitions are a second apart, within
//! Cognito's request quotas (which the stand-in enforces). Last, the one-time cost of building the
//! index beside that history (the first pass after an upgrade from a version without it).
//!
//! `cargo bench -p cognito-import-cli --bench busy` (release). The emulator and the function run
//! in this process. Prints figures; asserts that every drop queued, that Cognito throttled nothing,
//! and that a pass makes the same S3 requests however many finished records there are.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use cognito_import::domain::event::ObjectRef;
use cognito_import::domain::job::{JobState, JobStatus};
use cognito_import::domain::record::Record;
use cognito_import::flow::queue;
use cognito_import_emulator::EmulatorConfig;
use cognito_import_testkit::synth;
use cognito_import_testkit::{BUCKET, Sandbox};
use serde_json::json;

/// A finished state record, walked through the lifecycle as the function walks it.
fn finished_record(i: usize) -> Record {
    let object = ObjectRef {
        bucket: BUCKET.into(),
        key: format!("incoming/history/day-{}/file-{i:05}.csv", i / 1000),
        version_id: Some(format!("history-version-{i:05}")),
        etag: Some(format!("{i:032x}")),
        size: Some(40_000),
    };
    let mut record = Record::new(&object, &format!("{i:032x}"), 40_000);
    let job_id = format!("import-history{i:05}");
    record
        .uploading(&job_id, &format!("file-{i:05}.csv"), "us-east-1_history")
        .unwrap();
    record.queued().unwrap();
    record.started().unwrap();
    let state = JobState {
        job_id,
        status: JobStatus::Succeeded,
        imported_users: 200,
        skipped_users: 0,
        failed_users: 0,
        completion_message: Some("Import Job Completed Successfully.".into()),
        creation_date: None,
        start_date: None,
        completion_date: None,
    };
    let report = format!("import-reports/{}@{}", record.key, record.version_tag());
    record
        .finished(state, format!("{report}.json"), format!("{report}.lines.csv"))
        .unwrap();
    record.write_id = format!("busy-bench-{i}");
    record
}

/// Plants `count` finished records (numbered from `from`), several PUTs at a time.
async fn plant(sb: &Sandbox, from: usize, count: usize) {
    let mut puts = tokio::task::JoinSet::new();
    for i in from..from + count {
        let record = finished_record(i);
        let key = sb.app.ledger.record_key(&record);
        let body = serde_json::to_vec_pretty(&record).unwrap();
        let s3 = sb.app.s3.clone();
        puts.spawn(async move {
            s3.put_object()
                .bucket(BUCKET)
                .key(key)
                .content_type("application/json")
                .body(ByteStream::from(body))
                .send()
                .await
                .map(drop)
        });
        if puts.len() >= 32 {
            puts.join_next().await.unwrap().unwrap().unwrap();
        }
    }
    while let Some(put) = puts.join_next().await {
        put.unwrap().unwrap();
    }
}

fn csv(rows: u64, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    synth::write_users(&mut out, &synth::standard_header(), rows, seed).unwrap();
    out
}

async fn drop_event(sb: &Sandbox, key: &str, bytes: Vec<u8>) -> serde_json::Value {
    let size = bytes.len() as u64;
    let dropped = sb.drop_bytes(key, ByteStream::from(bytes)).await.unwrap();
    sb.s3_event(key, &dropped, size)
}

/// Best and median of some timings.
struct Figures {
    best: Duration,
    median: Duration,
}

impl Figures {
    fn of(mut times: Vec<Duration>) -> Figures {
        times.sort();
        Figures {
            best: times[0],
            median: times[times.len() / 2],
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One phase's measurements.
struct Phase {
    pass: Figures,
    queue_run: Figures,
    drop: Figures,
    /// S3 requests of one pass, by operation.
    pass_s3: BTreeMap<String, u64>,
    /// Requests Cognito's quotas refused in the phase (each would add the SDK's backoff).
    throttled: u64,
    /// A bare ListObjectsV2 of the markers' prefix (what a pass lists), on the stand-in.
    list: Figures,
}

async fn measure(sb: &Sandbox, reps: usize, seed: &mut u64) -> Phase {
    let (mut passes, mut runs, mut drops, mut lists) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut pass_s3 = BTreeMap::new();
    let mut throttled = 0;
    // Repetition 0 warms up (the connection pool, the handler, the stand-in's caches): not timed.
    for rep in 0..=reps {
        let timed = rep > 0;
        // Paced like the schedule, within Cognito's quota of 5 DescribeUserImportJob a second per
        // pool (a repetition makes three): what is timed is the function, not the SDK's backoff.
        tokio::time::sleep(Duration::from_secs(1)).await;
        sb.emulator.reset_calls();
        let started = Instant::now();
        let answer = sb.pass().await.unwrap();
        if timed {
            passes.push(started.elapsed());
        }
        assert!(
            answer["pass"]["activeJob"].is_string(),
            "the open import was not seen: {answer}"
        );
        if rep == 1 {
            pass_s3 = sb
                .emulator
                .calls()
                .into_iter()
                .filter(|(op, _)| op.starts_with("s3:"))
                .collect();
        }

        let started = Instant::now();
        let job = queue::start_next(&sb.app).await.unwrap();
        if timed {
            runs.push(started.elapsed());
        }
        assert_eq!(job, None, "the queue run started a job beside the running one");

        *seed += 1;
        let key = format!("incoming/drop-{seed}.csv");
        let event = drop_event(sb, &key, csv(5, *seed)).await;
        let started = Instant::now();
        let answer = sb.invoke(event.clone()).await.unwrap();
        if timed {
            drops.push(started.elapsed());
        }
        assert_eq!(answer["results"][0]["outcome"], "queued", "{answer}");
        // Closed (given up), so that the next repetition sees one open import again.
        let tag = event["Records"][0]["s3"]["object"]["versionId"].as_str().unwrap();
        let record_key = format!("{}{key}@{tag}.json", sb.app.config.state_prefix);
        let (mut record, etag) = sb.app.ledger.read(BUCKET, &record_key).await.unwrap().unwrap();
        record.give_up().unwrap();
        sb.app.ledger.update(&mut record, &etag).await.unwrap();
        throttled += sb.emulator.throttled().values().sum::<u64>();

        let index = sb.app.ledger.index();
        let started = Instant::now();
        index.list(BUCKET, &index.open_prefix()).await.unwrap();
        if timed {
            lists.push(started.elapsed());
        }
    }
    Phase {
        pass: Figures::of(passes),
        queue_run: Figures::of(runs),
        drop: Figures::of(drops),
        pass_s3,
        throttled,
        list: Figures::of(lists),
    }
}

fn line(what: &str, empty: &Figures, busy: &Figures, finished: usize) {
    println!(
        "busy: {what:<22} 0 finished: best {:>7.2} ms, median {:>7.2} ms | {finished} finished: best {:>7.2} ms, median {:>7.2} ms | ratio: best {:.2}×, median {:.2}×",
        ms(empty.best),
        ms(empty.median),
        ms(busy.best),
        ms(busy.median),
        busy.best.as_secs_f64() / empty.best.as_secs_f64(),
        busy.median.as_secs_f64() / empty.median.as_secs_f64(),
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing and expects a quick run.
    let full = std::env::args().any(|a| a == "--bench");
    let (finished, reps) = if full { (3_000, 21) } else { (300, 3) };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // The open import's job takes about 10 minutes (600 rows, a second each): it stays active
        // through the whole run.
        let config = EmulatorConfig {
            row_delay: Duration::from_secs(1),
            ..Default::default()
        };
        let sb = Sandbox::start(config, json!({}), &[]).await.unwrap();
        let event = drop_event(&sb, "incoming/open.csv", csv(600, 1)).await;
        let answer = sb.invoke(event).await.unwrap();
        assert_eq!(answer["results"][0]["outcome"], "started", "{answer}");

        let mut seed = 1_000;
        let empty = measure(&sb, reps, &mut seed).await;
        let planting = Instant::now();
        plant(&sb, 0, finished).await;
        let planted = planting.elapsed();
        let busy = measure(&sb, reps, &mut seed).await;

        // The first pass after an upgrade: no built object, so the prefix is scanned once.
        let index = sb.app.ledger.index();
        sb.app
            .s3
            .delete_object()
            .bucket(BUCKET)
            .key(index.built_key())
            .send()
            .await
            .unwrap();
        sb.emulator.reset_calls();
        let started = Instant::now();
        sb.pass().await.unwrap();
        let build = started.elapsed();
        let build_gets = sb.emulator.calls().get("s3:GetObject").copied().unwrap_or(0);

        println!(
            "busy: one open import (a running job); {reps} repetitions each; {finished} finished records planted in {:.1} s",
            planted.as_secs_f64()
        );
        line("scheduled pass", &empty.pass, &busy.pass, finished);
        line("drop's queue run", &empty.queue_run, &busy.queue_run, finished);
        line("drop (event→queued)", &empty.drop, &busy.drop, finished);
        // The LIST alone: the stand-in reads only the directory its prefix names, as S3 lists a
        // prefix from its index, so it must not grow with the bucket either.
        line("stand-in's marker LIST", &empty.list, &busy.list, finished);
        let total = |calls: &BTreeMap<String, u64>| calls.values().sum::<u64>();
        println!(
            "busy: S3 requests of one pass: 0 finished {} {:?} | {finished} finished {} {:?}",
            total(&empty.pass_s3),
            empty.pass_s3,
            total(&busy.pass_s3),
            busy.pass_s3,
        );
        println!(
            "busy: Cognito requests refused by its quotas: 0 finished {} | {finished} finished {}",
            empty.throttled, busy.throttled
        );
        println!(
            "busy: one-time index build beside {finished} finished records (first pass after an upgrade): {:.1} ms, {build_gets} GetObject",
            ms(build)
        );
        assert_eq!(
            empty.pass_s3, busy.pass_s3,
            "a pass made other S3 requests beside the finished records"
        );
        assert_eq!(
            (empty.throttled, busy.throttled),
            (0, 0),
            "Cognito throttled the benchmark: its times include the SDK's backoff"
        );
    });
}
