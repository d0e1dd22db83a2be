//! The call counter (`Emulator::calls`): every request served, by `service:operation`, across
//! Cognito, S3, CloudWatch Logs, SNS and the pre-signed upload; and its reset.

mod common;

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use cognito_import_emulator::calls;
use common::*;

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(name, n)| (name.to_string(), *n)).collect()
}

#[tokio::test]
async fn every_request_is_counted_by_operation_until_reset() {
    let emulator = start().await;
    assert!(emulator.calls().is_empty());
    let cognito = cognito(&emulator);
    let s3 = s3(&emulator);

    let pool = create_pool(&cognito, "calls").await;
    let header = csv_header(&cognito, &pool).await;
    let (job, _) = run_import(&cognito, &pool, users_csv(&header, &["alice"])).await;
    let polls = emulator.calls()["cognito-idp:DescribeUserImportJob"];
    assert!(polls >= 1);
    assert_eq!(
        emulator.calls(),
        counts(&[
            ("cognito-idp:CreateUserPool", 1),
            ("cognito-idp:GetCSVHeader", 1),
            ("cognito-idp:CreateUserImportJob", 1),
            (calls::PRESIGNED_UPLOAD, 1),
            ("cognito-idp:StartUserImportJob", 1),
            ("cognito-idp:DescribeUserImportJob", polls),
        ])
    );

    emulator.reset_calls();
    assert!(emulator.calls().is_empty());

    s3.create_bucket().bucket("drop").send().await.expect("CreateBucket");
    for key in ["a.csv", "b.csv"] {
        s3.put_object()
            .bucket("drop")
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("PutObject");
    }
    s3.get_object()
        .bucket("drop")
        .key("a.csv")
        .send()
        .await
        .expect("GetObject");
    // A refused call is served too.
    let missing = s3.get_object().bucket("drop").key("missing.csv").send().await;
    assert_eq!(code(&missing), "NoSuchKey");
    let wrong_key = Signer {
        secret_key: "wrong",
        ..Signer::default()
    };
    let unsigned = wrong_key.s3(&emulator).list_buckets().send().await;
    assert_eq!(status(&unsigned), 403);

    logs(&emulator)
        .get_log_events()
        .log_group_name(format!("/aws/cognito/userpools/{pool}/calls"))
        .log_stream_name(format!("{job}/e2e-import"))
        .send()
        .await
        .expect("GetLogEvents");
    let sns = aws_sdk_sns::Client::new(&Signer::default().sdk_config(&emulator));
    let topic = sns.create_topic().name("done").send().await.expect("CreateTopic");
    sns.publish()
        .topic_arn(topic.topic_arn().unwrap())
        .message("hi")
        .send()
        .await
        .expect("Publish");

    assert_eq!(
        emulator.calls(),
        counts(&[
            ("s3:CreateBucket", 1),
            ("s3:PutObject", 2),
            ("s3:GetObject", 2),
            (calls::S3_UNRESOLVED, 1),
            ("logs:GetLogEvents", 1),
            ("sns:CreateTopic", 1),
            ("sns:Publish", 1),
        ])
    );
}
