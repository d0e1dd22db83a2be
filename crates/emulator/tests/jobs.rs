//! User import jobs run end to end through the SDK: the status walk, the row and file rules, the
//! counts and the log, Stop, expiry, and the account's and pool's limits.

mod common;

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, SchemaAttributeType, UserPoolMfaType, VerifiedAttributeType,
};
use cognito_import_emulator::{EmulatorConfig, assumptions};
use common::*;

const SUCCEEDED: &str = "Import Job Completed Successfully.";
const TOO_MANY: &str = "Too many users have failed or been skipped during the import.";
/// The one FAILED reason the reference documents.
const NOT_AUTO_VERIFIED: &str =
    "The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true).";

fn succeeded(line: u64) -> String {
    format!("[SUCCEEDED] Line Number {line} - The import succeeded.")
}

fn skipped(line: u64) -> String {
    format!("[SKIPPED] Line Number {line} - The user already exists.")
}

fn failed(line: u64, reason: &str) -> String {
    format!("[FAILED] Line Number {line} - {reason}")
}

/// StartUserImportJob's error code, or "" when the job started.
async fn start_code(cognito: &Cognito, pool: &str, job: &str) -> String {
    let result = cognito
        .start_user_import_job()
        .user_pool_id(pool)
        .job_id(job)
        .send()
        .await;
    if result.is_ok() { String::new() } else { code(&result) }
}

async fn usernames(cognito: &Cognito, pool: &str) -> Vec<String> {
    let out = cognito.list_users().user_pool_id(pool).send().await.expect("ListUsers");
    out.users()
        .iter()
        .map(|u| u.username().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn the_status_walk_is_observable_step_by_step() {
    let emulator = start_with(EmulatorConfig {
        job_step: Duration::from_millis(150),
        // Seeing each 150 ms step takes DescribeUserImportJob every 10 ms: above Cognito's 5
        // requests a second per pool, which would hide a step.
        cognito_quotas: false,
        ..EmulatorConfig::default()
    })
    .await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "walk").await;
    let job = create_job(&cognito, &pool, "walk-job").await;
    let created = describe(&cognito, &pool, &job.id).await;
    assert_eq!(status_of(&created), "Created");
    assert!(created.start_date().is_none() && created.completion_date().is_none());
    upload_ok(&job.url, users_csv(&csv_header(&cognito, &pool).await, &["alice"])).await;

    let started = start_job(&cognito, &pool, &job.id).await;
    assert_eq!(status_of(&started), "Pending");
    assert!(started.start_date().is_some() && started.completion_date().is_none());

    let mut seen = vec![status_of(&started).to_owned()];
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let last = loop {
        let now = describe(&cognito, &pool, &job.id).await;
        let status = status_of(&now).to_owned();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if !matches!(status.as_str(), "Pending" | "InProgress") {
            break now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job did not end; seen {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(seen, ["Pending", "InProgress", "Succeeded"]);
    assert_eq!(last.completion_message(), Some(SUCCEEDED));
    assert_eq!(counts(&last), (1, 0, 0));
    let (creation, start, completion) = (
        last.creation_date().unwrap().as_secs_f64(),
        last.start_date().unwrap().as_secs_f64(),
        last.completion_date().unwrap().as_secs_f64(),
    );
    assert!(
        creation <= start && start <= completion,
        "{creation} <= {start} <= {completion}"
    );
    assert_eq!(emulator.job_log(&job.id), [succeeded(2)]);
}

/// A pool with the user carol, and a file of eight rows: four new users, carol again, and three bad rows.
async fn mixed_import() -> (cognito_import_emulator::Emulator, Cognito, String, String) {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "mixed").await;
    emulator
        .add_user(
            &pool,
            "carol",
            &[("email", "carol@old.example.com"), ("email_verified", "true")],
        )
        .unwrap();
    let header = csv_header(&cognito, &pool).await;
    let file = csv(
        &header,
        &[
            &user("alice", "alice@example.com"),     // line 2
            &user("carol", "carol@new.example.com"), // line 3: exists
            &user("bob", "bob-at-example.com"),      // line 4: bad email
            &[
                ("cognito:username", "dave"),
                ("name", "Doe, Dave"),
                ("email", "dave@example.com"),
                ("email_verified", "TRUE"),
            ], // line 5
            &[("cognito:username", "eve"), ("email", "eve@example.com")], // line 6: nothing verified
            &[
                ("cognito:username", "frank"),
                ("phone_number", "+14325551212"),
                ("phone_number_verified", "true"),
            ], // line 7: verified by phone only, in a pool that auto-verifies only email
            &user("grace", " grace@example.com "),   // line 8: trimmed
            &user("heidi", "heidi@example.com"),     // line 9
        ],
    );
    assert!(file.contains("Doe\\, Dave"), "the comma is escaped in the file");
    let (job_id, job) = run_import(&cognito, &pool, file).await;
    assert_eq!(status_of(&job), "Succeeded", "{:?}", job.completion_message());
    (emulator, cognito, pool, job_id)
}

#[tokio::test]
async fn counts_match_the_log_line_for_line() {
    let (emulator, cognito, pool, job_id) = mixed_import().await;
    let job = describe(&cognito, &pool, &job_id).await;
    assert_eq!(counts(&job), (4, 1, 3));
    assert_eq!(job.completion_message(), Some(SUCCEEDED));
    assert_eq!(
        emulator.job_log(&job_id),
        [
            succeeded(2),
            skipped(3),
            failed(
                4,
                "email must have one @ between a local part and a domain, and no whitespace."
            ),
            succeeded(5),
            failed(6, NOT_AUTO_VERIFIED),
            failed(7, NOT_AUTO_VERIFIED),
            succeeded(8),
            succeeded(9),
        ]
    );
}

#[tokio::test]
async fn imported_users_are_reset_required_with_their_attributes_and_existing_ones_unchanged() {
    let (_emulator, cognito, pool, _) = mixed_import().await;
    assert_eq!(
        usernames(&cognito, &pool).await,
        ["alice", "carol", "dave", "grace", "heidi"]
    );

    let get = |name: &'static str| {
        let cognito = cognito.clone();
        let pool = pool.clone();
        async move {
            let out = cognito
                .admin_get_user()
                .user_pool_id(&pool)
                .username(name)
                .send()
                .await
                .expect("AdminGetUser");
            let attributes: Vec<(String, String)> = out
                .user_attributes()
                .iter()
                .filter(|a| a.name() != "sub")
                .map(|a| (a.name().to_owned(), a.value().unwrap_or("").to_owned()))
                .collect();
            let has_sub = out.user_attributes().iter().any(|a| a.name() == "sub");
            (out.user_status().map(|s| s.as_str().to_owned()), attributes, has_sub)
        }
    };
    let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
        p.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    };

    assert_eq!(
        get("alice").await,
        (
            Some("RESET_REQUIRED".to_owned()),
            pairs(&[("email", "alice@example.com"), ("email_verified", "true")]),
            true
        )
    );
    assert_eq!(
        get("dave").await.1,
        pairs(&[
            ("name", "Doe, Dave"),
            ("email", "dave@example.com"),
            ("email_verified", "true")
        ])
    );
    assert_eq!(
        get("grace").await.1,
        pairs(&[("email", "grace@example.com"), ("email_verified", "true")])
    );
    // SKIPPED: carol keeps her status and her old email.
    assert_eq!(
        get("carol").await,
        (
            Some("CONFIRMED".to_owned()),
            pairs(&[("email", "carol@old.example.com"), ("email_verified", "true")]),
            true
        )
    );

    // ListUsers shows the same users and statuses.
    let listed = cognito.list_users().user_pool_id(&pool).send().await.unwrap();
    let statuses: Vec<(&str, &str)> = listed
        .users()
        .iter()
        .map(|u| (u.username().unwrap(), u.user_status().unwrap().as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("alice", "RESET_REQUIRED"),
            ("carol", "CONFIRMED"),
            ("dave", "RESET_REQUIRED"),
            ("grace", "RESET_REQUIRED"),
            ("heidi", "RESET_REQUIRED"),
        ]
    );
}

#[tokio::test]
async fn a_file_that_cannot_be_parsed_fails_the_job_with_nothing_imported() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "bad-files").await;
    let header = csv_header(&cognito, &pool).await;
    let good = users_csv(&header, &["alice", "bob"]);

    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(good.as_bytes());
    let without_name: Vec<String> = header.iter().filter(|c| *c != "name").cloned().collect();
    let missing_column = users_csv(&without_name, &["alice", "bob"]);
    let mut not_utf8 = good.clone().into_bytes();
    let second_row = good.match_indices('\n').nth(1).unwrap().0 + 1; // line 3
    not_utf8.insert(second_row, 0xFF);

    for (file, expected) in [
        (bom, "the file starts with a UTF-8 byte-order mark"),
        (missing_column.into_bytes(), "the header lacks columns: name"),
        (not_utf8, "line 3 is not valid UTF-8"),
    ] {
        let (job_id, job) = run_import(&cognito, &pool, file).await;
        assert_eq!(status_of(&job), "Failed", "{expected}");
        assert_eq!(job.completion_message(), Some(expected));
        assert_eq!(counts(&job), (0, 0, 0), "{expected}");
        assert!(job.completion_date().is_some());
        assert_eq!(emulator.job_log(&job_id), Vec::<String>::new(), "{expected}");
    }
    assert_eq!(usernames(&cognito, &pool).await, Vec::<String>::new());

    // The same rows with a proper file import.
    let (_, job) = run_import(&cognito, &pool, good).await;
    assert_eq!((status_of(&job), counts(&job)), ("Succeeded", (2, 0, 0)));
}

#[tokio::test]
async fn too_many_failed_or_skipped_rows_fail_the_job() {
    assert_eq!(
        assumptions::FAILED_OR_SKIPPED_RATIO,
        0.5,
        "the rows below are chosen for 0.5"
    );
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "ratio").await;
    emulator
        .add_user(
            &pool,
            "old1",
            &[("email", "old1@example.com"), ("email_verified", "true")],
        )
        .unwrap();
    emulator
        .add_user(
            &pool,
            "old2",
            &[("email", "old2@example.com"), ("email_verified", "true")],
        )
        .unwrap();
    let header = csv_header(&cognito, &pool).await;

    // Exactly half bad: still Succeeded.
    let half = csv(&header, &[&user("a1", "a1@example.com"), &user("b1", "not-an-email")]);
    let (_, job) = run_import(&cognito, &pool, half).await;
    assert_eq!(
        (status_of(&job), job.completion_message()),
        ("Succeeded", Some(SUCCEEDED))
    );
    assert_eq!(counts(&job), (1, 0, 1));

    // Two of three failed: Failed, with the good row still imported (the threshold is applied at the end).
    let most = csv(
        &header,
        &[
            &user("a2", "a2@example.com"),
            &user("b2", "bad"),
            &[("cognito:username", "c2")],
        ],
    );
    let (job_id, job) = run_import(&cognito, &pool, most).await;
    assert_eq!((status_of(&job), job.completion_message()), ("Failed", Some(TOO_MANY)));
    assert_eq!(counts(&job), (1, 0, 2));
    assert_eq!(emulator.job_log(&job_id).len(), 3);

    // Skipped rows count too.
    let existing = csv(
        &header,
        &[&user("old1", "old1@example.com"), &user("old2", "old2@example.com")],
    );
    let (_, job) = run_import(&cognito, &pool, existing).await;
    assert_eq!((status_of(&job), job.completion_message()), ("Failed", Some(TOO_MANY)));
    assert_eq!(counts(&job), (0, 2, 0));
    assert_eq!(usernames(&cognito, &pool).await, ["a1", "a2", "old1", "old2"]);
}

#[tokio::test]
async fn stop_while_in_progress_ends_the_job_stopped_part_way() {
    let emulator = start_with(EmulatorConfig {
        row_delay: Duration::from_millis(50),
        ..EmulatorConfig::default()
    })
    .await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "stop").await;
    let names: Vec<String> = (1..=20).map(|i| format!("user{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let job = create_job(&cognito, &pool, "stop-job").await;
    upload_ok(&job.url, users_csv(&csv_header(&cognito, &pool).await, &names)).await;
    start_job(&cognito, &pool, &job.id).await;
    job_when(&cognito, &pool, &job.id, "the first rows", |j| {
        status_of(j) == "InProgress" && j.imported_users() >= 1
    })
    .await;

    // As the CLI examples show: Stopped at once, with its CompletionDate.
    let answer = cognito
        .stop_user_import_job()
        .user_pool_id(&pool)
        .job_id(&job.id)
        .send()
        .await
        .expect("StopUserImportJob");
    let answer = answer.user_import_job().unwrap();
    assert_eq!(status_of(answer), "Stopped");
    assert!(answer.completion_date().is_some());
    assert_eq!(
        answer.completion_message(),
        Some("The Import Job was stopped by the developer.")
    );

    let stopped = finished(&cognito, &pool, &job.id).await;
    assert_eq!(status_of(&stopped), "Stopped");
    // What Stop answered is final: the counts do not move after it.
    assert_eq!(counts(&stopped), counts(answer));
    assert_eq!(
        stopped.completion_message(),
        Some("The Import Job was stopped by the developer.")
    );
    assert!(stopped.completion_date().is_some());
    let (imported, skipped, failed) = counts(&stopped);
    assert_eq!((skipped, failed), (0, 0));
    assert!((1..20).contains(&imported), "{imported} of 20 rows imported");
    assert_eq!(emulator.job_log(&job.id).len() as i64, imported);
    assert_eq!(usernames(&cognito, &pool).await, names[..imported as usize]);

    // Still Stopped four rows' time later: the runner does not carry on. (A check that nothing
    // happens needs a wait; it can only miss a late row, never fail a correct emulator.)
    tokio::time::sleep(Duration::from_millis(200)).await;
    let later = describe(&cognito, &pool, &job.id).await;
    assert_eq!((status_of(&later), counts(&later)), ("Stopped", (imported, 0, 0)));

    // A stopped job cannot be started or stopped again.
    assert_eq!(
        start_code(&cognito, &pool, &job.id).await,
        assumptions::NOT_CREATED_START_ERROR
    );
    let again = cognito
        .stop_user_import_job()
        .user_pool_id(&pool)
        .job_id(&job.id)
        .send()
        .await;
    assert_eq!(code(&again), "PreconditionNotMetException");
}

#[tokio::test]
async fn a_created_job_past_its_window_expires_and_cannot_start() {
    let emulator = start_with(EmulatorConfig {
        job_expiry: Duration::from_millis(200),
        ..EmulatorConfig::default()
    })
    .await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "expiry").await;
    let job = create_job(&cognito, &pool, "late-job").await;
    upload_ok(&job.url, users_csv(&csv_header(&cognito, &pool).await, &["alice"])).await;
    let expired = job_when(&cognito, &pool, &job.id, "the job to expire", |j| {
        status_of(j) != "Created"
    })
    .await;
    assert_eq!(status_of(&expired), "Expired");
    assert_eq!(expired.completion_message(), Some("The user import job has expired."));
    assert!(expired.completion_date().is_some() && expired.start_date().is_none());
    assert_eq!(
        start_code(&cognito, &pool, &job.id).await,
        assumptions::NOT_CREATED_START_ERROR
    );
    assert_eq!(usernames(&cognito, &pool).await, Vec::<String>::new());
    let listed = cognito
        .list_user_import_jobs()
        .user_pool_id(&pool)
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(status_of(&listed.user_import_jobs()[0]), "Expired");
}

#[tokio::test]
async fn start_without_an_upload_is_a_precondition_failure() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "no-upload").await;
    let job = create_job(&cognito, &pool, "empty-job").await;
    let result = cognito
        .start_user_import_job()
        .user_pool_id(&pool)
        .job_id(&job.id)
        .send()
        .await;
    assert_eq!(
        (status(&result), code(&result).as_str()),
        (400, "PreconditionNotMetException")
    );
    assert_eq!(message(&result), format!("No csv file was uploaded for {}", job.id));
    assert_eq!(status_of(&describe(&cognito, &pool, &job.id).await), "Created");
}

#[tokio::test]
async fn one_active_job_per_account_across_pools() {
    let emulator = start_with(EmulatorConfig {
        job_step: Duration::from_millis(150),
        ..EmulatorConfig::default()
    })
    .await;
    let cognito = cognito(&emulator);
    let (pool_a, pool_b) = (create_pool(&cognito, "a").await, create_pool(&cognito, "b").await);
    let (job_a, job_b) = (
        create_job(&cognito, &pool_a, "first").await,
        create_job(&cognito, &pool_b, "second").await,
    );
    upload_ok(&job_a.url, users_csv(&csv_header(&cognito, &pool_a).await, &["alice"])).await;
    upload_ok(&job_b.url, users_csv(&csv_header(&cognito, &pool_b).await, &["bob"])).await;

    start_job(&cognito, &pool_a, &job_a.id).await;
    assert_eq!(
        start_code(&cognito, &pool_b, &job_b.id).await,
        assumptions::SECOND_ACTIVE_JOB_ERROR
    );
    assert_eq!(status_of(&describe(&cognito, &pool_b, &job_b.id).await), "Created");

    assert_eq!(status_of(&finished(&cognito, &pool_a, &job_a.id).await), "Succeeded");
    assert_eq!(start_code(&cognito, &pool_b, &job_b.id).await, "");
    assert_eq!(status_of(&finished(&cognito, &pool_b, &job_b.id).await), "Succeeded");
    assert_eq!(usernames(&cognito, &pool_b).await, ["bob"]);
}

#[tokio::test]
async fn a_pool_that_auto_verifies_nothing_cannot_start_a_job() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = cognito
        .create_user_pool()
        .pool_name("no-auto-verify")
        .send()
        .await
        .unwrap()
        .user_pool()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let job = create_job(&cognito, &pool, "never").await;
    upload_ok(&job.url, users_csv(&csv_header(&cognito, &pool).await, &["alice"])).await;
    assert_eq!(
        start_code(&cognito, &pool, &job.id).await,
        assumptions::NO_AUTO_VERIFY_ERROR
    );
    assert_eq!(status_of(&describe(&cognito, &pool, &job.id).await), "Created");
}

#[tokio::test]
async fn a_pool_may_create_only_its_quota_of_jobs() {
    let emulator = start_with(EmulatorConfig {
        jobs_per_pool: 2,
        ..EmulatorConfig::default()
    })
    .await;
    // Retries off: the SDK classifies LimitExceededException as throttling and would retry it.
    let cognito = Signer {
        retry: RetryConfig::disabled(),
        ..Signer::default()
    }
    .cognito(&emulator);
    let pool = create_pool(&cognito, "quota").await;
    create_job(&cognito, &pool, "one").await;
    create_job(&cognito, &pool, "two").await;
    for _ in 0..2 {
        let third = cognito
            .create_user_import_job()
            .user_pool_id(&pool)
            .job_name("three")
            .cloud_watch_logs_role_arn(ROLE_ARN)
            .send()
            .await;
        assert_eq!((status(&third), code(&third).as_str()), (400, "LimitExceededException"));
    }
    let listed = cognito
        .list_user_import_jobs()
        .user_pool_id(&pool)
        .max_results(60)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.user_import_jobs().len(), 2);
    // The quota is per pool.
    let other = create_pool(&cognito, "other").await;
    create_job(&cognito, &other, "one").await;
}

#[tokio::test]
async fn pool_required_custom_number_and_mfa_rules_apply_to_rows() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let attribute = |name: &str, kind: AttributeDataType, required: bool| {
        SchemaAttributeType::builder()
            .name(name)
            .attribute_data_type(kind)
            .required(required)
            .mutable(true)
            .build()
    };
    let pool = cognito
        .create_user_pool()
        .pool_name("rules")
        .auto_verified_attributes(aws_sdk_cognitoidentityprovider::types::VerifiedAttributeType::Email)
        .mfa_configuration(UserPoolMfaType::On)
        .schema(attribute("given_name", AttributeDataType::String, true))
        .schema(attribute("age", AttributeDataType::Number, false))
        .schema(attribute("tier", AttributeDataType::String, false))
        .send()
        .await
        .unwrap()
        .user_pool()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let header = csv_header(&cognito, &pool).await;
    let row = |name: &'static str, given: &'static str, age: &'static str, mfa: &'static str| {
        [
            ("cognito:username", name),
            ("email", "x@example.com"),
            ("email_verified", "true"),
            ("given_name", given),
            ("custom:age", age),
            ("custom:tier", "gold"),
            ("cognito:mfa_enabled", mfa),
        ]
    };
    let file = csv(
        &header,
        &[
            &row("ann", "Ann", "42", "true"), // line 2
            &row("ben", "", "42", "true"),    // line 3: given_name required
            &row("cat", "Cat", "forty", ""),  // line 4: custom:age is a Number
            &row("dan", "Dan", "7", "false"), // line 5: the pool requires MFA
            &row("eve", "Eve", "-3", ""),     // line 6: empty MFA takes the pool default
            &row("fay", "Fay", "", "TRUE"),   // line 7
            &row("gus", "Gus", "0", "true"),  // line 8
        ],
    );
    let (job_id, job) = run_import(&cognito, &pool, file).await;
    assert_eq!((status_of(&job), counts(&job)), ("Succeeded", (4, 0, 3)));
    assert_eq!(
        emulator.job_log(&job_id),
        [
            succeeded(2),
            failed(3, "given_name is required but has no value."),
            failed(4, "custom:age must be an integer."),
            failed(5, "cognito:mfa_enabled must not be false: the pool requires MFA."),
            succeeded(6),
            succeeded(7),
            succeeded(8),
        ]
    );
    let ann = cognito
        .admin_get_user()
        .user_pool_id(&pool)
        .username("ann")
        .send()
        .await
        .unwrap();
    let attribute_of = |name: &str| {
        ann.user_attributes()
            .iter()
            .find(|a| a.name() == name)
            .and_then(|a| a.value())
            .map(str::to_owned)
    };
    assert_eq!(attribute_of("given_name").as_deref(), Some("Ann"));
    assert_eq!(attribute_of("custom:age").as_deref(), Some("42"));
    assert_eq!(attribute_of("custom:tier").as_deref(), Some("gold"));
    assert_eq!(usernames(&cognito, &pool).await, ["ann", "eve", "fay", "gus"]);
}

#[tokio::test]
async fn a_subset_header_needs_require_full_header_off() {
    let subset: Vec<String> = ["cognito:username", "email", "email_verified"]
        .map(String::from)
        .to_vec();
    let file = users_csv(&subset, &["alice", "bob"]);

    let strict = start().await;
    let cognito_strict = cognito(&strict);
    let pool = create_pool(&cognito_strict, "strict").await;
    let missing: Vec<String> = csv_header(&cognito_strict, &pool)
        .await
        .into_iter()
        .filter(|c| !subset.contains(c))
        .collect();
    let (_, job) = run_import(&cognito_strict, &pool, file.clone()).await;
    assert_eq!(status_of(&job), "Failed");
    let expected = format!("the header lacks columns: {}", missing.join(", "));
    assert_eq!(job.completion_message(), Some(expected.as_str()));
    assert_eq!(counts(&job), (0, 0, 0));

    let lenient = start_with(EmulatorConfig {
        require_full_header: false,
        ..EmulatorConfig::default()
    })
    .await;
    let cognito_lenient = cognito(&lenient);
    let pool = create_pool(&cognito_lenient, "lenient").await;
    let (job_id, job) = run_import(&cognito_lenient, &pool, file).await;
    assert_eq!((status_of(&job), counts(&job)), ("Succeeded", (2, 0, 0)));
    assert_eq!(lenient.job_log(&job_id), [succeeded(2), succeeded(3)]);
    assert_eq!(usernames(&cognito_lenient, &pool).await, ["alice", "bob"]);
}

/// A job with one row on an emulator whose steps are slow enough to act between them.
async fn slow_single_row_job() -> (cognito_import_emulator::Emulator, Cognito, String, String) {
    let emulator = start_with(EmulatorConfig {
        job_step: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "slow").await;
    let job = create_job(&cognito, &pool, "slow-job").await;
    upload_ok(&job.url, users_csv(&csv_header(&cognito, &pool).await, &["alice"])).await;
    (emulator, cognito, pool, job.id)
}

async fn stop(cognito: &Cognito, pool: &str, job: &str) -> String {
    let out = cognito
        .stop_user_import_job()
        .user_pool_id(pool)
        .job_id(job)
        .send()
        .await
        .expect("StopUserImportJob");
    status_of(out.user_import_job().unwrap()).to_owned()
}

#[tokio::test]
async fn stop_while_pending_ends_stopped_before_any_row() {
    let (emulator, cognito, pool, job) = slow_single_row_job().await;
    assert_eq!(status_of(&start_job(&cognito, &pool, &job).await), "Pending");
    assert_eq!(stop(&cognito, &pool, &job).await, "Stopped");
    let ended = finished(&cognito, &pool, &job).await;
    assert_eq!((status_of(&ended), counts(&ended)), ("Stopped", (0, 0, 0)));
    // Still nothing after the job's first step: the runner saw the stop and ran no row.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let later = describe(&cognito, &pool, &job).await;
    assert_eq!((status_of(&later), counts(&later)), ("Stopped", (0, 0, 0)));
    assert_eq!(emulator.job_log(&job), Vec::<String>::new());
    assert_eq!(usernames(&cognito, &pool).await, Vec::<String>::new());
}

#[tokio::test]
async fn stop_after_the_last_row_still_ends_stopped() {
    let (_emulator, cognito, pool, job) = slow_single_row_job().await;
    start_job(&cognito, &pool, &job).await;
    // The row is done; the job is in its last step before the verdict.
    job_when(&cognito, &pool, &job, "the row", |j| j.imported_users() == 1).await;
    assert_eq!(stop(&cognito, &pool, &job).await, "Stopped");
    let ended = finished(&cognito, &pool, &job).await;
    assert_eq!(status_of(&ended), "Stopped", "{:?}", ended.completion_message());
    assert_eq!(
        ended.completion_message(),
        Some("The Import Job was stopped by the developer.")
    );
    assert_eq!(counts(&ended), (1, 0, 0));
}

/// A pool through CreateUserPool that auto-verifies `auto_verified`.
async fn pool_auto_verifying(cognito: &Cognito, name: &str, auto_verified: &[VerifiedAttributeType]) -> String {
    let out = cognito
        .create_user_pool()
        .pool_name(name)
        .set_auto_verified_attributes(Some(auto_verified.to_vec()))
        .send()
        .await
        .expect("CreateUserPool");
    out.user_pool().and_then(|p| p.id()).expect("a pool id").to_owned()
}

#[tokio::test]
async fn a_row_verified_only_by_phone_fails_in_a_pool_that_auto_verifies_only_email() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let rows: [&[(&str, &str)]; 2] = [
        &user("alice", "alice@example.com"), // line 2: email verified
        &[
            ("cognito:username", "frank"),
            ("email", "frank@example.com"),
            ("email_verified", "false"),
            ("phone_number", "+14325551212"),
            ("phone_number_verified", "true"),
        ], // line 3: phone verified only
    ];
    let email_only = pool_auto_verifying(&cognito, "email-only", &[VerifiedAttributeType::Email]).await;
    let file = csv(&csv_header(&cognito, &email_only).await, &rows);
    let (job_id, job) = run_import(&cognito, &email_only, file.clone()).await;
    assert_eq!(counts(&job), (1, 0, 1));
    assert_eq!(emulator.job_log(&job_id), [succeeded(2), failed(3, NOT_AUTO_VERIFIED)]);

    // The same file in pools that auto-verify the phone number imports frank; where the phone
    // number alone is auto-verified, alice (verified by email only) fails instead.
    let both = pool_auto_verifying(
        &cognito,
        "both",
        &[VerifiedAttributeType::Email, VerifiedAttributeType::PhoneNumber],
    )
    .await;
    let (job_id, job) = run_import(&cognito, &both, file.clone()).await;
    assert_eq!(counts(&job), (2, 0, 0));
    assert_eq!(emulator.job_log(&job_id), [succeeded(2), succeeded(3)]);
    let phone_only = pool_auto_verifying(&cognito, "phone-only", &[VerifiedAttributeType::PhoneNumber]).await;
    let (job_id, job) = run_import(&cognito, &phone_only, file).await;
    assert_eq!(counts(&job), (1, 0, 1));
    assert_eq!(emulator.job_log(&job_id), [failed(2, NOT_AUTO_VERIFIED), succeeded(3)]);
}
