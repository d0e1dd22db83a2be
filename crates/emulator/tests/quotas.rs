//! Cognito's request quotas on the import operations, through the real SDK with its retries
//! disabled (so that every answer is seen as sent): 5 requests a second of each operation per pool,
//! the account's UserPoolResourceUpdate (15/s) and UserPoolResourceRead (20/s) categories, answered
//! TooManyRequestsException (400) exactly as the Throttle fault answers; refused requests counted by
//! operation; and the switch that turns it all off.
//!
//! Requests of a burst are sent at once, and the buckets refill while they are served: each bound
//! below allows for the tokens that `elapsed` adds at the quota's rate.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use cognito_import_emulator::quotas::{PER_POOL_PER_OPERATION, RESOURCE_READ, RESOURCE_UPDATE};
use cognito_import_emulator::{EmulatorConfig, Fault, assumptions};
use common::*;
use futures::future::join_all;

/// What a burst of requests got: how many went through, the refused ones' (status, code,
/// message), other errors' codes, and how long the burst took.
#[derive(Debug)]
struct Burst {
    ok: u64,
    throttled: Vec<(u16, String, String)>,
    other: Vec<String>,
    elapsed: Duration,
}

impl Burst {
    fn throttled(&self) -> u64 {
        self.throttled.len() as u64
    }
}

/// Sends every request at once and sorts the answers.
async fn burst<T, E, F>(requests: Vec<F>) -> Burst
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    F: Future<Output = Result<T, SdkError<E, aws_sdk_cognitoidentityprovider::config::http::HttpResponse>>>,
{
    let started = Instant::now();
    let answers = join_all(requests).await;
    let elapsed = started.elapsed();
    let mut result = Burst {
        ok: 0,
        throttled: Vec::new(),
        other: Vec::new(),
        elapsed,
    };
    for answer in answers {
        match &answer {
            Ok(_) => result.ok += 1,
            Err(_) if code(&answer) == "TooManyRequestsException" => {
                result
                    .throttled
                    .push((status(&answer), code(&answer), message(&answer)))
            }
            Err(_) => result.other.push(format!("{}: {}", code(&answer), message(&answer))),
        }
    }
    result
}

/// A request sent, answered with nothing or its error code.
type Answer<'a> = std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + 'a>>;

/// The most requests a bucket of `rate` (burst = rate) can let through in `elapsed`.
fn at_most(rate: f64, elapsed: Duration) -> u64 {
    (rate * assumptions::QUOTA_BURST_SECONDS + rate * elapsed.as_secs_f64()).floor() as u64
}

/// A full bucket of `rate` lets this many through at once.
fn burst_of(rate: f64) -> u64 {
    (rate * assumptions::QUOTA_BURST_SECONDS) as u64
}

/// `n` GetCSVHeader requests on `pool`, all at once.
async fn headers(cognito: &Cognito, pool: &str, n: usize) -> Burst {
    burst(
        (0..n)
            .map(|_| cognito.get_csv_header().user_pool_id(pool).send())
            .collect(),
    )
    .await
}

fn throttled_counts(pairs: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
    pairs
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(op, n)| (format!("cognito-idp:{op}"), *n))
        .collect()
}

#[tokio::test]
async fn an_operation_gets_five_requests_a_second_per_pool_then_too_many_requests() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "quota").await;
    let job = create_job(&cognito, &pool, "described").await;

    let describe = || {
        cognito
            .describe_user_import_job()
            .user_pool_id(&pool)
            .job_id(&job.id)
            .send()
    };
    let first = burst((0..20).map(|_| describe()).collect()).await;
    assert!(first.other.is_empty(), "{first:?}");
    assert!(
        (burst_of(PER_POOL_PER_OPERATION)..=at_most(PER_POOL_PER_OPERATION, first.elapsed)).contains(&first.ok),
        "{first:?}"
    );
    assert!(first.throttled() > 0, "{first:?}");
    for (status, code, _) in &first.throttled {
        assert_eq!((*status, code.as_str()), (400, "TooManyRequestsException"));
    }
    // Counted by operation, and among the calls too.
    assert_eq!(
        emulator.throttled(),
        throttled_counts(&[("DescribeUserImportJob", first.throttled())])
    );
    assert_eq!(emulator.calls()["cognito-idp:DescribeUserImportJob"], 20);

    // A second later the bucket is full again: a full burst goes through.
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    let again = burst((0..burst_of(PER_POOL_PER_OPERATION)).map(|_| describe()).collect()).await;
    assert_eq!(
        (again.ok, again.throttled()),
        (burst_of(PER_POOL_PER_OPERATION), 0),
        "{again:?}"
    );
}

#[tokio::test]
async fn each_operation_on_each_pool_has_its_own_quota() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "first").await;
    let other_pool = create_pool(&cognito, "second").await;

    let spent = headers(&cognito, &pool, 15).await;
    assert!(spent.throttled() > 0, "{spent:?}");

    // The pool's other import operation, and the same operation on another pool, are untouched.
    let listed = burst(
        (0..burst_of(PER_POOL_PER_OPERATION))
            .map(|_| {
                cognito
                    .list_user_import_jobs()
                    .user_pool_id(&pool)
                    .max_results(10)
                    .send()
            })
            .collect(),
    )
    .await;
    assert_eq!(
        (listed.ok, listed.throttled()),
        (burst_of(PER_POOL_PER_OPERATION), 0),
        "{listed:?}"
    );
    let elsewhere = headers(&cognito, &other_pool, burst_of(PER_POOL_PER_OPERATION) as usize).await;
    assert_eq!(
        (elsewhere.ok, elsewhere.throttled()),
        (burst_of(PER_POOL_PER_OPERATION), 0),
        "{elsewhere:?}"
    );
    assert_eq!(
        emulator.throttled(),
        throttled_counts(&[("GetCSVHeader", spent.throttled())])
    );
}

#[tokio::test]
async fn create_start_and_stop_share_fifteen_requests_a_second_across_the_account() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let client = &cognito;
    let mut pools = Vec::new();
    for i in 0..4 {
        pools.push(create_pool(&cognito, &format!("update-{i}")).await);
    }
    // 4 pools × 5: each pool's own quota allows them all, the category only 15.
    let creates = pools
        .iter()
        .flat_map(|pool| {
            (0..burst_of(PER_POOL_PER_OPERATION)).map(move |i| {
                client
                    .create_user_import_job()
                    .user_pool_id(pool)
                    .job_name(format!("job-{i}"))
                    .cloud_watch_logs_role_arn(ROLE_ARN)
                    .send()
            })
        })
        .collect();
    let created = burst(creates).await;
    assert!(created.other.is_empty(), "{created:?}");
    assert!(
        (burst_of(RESOURCE_UPDATE)..=at_most(RESOURCE_UPDATE, created.elapsed)).contains(&created.ok),
        "{created:?}"
    );
    assert!(created.throttled() > 0, "{created:?}");
    assert_eq!(
        emulator.jobs().len() as u64,
        created.ok,
        "a throttled CreateUserImportJob creates nothing"
    );

    // Start and Stop draw on the same category. Once it is full again: per pool 3 creates, a start
    // and a stop (each well within the pool's own quota), 20 in all, and the category lets 15 in.
    // (A start or stop let in may still be refused by the operation itself: only one job may be
    // active, a Created job cannot be stopped, a job may not exist; it took its token all the same.)
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    emulator.reset_calls();
    let jobs = emulator.jobs();
    // A job of the pool (when one was let in above), or an id that names none.
    let job_of = |pool: &str| {
        jobs.iter()
            .find(|j| j.pool_id == pool)
            .map_or_else(|| "import-NoSuchJob0".to_owned(), |j| j.id.clone())
    };
    let mut mixed: Vec<Answer<'_>> = Vec::new();
    for pool in &pools {
        let job = job_of(pool);
        for i in 0..3 {
            let request = cognito
                .create_user_import_job()
                .user_pool_id(pool)
                .job_name(format!("more-{i}"))
                .cloud_watch_logs_role_arn(ROLE_ARN)
                .send();
            mixed.push(Box::pin(async move {
                request.await.map(drop).map_err(|e| e.code().unwrap_or("").to_owned())
            }));
        }
        let request = cognito.start_user_import_job().user_pool_id(pool).job_id(&job).send();
        mixed.push(Box::pin(async move {
            request.await.map(drop).map_err(|e| e.code().unwrap_or("").to_owned())
        }));
        let request = cognito.stop_user_import_job().user_pool_id(pool).job_id(&job).send();
        mixed.push(Box::pin(async move {
            request.await.map(drop).map_err(|e| e.code().unwrap_or("").to_owned())
        }));
    }
    let started = Instant::now();
    let answers = join_all(mixed).await;
    let elapsed = started.elapsed();
    let refused = answers
        .iter()
        .filter(|a| a.as_ref().err().map(String::as_str) == Some("TooManyRequestsException"))
        .count() as u64;
    let let_in = answers.len() as u64 - refused;
    assert!(
        (burst_of(RESOURCE_UPDATE)..=at_most(RESOURCE_UPDATE, elapsed)).contains(&let_in),
        "{answers:?} in {elapsed:?}"
    );
    let throttled = emulator.throttled();
    assert_eq!(throttled.values().sum::<u64>(), refused, "{throttled:?}");
    assert!(
        throttled
            .keys()
            .all(|op| ["CreateUserImportJob", "StartUserImportJob", "StopUserImportJob"]
                .iter()
                .any(|update| *op == format!("cognito-idp:{update}"))),
        "{throttled:?}"
    );
}

#[tokio::test]
async fn describe_list_and_get_csv_header_share_twenty_requests_a_second_across_the_account() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let client = &cognito;
    let mut pools = Vec::new();
    for i in 0..5 {
        pools.push(create_pool(&cognito, &format!("read-{i}")).await);
    }
    // 5 pools × 5 GetCSVHeader: each pool's quota allows them all, the category only 20.
    let requests = pools
        .iter()
        .flat_map(|pool| {
            (0..burst_of(PER_POOL_PER_OPERATION)).map(move |_| client.get_csv_header().user_pool_id(pool).send())
        })
        .collect();
    let read = burst(requests).await;
    assert!(read.other.is_empty(), "{read:?}");
    assert!(
        (burst_of(RESOURCE_READ)..=at_most(RESOURCE_READ, read.elapsed)).contains(&read.ok),
        "{read:?}"
    );
    assert!(read.throttled() > 0, "{read:?}");

    // ListUserImportJobs on a sixth pool meets the spent category as well.
    let sixth = create_pool(&cognito, "read-5").await;
    let listed = burst(
        (0..burst_of(PER_POOL_PER_OPERATION))
            .map(|_| {
                cognito
                    .list_user_import_jobs()
                    .user_pool_id(&sixth)
                    .max_results(10)
                    .send()
            })
            .collect(),
    )
    .await;
    assert!(listed.throttled() > 0, "{listed:?}");
}

#[tokio::test]
async fn a_refused_request_takes_nothing_from_the_category() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let client = &cognito;
    let mut pools = Vec::new();
    for i in 0..4 {
        pools.push(create_pool(&cognito, &format!("refused-{i}")).await);
    }
    // Pool 0 is refused many times over its own quota...
    let hammered = headers(&cognito, &pools[0], 40).await;
    assert!(hammered.throttled() >= 30, "{hammered:?}");
    // ...and the category still holds what pool 0's admitted requests left: 3 pools × 5 go through.
    let rest = pools[1..]
        .iter()
        .flat_map(|pool| {
            (0..burst_of(PER_POOL_PER_OPERATION)).map(move |_| client.get_csv_header().user_pool_id(pool).send())
        })
        .collect();
    let rest = burst(rest).await;
    assert_eq!(
        (rest.ok, rest.throttled()),
        (3 * burst_of(PER_POOL_PER_OPERATION), 0),
        "{rest:?}"
    );
}

#[tokio::test]
async fn a_throttled_answer_is_the_throttle_faults_answer() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "same").await;

    /// Status, `x-amzn-errortype`, and the body's `__type` and `message`.
    fn answer<T>(
        result: &Result<T, SdkError<impl std::fmt::Debug, aws_sdk_cognitoidentityprovider::config::http::HttpResponse>>,
    ) -> (u16, String, serde_json::Value) {
        let Err(err) = result else {
            panic!("the call succeeded; an error was expected")
        };
        let raw = err.raw_response().expect("an HTTP answer");
        let header = raw.headers().get("x-amzn-errortype").unwrap_or("").to_owned();
        let body: serde_json::Value =
            serde_json::from_slice(raw.body().bytes().expect("a body in memory")).expect("a JSON error body");
        (raw.status().as_u16(), header, body)
    }

    emulator.faults().inject("GetCSVHeader", Fault::Throttle, 1);
    let injected = cognito.get_csv_header().user_pool_id(&pool).send().await;
    let injected = answer(&injected);
    assert_eq!(
        emulator.throttled(),
        throttled_counts(&[]),
        "an injected fault is not a quota's"
    );

    let over = headers(&cognito, &pool, 20).await;
    assert!(over.throttled() > 0, "{over:?}");
    // Now spent: the next request is refused by the quota.
    let refused = cognito.get_csv_header().user_pool_id(&pool).send().await;
    let refused = answer(&refused);
    assert_eq!(refused, injected);
    assert_eq!(
        refused,
        (
            400,
            "TooManyRequestsException".to_owned(),
            serde_json::json!({ "__type": "TooManyRequestsException", "message": "Rate exceeded" })
        )
    );
}

#[tokio::test]
async fn other_operations_are_not_limited() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "unlimited").await;
    let described = burst(
        (0..40)
            .map(|_| cognito.describe_user_pool().user_pool_id(&pool).send())
            .collect(),
    )
    .await;
    assert_eq!((described.ok, described.throttled()), (40, 0), "{described:?}");
    assert!(emulator.throttled().is_empty());
}

#[tokio::test]
async fn reset_calls_forgets_the_throttled_counts() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "reset").await;
    let over = headers(&cognito, &pool, 20).await;
    assert_eq!(
        emulator.throttled(),
        throttled_counts(&[("GetCSVHeader", over.throttled())])
    );
    emulator.reset_calls();
    assert!(emulator.throttled().is_empty());
    assert!(emulator.calls().is_empty());
}

#[tokio::test]
async fn switched_off_every_request_is_served() {
    let emulator = start_with(EmulatorConfig {
        cognito_quotas: false,
        ..EmulatorConfig::default()
    })
    .await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "off").await;
    let read = headers(&cognito, &pool, 60).await;
    assert_eq!((read.ok, read.throttled()), (60, 0), "{read:?}");
    let creates = (0..40)
        .map(|i| {
            cognito
                .create_user_import_job()
                .user_pool_id(&pool)
                .job_name(format!("job-{i}"))
                .cloud_watch_logs_role_arn(ROLE_ARN)
                .send()
        })
        .collect();
    let created = burst(creates).await;
    assert_eq!((created.ok, created.throttled()), (40, 0), "{created:?}");
    assert!(emulator.throttled().is_empty());
}

#[tokio::test]
async fn the_sdks_standard_retries_get_a_paced_caller_through() {
    // A caller that retries throttling (as the function's clients do) gets every request through,
    // at the quota's pace.
    let emulator = start().await;
    let retrying = Signer {
        retry: RetryConfig::standard()
            .with_max_attempts(10)
            .with_initial_backoff(Duration::from_millis(50)),
        ..Signer::default()
    }
    .cognito(&emulator);
    let pool = create_pool(&retrying, "retried").await;
    let read = headers(&retrying, &pool, 10).await;
    assert_eq!((read.ok, read.other.len(), read.throttled()), (10, 0, 0), "{read:?}");
    // They were throttled on the way (seen by the emulator, not by the caller), and took at least
    // the time the quota gives 10 requests after its burst.
    assert!(emulator.throttled()["cognito-idp:GetCSVHeader"] > 0);
    let least = (10.0 - PER_POOL_PER_OPERATION * assumptions::QUOTA_BURST_SECONDS) / PER_POOL_PER_OPERATION;
    assert!(read.elapsed.as_secs_f64() >= least * 0.9, "{read:?}");
}
