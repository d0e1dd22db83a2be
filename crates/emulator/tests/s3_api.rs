//! S3 through aws-sdk-s3 (path style): buckets and objects, listings, conditional writes and
//! reads, ranges, and injected faults.

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

async fn put(s3: &S3, bucket: &str, key: &str, body: &'static [u8]) -> Result<String, String> {
    let r = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(body))
        .send()
        .await;
    match &r {
        Ok(out) => Ok(out.e_tag().unwrap_or_default().to_owned()),
        Err(_) => Err(format!("{} {}", status(&r), code(&r))),
    }
}

/// A bucket holding `keys`, each with its own key as its body.
async fn bucket_of(s3: &S3, name: &str, keys: &[&'static str]) {
    bucket(s3, name).await;
    for key in keys {
        put(s3, name, key, key.as_bytes()).await.expect("PutObject");
    }
}

/// The keys and common prefixes of one ListObjectsV2 page.
fn listed(out: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output) -> (Vec<&str>, Vec<&str>) {
    let keys = out.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    (keys, prefixes)
}

const TREE: &[&str] = &["a/b.json", "a/b/e", "a/bc/d", "a/c", "ab", "b", "z/y"];

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
    // A write to a bucket that does not exist makes nothing, the bucket included.
    let put = s3
        .put_object()
        .bucket("no-such-bucket")
        .key("a.csv")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!((status(&put), code(&put).as_str()), (404, "NoSuchBucket"));
    let head = s3.head_bucket().bucket("no-such-bucket").send().await;
    assert!(head.is_err(), "the bucket was made: {head:?}");
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

#[tokio::test]
async fn a_listing_holds_the_keys_that_start_with_its_prefix() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket_of(&s3, "tree", TREE).await;
    let list = |prefix: &'static str| s3.list_objects_v2().bucket("tree").prefix(prefix).send();

    let all = s3.list_objects_v2().bucket("tree").send().await.unwrap();
    assert_eq!(listed(&all).0, TREE);
    assert_eq!((all.key_count(), all.is_truncated()), (Some(7), Some(false)));
    let dir = list("a/").await.unwrap();
    assert_eq!(listed(&dir).0, ["a/b.json", "a/b/e", "a/bc/d", "a/c"]);
    assert_eq!(dir.prefix(), Some("a/"));
    // A prefix need not end at a `/`: it matches keys that go on in the same segment.
    let partial = list("a/b").await.unwrap();
    assert_eq!(listed(&partial).0, ["a/b.json", "a/b/e", "a/bc/d"]);
    let top = list("a").await.unwrap();
    assert_eq!(listed(&top).0, ["a/b.json", "a/b/e", "a/bc/d", "a/c", "ab"]);
    assert_eq!(listed(&list("a/b/").await.unwrap()).0, ["a/b/e"]);
    assert_eq!(listed(&list("z/y").await.unwrap()).0, ["z/y"]);

    for nothing in ["q/", "a/c/", "a/bd", "/a"] {
        let empty = list(nothing).await.unwrap();
        assert!(empty.contents().is_empty(), "{nothing}: {:?}", listed(&empty));
        assert_eq!((empty.key_count(), empty.is_truncated()), (Some(0), Some(false)));
    }

    // Each object as S3 describes it: its size, time, ETag and storage class.
    let etag = put(&s3, "tree", "a/c", b"four").await.unwrap();
    let object = list("a/c").await.unwrap().contents()[0].clone();
    assert_eq!(object.size(), Some(4));
    assert_eq!(object.e_tag(), Some(etag.as_str()));
    assert_eq!(object.storage_class().map(|c| c.as_str()), Some("STANDARD"));
    assert!(object.last_modified().is_some());

    let missing = s3.list_objects_v2().bucket("no-such-bucket").prefix("a/").send().await;
    assert_eq!((status(&missing), code(&missing).as_str()), (404, "NoSuchBucket"));
}

#[tokio::test]
async fn a_delimiter_rolls_keys_up_into_common_prefixes() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket_of(&s3, "rollup", TREE).await;
    let list = |prefix: &'static str| {
        s3.list_objects_v2()
            .bucket("rollup")
            .prefix(prefix)
            .delimiter("/")
            .send()
    };
    let root = list("").await.unwrap();
    assert_eq!(listed(&root), (vec!["ab", "b"], vec!["a/", "z/"]));
    assert_eq!(root.key_count(), Some(4), "common prefixes count as keys");
    assert_eq!(
        listed(&list("a/").await.unwrap()),
        (vec!["a/b.json", "a/c"], vec!["a/b/", "a/bc/"])
    );
    assert_eq!(
        listed(&list("a/b").await.unwrap()),
        (vec!["a/b.json"], vec!["a/b/", "a/bc/"])
    );

    // A page may end on a common prefix: the next one goes on after everything under it.
    let mut pages = s3
        .list_objects_v2()
        .bucket("rollup")
        .prefix("a/")
        .delimiter("/")
        .max_keys(1)
        .into_paginator()
        .send();
    let mut seen = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        let (keys, prefixes) = listed(&page);
        assert_eq!(keys.len() + prefixes.len(), 1);
        seen.extend(keys.into_iter().chain(prefixes).map(str::to_owned));
    }
    assert_eq!(seen, ["a/b.json", "a/b/", "a/bc/", "a/c"]);
}

#[tokio::test]
async fn the_paginator_returns_every_key_once_in_order() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    let keys = [
        "p/01",
        "p/02",
        "p/03/x",
        "p/03/y",
        "p/04",
        "p/05.json",
        "p/06",
        "pq",
        "q/01",
    ];
    bucket_of(&s3, "pages", &keys).await;
    let mut pages = s3
        .list_objects_v2()
        .bucket("pages")
        .prefix("p/")
        .max_keys(2)
        .into_paginator()
        .send();
    let (mut seen, mut count) = (Vec::new(), 0);
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        count += 1;
        assert_eq!(page.max_keys(), Some(2));
        assert_eq!(page.key_count(), Some(page.contents().len() as i32));
        assert_eq!(page.is_truncated(), Some(page.next_continuation_token().is_some()));
        seen.extend(listed(&page).0.into_iter().map(str::to_owned));
    }
    assert_eq!(seen, keys[..7]);
    assert_eq!(count, 4);

    let none = s3.list_objects_v2().bucket("pages").max_keys(0).send().await.unwrap();
    assert_eq!(
        (none.key_count(), none.is_truncated(), none.next_continuation_token()),
        (Some(0), Some(false), None)
    );
}

#[tokio::test]
async fn start_after_resumes_after_the_key_it_names() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket_of(&s3, "resume", TREE).await;
    let after = |key: &'static str| s3.list_objects_v2().bucket("resume").start_after(key).send();
    let out = after("a/bc/d").await.unwrap();
    assert_eq!(listed(&out).0, ["a/c", "ab", "b", "z/y"]);
    assert_eq!(out.start_after(), Some("a/bc/d"));
    // It need not name a key.
    assert_eq!(listed(&after("a/bz").await.unwrap()).0, ["a/c", "ab", "b", "z/y"]);
    assert!(after("zz").await.unwrap().contents().is_empty());
    let with_prefix = s3
        .list_objects_v2()
        .bucket("resume")
        .prefix("a/")
        .start_after("a/b/e")
        .max_keys(1)
        .send()
        .await
        .unwrap();
    assert_eq!(listed(&with_prefix).0, ["a/bc/d"]);
    assert_eq!(with_prefix.is_truncated(), Some(true));
    // With a continuation token as well, the listing goes on after the later of the two.
    let next = s3
        .list_objects_v2()
        .bucket("resume")
        .prefix("a/")
        .start_after("a/b/e")
        .continuation_token(with_prefix.next_continuation_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(listed(&next).0, ["a/c"]);
}

#[tokio::test]
async fn a_lost_answer_scoped_to_a_key_spares_the_other_keys() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "scoped").await;
    emulator
        .faults()
        .inject_for_key("PutObject", ".json", Fault::LoseAnswer, 1);
    assert!(put(&s3, "scoped", "state/users.csv", b"csv").await.is_ok());
    assert_eq!(
        put(&s3, "scoped", "state/index.json", b"{}").await,
        Err("500 InternalError".to_owned())
    );
    assert_eq!(get_bytes(&s3, "scoped", "state/index.json").await, b"{}", "written");
    assert!(
        put(&s3, "scoped", "state/other.json", b"{}").await.is_ok(),
        "taken once"
    );
    assert_eq!(get_bytes(&s3, "scoped", "state/users.csv").await, b"csv");
}

#[tokio::test]
async fn a_throttle_scoped_to_a_key_spares_the_other_keys() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "scoped").await;
    emulator
        .faults()
        .inject_for_key("PutObject", "hot/", Fault::Throttle, 2);
    // An unscoped fault waits for the calls no scoped one is for.
    emulator.faults().inject("PutObject", Fault::Fail, 1);
    assert_eq!(put(&s3, "scoped", "hot/a", b"1").await, Err("503 SlowDown".to_owned()));
    assert_eq!(
        put(&s3, "scoped", "cold/a", b"1").await,
        Err("500 InternalError".to_owned())
    );
    assert!(put(&s3, "scoped", "cold/a", b"1").await.is_ok());
    assert_eq!(put(&s3, "scoped", "hot/b", b"2").await, Err("503 SlowDown".to_owned()));
    let listed = s3.list_objects_v2().bucket("scoped").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["cold/a"], "a throttled put stores nothing");
    assert!(put(&s3, "scoped", "hot/a", b"1").await.is_ok());

    emulator
        .faults()
        .inject_for_key("PutObject", "hot/", Fault::Throttle, 1);
    emulator.faults().clear();
    assert!(put(&s3, "scoped", "hot/a", b"1").await.is_ok(), "cleared");
}
