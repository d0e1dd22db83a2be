//! A finished job's CloudWatch log read through aws-sdk-cloudwatchlogs.

mod common;

use cognito_import_emulator::{Emulator, Fault};
use common::*;

/// A pool named `logs-pool` and a finished job of five rows (lines 2-6), two of them FAILED.
struct Finished {
    emulator: Emulator,
    cognito: Cognito,
    pool: String,
    job: String,
    group: String,
    stream: String,
}

async fn finished_job() -> Finished {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "logs-pool").await;
    let header = csv_header(&cognito, &pool).await;
    let file = csv(
        &header,
        &[
            &user("alice", "alice@example.com"),
            &user("bob", "no-at-sign"),
            &user("carol", "carol@example.com"),
            &[("cognito:username", "dan")],
            &user("erin", "erin@example.com"),
        ],
    );
    let (job, ended) = run_import(&cognito, &pool, file).await;
    assert_eq!((status_of(&ended), counts(&ended)), ("Succeeded", (3, 0, 2)));
    Finished {
        group: format!("/aws/cognito/userpools/{pool}/logs-pool"),
        stream: format!("{job}/e2e-import"),
        emulator,
        cognito,
        pool,
        job,
    }
}

#[tokio::test]
async fn get_log_events_pages_forward_until_the_token_repeats() {
    let f = finished_job().await;
    let logs = logs(&f.emulator);
    let expected = f.emulator.job_log(&f.job);
    assert_eq!(
        expected,
        [
            "[SUCCEEDED] Line Number 2 - The import succeeded.",
            "[FAILED] Line Number 3 - email must have one @ between a local part and a domain, and no whitespace.",
            "[SUCCEEDED] Line Number 4 - The import succeeded.",
            "[FAILED] Line Number 5 - The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true).",
            "[SUCCEEDED] Line Number 6 - The import succeeded.",
        ]
    );

    let mut messages = Vec::new();
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = logs
            .get_log_events()
            .log_group_name(&f.group)
            .log_stream_name(&f.stream)
            .start_from_head(true)
            .limit(2)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("GetLogEvents");
        pages.push(out.events().len());
        messages.extend(out.events().iter().map(|e| e.message().unwrap().to_owned()));
        assert!(out.events().iter().all(|e| e.timestamp().is_some()));
        let next = out.next_forward_token().expect("a nextForwardToken").to_owned();
        if token.as_deref() == Some(next.as_str()) {
            break;
        }
        token = Some(next);
        assert!(pages.len() <= 10, "the forward token never repeated");
    }
    assert_eq!(pages, [2, 2, 1, 0]);
    assert_eq!(messages, expected);

    // Without startFromHead the newest events come first.
    let tail = logs
        .get_log_events()
        .log_group_name(&f.group)
        .log_stream_name(&f.stream)
        .limit(2)
        .send()
        .await
        .unwrap();
    let tail: Vec<&str> = tail.events().iter().map(|e| e.message().unwrap()).collect();
    assert_eq!(tail, expected[3..]);
}

#[tokio::test]
async fn filter_log_events_finds_the_failed_rows() {
    let f = finished_job().await;
    let logs = logs(&f.emulator);
    let out = logs
        .filter_log_events()
        .log_group_name(&f.group)
        .filter_pattern("\"[FAILED]\"")
        .send()
        .await
        .expect("FilterLogEvents");
    let found: Vec<(&str, &str)> = out
        .events()
        .iter()
        .map(|e| (e.log_stream_name().unwrap(), e.message().unwrap()))
        .collect();
    let stream = f.stream.as_str();
    assert_eq!(
        found,
        [
            (
                stream,
                "[FAILED] Line Number 3 - email must have one @ between a local part and a domain, and no whitespace."
            ),
            (
                stream,
                "[FAILED] Line Number 5 - The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true)."
            ),
        ]
    );
    assert_eq!(out.next_token(), None);

    // A second job of the pool writes a second stream in the same group.
    let second = create_job(&f.cognito, &f.pool, "second").await;
    let header = csv_header(&f.cognito, &f.pool).await;
    upload_ok(&second.url, csv(&header, &[&user("zed", "bad")])).await;
    start_job(&f.cognito, &f.pool, &second.id).await;
    finished(&f.cognito, &f.pool, &second.id).await;
    let all = logs
        .filter_log_events()
        .log_group_name(&f.group)
        .filter_pattern("\"[FAILED]\"")
        .send()
        .await
        .unwrap();
    assert_eq!(all.events().len(), 3);
    let only_second = logs
        .filter_log_events()
        .log_group_name(&f.group)
        .log_stream_names(format!("{}/second", second.id))
        .send()
        .await
        .unwrap();
    let messages: Vec<&str> = only_second.events().iter().map(|e| e.message().unwrap()).collect();
    assert_eq!(
        messages,
        ["[FAILED] Line Number 2 - email must have one @ between a local part and a domain, and no whitespace."]
    );

    // Paging with limit and nextToken.
    let first_page = logs
        .filter_log_events()
        .log_group_name(&f.group)
        .limit(4)
        .send()
        .await
        .unwrap();
    assert_eq!(first_page.events().len(), 4);
    let rest = logs
        .filter_log_events()
        .log_group_name(&f.group)
        .limit(4)
        .next_token(first_page.next_token().expect("a nextToken"))
        .send()
        .await
        .unwrap();
    assert_eq!((rest.events().len(), rest.next_token()), (2, None));
}

#[tokio::test]
async fn unknown_groups_and_streams_are_not_found_and_faults_are_logs_errors() {
    let f = finished_job().await;
    let logs = logs(&f.emulator);
    let r = logs
        .get_log_events()
        .log_group_name("/aws/cognito/userpools/us-east-1_Nope/none")
        .log_stream_name(&f.stream)
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "ResourceNotFoundException"));
    let r = logs
        .get_log_events()
        .log_group_name(&f.group)
        .log_stream_name("import-Nope/none")
        .send()
        .await;
    assert_eq!(code(&r), "ResourceNotFoundException");
    let r = logs
        .filter_log_events()
        .log_group_name("/aws/cognito/userpools/us-east-1_Nope/none")
        .send()
        .await;
    assert_eq!(code(&r), "ResourceNotFoundException");

    f.emulator.faults().inject("GetLogEvents", Fault::Throttle, 1);
    f.emulator.faults().inject("FilterLogEvents", Fault::Fail, 1);
    let r = logs
        .get_log_events()
        .log_group_name(&f.group)
        .log_stream_name(&f.stream)
        .send()
        .await;
    assert_eq!((status(&r), code(&r).as_str()), (400, "ThrottlingException"));
    let r = logs.filter_log_events().log_group_name(&f.group).send().await;
    assert_eq!((status(&r), code(&r).as_str()), (500, "ServiceUnavailableException"));
    let r = logs.filter_log_events().log_group_name(&f.group).send().await;
    assert_eq!(r.unwrap().events().len(), 5, "one fault only");
}
