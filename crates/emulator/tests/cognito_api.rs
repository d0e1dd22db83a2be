//! The Cognito Identity Provider API as the SDK sees it: shapes, paging, filters, exact error codes,
//! injected faults and refused signatures.

mod common;

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, PasswordHashingAlgorithmType, SchemaAttributeType, UserPoolMfaType,
    VerifiedAttributeType,
};
use cognito_import_emulator::{EmulatorConfig, Fault};
use common::*;

/// An emulator without Cognito's request quotas, for tests that call one import operation on one
/// pool more than 5 times a second.
fn unlimited() -> EmulatorConfig {
    EmulatorConfig {
        cognito_quotas: false,
        ..EmulatorConfig::default()
    }
}

fn is_alnum(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn custom(name: &str, kind: AttributeDataType) -> SchemaAttributeType {
    SchemaAttributeType::builder()
        .name(name)
        .attribute_data_type(kind)
        .mutable(true)
        .build()
}

#[tokio::test]
async fn a_pool_with_custom_attributes_shows_them_in_describe_and_the_csv_header() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let created = cognito
        .create_user_pool()
        .pool_name("shapes")
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .schema(custom("tier", AttributeDataType::String))
        .schema(custom("age", AttributeDataType::Number))
        .send()
        .await
        .unwrap();
    let pool = created.user_pool().unwrap();
    let id = pool.id().unwrap().to_owned();
    let suffix = id.strip_prefix("us-east-1_").expect("a us-east-1_ pool id");
    assert!(is_alnum(suffix), "pool id suffix {suffix}");
    assert_eq!(pool.name(), Some("shapes"));
    assert_eq!(
        pool.arn(),
        Some(format!("arn:aws:cognito-idp:us-east-1:111111111111:userpool/{id}").as_str())
    );

    let described = cognito.describe_user_pool().user_pool_id(&id).send().await.unwrap();
    let described = described.user_pool().unwrap();
    assert_eq!(described.id(), Some(id.as_str()));
    assert_eq!(described.auto_verified_attributes(), [VerifiedAttributeType::Email]);
    assert_eq!(described.mfa_configuration(), Some(&UserPoolMfaType::Off));
    assert!(described.creation_date().is_some());
    let schema: Vec<(&str, &str)> = described
        .schema_attributes()
        .iter()
        .map(|a| (a.name().unwrap(), a.attribute_data_type().unwrap().as_str()))
        .collect();
    for expected in [
        ("sub", "String"),
        ("email", "String"),
        ("email_verified", "Boolean"),
        ("updated_at", "Number"),
        ("custom:tier", "String"),
        ("custom:age", "Number"),
    ] {
        assert!(schema.contains(&expected), "{expected:?} missing from {schema:?}");
    }

    let header = cognito.get_csv_header().user_pool_id(&id).send().await.unwrap();
    assert_eq!(header.user_pool_id(), Some(id.as_str()));
    assert_eq!(
        header.csv_header(),
        [
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "email",
            "email_verified",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "phone_number",
            "phone_number_verified",
            "address",
            "updated_at",
            "custom:tier",
            "custom:age",
            "cognito:mfa_enabled",
            "cognito:username",
        ]
    );
}

#[tokio::test]
async fn a_new_job_echoes_its_request_and_describe_agrees() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "job-shapes").await;
    let out = cognito
        .create_user_import_job()
        .user_pool_id(&pool)
        .job_name("Nightly import, 2026-01-01 @ 03.00 +=_")
        .cloud_watch_logs_role_arn(ROLE_ARN)
        .password_hashing_algorithm(PasswordHashingAlgorithmType::Bcrypt)
        .send()
        .await
        .unwrap();
    let job = out.user_import_job().unwrap();
    let id = job.job_id().unwrap().to_owned();
    assert!(
        is_alnum(id.strip_prefix("import-").expect("an import- job id")),
        "job id {id}"
    );
    assert!(id.len() <= 55);
    assert_eq!(job.job_name(), Some("Nightly import, 2026-01-01 @ 03.00 +=_"));
    assert_eq!(job.user_pool_id(), Some(pool.as_str()));
    assert_eq!(job.cloud_watch_logs_role_arn(), Some(ROLE_ARN));
    assert_eq!(
        job.password_hashing_algorithm(),
        Some(&PasswordHashingAlgorithmType::Bcrypt)
    );
    assert_eq!(status_of(job), "Created");
    assert_eq!(counts(job), (0, 0, 0));
    assert!(
        job.pre_signed_url()
            .is_some_and(|u| u.starts_with(&emulator.endpoint()))
    );
    let created = job.creation_date().expect("a CreationDate").as_secs_f64();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - created).abs() < 60.0, "CreationDate {created} is now");
    assert!(job.start_date().is_none() && job.completion_date().is_none() && job.completion_message().is_none());

    let described = describe(&cognito, &pool, &id).await;
    assert_eq!(described.job_id(), Some(id.as_str()));
    assert_eq!(described.job_name(), job.job_name());
    assert_eq!(described.creation_date(), job.creation_date());
    assert!(
        described.pre_signed_url() == job.pre_signed_url(),
        "the same pre-signed URL"
    );
    assert_eq!(status_of(&described), "Created");
}

#[tokio::test]
async fn import_jobs_are_listed_newest_first_across_pages() {
    // Six ListUserImportJobs on one pool back to back: over Cognito's 5 requests a second per pool
    // (`quotas`), which this test is not about.
    let emulator = start_with(unlimited()).await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "listing").await;
    let other = create_pool(&cognito, "elsewhere").await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(create_job(&cognito, &pool, &format!("job-{i}")).await.id);
    }
    create_job(&cognito, &other, "not-listed").await;

    let mut listed = Vec::new();
    let mut page_sizes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = cognito
            .list_user_import_jobs()
            .user_pool_id(&pool)
            .max_results(2)
            .set_pagination_token(token.clone())
            .send()
            .await
            .unwrap();
        page_sizes.push(out.user_import_jobs().len());
        listed.extend(out.user_import_jobs().iter().map(|j| j.job_id().unwrap().to_owned()));
        token = out.pagination_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(page_sizes, [2, 2, 1]);
    created.reverse();
    assert_eq!(listed, created);

    for bad in [0, 61] {
        let result = cognito
            .list_user_import_jobs()
            .user_pool_id(&pool)
            .max_results(bad)
            .send()
            .await;
        assert_eq!(code(&result), "InvalidParameterException", "MaxResults {bad}");
    }
    let result = cognito
        .list_user_import_jobs()
        .user_pool_id(&pool)
        .max_results(2)
        .pagination_token("not-a-token")
        .send()
        .await;
    assert_eq!(code(&result), "InvalidParameterException");
}

#[tokio::test]
async fn user_pools_are_listed_across_pages() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let mut created = Vec::new();
    for name in ["p1", "p2", "p3"] {
        created.push(create_pool(&cognito, name).await);
    }
    let first = cognito.list_user_pools().max_results(2).send().await.unwrap();
    assert_eq!(first.user_pools().len(), 2);
    let token = first.next_token().expect("a NextToken after a full page");
    let second = cognito
        .list_user_pools()
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.user_pools().len(), 1);
    assert_eq!(second.next_token(), None);
    let mut listed: Vec<String> = first
        .user_pools()
        .iter()
        .chain(second.user_pools())
        .map(|p| p.id().unwrap().to_owned())
        .collect();
    listed.sort();
    created.sort();
    assert_eq!(listed, created);
}

#[tokio::test]
async fn users_are_listed_in_pages_and_filtered() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "people").await;
    for name in ["alice", "alan", "bob", "carol", "dave"] {
        let out = cognito
            .admin_create_user()
            .user_pool_id(&pool)
            .username(name)
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value(format!("{name}@example.com"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.user().unwrap().user_status().unwrap().as_str(),
            "FORCE_CHANGE_PASSWORD"
        );
    }
    let list = |limit: i32, token: Option<String>, filter: Option<&str>| {
        cognito
            .list_users()
            .user_pool_id(&pool)
            .limit(limit)
            .set_pagination_token(token)
            .set_filter(filter.map(str::to_owned))
            .send()
    };
    let names = |out: &aws_sdk_cognitoidentityprovider::operation::list_users::ListUsersOutput| -> Vec<String> {
        out.users().iter().map(|u| u.username().unwrap().to_owned()).collect()
    };

    let mut all = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let out = list(2, token, None).await.unwrap();
        pages += 1;
        all.extend(names(&out));
        token = out.pagination_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(all, ["alan", "alice", "bob", "carol", "dave"]);

    let out = list(60, None, Some("email = \"bob@example.com\"")).await.unwrap();
    assert_eq!(names(&out), ["bob"]);
    let out = list(60, None, Some("username ^= \"al\"")).await.unwrap();
    assert_eq!(names(&out), ["alan", "alice"]);
    let out = list(60, None, Some("email = \"nobody@example.com\"")).await.unwrap();
    assert_eq!(names(&out), Vec::<String>::new());
    let out = list(1, None, Some("username ^= \"al\"")).await.unwrap();
    assert_eq!(names(&out), ["alan"]);
    let out = list(1, out.pagination_token().map(str::to_owned), Some("username ^= \"al\""))
        .await
        .unwrap();
    assert_eq!((names(&out), out.pagination_token()), (vec!["alice".to_owned()], None));

    // `cognito:user_status` is the UserStatus, compared without case; `status` is Enabled/Disabled.
    // A value may hold `^=`: the operator is the first one.
    emulator
        .add_user(&pool, "zoe", &[("email", "zoe^=x@example.com")])
        .unwrap();
    let out = list(60, None, Some("cognito:user_status = \"confirmed\""))
        .await
        .unwrap();
    assert_eq!(names(&out), ["zoe"]);
    let out = list(60, None, Some("cognito:user_status = \"FORCE_CHANGE_PASSWORD\""))
        .await
        .unwrap();
    assert_eq!(names(&out), ["alan", "alice", "bob", "carol", "dave"]);
    let out = list(60, None, Some("status = \"Enabled\"")).await.unwrap();
    assert_eq!(names(&out).len(), 6);
    let out = list(60, None, Some("status = \"enabled\"")).await.unwrap();
    assert_eq!(names(&out), Vec::<String>::new());
    let out = list(60, None, Some("email = \"zoe^=x@example.com\"")).await.unwrap();
    assert_eq!(names(&out), ["zoe"]);
    let out = list(60, None, Some("email ^= \"zoe^=\"")).await.unwrap();
    assert_eq!(names(&out), ["zoe"]);

    let bad = list(60, None, Some("email bob")).await;
    assert_eq!(code(&bad), "InvalidParameterException");
}

#[tokio::test]
async fn errors_carry_their_exact_codes() {
    // Seven refused CreateUserImportJob on one pool back to back: over Cognito's 5 requests a
    // second per pool (`quotas`), which this test is not about.
    let emulator = start_with(unlimited()).await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "errors").await;
    let unknown_pool = "us-east-1_Unknown1";

    let r = cognito.describe_user_pool().user_pool_id(unknown_pool).send().await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "ResourceNotFoundException"));
    let r = cognito.get_csv_header().user_pool_id(unknown_pool).send().await;
    assert_eq!(code(&r), "ResourceNotFoundException");
    let r = cognito
        .create_user_import_job()
        .user_pool_id(unknown_pool)
        .job_name("j")
        .cloud_watch_logs_role_arn(ROLE_ARN)
        .send()
        .await;
    assert_eq!(code(&r), "ResourceNotFoundException");
    let r = cognito.list_users().user_pool_id(unknown_pool).send().await;
    assert_eq!(code(&r), "ResourceNotFoundException");
    let r = cognito
        .describe_user_import_job()
        .user_pool_id(&pool)
        .job_id("import-Nope12345")
        .send()
        .await;
    assert_eq!(code(&r), "ResourceNotFoundException");

    for malformed in [
        "nounderscore",
        "us-east-1_",
        "us-east-1_bad!chars",
        &format!("us-east-1_{}", "a".repeat(50)),
    ] {
        let r = cognito.describe_user_pool().user_pool_id(malformed).send().await;
        assert_eq!(
            (status(&r), code(&r).as_str()),
            (400, "InvalidParameterException"),
            "{malformed}"
        );
        let r = cognito
            .create_user_import_job()
            .user_pool_id(malformed)
            .job_name("j")
            .cloud_watch_logs_role_arn(ROLE_ARN)
            .send()
            .await;
        assert_eq!(code(&r), "InvalidParameterException", "{malformed}");
    }

    let long_name = "n".repeat(129);
    for bad_name in ["", "bad/name", "semi;colon", long_name.as_str()] {
        let r = cognito
            .create_user_import_job()
            .user_pool_id(&pool)
            .job_name(bad_name)
            .cloud_watch_logs_role_arn(ROLE_ARN)
            .send()
            .await;
        assert_eq!(code(&r), "InvalidParameterException", "job name {bad_name:?}");
    }
    for bad_arn in [
        "not-an-arn",
        "arn:aws:iam::111111111111:user/someone",
        "arn:aws:s3:::bucket",
    ] {
        let r = cognito
            .create_user_import_job()
            .user_pool_id(&pool)
            .job_name("j")
            .cloud_watch_logs_role_arn(bad_arn)
            .send()
            .await;
        assert_eq!(code(&r), "InvalidParameterException", "role {bad_arn}");
    }
    let listed = cognito
        .list_user_import_jobs()
        .user_pool_id(&pool)
        .max_results(60)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.user_import_jobs().len(), 0, "refused requests create no job");

    let r = cognito
        .admin_get_user()
        .user_pool_id(&pool)
        .username("ghost")
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "UserNotFoundException"));
    cognito
        .admin_create_user()
        .user_pool_id(&pool)
        .username("twice")
        .send()
        .await
        .unwrap();
    let r = cognito
        .admin_create_user()
        .user_pool_id(&pool)
        .username("twice")
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "UsernameExistsException"));
}

#[tokio::test]
async fn throttling_is_seen_without_retries_and_absorbed_by_the_sdk_retry() {
    let emulator = start().await;
    let no_retry = cognito(&emulator);
    let pool = create_pool(&no_retry, "throttled").await;
    let create = |client: &Cognito| {
        client
            .create_user_import_job()
            .user_pool_id(&pool)
            .job_name("throttled")
            .cloud_watch_logs_role_arn(ROLE_ARN)
            .send()
    };

    emulator.faults().inject("CreateUserImportJob", Fault::Throttle, 2);
    for _ in 0..2 {
        let r = create(&no_retry).await;
        assert_eq!((status(&r), code(&r).as_str()), (400, "TooManyRequestsException"));
    }
    create(&no_retry).await.expect("the third call passes");

    // The SDK's standard retry (3 attempts; a short backoff keeps the test fast) retries
    // TooManyRequestsException as throttling: one call, both faults used up.
    let retrying = Signer {
        retry: RetryConfig::standard().with_initial_backoff(Duration::from_millis(10)),
        ..Signer::default()
    }
    .cognito(&emulator);
    emulator.faults().inject("CreateUserImportJob", Fault::Throttle, 2);
    create(&retrying).await.expect("the SDK retries throttling");
    assert_eq!(
        emulator.faults().take("CreateUserImportJob"),
        None,
        "both faults were answered"
    );
    let jobs = no_retry
        .list_user_import_jobs()
        .user_pool_id(&pool)
        .max_results(60)
        .send()
        .await
        .unwrap();
    assert_eq!(jobs.user_import_jobs().len(), 2, "throttled calls create nothing");
}

#[tokio::test]
async fn an_injected_failure_is_an_internal_error_500() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "failing").await;
    emulator.faults().inject("DescribeUserPool", Fault::Fail, 1);
    let r = cognito.describe_user_pool().user_pool_id(&pool).send().await;
    assert_eq!((status(&r), code(&r).as_str()), (500, "InternalErrorException"));
    cognito
        .describe_user_pool()
        .user_pool_id(&pool)
        .send()
        .await
        .expect("one failure only");
}

#[tokio::test]
async fn calls_signed_with_a_wrong_key_or_region_are_refused() {
    let emulator = start().await;
    let refused = [
        (
            Signer {
                secret_key: "wrong",
                ..Signer::default()
            },
            "InvalidSignatureException",
        ),
        (
            Signer {
                region: "eu-west-1",
                ..Signer::default()
            },
            "InvalidSignatureException",
        ),
        (
            Signer {
                access_key: "nobody",
                ..Signer::default()
            },
            "UnrecognizedClientException",
        ),
    ];
    for (signer, expected) in refused {
        let r = signer
            .cognito(&emulator)
            .create_user_pool()
            .pool_name("never")
            .send()
            .await;
        assert_eq!((status(&r), code(&r).as_str()), (400, expected), "{signer:?}");
    }
    let pools = cognito(&emulator)
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .unwrap();
    assert_eq!(pools.user_pools().len(), 0, "no refused call created a pool");
}

#[tokio::test]
async fn unsigned_and_unknown_calls_get_json_errors() {
    let emulator = start().await;
    let post = |target: &str| {
        reqwest::Client::new()
            .post(emulator.endpoint())
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", target)
            .body("{}")
            .send()
    };
    for (target, expected) in [
        (
            "AWSCognitoIdentityProviderService.ListUserPools",
            "MissingAuthenticationTokenException",
        ),
        ("SomeOtherService.ListThings", "UnknownOperationException"),
    ] {
        let response = post(target).await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(response.headers()["x-amzn-errortype"], expected);
        let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(body["__type"], expected);
    }
}

#[tokio::test]
async fn a_deleted_pool_takes_its_jobs_with_it() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = cognito
        .create_user_pool()
        .pool_name("short-lived")
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .send()
        .await
        .unwrap();
    let id = pool.user_pool().unwrap().id().unwrap().to_owned();
    let job = cognito
        .create_user_import_job()
        .user_pool_id(&id)
        .job_name("j")
        .cloud_watch_logs_role_arn("arn:aws:iam::111111111111:role/CognitoImportLogs")
        .send()
        .await
        .unwrap();
    let job_id = job.user_import_job().unwrap().job_id().unwrap().to_owned();

    cognito.delete_user_pool().user_pool_id(&id).send().await.unwrap();
    let described = cognito.describe_user_pool().user_pool_id(&id).send().await.unwrap_err();
    assert!(described.as_service_error().unwrap().is_resource_not_found_exception());
    // A job's calls name the pool, as Cognito's message does.
    let job = cognito
        .describe_user_import_job()
        .user_pool_id(&id)
        .job_id(&job_id)
        .send()
        .await
        .unwrap_err();
    let job = job.as_service_error().unwrap();
    assert!(job.is_resource_not_found_exception(), "{job:?}");
    assert_eq!(
        job.meta().message(),
        Some(format!("User pool {id} does not exist.").as_str())
    );
    let again = cognito.delete_user_pool().user_pool_id(&id).send().await.unwrap_err();
    assert!(again.as_service_error().unwrap().is_resource_not_found_exception());
}
