//! S3 through aws-sdk-s3 (path style): buckets and objects, conditional writes and reads, ranges,
//! and injected faults.

mod common;

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use cognito_import_emulator::Fault;
use common::*;

async fn bucket(s3: &S3, name: &str) {
    s3.create_bucket().bucket(name).send().await.expect("CreateBucket");
}

async fn get_bytes(s3: &S3, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3.get_object().bucket(bucket).key(key).send().await.expect("GetObject");
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test]
async fn objects_can_be_put_read_listed_and_deleted() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "drop-bucket").await;
    let buckets = s3.list_buckets().send().await.unwrap();
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(names.contains(&"drop-bucket"), "{names:?}");

    for (key, body) in [
        ("incoming/users.csv", "cognito:username\nalice\n"),
        ("incoming/more users+ü.csv", "x"),
        ("other.txt", "y"),
    ] {
        let put = s3
            .put_object()
            .bucket("drop-bucket")
            .key(key)
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send()
            .await
            .expect("PutObject");
        assert!(put.e_tag().is_some_and(|e| e.starts_with('"')));
        assert_eq!(get_bytes(&s3, "drop-bucket", key).await, body.as_bytes());
    }
    let head = s3
        .head_object()
        .bucket("drop-bucket")
        .key("incoming/users.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some("cognito:username\nalice\n".len() as i64));

    let listed = s3
        .list_objects_v2()
        .bucket("drop-bucket")
        .prefix("incoming/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["incoming/more users+ü.csv", "incoming/users.csv"]);

    s3.delete_object()
        .bucket("drop-bucket")
        .key("incoming/users.csv")
        .send()
        .await
        .unwrap();
    let gone = s3
        .get_object()
        .bucket("drop-bucket")
        .key("incoming/users.csv")
        .send()
        .await;
    assert_eq!((status(&gone), code(&gone).as_str()), (404, "NoSuchKey"));
    let listed = s3.list_objects_v2().bucket("drop-bucket").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["incoming/more users+ü.csv", "other.txt"]);

    let missing = s3.list_objects_v2().bucket("no-such-bucket").send().await;
    assert_eq!((status(&missing), code(&missing).as_str()), (404, "NoSuchBucket"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_twenty_concurrent_create_only_puts_exactly_one_wins() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "race").await;
    let puts = (0..20).map(|i| {
        let s3 = s3.clone();
        tokio::spawn(async move {
            let result = s3
                .put_object()
                .bucket("race")
                .key("claim")
                .body(ByteStream::from(format!("writer {i}").into_bytes()))
                .if_none_match("*")
                .send()
                .await;
            match &result {
                Ok(_) => Ok(i),
                Err(_) => Err((status(&result), code(&result))),
            }
        })
    });
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for put in futures::future::join_all(puts).await {
        match put.unwrap() {
            Ok(i) => winners.push(i),
            Err(e) => losers.push(e),
        }
    }
    assert_eq!(winners.len(), 1, "winners {winners:?}");
    assert_eq!(losers.len(), 19);
    assert!(
        losers
            .iter()
            .all(|(status, code)| (*status, code.as_str()) == (412, "PreconditionFailed")),
        "{losers:?}"
    );
    let stored = String::from_utf8(get_bytes(&s3, "race", "claim").await).unwrap();
    assert_eq!(stored, format!("writer {}", winners[0]));
}

#[tokio::test]
async fn if_match_puts_and_gets_compare_the_etag() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "cas").await;
    let first = s3
        .put_object()
        .bucket("cas")
        .key("ledger")
        .body(ByteStream::from_static(b"0123456789"))
        .send()
        .await
        .unwrap();
    let etag = first.e_tag().unwrap().to_owned();

    let wrong = s3
        .put_object()
        .bucket("cas")
        .key("ledger")
        .body(ByteStream::from_static(b"lost update"))
        .if_match("\"0000000000000000000000000000000\"")
        .send()
        .await;
    assert_eq!((status(&wrong), code(&wrong).as_str()), (412, "PreconditionFailed"));
    assert_eq!(get_bytes(&s3, "cas", "ledger").await, b"0123456789");

    let wrong_get = s3
        .get_object()
        .bucket("cas")
        .key("ledger")
        .if_match("\"nope\"")
        .send()
        .await;
    assert_eq!(
        (status(&wrong_get), code(&wrong_get).as_str()),
        (412, "PreconditionFailed")
    );
    let right_get = s3
        .get_object()
        .bucket("cas")
        .key("ledger")
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    assert_eq!(right_get.e_tag(), Some(etag.as_str()));

    let range = s3
        .get_object()
        .bucket("cas")
        .key("ledger")
        .range("bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(range.content_length(), Some(4));
    assert_eq!(range.body.collect().await.unwrap().into_bytes().as_ref(), b"2345");

    let second = s3
        .put_object()
        .bucket("cas")
        .key("ledger")
        .body(ByteStream::from_static(b"next"))
        .if_match(&etag)
        .send()
        .await
        .expect("If-Match with the current ETag");
    assert_ne!(second.e_tag(), Some(etag.as_str()));
    assert_eq!(get_bytes(&s3, "cas", "ledger").await, b"next");
    // The old ETag no longer matches.
    let stale = s3
        .put_object()
        .bucket("cas")
        .key("ledger")
        .body(ByteStream::from_static(b"stale"))
        .if_match(&etag)
        .send()
        .await;
    assert_eq!(code(&stale), "PreconditionFailed");
    // If-Match on a key that does not exist fails too.
    let absent = s3
        .put_object()
        .bucket("cas")
        .key("absent")
        .body(ByteStream::from_static(b"x"))
        .if_match(&etag)
        .send()
        .await;
    assert_eq!(code(&absent), "PreconditionFailed");
}

#[tokio::test]
async fn injected_s3_faults_answer_slow_down_and_internal_error() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "faulty").await;
    s3.put_object()
        .bucket("faulty")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();

    emulator.faults().inject("GetObject", Fault::Throttle, 1);
    let r = s3.get_object().bucket("faulty").key("k").send().await;
    assert_eq!((status(&r), code(&r).as_str()), (503, "SlowDown"));
    assert_eq!(get_bytes(&s3, "faulty", "k").await, b"v");

    emulator.faults().inject("PutObject", Fault::Fail, 1);
    let r = s3
        .put_object()
        .bucket("faulty")
        .key("k")
        .body(ByteStream::from_static(b"w"))
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (500, "InternalError"));
    assert_eq!(
        get_bytes(&s3, "faulty", "k").await,
        b"v",
        "a failed put changes nothing"
    );

    // The SDK's retry absorbs a SlowDown.
    let retrying = Signer {
        retry: RetryConfig::standard().with_initial_backoff(Duration::from_millis(10)),
        ..Signer::default()
    }
    .s3(&emulator);
    emulator.faults().inject("GetObject", Fault::Throttle, 1);
    let out = retrying
        .get_object()
        .bucket("faulty")
        .key("k")
        .send()
        .await
        .expect("retried");
    assert_eq!(out.body.collect().await.unwrap().into_bytes().as_ref(), b"v");
    assert_eq!(emulator.faults().take("GetObject"), None);
}

#[tokio::test]
async fn s3_calls_signed_for_another_region_are_refused() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "regional").await;
    let elsewhere = Signer {
        region: "eu-west-1",
        ..Signer::default()
    }
    .s3(&emulator);
    let r = elsewhere.list_objects_v2().bucket("regional").send().await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "AuthorizationHeaderMalformed"));
    assert!(
        message(&r).contains("'eu-west-1' is wrong; expecting 'us-east-1'"),
        "{}",
        message(&r)
    );
    let r = elsewhere
        .put_object()
        .bucket("regional")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await;
    assert_eq!(code(&r), "AuthorizationHeaderMalformed");
    let listed = s3.list_objects_v2().bucket("regional").send().await.unwrap();
    assert_eq!(listed.contents().len(), 0, "the refused put stored nothing");

    // Pre-signed by the SDK: valid in the emulator's region, refused when scoped to another.
    s3.put_object()
        .bucket("regional")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();
    let presigning = PresigningConfig::expires_in(Duration::from_secs(60)).unwrap();
    let here = s3
        .get_object()
        .bucket("regional")
        .key("k")
        .presigned(presigning.clone())
        .await
        .unwrap();
    let response = reqwest::get(here.uri()).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "v");
    let there = elsewhere
        .get_object()
        .bucket("regional")
        .key("k")
        .presigned(presigning)
        .await
        .unwrap();
    let response = reqwest::get(there.uri()).await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        xml_code(&response.text().await.unwrap()),
        "AuthorizationQueryParametersError"
    );
}

#[tokio::test]
async fn s3_calls_with_a_wrong_secret_are_refused() {
    let emulator = start().await;
    let bad = Signer {
        secret_key: "wrong",
        ..Signer::default()
    }
    .s3(&emulator);
    let r = bad.create_bucket().bucket("never").send().await;
    assert_eq!((status(&r), code(&r).as_str()), (403, "SignatureDoesNotMatch"));
    let buckets = s3(&emulator).list_buckets().send().await.unwrap();
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(!names.contains(&"never"), "{names:?}");
}

#[tokio::test]
async fn if_match_deletes_only_the_named_object() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "cond-delete").await;
    let put = |body: &'static [u8]| {
        s3.put_object()
            .bucket("cond-delete")
            .key("lock")
            .body(ByteStream::from_static(body))
            .send()
    };
    let first = put(b"first").await.unwrap().e_tag().unwrap().to_owned();
    let second = put(b"second").await.unwrap().e_tag().unwrap().to_owned();

    let stale = s3
        .delete_object()
        .bucket("cond-delete")
        .key("lock")
        .if_match(&first)
        .send()
        .await;
    assert_eq!((status(&stale), code(&stale).as_str()), (412, "PreconditionFailed"));
    assert_eq!(get_bytes(&s3, "cond-delete", "lock").await, b"second");

    s3.delete_object()
        .bucket("cond-delete")
        .key("lock")
        .if_match(&second)
        .send()
        .await
        .expect("a delete with the current ETag");
    let gone = s3
        .delete_object()
        .bucket("cond-delete")
        .key("lock")
        .if_match(&second)
        .send()
        .await;
    assert_eq!(status(&gone), 404);
    // Without a condition, deleting a missing key succeeds, as in S3.
    s3.delete_object()
        .bucket("cond-delete")
        .key("lock")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_lost_put_answer_leaves_the_object_written() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "lost-answers").await;
    // The write happens, its answer is lost (500); trying again meets the object it wrote.
    emulator.faults().inject("PutObject", Fault::LoseAnswer, 1);
    let put = || {
        s3.put_object()
            .bucket("lost-answers")
            .key("once")
            .if_none_match("*")
            .body(ByteStream::from_static(b"written"))
            .send()
    };
    let lost = put().await;
    assert_eq!((status(&lost), code(&lost).as_str()), (500, "InternalError"));
    assert_eq!(get_bytes(&s3, "lost-answers", "once").await, b"written");
    let again = put().await;
    assert_eq!((status(&again), code(&again).as_str()), (412, "PreconditionFailed"));
}
