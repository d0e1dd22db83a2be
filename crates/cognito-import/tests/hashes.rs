//! Users who keep their passwords, end to end: files with a `password_hash` column, made with the
//! RustCrypto crates, dropped in the sandbox's bucket, imported as hash jobs by the real function
//! through real AWS SDK clients, and proven by signing in on the stand-in.

mod common;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType, PasswordHashingAlgorithmType};
use cognito_import::check::HashAlgorithm;
use cognito_import::domain::record::Status;
use cognito_import_testkit::hashes::{self, HashUser};
use common::*;
use serde_json::Value;

/// A client of the sandbox's pool that may sign in with a password, both ways.
async fn sign_in_client(sb: &cognito_import_testkit::Sandbox, cognito: &Client) -> String {
    cognito
        .create_user_pool_client()
        .user_pool_id(&sb.pool_id)
        .client_name("sign-in")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .and_then(|c| c.client_id)
        .unwrap()
}

/// Signs in with ADMIN_USER_PASSWORD_AUTH: `Ok(())` with tokens, else the error's code.
async fn admin_sign_in(
    sb: &cognito_import_testkit::Sandbox,
    cognito: &Client,
    client: &str,
    user: &str,
    password: &str,
) -> Result<(), String> {
    match cognito
        .admin_initiate_auth()
        .user_pool_id(&sb.pool_id)
        .client_id(client)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", user)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
    {
        Ok(out) => {
            let tokens = out.authentication_result.expect("tokens on success");
            assert!(tokens.access_token.is_some() && tokens.id_token.is_some());
            Ok(())
        }
        Err(e) => Err(e.into_service_error().meta().code().unwrap_or("?").to_owned()),
    }
}

fn password(algorithm: HashAlgorithm, user: &str) -> String {
    format!("{user}-{}-correct horse", algorithm.api_name())
}

#[tokio::test]
async fn hashes_of_every_algorithm_import_and_their_users_sign_in_with_the_old_password() {
    let sb = sandbox().await;
    let cognito = Client::new(&sb.sdk);
    let client = sign_in_client(&sb, &cognito).await;
    for algorithm in HashAlgorithm::ALL {
        let name = algorithm.api_name().to_lowercase();
        let (ann, bob, cat) = (format!("ann-{name}"), format!("bob-{name}"), format!("cat-{name}"));
        let file = hashes::file(&[
            HashUser {
                username: &ann,
                hash: Some(hashes::hash(algorithm, &password(algorithm, &ann))),
            },
            HashUser {
                username: &bob,
                hash: Some(hashes::hash(algorithm, &password(algorithm, &bob))),
            },
            HashUser {
                username: &cat,
                hash: None,
            },
        ]);
        let key = format!("incoming/{name}.csv");
        let event = drop_file(&sb, &key, &file).await;
        let answer = sb.invoke(event.clone()).await.unwrap();
        assert!(matches!(outcome(&answer), "started" | "queued"), "{name}: {answer}");
        let record = sb.settle(&key, &tag_of(&event), |_| {}).await.unwrap();
        assert_eq!(record.status(), Status::Succeeded, "{name}: {record:?}");

        // One hash job, of the hashes' algorithm (PASSWORD_HASHING_ALGORITHM is not set).
        let job = sb.emulator.job(record.job_id.as_deref().unwrap()).unwrap();
        assert_eq!((job.imported, job.skipped, job.failed), (3, 0, 0), "{name}");
        let described = cognito
            .describe_user_import_job()
            .user_pool_id(&sb.pool_id)
            .job_id(record.job_id.as_deref().unwrap())
            .send()
            .await
            .unwrap()
            .user_import_job
            .unwrap();
        assert_eq!(
            described.password_hashing_algorithm,
            Some(PasswordHashingAlgorithmType::from(algorithm.api_name())),
            "{name}"
        );

        // The summary counts who keeps a password.
        let summary: Value =
            serde_json::from_str(&sb.read_text(record.report_key.as_deref().unwrap()).await.unwrap()).unwrap();
        let counted = &summary["passwordHashes"];
        assert_eq!(
            counted["algorithms"],
            serde_json::json!([algorithm.api_name()]),
            "{summary}"
        );
        assert_eq!(
            (
                counted["importedWithHash"].as_u64(),
                counted["importedWithoutHash"].as_u64()
            ),
            (Some(2), Some(1))
        );

        // Each user with a hash signs in with the old password, both ways; a wrong one is refused;
        // the user without a hash must reset.
        for user in [&ann, &bob] {
            assert_eq!(
                admin_sign_in(&sb, &cognito, &client, user, &password(algorithm, user)).await,
                Ok(()),
                "{user}"
            );
            assert_eq!(
                admin_sign_in(&sb, &cognito, &client, user, "wrong password").await,
                Err("NotAuthorizedException".into()),
                "{user}"
            );
        }
        let direct = cognito
            .initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", &bob)
            .auth_parameters("PASSWORD", password(algorithm, &bob))
            .send()
            .await
            .unwrap();
        assert!(direct.authentication_result.is_some(), "{name}");
        assert_eq!(
            admin_sign_in(&sb, &cognito, &client, &cat, "anything").await,
            Err("PasswordResetRequiredException".into()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_hash_over_cognitos_bounds_is_refused_before_any_job_naming_its_line() {
    let sb = sandbox().await;
    let good = hashes::hash(HashAlgorithm::Bcrypt, "pw");
    // Cost 13: one over Cognito's bound (the hash need not be recomputed: the cost is its text).
    let over = good.replacen("$04$", "$13$", 1);
    let file = hashes::file(&[
        HashUser {
            username: "ann",
            hash: Some(good.clone()),
        },
        HashUser {
            username: "bob",
            hash: Some(over.clone()),
        },
    ]);
    let jobs_before = sb.emulator.jobs().len();
    let event = drop_file(&sb, "incoming/over.csv", &file).await;
    let answer = sb.invoke(event.clone()).await.unwrap();
    assert_eq!(outcome(&answer), "rejected", "{answer}");
    assert_eq!(
        sb.emulator.jobs().len(),
        jobs_before,
        "a job was spent on a file that cannot succeed"
    );
    let record = sb.record("incoming/over.csv", &tag_of(&event)).await.unwrap().unwrap();
    assert_eq!(record.status(), Status::Rejected);
    let report = sb.read_text(record.report_key.as_deref().unwrap()).await.unwrap();
    let problems: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(problems["problems"][0]["line"], 3, "{report}");
    assert_eq!(problems["problems"][0]["column"], "password_hash");
    assert_eq!(problems["problems"][0]["rule"], "hash_over_bounds");
    assert!(
        !report.contains(&over) && !report.contains(&good),
        "a hash in the report"
    );
    assert!(!record.message.unwrap_or_default().contains("$2b$"));
}

#[tokio::test]
async fn no_hash_appears_in_a_record_a_report_or_the_jobs_log() {
    let sb = sandbox().await;
    // One algorithm a file: each algorithm's canary in turn would take four jobs; argon2id's PHC
    // string has the most parts to leak.
    let secrets: Vec<String> = (0..4)
        .map(|i| hashes::hash(HashAlgorithm::Argon2id, &format!("canary-{i}")))
        .collect();
    let users: Vec<String> = (0..secrets.len()).map(|i| format!("canary{i}")).collect();
    let event = drop_file(&sb, "incoming/canary.csv", &hashes::file_of(&users, &secrets)).await;
    sb.invoke(event.clone()).await.unwrap();
    let record = sb.settle("incoming/canary.csv", &tag_of(&event), |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");
    let mut seen = vec![serde_json::to_string(&record).unwrap()];
    seen.push(sb.read_text(record.report_key.as_deref().unwrap()).await.unwrap());
    seen.push(sb.read_text(record.lines_report_key.as_deref().unwrap()).await.unwrap());
    seen.extend(sb.emulator.job_log(record.job_id.as_deref().unwrap()));
    assert!(
        seen.iter().any(|text| text.contains("canary0")),
        "the per-line report names its users"
    );
    for text in &seen {
        for hash in &secrets {
            // The salt, or the hash's output, alone would be enough to tell.
            let parts: Vec<&str> = hash.rsplit('$').take(2).collect();
            for part in parts {
                assert!(!text.contains(part), "a part of a hash in: {text}");
            }
        }
    }
}

#[tokio::test]
async fn with_the_algorithm_set_a_file_without_the_column_imports_as_before() {
    let sb = sandbox_with(Default::default(), &[("PASSWORD_HASHING_ALGORITHM", "ARGON2ID")]).await;
    let event = drop_file(&sb, "incoming/plain.csv", &users_csv(3, 77)).await;
    sb.invoke(event.clone()).await.unwrap();
    let record = sb.settle("incoming/plain.csv", &tag_of(&event), |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");
    assert_eq!(record.hashes, None);
    let job = sb.emulator.job(record.job_id.as_deref().unwrap()).unwrap();
    assert_eq!(job.imported, 3);
    let summary = sb.read_text(record.report_key.as_deref().unwrap()).await.unwrap();
    assert!(!summary.contains("passwordHashes"), "{summary}");

    // A bcrypt hash in an ARGON2ID deployment is refused, naming the line.
    let file = hashes::file(&[HashUser {
        username: "ann",
        hash: Some(hashes::hash(HashAlgorithm::Bcrypt, "pw")),
    }]);
    let event = drop_file(&sb, "incoming/bcrypt.csv", &file).await;
    let answer = sb.invoke(event).await.unwrap();
    assert_eq!(outcome(&answer), "rejected", "{answer}");
}

#[tokio::test]
async fn a_file_with_hashes_of_several_algorithms_imports_as_one_job_per_algorithm_reported_by_source_line() {
    let sb = sandbox().await;
    let cognito = Client::new(&sb.sdk);
    let client = sign_in_client(&sb, &cognito).await;
    // dora is in the pool already: her row is SKIPPED, and must be reported on her own line.
    sb.emulator
        .add_user(&sb.pool_id, "dora", &[("email", "dora@example.com")])
        .unwrap();
    let (bcrypt, pbkdf2) = (HashAlgorithm::Bcrypt, HashAlgorithm::Pbkdf2Sha256);
    // Interleaved, as a database lists users by id after some were rehashed.
    let rows = [
        ("ann", Some(bcrypt)),
        ("bob", Some(pbkdf2)),
        ("cat", None),
        ("dora", Some(pbkdf2)),
        ("eve", Some(bcrypt)),
        ("fay", Some(pbkdf2)),
    ];
    let users: Vec<HashUser> = rows
        .iter()
        .map(|&(username, algorithm)| HashUser {
            username,
            hash: algorithm.map(|a| hashes::hash(a, &password(a, username))),
        })
        .collect();
    let event = drop_file(&sb, "incoming/mixed.csv", &hashes::file(&users)).await;
    sb.invoke(event.clone()).await.unwrap();
    let record = sb.settle("incoming/mixed.csv", &tag_of(&event), |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");

    // Two jobs, one per algorithm, in turn: bcrypt's (with the row without a hash), then PBKDF2's.
    let jobs: Vec<_> = record
        .parts
        .iter()
        .map(|p| sb.emulator.job(p.job_id.as_deref().unwrap()).unwrap())
        .collect();
    let made: Vec<(String, Option<String>, u64, u64)> = jobs
        .iter()
        .map(|j| (j.name.clone(), j.hashing_algorithm.clone(), j.imported, j.skipped))
        .collect();
    assert_eq!(
        made,
        [
            ("mixed.csv part 1 of 2".to_owned(), Some("BCRYPT".to_owned()), 3, 0),
            (
                "mixed.csv part 2 of 2".to_owned(),
                Some("PBKDF2_SHA256".to_owned()),
                2,
                1
            ),
        ]
    );

    // The reports speak of the source's lines.
    let summary: Value =
        serde_json::from_str(&sb.read_text(record.report_key.as_deref().unwrap()).await.unwrap()).unwrap();
    assert_eq!(
        (summary["importedUsers"].as_i64(), summary["skippedUsers"].as_i64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        summary["passwordHashes"]["algorithms"],
        serde_json::json!(["BCRYPT", "PBKDF2_SHA256"])
    );
    assert_eq!(summary["passwordHashes"]["importedWithHash"], 4);
    assert_eq!(summary["passwordHashes"]["importedWithoutHash"], 1);
    assert_eq!(summary["problemLines"][0]["line"], 5, "{summary}");
    assert_eq!(summary["problemLines"][0]["username"], "dora");
    let lines = sb.read_text(record.lines_report_key.as_deref().unwrap()).await.unwrap();
    let expected = "line,username,outcome,reason\n2,ann,SUCCEEDED,";
    assert!(lines.starts_with(expected), "{lines}");
    let by_line: Vec<(String, String, String)> = lines
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect();
    let mut by_line = by_line;
    by_line.sort_by_key(|(line, _, _)| line.parse::<u32>().unwrap());
    let want: Vec<(String, String, String)> = rows
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let outcome = if *name == "dora" { "SKIPPED" } else { "SUCCEEDED" };
            ((i + 2).to_string(), name.to_string(), outcome.to_owned())
        })
        .collect();
    assert_eq!(by_line, want);

    for (user, algorithm) in [("ann", bcrypt), ("fay", pbkdf2), ("eve", bcrypt)] {
        assert_eq!(
            admin_sign_in(&sb, &cognito, &client, user, &password(algorithm, user)).await,
            Ok(()),
            "{user}"
        );
    }
    assert_eq!(
        admin_sign_in(&sb, &cognito, &client, "cat", "x").await,
        Err("PasswordResetRequiredException".into())
    );
}

#[tokio::test]
async fn in_a_pool_whose_header_lists_password_hash_files_with_and_without_hashes_import() {
    let listed = cognito_import_emulator::EmulatorConfig {
        csv_header_lists_password_hash: true,
        ..Default::default()
    };
    let sb = sandbox_with(listed, &[]).await;
    let cognito = Client::new(&sb.sdk);
    let client = sign_in_client(&sb, &cognito).await;

    // Without the column: an ordinary job, the column added empty as any of the pool's columns.
    let event = drop_file(&sb, "incoming/plain.csv", &users_csv(3, 78)).await;
    sb.invoke(event.clone()).await.unwrap();
    let record = sb.settle("incoming/plain.csv", &tag_of(&event), |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");
    let job = sb.emulator.job(record.job_id.as_deref().unwrap()).unwrap();
    assert_eq!((job.imported, job.hashing_algorithm.as_deref()), (3, None));
    let added = &record.normalised.as_ref().unwrap().completed.columns_added;
    assert!(added.iter().any(|c| c == "password_hash"), "{added:?}");

    // With hashes: a hash job, and the user signs in.
    let hash = hashes::hash(HashAlgorithm::Scrypt, &password(HashAlgorithm::Scrypt, "gil"));
    let file = hashes::file(&[HashUser {
        username: "gil",
        hash: Some(hash),
    }]);
    let event = drop_file(&sb, "incoming/hashed.csv", &file).await;
    sb.invoke(event.clone()).await.unwrap();
    let record = sb.settle("incoming/hashed.csv", &tag_of(&event), |_| {}).await.unwrap();
    assert_eq!(record.status(), Status::Succeeded, "{record:?}");
    let job = sb.emulator.job(record.job_id.as_deref().unwrap()).unwrap();
    assert_eq!(job.hashing_algorithm.as_deref(), Some("SCRYPT"));
    let signed_in = admin_sign_in(&sb, &cognito, &client, "gil", &password(HashAlgorithm::Scrypt, "gil")).await;
    assert_eq!(signed_in, Ok(()));
}
