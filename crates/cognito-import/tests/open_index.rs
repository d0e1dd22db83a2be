//! The index of open state records, end to end on the stand-in: a marker per open record, written
//! before the claim and removed when the object ends; stray markers cleaned by the pass; the index
//! built from the records of a deployment that had none; and a pass that reads only open records
//! however many finished ones lie beside them.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use aws_sdk_s3::primitives::ByteStream;
use cognito_import::adapters::ledger::{Claim, Ledger, LedgerError};
use cognito_import::adapters::open_index::Built;
use cognito_import::domain::event::ObjectRef;
use cognito_import::domain::record::{Record, Status, now_secs};
use cognito_import_emulator::EmulatorConfig;
use cognito_import_testkit::{BUCKET, Sandbox};
use common::*;
use serde_json::Value;
use tracing::instrument::WithSubscriber;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Jobs that run for a while (a second or more), so that one stays active through a few passes.
fn slow_jobs() -> EmulatorConfig {
    EmulatorConfig {
        row_delay: Duration::from_millis(100),
        ..EmulatorConfig::default()
    }
}

/// The keys of every marker, listed as the pass lists them.
async fn markers(sb: &Sandbox) -> Vec<String> {
    let index = sb.app.ledger.index();
    index
        .list(BUCKET, &index.open_prefix())
        .await
        .unwrap()
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

/// The records the markers stand for.
async fn marked_records(sb: &Sandbox) -> Vec<String> {
    let index = sb.app.ledger.index();
    markers(sb)
        .await
        .iter()
        .map(|m| index.record_key(m).expect("a marker names its record"))
        .collect()
}

fn record_key(sb: &Sandbox, key: &str, event: &Value) -> String {
    format!("{}{key}@{}.json", sb.app.config.state_prefix, tag_of(event))
}

async fn delete(sb: &Sandbox, key: &str) {
    sb.app.s3.delete_object().bucket(BUCKET).key(key).send().await.unwrap();
}

/// Deletes every object of the index: the bucket as a version without the index left it.
async fn forget_the_index(sb: &Sandbox) {
    let reserved = format!("{0}{0}", sb.app.config.state_prefix);
    for (key, _) in sb.app.ledger.index().list(BUCKET, &reserved).await.unwrap() {
        delete(sb, &key).await;
    }
}

/// Makes the object at `key` look `secs` older to listings, as if written that long ago (the
/// stand-in keeps an object's current version as a file, and lists its modification time).
async fn age_object(sb: &Sandbox, key: &str, secs: u64) {
    let path = sb.emulator.s3_root().join(BUCKET).join(key);
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
    // The listing says so, or this helper ages nothing and the tests using it prove nothing.
    let listed = sb.app.ledger.index().list(BUCKET, key).await.unwrap();
    let (_, modified) = listed.iter().find(|(k, _)| k == key).unwrap();
    assert!(
        now_secs() as i64 - modified >= secs as i64 - 5,
        "the stand-in did not age {key}"
    );
}

/// Drops a file that imports with `rows` users and invokes its event; the event and the answer.
async fn drop_and_invoke(sb: &Sandbox, key: &str, rows: u64, seed: u64) -> (Value, Value) {
    let event = drop_file(sb, key, &users_csv(rows, seed)).await;
    let answer = sb.invoke(event.clone()).await.unwrap();
    (event, answer)
}

async fn settle(sb: &Sandbox, key: &str, event: &Value) -> Record {
    tokio::time::timeout(Duration::from_secs(60), sb.settle(key, &tag_of(event), |_| {}))
        .await
        .expect("the record settles within 60 s")
        .unwrap()
}

#[tokio::test]
async fn a_marker_stands_for_each_open_record_and_goes_when_the_object_ends() {
    let sb = sandbox().await;
    // A key spelled like the index itself: its record and marker stay apart all the same.
    let key = "incoming/import-state/import-state/index/open/a.csv";
    let (event, answer) = drop_and_invoke(&sb, key, 3, 1).await;
    assert_eq!(outcome(&answer), "started", "{answer}");
    assert_eq!(marked_records(&sb).await, [record_key(&sb, key, &event)]);
    // The listing of markers holds markers only: not the lock, not a record, not the built object.
    let listed = markers(&sb).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(!listed[0].ends_with(".json") && !listed[0].ends_with("queue.lock"));
    assert!(sb.app.ledger.index().built(BUCKET).await.unwrap().is_some());

    let done = settle(&sb, key, &event).await;
    assert_eq!(done.status(), Status::Succeeded);
    assert_eq!(
        markers(&sb).await,
        Vec::<String>::new(),
        "the finished object kept its marker"
    );
    // The record stays: it is the source of truth.
    assert_eq!(
        sb.record(key, &tag_of(&event)).await.unwrap().unwrap().status(),
        Status::Succeeded
    );

    // Delivered again: a duplicate, and still no marker for the finished record.
    let again = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&again), "duplicate", "{again}");
    assert_eq!(markers(&sb).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_file_that_ends_in_its_own_invocation_leaves_no_marker_and_a_failed_one_keeps_its_own() {
    let sb = sandbox_with(EmulatorConfig::default(), &[("UPLOAD_ATTEMPTS", "1")]).await;
    // Rejected at once (no header Cognito knows): final in the invocation that claimed it.
    let rejected = drop_file(&sb, "incoming/bad.csv", b"not,a,header\n1,2,3\n").await;
    let answer = sb.invoke(rejected.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "rejected", "{answer}");
    assert_eq!(markers(&sb).await, Vec::<String>::new());

    // Failed (its upload lost): open, waiting for the pass to retry it, so marked.
    sb.emulator.faults().drop_uploads(1);
    let failed = drop_file(&sb, "incoming/retry.csv", &users_csv(2, 2)).await;
    sb.invoke(failed.clone()).await.unwrap_err();
    let record = sb
        .record("incoming/retry.csv", &tag_of(&failed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status(), Status::Failed);
    assert_eq!(
        marked_records(&sb).await,
        [record_key(&sb, "incoming/retry.csv", &failed)]
    );
}

#[tokio::test]
async fn the_pass_removes_markers_of_final_records_and_of_absent_ones_past_the_claim_lease() {
    let sb = sandbox_with(EmulatorConfig::default(), &[("CLAIM_LEASE_SECONDS", "60")]).await;
    let (event, _) = drop_and_invoke(&sb, "incoming/done.csv", 2, 3).await;
    settle(&sb, "incoming/done.csv", &event).await;
    let index = sb.app.ledger.index();
    // A marker whose record is final: the function died between closing the record and removing
    // the marker.
    let finished = record_key(&sb, "incoming/done.csv", &event);
    index.mark(BUCKET, &finished).await.unwrap();
    // A marker without a record: written before a claim that is still in flight, or whose
    // invocation died before it wrote the record.
    let claiming = format!("{}incoming/claiming.csv@v1.json", sb.app.config.state_prefix);
    index.mark(BUCKET, &claiming).await.unwrap();

    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["ran"], true, "{answer}");
    assert_eq!(
        marked_records(&sb).await,
        std::slice::from_ref(&claiming),
        "the final record's marker stays, or the young one went"
    );
    assert_eq!(
        sb.record("incoming/done.csv", &tag_of(&event))
            .await
            .unwrap()
            .unwrap()
            .status(),
        Status::Succeeded,
        "the record is left as it is"
    );

    // Past the claim lease, no claim is in flight any more: the marker goes.
    age_object(&sb, &index.marker_key(&claiming).unwrap(), 61).await;
    sb.pass().await.unwrap();
    assert_eq!(markers(&sb).await, Vec::<String>::new());
}

/// An invocation that dies right after a chosen write: the write to a state record (`.json`)
/// whose key holds `trigger` goes through, and every request after it fails.
#[derive(Debug, Clone)]
struct DiesAfterRecordWrite {
    trigger: String,
    dead: Arc<AtomicBool>,
}

impl Intercept for DiesAfterRecordWrite {
    fn name(&self) -> &'static str {
        "DiesAfterRecordWrite"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.dead.load(Ordering::SeqCst) {
            return Err("the invocation died".into());
        }
        let request = context.request();
        let path = request.uri().split('?').next().unwrap_or_default();
        if request.method() == "PUT" && path.ends_with(".json") && path.contains(&self.trigger) {
            self.dead.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// The function's ledger on a client whose invocation dies after its first write of the record of
/// `trigger`; and whether it has died.
fn dying_ledger(sb: &Sandbox, trigger: &str) -> (Ledger, Arc<AtomicBool>) {
    let dead = Arc::new(AtomicBool::new(false));
    let config = aws_sdk_s3::config::Builder::from(&sb.sdk)
        .force_path_style(true)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .interceptor(DiesAfterRecordWrite {
            trigger: trigger.to_owned(),
            dead: Arc::clone(&dead),
        })
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    let ledger = Ledger::new(s3, &sb.app.config.state_prefix, sb.app.config.claim_lease);
    (ledger, dead)
}

/// The object an S3 event names.
fn object_of(event: &Value) -> ObjectRef {
    let object = &event["Records"][0]["s3"]["object"];
    ObjectRef {
        bucket: BUCKET.into(),
        key: object["key"].as_str().unwrap().to_owned(),
        version_id: object["versionId"].as_str().map(str::to_owned),
        etag: object["eTag"].as_str().map(str::to_owned),
        size: object["size"].as_u64(),
    }
}

#[tokio::test]
async fn a_claim_whose_invocation_dies_right_after_it_is_marked_and_taken_up_by_the_pass() {
    let sb = sandbox().await;
    let event = drop_file(&sb, "incoming/dies.csv", &users_csv(3, 40)).await;
    let object = object_of(&event);
    let (ledger, dead) = dying_ledger(&sb, "dies.csv");
    let record = Record::new(&object, object.etag.as_deref().unwrap(), object.size.unwrap());
    // The claim is written; nothing after it is (its own look at the marker included).
    let claim = ledger.claim(&record).await;
    assert!(dead.load(Ordering::SeqCst), "the claim was never written: {claim:?}");
    let claimed = sb.record("incoming/dies.csv", &tag_of(&event)).await.unwrap().unwrap();
    assert_eq!(claimed.status(), Status::Claimed);
    let key = record_key(&sb, "incoming/dies.csv", &event);
    assert_eq!(
        marked_records(&sb).await,
        [key],
        "the marker is written before the claim"
    );

    // Once the claim is stale (its invocation is gone), the pass finds it and takes it up.
    let mut stale = claimed.clone();
    stale.updated_at -= 3600;
    sb.app
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(record_key(&sb, "incoming/dies.csv", &event))
        .body(ByteStream::from(serde_json::to_vec(&stale).unwrap()))
        .send()
        .await
        .unwrap();
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["resumed"][0]["key"], "incoming/dies.csv", "{answer}");
    assert_eq!(
        settle(&sb, "incoming/dies.csv", &event).await.status(),
        Status::Succeeded
    );
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 3);
    assert_eq!(markers(&sb).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_close_whose_invocation_dies_before_it_removes_the_marker_is_cleaned_by_the_pass() {
    let sb = sandbox().await;
    let event = drop_file(&sb, "incoming/closing.csv", &users_csv(2, 41)).await;
    let object = object_of(&event);
    let record = Record::new(&object, object.etag.as_deref().unwrap(), object.size.unwrap());
    let Claim::Won(mut claimed, etag) = sb.app.ledger.claim(&record).await.unwrap() else {
        panic!("not claimed");
    };
    assert_eq!(marked_records(&sb).await.len(), 1);
    // Closed (rejected, say) by an invocation that dies right after writing the final record.
    let (ledger, dead) = dying_ledger(&sb, "closing.csv");
    claimed.reject("r.json".into(), "rejected".into()).unwrap();
    ledger.update(&mut claimed, &etag).await.unwrap();
    assert!(dead.load(Ordering::SeqCst));
    let closed = sb
        .record("incoming/closing.csv", &tag_of(&event))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.status(), Status::Rejected);
    assert_eq!(marked_records(&sb).await.len(), 1, "the marker outlived its invocation");

    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["ran"], true, "{answer}");
    assert_eq!(markers(&sb).await, Vec::<String>::new());
    assert_eq!(
        sb.record("incoming/closing.csv", &tag_of(&event))
            .await
            .unwrap()
            .unwrap(),
        closed,
        "the record is left as it is"
    );
}

/// An invocation held up before one request: the first `method` request whose path holds
/// `path_has` and ends with `path_ends` waits until released.
#[derive(Debug, Clone)]
struct PausesBefore {
    method: &'static str,
    path_has: String,
    path_ends: &'static str,
    reached: Arc<AtomicBool>,
    release: Arc<Mutex<std::sync::mpsc::Receiver<()>>>,
}

impl Intercept for PausesBefore {
    fn name(&self) -> &'static str {
        "PausesBefore"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let path = request.uri().split('?').next().unwrap_or_default();
        if request.method() == self.method
            && path.contains(&self.path_has)
            && path.ends_with(self.path_ends)
            && !self.reached.swap(true, Ordering::SeqCst)
        {
            // Off the runtime's worker, so that the rest of the test runs meanwhile.
            tokio::task::block_in_place(|| self.release.lock().unwrap().recv())?;
        }
        Ok(())
    }
}

/// The function's ledger on a client held up before the request `pause` describes (its
/// `reached` and `release` are filled in); whether it got there; and its release.
fn paused_ledger(sb: &Sandbox, pause: PausesBefore) -> (Ledger, Arc<AtomicBool>, std::sync::mpsc::Sender<()>) {
    let (release, waiting) = std::sync::mpsc::channel();
    let reached = Arc::new(AtomicBool::new(false));
    let config = aws_sdk_s3::config::Builder::from(&sb.sdk)
        .force_path_style(true)
        .interceptor(PausesBefore {
            reached: Arc::clone(&reached),
            release: Arc::new(Mutex::new(waiting)),
            ..pause
        })
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    let ledger = Ledger::new(s3, &sb.app.config.state_prefix, sb.app.config.claim_lease);
    (ledger, reached, release)
}

/// Waits until the held-up request is reached (fails after 10 s: the request was never made).
async fn until(reached: &AtomicBool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !reached.load(Ordering::SeqCst) {
        assert!(tokio::time::Instant::now() < deadline, "the held-up request never came");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A record of an object that vanished: final, and open again on a new delivery.
async fn missing_record(sb: &Sandbox, key: &str) -> (Box<Record>, String) {
    let object = ObjectRef {
        bucket: BUCKET.into(),
        key: key.into(),
        version_id: Some("v1".into()),
        etag: Some("e".into()),
        size: Some(1),
    };
    let Claim::Won(mut record, etag) = sb.app.ledger.claim(&Record::new(&object, "e", 1)).await.unwrap() else {
        panic!("not claimed");
    };
    record.vanish("gone").unwrap();
    let etag = sb.app.ledger.update(&mut record, &etag).await.unwrap();
    assert_eq!(
        markers(sb).await,
        Vec::<String>::new(),
        "a final record keeps no marker"
    );
    (record, etag)
}

fn pause(method: &'static str, path_has: &str, path_ends: &'static str) -> PausesBefore {
    PausesBefore {
        method,
        path_has: path_has.into(),
        path_ends,
        reached: Arc::default(),
        release: Arc::new(Mutex::new(std::sync::mpsc::channel().1)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_opened_while_the_pass_removes_its_marker_gets_it_back_from_its_writer() {
    let sb = sandbox().await;
    let (mut record, etag) = missing_record(&sb, "incoming/race.csv").await;

    // Taken up again (a new delivery of a missing object) by an invocation that is held up after
    // writing the marker, before writing the record.
    let (ledger, reached, release) = paused_ledger(&sb, pause("PUT", "race.csv", ".json"));
    record.take_again().unwrap();
    let opener = tokio::spawn(async move {
        let written = ledger.update(&mut record, &etag).await;
        (record, written)
    });
    until(&reached).await;
    assert_eq!(marked_records(&sb).await.len(), 1, "the marker comes first");

    // Meanwhile a pass sees the record still final, and removes the marker.
    sb.pass().await.unwrap();
    assert_eq!(markers(&sb).await, Vec::<String>::new());

    // The record is written open: its writer finds the marker gone and writes it again.
    release.send(()).unwrap();
    let (record, written) = opener.await.unwrap();
    written.unwrap();
    let stored = sb.record("incoming/race.csv", "v1").await.unwrap().unwrap();
    assert_eq!((stored.status(), stored.attempts), (Status::Claimed, record.attempts));
    assert_eq!(
        marked_records(&sb).await,
        [format!("{}incoming/race.csv@v1.json", sb.app.config.state_prefix)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_opened_while_the_pass_removes_its_marker_gets_it_back_from_the_pass() {
    let sb = sandbox().await;
    let (mut record, etag) = missing_record(&sb, "incoming/race-2.csv").await;
    // A marker left beside the final record (its closer died before removing it).
    let key = format!("{}incoming/race-2.csv@v1.json", sb.app.config.state_prefix);
    sb.app.ledger.index().mark(BUCKET, &key).await.unwrap();

    // A pass reads the record (final) and is held up before it deletes the marker.
    let (ledger, reached, release) = paused_ledger(&sb, pause("DELETE", "index/open/incoming/race-2.csv", "v1"));
    let mut app = sb.app.clone();
    app.ledger = ledger;
    let pass = tokio::spawn(async move { cognito_import::flow::pass::run(&app).await.map(|_| ()) });
    until(&reached).await;

    // Meanwhile a new delivery takes it up again: marker (already there), record, look.
    record.take_again().unwrap();
    sb.app.ledger.update(&mut record, &etag).await.unwrap();

    // The pass deletes the marker, then reads the record open, and puts the marker back.
    release.send(()).unwrap();
    pass.await.unwrap().unwrap();
    assert_eq!(
        sb.record("incoming/race-2.csv", "v1").await.unwrap().unwrap().status(),
        Status::Claimed
    );
    assert_eq!(marked_records(&sb).await, [key]);
}

#[tokio::test]
async fn the_ledger_refuses_an_object_under_the_state_prefix_where_the_index_lives() {
    let sb = sandbox().await;
    let object = ObjectRef {
        bucket: BUCKET.into(),
        key: format!("{}index/open/x.csv", sb.app.config.state_prefix),
        version_id: Some("v1".into()),
        etag: Some("e".into()),
        size: Some(1),
    };
    let refused = sb.app.ledger.claim(&Record::new(&object, "e", 1)).await;
    assert!(matches!(refused, Err(LedgerError::Reserved { .. })), "{refused:?}");
    assert!(records(&sb).await.is_empty());
    assert_eq!(markers(&sb).await, Vec::<String>::new());
}

#[tokio::test]
async fn records_of_a_deployment_without_the_index_are_found_by_the_first_pass() {
    let sb = sandbox_with(slow_jobs(), &[]).await;
    // A finished import, a running one and a queued one, as the version before the index left
    // them: records without markers, and no built object.
    let (done, _) = drop_and_invoke(&sb, "incoming/old-done.csv", 1, 10).await;
    settle(&sb, "incoming/old-done.csv", &done).await;
    let (running, answer) = drop_and_invoke(&sb, "incoming/old-running.csv", 30, 11).await;
    assert_eq!(outcome(&answer), "started", "{answer}");
    let (queued, answer) = drop_and_invoke(&sb, "incoming/old-queued.csv", 2, 12).await;
    assert_eq!(outcome(&answer), "queued", "{answer}");
    forget_the_index(&sb).await;
    assert_eq!(markers(&sb).await, Vec::<String>::new());
    assert_eq!(sb.app.ledger.index().built(BUCKET).await.unwrap(), None);

    // The first pass builds the index: it sees the running job and the queued one.
    let answer = sb.pass().await.unwrap();
    let job = sb
        .record("incoming/old-running.csv", &tag_of(&running))
        .await
        .unwrap()
        .unwrap()
        .job_id;
    assert_eq!(answer["pass"]["activeJob"].as_str(), job.as_deref(), "{answer}");
    assert_eq!(answer["pass"]["stillQueued"], 1, "{answer}");
    let mut marked = marked_records(&sb).await;
    marked.sort();
    let mut open = vec![
        record_key(&sb, "incoming/old-queued.csv", &queued),
        record_key(&sb, "incoming/old-running.csv", &running),
    ];
    open.sort();
    assert_eq!(marked, open, "the open records are marked, the finished one is not");
    let built = sb
        .app
        .ledger
        .index()
        .built(BUCKET)
        .await
        .unwrap()
        .expect("the index is built");
    assert_eq!(built.settled_at, None);

    // And both go on to the end, one after the other.
    assert_eq!(
        settle(&sb, "incoming/old-running.csv", &running).await.status(),
        Status::Succeeded
    );
    assert_eq!(
        settle(&sb, "incoming/old-queued.csv", &queued).await.status(),
        Status::Succeeded
    );
    assert_eq!(sb.emulator.users(&sb.pool_id).len(), 1 + 30 + 2);
    assert_eq!(markers(&sb).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_record_claimed_unmarked_around_the_upgrade_is_found_once_the_old_version_is_gone() {
    let sb = sandbox_with(slow_jobs(), &[]).await;
    let (running, answer) = drop_and_invoke(&sb, "incoming/running.csv", 30, 20).await;
    assert_eq!(outcome(&answer), "started", "{answer}");
    let (queued, answer) = drop_and_invoke(&sb, "incoming/late-claim.csv", 2, 21).await;
    assert_eq!(outcome(&answer), "queued", "{answer}");
    // As if the previous version, still running at the upgrade, had claimed it after the index
    // was built: no marker.
    let late = record_key(&sb, "incoming/late-claim.csv", &queued);
    delete(&sb, &sb.app.ledger.index().marker_key(&late).unwrap()).await;

    // The pass reads what the index marks, and nothing else: the queued record is not seen.
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["stillQueued"], 0, "{answer}");

    // Once an invocation of the old version can no longer be running, one more scan finds it.
    let index = sb.app.ledger.index();
    let built = index.built(BUCKET).await.unwrap().unwrap();
    let long_ago = Built {
        built_at: now_secs() - 1300,
        ..built
    };
    index.set_built(BUCKET, &long_ago).await.unwrap();
    let answer = sb.pass().await.unwrap();
    assert_eq!(answer["pass"]["stillQueued"], 1, "{answer}");
    assert!(marked_records(&sb).await.contains(&late));
    let settled = index.built(BUCKET).await.unwrap().unwrap();
    assert!(settled.settled_at.is_some(), "{settled:?}");
    assert_eq!(settled.built_at, long_ago.built_at);

    assert_eq!(
        settle(&sb, "incoming/running.csv", &running).await.status(),
        Status::Succeeded
    );
    assert_eq!(
        settle(&sb, "incoming/late-claim.csv", &queued).await.status(),
        Status::Succeeded
    );
}

/// The warnings the function logged inside one future.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}

impl<S: Subscriber> Layer<S> for Warnings {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() == Level::WARN {
            let mut line = String::new();
            event.record(&mut Fields(&mut line));
            self.0.lock().unwrap().push(line);
        }
    }
}

/// One scheduled pass, watched: its answer, the GetObject requests the stand-in served for it,
/// all its S3 requests, and the function's warnings.
async fn watched_pass(sb: &Sandbox) -> (Value, u64, u64, Vec<String>) {
    let warnings = Warnings::default();
    let subscriber = tracing_subscriber::registry().with(warnings.clone());
    sb.emulator.reset_calls();
    let answer = sb.pass().with_subscriber(subscriber).await.unwrap();
    let calls = sb.emulator.calls();
    let gets = calls.get("s3:GetObject").copied().unwrap_or(0);
    let s3: u64 = calls
        .iter()
        .filter(|(op, _)| op.starts_with("s3:"))
        .map(|(_, n)| n)
        .sum();
    let warnings = warnings.0.lock().unwrap().clone();
    (answer, gets, s3, warnings)
}

#[tokio::test]
async fn a_pass_beside_many_finished_records_reads_only_the_open_one() {
    const FINISHED: u64 = 300;
    let sb = sandbox_with(slow_jobs(), &[]).await;
    let (running, answer) = drop_and_invoke(&sb, "incoming/open.csv", 40, 30).await;
    assert_eq!(outcome(&answer), "started", "{answer}");
    let job = sb
        .record("incoming/open.csv", &tag_of(&running))
        .await
        .unwrap()
        .unwrap()
        .job_id;
    // History: records of finished objects, unreadable ones at that (a pass that reads one warns
    // that it skipped it).
    let planted: Vec<String> = (0..FINISHED)
        .map(|i| format!("{}incoming/history-{i}.csv@v{i}.json", sb.app.config.state_prefix))
        .collect();
    futures::future::join_all(planted.iter().map(|key| {
        sb.app
            .s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"{ not a state record"))
            .send()
    }))
    .await
    .into_iter()
    .for_each(|put| {
        put.unwrap();
    });

    let (answer, gets, s3, warnings) = watched_pass(&sb).await;
    assert_eq!(answer["pass"]["activeJob"].as_str(), job.as_deref(), "{answer}");
    assert!(
        (1..5).contains(&gets) && s3 < 10,
        "{gets} GetObject ({s3} S3 requests in all) for one open record beside {FINISHED} finished ones"
    );
    assert!(warnings.is_empty(), "{warnings:?}");

    // The same watch sees the reads of a pass that scans the prefix (the index built again, as on
    // an upgrade): every planted record read and warned about.
    sb.app
        .s3
        .delete_object()
        .bucket(BUCKET)
        .key(sb.app.ledger.index().built_key())
        .send()
        .await
        .unwrap();
    let (answer, gets, _, warnings) = watched_pass(&sb).await;
    assert_eq!(answer["pass"]["activeJob"].as_str(), job.as_deref(), "{answer}");
    assert!(gets > FINISHED, "the scan read {gets} objects");
    let skipped = warnings
        .iter()
        .filter(|w| w.contains("unreadable state record skipped"))
        .count();
    assert_eq!(skipped as u64, FINISHED, "{warnings:?}");

    // Once built, passes are back to the open record alone.
    let (_, gets, s3, warnings) = watched_pass(&sb).await;
    assert!((1..5).contains(&gets) && s3 < 10, "{gets} GetObject, {s3} S3 requests");
    assert!(warnings.is_empty(), "{warnings:?}");
}
