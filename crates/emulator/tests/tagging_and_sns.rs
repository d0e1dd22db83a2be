//! S3 object tagging through aws-sdk-s3 and SNS through aws-sdk-sns, both over real HTTP to the
//! one endpoint (so SNS routing must leave S3 alone).

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Tag, Tagging, TaggingDirective};
use aws_sdk_sns::types::MessageAttributeValue;
use cognito_import_emulator::{Emulator, Fault, Published};
use common::*;

type Sns = aws_sdk_sns::Client;

fn sns(emulator: &Emulator) -> Sns {
    Sns::new(&Signer::default().sdk_config(emulator))
}

async fn bucket(s3: &S3, name: &str) {
    s3.create_bucket().bucket(name).send().await.expect("CreateBucket");
}

async fn put(s3: &S3, bucket: &str, key: &str, body: &'static [u8], tagging: Option<&str>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(body))
        .set_tagging(tagging.map(str::to_owned))
        .send()
        .await
        .expect("PutObject");
}

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    let tags = pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
        .collect();
    Tagging::builder().set_tag_set(Some(tags)).build().unwrap()
}

async fn get_tags(s3: &S3, bucket: &str, key: &str) -> Vec<(String, String)> {
    let out = s3
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("GetObjectTagging");
    out.tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn object_tags_can_be_put_read_and_deleted() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "tagged").await;
    put(&s3, "tagged", "incoming/users.csv", b"x", None).await;
    assert_eq!(get_tags(&s3, "tagged", "incoming/users.csv").await, []);
    assert_eq!(emulator.object_tags("tagged", "incoming/users.csv"), Some(vec![]));

    let tags = [("status", "imported"), ("job", "import-AbC"), ("note", "a b&c=ü")];
    s3.put_object_tagging()
        .bucket("tagged")
        .key("incoming/users.csv")
        .tagging(tagging(&tags))
        .send()
        .await
        .expect("PutObjectTagging");
    assert_eq!(get_tags(&s3, "tagged", "incoming/users.csv").await, owned(&tags));
    assert_eq!(emulator.object_tags("tagged", "incoming/users.csv"), Some(owned(&tags)));

    // A second put replaces the whole set; versionId null names the one version of an unversioned
    // bucket (tests/versioning.rs has the rest).
    s3.put_object_tagging()
        .bucket("tagged")
        .key("incoming/users.csv")
        .version_id("null")
        .tagging(tagging(&[("status", "failed")]))
        .send()
        .await
        .expect("PutObjectTagging with a versionId");
    let got = s3
        .get_object_tagging()
        .bucket("tagged")
        .key("incoming/users.csv")
        .version_id("null")
        .send()
        .await
        .expect("GetObjectTagging with a versionId");
    assert_eq!(got.tag_set().len(), 1);
    assert_eq!(
        emulator.object_tags("tagged", "incoming/users.csv"),
        Some(owned(&[("status", "failed")]))
    );

    s3.delete_object_tagging()
        .bucket("tagged")
        .key("incoming/users.csv")
        .send()
        .await
        .expect("DeleteObjectTagging");
    assert_eq!(get_tags(&s3, "tagged", "incoming/users.csv").await, []);
    assert_eq!(emulator.object_tags("tagged", "incoming/users.csv"), Some(vec![]));

    // The object itself is untouched by tagging.
    let body = s3
        .get_object()
        .bucket("tagged")
        .key("incoming/users.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(body.body.collect().await.unwrap().into_bytes().as_ref(), b"x");

    assert_eq!(emulator.object_tags("tagged", "absent"), None);
    assert_eq!(emulator.object_tags("no-such-bucket", "k"), None);
    assert_eq!(emulator.object_tags("tagged", "../tagged/incoming/users.csv"), None);
}

#[tokio::test]
async fn tags_go_with_the_object() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "lifecycle").await;

    // x-amz-tagging on PutObject sets the tags; an overwrite without it drops them.
    put(&s3, "lifecycle", "k", b"1", Some("a=1&b=x%20y")).await;
    assert_eq!(
        get_tags(&s3, "lifecycle", "k").await,
        owned(&[("a", "1"), ("b", "x y")])
    );
    put(&s3, "lifecycle", "k", b"2", None).await;
    assert_eq!(get_tags(&s3, "lifecycle", "k").await, []);
    put(&s3, "lifecycle", "k", b"3", Some("c=3")).await;
    assert_eq!(emulator.object_tags("lifecycle", "k"), Some(owned(&[("c", "3")])));

    // CopyObject copies the source's tags, or takes x-amz-tagging with REPLACE.
    s3.copy_object()
        .bucket("lifecycle")
        .key("copy")
        .copy_source("lifecycle/k")
        .send()
        .await
        .expect("CopyObject");
    assert_eq!(get_tags(&s3, "lifecycle", "copy").await, owned(&[("c", "3")]));
    s3.copy_object()
        .bucket("lifecycle")
        .key("copy")
        .copy_source("lifecycle/k")
        .tagging_directive(TaggingDirective::Replace)
        .tagging("d=4")
        .send()
        .await
        .expect("CopyObject REPLACE");
    assert_eq!(get_tags(&s3, "lifecycle", "copy").await, owned(&[("d", "4")]));

    // Deleting the object deletes its tags: a new object of the same key starts untagged.
    s3.delete_object().bucket("lifecycle").key("k").send().await.unwrap();
    assert_eq!(emulator.object_tags("lifecycle", "k"), None);
    let gone = s3.get_object_tagging().bucket("lifecycle").key("k").send().await;
    assert_eq!((status(&gone), code(&gone).as_str()), (404, "NoSuchKey"));
    put(&s3, "lifecycle", "k", b"4", None).await;
    assert_eq!(emulator.object_tags("lifecycle", "k"), Some(vec![]));

    // A multipart upload gets the tags given when it was created.
    let upload = s3
        .create_multipart_upload()
        .bucket("lifecycle")
        .key("big")
        .tagging("part=yes")
        .send()
        .await
        .expect("CreateMultipartUpload");
    let upload_id = upload.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket("lifecycle")
        .key("big")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from_static(b"only part"))
        .send()
        .await
        .expect("UploadPart");
    s3.complete_multipart_upload()
        .bucket("lifecycle")
        .key("big")
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .set_e_tag(part.e_tag().map(str::to_owned))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("CompleteMultipartUpload");
    assert_eq!(
        emulator.object_tags("lifecycle", "big"),
        Some(owned(&[("part", "yes")]))
    );

    // DeleteObjects and DeleteBucket take the tags with the objects.
    s3.delete_objects()
        .bucket("lifecycle")
        .delete(
            aws_sdk_s3::types::Delete::builder()
                .objects(
                    aws_sdk_s3::types::ObjectIdentifier::builder()
                        .key("copy")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("DeleteObjects");
    assert_eq!(emulator.object_tags("lifecycle", "copy"), None);
    put(&s3, "lifecycle", "copy", b"again", None).await;
    assert_eq!(emulator.object_tags("lifecycle", "copy"), Some(vec![]));
}

#[tokio::test]
async fn bad_tags_and_missing_objects_are_refused() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "strict").await;
    put(&s3, "strict", "k", b"v", Some("keep=me")).await;

    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), format!("v{i}"))).collect();
    let eleven: Vec<(&str, &str)> = eleven.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    for (what, tags) in [
        ("eleven tags", eleven.clone()),
        ("a duplicate key", vec![("a", "1"), ("a", "2")]),
        ("a 129-character key", vec![(long_key.as_str(), "v")]),
        ("a 257-character value", vec![("k", long_value.as_str())]),
    ] {
        let r = s3
            .put_object_tagging()
            .bucket("strict")
            .key("k")
            .tagging(tagging(&tags))
            .send()
            .await;
        assert_eq!((status(&r), code(&r).as_str()), (400, "InvalidTag"), "{what}");
    }
    // The limits themselves are allowed.
    let ten = &eleven[..10];
    s3.put_object_tagging()
        .bucket("strict")
        .key("k")
        .tagging(tagging(ten))
        .send()
        .await
        .expect("ten tags");
    let max = [("k".repeat(128), "v".repeat(256))];
    let max: Vec<(&str, &str)> = max.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s3.put_object_tagging()
        .bucket("strict")
        .key("k")
        .tagging(tagging(&max))
        .send()
        .await
        .expect("a 128-character key and a 256-character value");
    assert_eq!(emulator.object_tags("strict", "k").unwrap()[0].0.len(), 128);

    // Eleven tags in x-amz-tagging: refused before anything is stored.
    let header: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
    let r = s3
        .put_object()
        .bucket("strict")
        .key("new")
        .body(ByteStream::from_static(b"v"))
        .tagging(header.join("&"))
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "InvalidTag"));
    let nothing = s3.head_object().bucket("strict").key("new").send().await;
    assert_eq!(status(&nothing), 404);

    // No object, no tagging: NoSuchKey (NoSuchBucket without the bucket).
    let r = s3
        .put_object_tagging()
        .bucket("strict")
        .key("absent")
        .tagging(tagging(&[("a", "1")]))
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (404, "NoSuchKey"));
    assert_eq!(emulator.object_tags("strict", "absent"), None);
    let r = s3.get_object_tagging().bucket("strict").key("absent").send().await;
    assert_eq!((status(&r), code(&r).as_str()), (404, "NoSuchKey"));
    let r = s3.delete_object_tagging().bucket("strict").key("absent").send().await;
    assert_eq!((status(&r), code(&r).as_str()), (404, "NoSuchKey"));
    let r = s3.get_object_tagging().bucket("no-such-bucket").key("k").send().await;
    assert_eq!((status(&r), code(&r).as_str()), (404, "NoSuchBucket"));

    // Tagging calls take injected faults like any S3 call.
    emulator.faults().inject("PutObjectTagging", Fault::Throttle, 1);
    let r = s3
        .put_object_tagging()
        .bucket("strict")
        .key("k")
        .tagging(tagging(&[("a", "1")]))
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (503, "SlowDown"));
    assert_eq!(emulator.object_tags("strict", "k").unwrap().len(), 1, "unchanged");
}

#[tokio::test]
async fn sns_topics_can_be_created_listed_and_published_to() {
    let emulator = start().await;
    let sns = sns(&emulator);
    let created = sns
        .create_topic()
        .name("import-results")
        .send()
        .await
        .expect("CreateTopic");
    let arn = created.topic_arn().unwrap().to_owned();
    assert_eq!(arn, "arn:aws:sns:us-east-1:111111111111:import-results");
    let again = sns.create_topic().name("import-results").send().await.unwrap();
    assert_eq!(again.topic_arn(), Some(arn.as_str()), "CreateTopic is idempotent");
    assert_eq!(emulator.create_topic("import-results"), arn);
    let other = emulator.create_topic("other-topic");

    let listed = sns.list_topics().send().await.expect("ListTopics");
    let arns: Vec<&str> = listed.topics().iter().filter_map(|t| t.topic_arn()).collect();
    assert_eq!(arns, [arn.as_str(), other.as_str()]);
    assert_eq!(listed.next_token(), None);

    let first = sns
        .publish()
        .topic_arn(&arn)
        .subject("Import finished: users.csv")
        .message("{\"imported\": 3, \"failed\": 0, \"note\": \"a+b & <c> = ü\"}")
        .message_attributes(
            "kind",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("result")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("Publish");
    let second = sns
        .publish()
        .topic_arn(&arn)
        .message("second")
        .send()
        .await
        .expect("Publish without a subject");
    assert!(first.message_id().is_some_and(|id| !id.is_empty()));
    assert_ne!(first.message_id(), second.message_id());

    assert_eq!(
        emulator.published(&arn),
        [
            Published {
                message: "{\"imported\": 3, \"failed\": 0, \"note\": \"a+b & <c> = ü\"}".into(),
                subject: Some("Import finished: users.csv".into()),
            },
            Published {
                message: "second".into(),
                subject: None,
            },
        ]
    );
    assert_eq!(emulator.published(&other), []);
    assert_eq!(emulator.published("arn:aws:sns:us-east-1:111111111111:nope"), []);

    // SNS shares the endpoint with S3, which still answers its own calls.
    let s3 = s3(&emulator);
    bucket(&s3, "beside-sns").await;
    put(&s3, "beside-sns", "k", b"v", Some("t=1")).await;
    assert_eq!(emulator.object_tags("beside-sns", "k"), Some(owned(&[("t", "1")])));
}

#[tokio::test]
async fn sns_refuses_unknown_topics_and_bad_parameters() {
    let emulator = start().await;
    let sns = sns(&emulator);
    let arn = emulator.create_topic("known");

    let r = sns
        .publish()
        .topic_arn("arn:aws:sns:us-east-1:111111111111:unknown")
        .message("m")
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (404, "NotFound"));
    assert_eq!(message(&r), "Topic does not exist");
    assert!(r.unwrap_err().into_service_error().is_not_found_exception());

    let r = sns
        .publish()
        .topic_arn(&arn)
        .message("m")
        .subject("s".repeat(101))
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "InvalidParameter"));
    assert!(r.unwrap_err().into_service_error().is_invalid_parameter_exception());
    let r = sns
        .publish()
        .topic_arn(&arn)
        .message("m")
        .subject("two\nlines")
        .send()
        .await;
    assert_eq!(code(&r), "InvalidParameter");
    sns.publish()
        .topic_arn(&arn)
        .message("m")
        .subject("s".repeat(100))
        .send()
        .await
        .expect("a 100-character subject");

    let r = sns
        .publish()
        .topic_arn(&arn)
        .message("m".repeat(256 * 1024 + 1))
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "InvalidParameter"));
    assert_eq!(message(&r), "Invalid parameter: Message too long");
    sns.publish()
        .topic_arn(&arn)
        .message("m".repeat(256 * 1024))
        .send()
        .await
        .expect("a 256 KiB message");
    let r = sns.publish().topic_arn(&arn).message("").send().await;
    assert_eq!(code(&r), "InvalidParameter");
    let r = sns.create_topic().name("not a name").send().await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "InvalidParameter"));

    assert_eq!(emulator.published(&arn).len(), 2, "only the two accepted messages");
}

#[tokio::test]
async fn sns_takes_injected_faults_and_checks_signatures() {
    let emulator = start().await;
    let sns = sns(&emulator);
    let arn = emulator.create_topic("faulty");

    emulator.faults().inject("Publish", Fault::Throttle, 1);
    let r = sns.publish().topic_arn(&arn).message("throttled").send().await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "Throttling"));
    emulator.faults().inject("Publish", Fault::Fail, 1);
    let r = sns.publish().topic_arn(&arn).message("failed").send().await;
    assert_eq!((status(&r), code(&r).as_str()), (500, "InternalError"));
    assert_eq!(emulator.published(&arn), [], "neither was published");

    // A lost answer: published, though the caller saw an error.
    emulator.faults().inject("Publish", Fault::LoseAnswer, 1);
    let r = sns.publish().topic_arn(&arn).message("lost").send().await;
    assert_eq!(code(&r), "InternalError");
    assert_eq!(emulator.published(&arn).len(), 1);

    // The SDK's retry absorbs a throttle.
    let retrying = Sns::new(
        &Signer {
            retry: RetryConfig::standard().with_initial_backoff(std::time::Duration::from_millis(10)),
            ..Signer::default()
        }
        .sdk_config(&emulator),
    );
    emulator.faults().inject("Publish", Fault::Throttle, 1);
    retrying
        .publish()
        .topic_arn(&arn)
        .message("retried")
        .send()
        .await
        .expect("retried");
    assert_eq!(emulator.published(&arn).len(), 2);

    let wrong_secret = Signer {
        secret_key: "wrong",
        ..Signer::default()
    };
    let r = Sns::new(&wrong_secret.sdk_config(&emulator))
        .publish()
        .topic_arn(&arn)
        .message("forged")
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (403, "SignatureDoesNotMatch"));
    let unknown_key = Signer {
        access_key: "nobody",
        ..Signer::default()
    };
    let r = Sns::new(&unknown_key.sdk_config(&emulator)).list_topics().send().await;
    assert_eq!((status(&r), code(&r).as_str()), (403, "InvalidClientTokenId"));
    let elsewhere = Signer {
        region: "eu-west-1",
        ..Signer::default()
    };
    let r = Sns::new(&elsewhere.sdk_config(&emulator)).list_topics().send().await;
    assert_eq!(status(&r), 403);
    assert_eq!(emulator.published(&arn).len(), 2);

    // An unsigned form POST is SNS's, refused for its missing signature.
    let body = b"Action=ListTopics&Version=2010-03-31";
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}",
        emulator.addr(),
        body.len()
    );
    let answer = raw_request(emulator.addr(), &head, body, false).await;
    assert_eq!(answer.s3_error(), (403, "MissingAuthenticationToken".to_owned()));
}
