//! Password hash imports end to end through the SDK: a job with a PasswordHashingAlgorithm imports
//! users CONFIRMED with their hash, who then sign in (AdminInitiateAuth, and InitiateAuth unsigned)
//! with their old password; bad hashes fail their line only; a hash job without the column fails;
//! GetCSVHeader's `password_hash` switch; and a canary: no hash in any log line or API answer.
//!
//! Hashes are made here with the RustCrypto crates. The sign-in tests hash at Cognito's upper
//! bounds (so the bounds are shown inclusive); the others at cheap parameters.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_cognitoidentityprovider::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, ConfigBag, Intercept, Region, RuntimeComponents};
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ExplicitAuthFlowsType, PasswordHashingAlgorithmType, UserImportJobType,
};
use cognito_import_emulator::import::HashAlgorithm;
use cognito_import_emulator::{Emulator, EmulatorConfig};
use common::*;
use password_hash::{PasswordHasher, SaltString};

const PASSWORD: &str = "Tr0ub4dor&3 old password";
const WRONG: &str = "Tr0ub4dor&3 old passwore";
const HASH_COLUMN: &str = "password_hash";
const INCORRECT: &str = "Incorrect username or password.";

#[derive(Clone, Copy, PartialEq)]
enum Cost {
    /// The smallest parameters the crates take comfortably: for tests about reading.
    Cheap,
    /// Exactly Cognito's upper bounds.
    AtTheBounds,
}

/// A hash of `password` made by the algorithm's crate, in its standard text form.
fn make_hash(algorithm: HashAlgorithm, password: &str, cost: Cost) -> String {
    let bounds = cost == Cost::AtTheBounds;
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).unwrap();
    let password = password.as_bytes();
    match algorithm {
        HashAlgorithm::Bcrypt => bcrypt::hash(password, if bounds { 12 } else { 4 }).unwrap(),
        HashAlgorithm::Scrypt => {
            let (ln, r) = if bounds { (16, 8) } else { (4, 1) };
            let params = scrypt::Params::new(ln, r, 1, 32).unwrap();
            scrypt::Scrypt
                .hash_password_customized(password, None, None, params, &salt)
                .unwrap()
                .to_string()
        }
        HashAlgorithm::Argon2id => {
            let (m, t) = if bounds { (19_456, 2) } else { (64, 1) };
            let params = argon2::Params::new(m, t, 1, None).unwrap();
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password(password, &salt)
                .unwrap()
                .to_string()
        }
        HashAlgorithm::Pbkdf2Sha256 => {
            let rounds = if bounds { 600_000 } else { 1_000 };
            let params = pbkdf2::Params {
                rounds,
                output_length: 32,
            };
            pbkdf2::Pbkdf2
                .hash_password_customized(password, None, None, params, &salt)
                .unwrap()
                .to_string()
        }
    }
}

/// The parameters of a [`Cost::Cheap`] hash as written in its text.
fn cheap_params(algorithm: HashAlgorithm) -> &'static str {
    match algorithm {
        HashAlgorithm::Bcrypt => "$04$",
        HashAlgorithm::Scrypt => "ln=4,r=1,p=1",
        HashAlgorithm::Argon2id => "m=64,t=1,p=1",
        HashAlgorithm::Pbkdf2Sha256 => "i=1000,l=32",
    }
}

/// A cheap hash with its parameters replaced by `params` (only the text matters at import).
fn with_params(algorithm: HashAlgorithm, params: &str) -> String {
    let hash = make_hash(algorithm, PASSWORD, Cost::Cheap);
    assert!(hash.contains(cheap_params(algorithm)), "{algorithm}: unexpected form");
    hash.replacen(cheap_params(algorithm), params, 1)
}

fn sdk_algorithm(algorithm: HashAlgorithm) -> PasswordHashingAlgorithmType {
    PasswordHashingAlgorithmType::from(algorithm.api_name())
}

/// The algorithm after `algorithm`, for "a hash of another algorithm".
fn other(algorithm: HashAlgorithm) -> HashAlgorithm {
    let all = HashAlgorithm::ALL;
    all[(all.iter().position(|a| *a == algorithm).unwrap() + 1) % all.len()]
}

fn failed(line: usize, reason: &str) -> String {
    format!("[FAILED] Line Number {line} - {reason}")
}

fn succeeded(line: usize) -> String {
    format!("[SUCCEEDED] Line Number {line} - The import succeeded.")
}

/// GetCSVHeader's columns plus `password_hash` (unless the pool lists it already).
async fn hash_header(cognito: &Cognito, pool: &str) -> Vec<String> {
    let mut header = csv_header(cognito, pool).await;
    if !header.iter().any(|c| c == HASH_COLUMN) {
        header.push(HASH_COLUMN.into());
    }
    header
}

/// A file of importable users, each `(username, password_hash)`.
fn hash_csv(header: &[String], users: &[(&str, &str)]) -> String {
    let emails: Vec<String> = users.iter().map(|(n, _)| format!("{n}@example.com")).collect();
    let rows: Vec<[(&str, &str); 4]> = users
        .iter()
        .zip(&emails)
        .map(|((name, hash), email)| {
            [
                ("cognito:username", *name),
                ("email", email.as_str()),
                ("email_verified", "true"),
                (HASH_COLUMN, *hash),
            ]
        })
        .collect();
    let rows: Vec<&[(&str, &str)]> = rows.iter().map(|r| r.as_slice()).collect();
    csv(header, &rows)
}

/// Create (with `algorithm`), upload, start and wait. Returns the job id and the ended job.
async fn run_job(
    cognito: &Cognito,
    pool: &str,
    algorithm: Option<HashAlgorithm>,
    file: String,
) -> (String, UserImportJobType) {
    let out = cognito
        .create_user_import_job()
        .user_pool_id(pool)
        .job_name("hash-import")
        .cloud_watch_logs_role_arn(ROLE_ARN)
        .set_password_hashing_algorithm(algorithm.map(sdk_algorithm))
        .send()
        .await
        .expect("CreateUserImportJob");
    let job = out.user_import_job().expect("a job");
    let (id, url) = (
        job.job_id().unwrap().to_owned(),
        job.pre_signed_url().unwrap().to_owned(),
    );
    upload_ok(&url, file).await;
    start_job(cognito, pool, &id).await;
    let ended = finished(cognito, pool, &id).await;
    (id, ended)
}

/// A client of `pool` allowing `flows`; returns its id.
async fn create_client(cognito: &Cognito, pool: &str, flows: &[ExplicitAuthFlowsType]) -> String {
    let out = cognito
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name("app")
        .set_explicit_auth_flows(Some(flows.to_vec()))
        .send()
        .await
        .expect("CreateUserPoolClient");
    let client = out.user_pool_client().expect("a client");
    assert_eq!(client.user_pool_id(), Some(pool));
    assert_eq!(client.explicit_auth_flows(), flows);
    client.client_id().expect("a client id").to_owned()
}

async fn password_client(cognito: &Cognito, pool: &str) -> String {
    create_client(
        cognito,
        pool,
        &[
            ExplicitAuthFlowsType::AllowAdminUserPasswordAuth,
            ExplicitAuthFlowsType::AllowUserPasswordAuth,
        ],
    )
    .await
}

/// A Cognito client with no credentials at all, as an app has: it can only make unsigned calls.
fn app_client(emulator: &Emulator) -> Cognito {
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emulator.endpoint())
        .build();
    Cognito::from_conf(config)
}

type SignIn = Result<AuthenticationResultType, (String, String)>;

async fn admin_sign_in(cognito: &Cognito, pool: &str, client: &str, user: &str, password: &str) -> SignIn {
    let result = cognito
        .admin_initiate_auth()
        .user_pool_id(pool)
        .client_id(client)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", user)
        .auth_parameters("PASSWORD", password)
        .send()
        .await;
    match &result {
        Ok(out) => Ok(out.authentication_result().expect("an AuthenticationResult").clone()),
        Err(_) => Err((code(&result), message(&result))),
    }
}

async fn app_sign_in(app: &Cognito, client: &str, user: &str, password: &str) -> SignIn {
    let result = app
        .initiate_auth()
        .client_id(client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", user)
        .auth_parameters("PASSWORD", password)
        .send()
        .await;
    match &result {
        Ok(out) => Ok(out.authentication_result().expect("an AuthenticationResult").clone()),
        Err(_) => Err((code(&result), message(&result))),
    }
}

fn assert_tokens(result: &SignIn, what: &str) {
    let tokens = result
        .as_ref()
        .unwrap_or_else(|e| panic!("{what}: sign-in refused: {e:?}"));
    for token in [tokens.access_token(), tokens.id_token(), tokens.refresh_token()] {
        assert!(token.is_some_and(|t| !t.is_empty()), "{what}: a token is missing");
    }
    assert_eq!(tokens.expires_in(), 3600, "{what}");
    assert_eq!(tokens.token_type(), Some("Bearer"), "{what}");
}

fn refused(code: &str, message: &str) -> SignIn {
    Err((code.to_owned(), message.to_owned()))
}

async fn user_status(cognito: &Cognito, pool: &str, user: &str) -> String {
    cognito
        .admin_get_user()
        .user_pool_id(pool)
        .username(user)
        .send()
        .await
        .expect("AdminGetUser")
        .user_status()
        .map_or("<none>", |s| s.as_str())
        .to_owned()
}

/// One user imported with a hash at Cognito's bounds signs in with the old password, through both
/// operations, and no other.
async fn users_sign_in_with_imported_hashes(algorithm: HashAlgorithm) {
    let hash = make_hash(algorithm, PASSWORD, Cost::AtTheBounds);
    let at_the_bounds = match algorithm {
        HashAlgorithm::Bcrypt => "$2b$12$",
        HashAlgorithm::Scrypt => "$ln=16,r=8,p=1$",
        HashAlgorithm::Argon2id => "$m=19456,t=2,p=1$",
        HashAlgorithm::Pbkdf2Sha256 => "$i=600000,l=32$",
    };
    assert!(hash.contains(at_the_bounds), "{algorithm}: not made at the bounds");

    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "hashes").await;
    let client = password_client(&cognito, &pool).await;
    let header = hash_header(&cognito, &pool).await;
    let (job, ended) = run_job(&cognito, &pool, Some(algorithm), hash_csv(&header, &[("alice", &hash)])).await;
    assert_eq!(
        status_of(&ended),
        "Succeeded",
        "{algorithm}: {:?}",
        ended.completion_message()
    );
    assert_eq!(counts(&ended), (1, 0, 0), "{algorithm}");
    assert_eq!(ended.password_hashing_algorithm(), Some(&sdk_algorithm(algorithm)));
    assert_eq!(emulator.job_log(&job), [succeeded(2)]);

    assert_eq!(user_status(&cognito, &pool, "alice").await, "CONFIRMED", "{algorithm}");
    let stored = emulator.users(&pool);
    let stored_hash = stored[0]
        .password_hash
        .as_ref()
        .expect("the hash is stored on the user");
    assert_eq!(stored_hash.algorithm(), algorithm);

    let app = app_client(&emulator);
    let admin = admin_sign_in(&cognito, &pool, &client, "alice", PASSWORD).await;
    assert_tokens(&admin, &format!("{algorithm} AdminInitiateAuth"));
    let unsigned = app_sign_in(&app, &client, "alice", PASSWORD).await;
    assert_tokens(&unsigned, &format!("{algorithm} InitiateAuth"));
    assert_ne!(
        admin.unwrap().access_token(),
        unsigned.unwrap().access_token(),
        "each sign-in gets new tokens"
    );

    let wrong = refused("NotAuthorizedException", INCORRECT);
    assert_eq!(admin_sign_in(&cognito, &pool, &client, "alice", WRONG).await, wrong);
    assert_eq!(app_sign_in(&app, &client, "alice", WRONG).await, wrong);
    // An unknown user gets the same answer (prevent-user-existence errors).
    assert_eq!(app_sign_in(&app, &client, "mallory", PASSWORD).await, wrong);
}

#[tokio::test]
async fn bcrypt_users_sign_in_with_their_password() {
    users_sign_in_with_imported_hashes(HashAlgorithm::Bcrypt).await;
}

#[tokio::test]
async fn scrypt_users_sign_in_with_their_password() {
    users_sign_in_with_imported_hashes(HashAlgorithm::Scrypt).await;
}

#[tokio::test]
async fn argon2id_users_sign_in_with_their_password() {
    users_sign_in_with_imported_hashes(HashAlgorithm::Argon2id).await;
}

#[tokio::test]
async fn pbkdf2_sha256_users_sign_in_with_their_password() {
    users_sign_in_with_imported_hashes(HashAlgorithm::Pbkdf2Sha256).await;
}

#[tokio::test]
async fn an_empty_hash_imports_the_user_reset_required() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "hashes").await;
    let client = password_client(&cognito, &pool).await;
    let header = hash_header(&cognito, &pool).await;
    let hash = make_hash(HashAlgorithm::Bcrypt, PASSWORD, Cost::Cheap);
    let file = hash_csv(&header, &[("alice", &hash), ("bob", "")]);
    let (job, ended) = run_job(&cognito, &pool, Some(HashAlgorithm::Bcrypt), file).await;
    assert_eq!((status_of(&ended), counts(&ended)), ("Succeeded", (2, 0, 0)));
    assert_eq!(emulator.job_log(&job), [succeeded(2), succeeded(3)]);
    assert_eq!(user_status(&cognito, &pool, "alice").await, "CONFIRMED");
    assert_eq!(user_status(&cognito, &pool, "bob").await, "RESET_REQUIRED");
    let bob = emulator.users(&pool).into_iter().find(|u| u.username == "bob").unwrap();
    assert!(bob.password_hash.is_none());

    // Bob has no password: whatever he gives, he must reset it.
    let reset = refused("PasswordResetRequiredException", "Password reset required for the user");
    let app = app_client(&emulator);
    for password in [PASSWORD, ""] {
        assert_eq!(admin_sign_in(&cognito, &pool, &client, "bob", password).await, reset);
        assert_eq!(app_sign_in(&app, &client, "bob", password).await, reset);
    }
    assert_tokens(&app_sign_in(&app, &client, "alice", PASSWORD).await, "alice");
}

/// Runs a job of `algorithm` whose rows alternate a bad hash (with its expected reason) and a
/// good user, and checks that each bad line FAILED with its reason and every good user imported.
async fn bad_lines_fail_alone(emulator: &Emulator, pool: &str, algorithm: HashAlgorithm, bad: &[(String, String)]) {
    let cognito = cognito(emulator);
    let header = hash_header(&cognito, pool).await;
    let good = make_hash(algorithm, PASSWORD, Cost::Cheap);
    let prefix = algorithm.api_name().to_lowercase();
    let names: Vec<(String, String)> = (0..bad.len())
        .map(|i| (format!("{prefix}-bad{i}"), format!("{prefix}-good{i}")))
        .collect();
    let mut users: Vec<(&str, &str)> = Vec::new();
    let mut expected_log = Vec::new();
    for ((hash, reason), (bad_name, good_name)) in bad.iter().zip(&names) {
        users.push((bad_name, hash));
        users.push((good_name, &good));
        expected_log.push(failed(users.len(), reason));
        expected_log.push(succeeded(users.len() + 1));
    }
    let (job, ended) = run_job(&cognito, pool, Some(algorithm), hash_csv(&header, &users)).await;
    // Half the rows failed: not more than the threshold, so the job succeeds.
    assert_eq!(status_of(&ended), "Succeeded", "{algorithm}");
    let n = bad.len() as i64;
    assert_eq!(counts(&ended), (n, 0, n), "{algorithm}");
    assert_eq!(emulator.job_log(&job), expected_log, "{algorithm}");
    let imported: Vec<String> = emulator.users(pool).into_iter().map(|u| u.username).collect();
    for (bad_name, good_name) in &names {
        assert!(imported.contains(good_name), "{good_name} was not imported");
        assert!(!imported.contains(bad_name), "{bad_name} was imported");
        assert_eq!(user_status(&cognito, pool, good_name).await, "CONFIRMED");
    }
}

#[tokio::test]
async fn a_hash_over_each_bound_fails_its_line_and_the_rest_import() {
    let over = |algorithm: HashAlgorithm, parameter: &str, limit: &str| {
        format!("password_hash exceeds a bound of {algorithm}: {parameter} must be at most {limit}.")
    };
    let cases = [
        (HashAlgorithm::Bcrypt, vec![("$13$", "cost", "12")]),
        (
            HashAlgorithm::Scrypt,
            vec![
                ("ln=17,r=1,p=1", "N", "65536"),
                ("ln=17,r=8,p=1", "N", "65536"),
                ("ln=4,r=9,p=1", "r", "8"),
                ("ln=4,r=1,p=2", "p", "1"),
            ],
        ),
        (
            HashAlgorithm::Argon2id,
            vec![
                ("m=19457,t=1,p=1", "m", "19456"),
                ("m=64,t=3,p=1", "t", "2"),
                ("m=64,t=1,p=2", "p", "1"),
            ],
        ),
        (
            HashAlgorithm::Pbkdf2Sha256,
            vec![("i=600001,l=32", "iterations", "600000")],
        ),
    ];
    let emulator = start().await;
    let pool = create_pool(&cognito(&emulator), "bounds").await;
    for (algorithm, bounds) in cases {
        let bad: Vec<(String, String)> = bounds
            .iter()
            .map(|(params, parameter, limit)| (with_params(algorithm, params), over(algorithm, parameter, limit)))
            .collect();
        bad_lines_fail_alone(&emulator, &pool, algorithm, &bad).await;
    }
}

#[tokio::test]
async fn malformed_hashes_and_hashes_of_another_algorithm_fail_their_line_and_the_rest_import() {
    let emulator = start().await;
    let pool = create_pool(&cognito(&emulator), "malformed").await;
    for algorithm in HashAlgorithm::ALL {
        let malformed = format!("password_hash is not in the standard text form of {algorithm} hashes.");
        let specific = match algorithm {
            HashAlgorithm::Bcrypt => "$2b$04$tooshort".to_owned(),
            HashAlgorithm::Scrypt => with_params(algorithm, "ln=4,r=1"),
            HashAlgorithm::Argon2id => with_params(algorithm, "m=64,t=0,p=1"),
            // Passlib's variant, not PHC.
            HashAlgorithm::Pbkdf2Sha256 => with_params(algorithm, "1000"),
        };
        let foreign = other(algorithm);
        let bad = vec![
            ("plain text password".to_owned(), malformed.clone()),
            (specific, malformed),
            (
                make_hash(foreign, PASSWORD, Cost::Cheap),
                format!(
                    "password_hash holds a hash of {foreign} but the job's PasswordHashingAlgorithm is {algorithm}."
                ),
            ),
        ];
        bad_lines_fail_alone(&emulator, &pool, algorithm, &bad).await;
    }
}

#[tokio::test]
async fn a_hash_job_without_the_password_hash_column_fails() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "no-column").await;
    let header = csv_header(&cognito, &pool).await;
    assert!(!header.iter().any(|c| c == HASH_COLUMN));
    for algorithm in HashAlgorithm::ALL {
        let (job, ended) = run_job(&cognito, &pool, Some(algorithm), users_csv(&header, &["alice", "bob"])).await;
        assert_eq!(status_of(&ended), "Failed", "{algorithm}");
        assert_eq!(
            ended.completion_message(),
            Some(
                format!("the job's PasswordHashingAlgorithm is {algorithm} but the header has no password_hash column")
                    .as_str()
            )
        );
        assert_eq!(counts(&ended), (0, 0, 0));
        assert!(emulator.job_log(&job).is_empty());
    }
    assert!(emulator.users(&pool).is_empty());
    // The same file imports on a job without an algorithm.
    let (_, ended) = run_job(&cognito, &pool, None, users_csv(&header, &["alice", "bob"])).await;
    assert_eq!((status_of(&ended), counts(&ended)), ("Succeeded", (2, 0, 0)));
}

#[tokio::test]
async fn get_csv_header_lists_password_hash_only_when_switched_on() {
    // Off (the default): the column is unknown to a job without an algorithm...
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "unlisted").await;
    let header = hash_header(&cognito, &pool).await;
    assert_eq!(csv_header(&cognito, &pool).await.len() + 1, header.len());
    let (_, ended) = run_job(&cognito, &pool, None, hash_csv(&header, &[("alice", "")])).await;
    assert_eq!(status_of(&ended), "Failed");
    assert_eq!(
        ended.completion_message(),
        Some("the header has a column the pool does not know: \"password_hash\"")
    );
    // ...and known to a hash job.
    let hash = make_hash(HashAlgorithm::Argon2id, PASSWORD, Cost::Cheap);
    let (_, ended) = run_job(
        &cognito,
        &pool,
        Some(HashAlgorithm::Argon2id),
        hash_csv(&header, &[("alice", &hash)]),
    )
    .await;
    assert_eq!((status_of(&ended), counts(&ended)), ("Succeeded", (1, 0, 0)));

    // On: GetCSVHeader ends with password_hash, an ordinary column of every file.
    let emulator = start_with(EmulatorConfig {
        csv_header_lists_password_hash: true,
        ..EmulatorConfig::default()
    })
    .await;
    let cognito = common::cognito(&emulator);
    let pool = create_pool(&cognito, "listed").await;
    let header = csv_header(&cognito, &pool).await;
    assert_eq!(header.last().map(String::as_str), Some(HASH_COLUMN));
    assert_eq!(header.iter().filter(|c| *c == HASH_COLUMN).count(), 1);
    let without: Vec<String> = header.iter().filter(|c| *c != HASH_COLUMN).cloned().collect();
    let (_, ended) = run_job(&cognito, &pool, None, users_csv(&without, &["alice"])).await;
    assert_eq!(
        ended.completion_message(),
        Some("the header lacks columns: password_hash")
    );
    // Without an algorithm: empty is fine (RESET_REQUIRED), a value fails its row.
    let file = hash_csv(&header, &[("alice", ""), ("bob", &hash)]);
    let (job, ended) = run_job(&cognito, &pool, None, file).await;
    assert_eq!((status_of(&ended), counts(&ended)), ("Succeeded", (1, 0, 1)));
    assert_eq!(
        emulator.job_log(&job),
        [
            succeeded(2),
            failed(
                3,
                "password_hash must be empty: the job has no PasswordHashingAlgorithm."
            ),
        ]
    );
    assert_eq!(user_status(&cognito, &pool, "alice").await, "RESET_REQUIRED");
    // With one: as on any pool.
    let (_, ended) = run_job(
        &cognito,
        &pool,
        Some(HashAlgorithm::Argon2id),
        hash_csv(&header, &[("bob", &hash)]),
    )
    .await;
    assert_eq!((status_of(&ended), counts(&ended)), ("Succeeded", (1, 0, 0)));
    assert_eq!(user_status(&cognito, &pool, "bob").await, "CONFIRMED");
}

/// Keeps the raw body of every answer a client receives.
#[derive(Clone, Debug, Default)]
struct Answers(Arc<Mutex<Vec<String>>>);

impl Intercept for Answers {
    fn name(&self) -> &'static str {
        "Answers"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let body = context.response().body().bytes().unwrap_or_default();
        self.0.lock().unwrap().push(String::from_utf8_lossy(body).into_owned());
        Ok(())
    }
}

#[tokio::test]
async fn no_hash_appears_in_any_log_line_or_api_answer() {
    let emulator = start().await;
    let answers = Answers::default();
    let config = Signer::default().sdk_config(&emulator);
    let cognito = Cognito::from_conf(
        aws_sdk_cognitoidentityprovider::config::Builder::from(&config)
            .interceptor(answers.clone())
            .build(),
    );
    let logs = Logs::from_conf(
        aws_sdk_cloudwatchlogs::config::Builder::from(&config)
            .interceptor(answers.clone())
            .build(),
    );
    let pool = create_pool(&cognito, "canary").await;
    let client = password_client(&cognito, &pool).await;
    let header = hash_header(&cognito, &pool).await;

    let mut secrets: Vec<String> = Vec::new();
    let mut users = Vec::new();
    for algorithm in HashAlgorithm::ALL {
        let valid = make_hash(algorithm, PASSWORD, Cost::Cheap);
        let over = match algorithm {
            HashAlgorithm::Bcrypt => with_params(algorithm, "$31$"),
            HashAlgorithm::Scrypt => with_params(algorithm, "ln=20,r=1,p=1"),
            HashAlgorithm::Argon2id => with_params(algorithm, "m=65536,t=1,p=1"),
            HashAlgorithm::Pbkdf2Sha256 => with_params(algorithm, "i=999999,l=32"),
        };
        let malformed = format!("{}$", make_hash(algorithm, PASSWORD, Cost::Cheap));
        let foreign = make_hash(other(algorithm), PASSWORD, Cost::Cheap);
        let rows = [("ok", valid), ("over", over), ("bad", malformed), ("foreign", foreign)];
        let names: Vec<String> = rows
            .iter()
            .map(|(kind, _)| format!("{}-{kind}", algorithm.api_name().to_lowercase()))
            .collect();
        let file_rows: Vec<(&str, &str)> = names
            .iter()
            .zip(&rows)
            .map(|(n, (_, h))| (n.as_str(), h.as_str()))
            .collect();
        let (_, ended) = run_job(&cognito, &pool, Some(algorithm), hash_csv(&header, &file_rows)).await;
        assert_eq!(counts(&ended), (1, 0, 3), "{algorithm}");
        for (_, hash) in &rows {
            // The whole value, as written in the file, and its salt and digest apart.
            secrets.push(hash.clone());
            secrets.push(hash.replace(',', "\\,"));
            secrets.extend(
                hash.rsplit('$')
                    .take(2)
                    .filter(|part| part.len() >= 16)
                    .map(str::to_owned),
            );
        }
        users.extend(names);
    }

    // Every answer that could carry a user or a job.
    let listed = cognito
        .list_users()
        .user_pool_id(&pool)
        .send()
        .await
        .expect("ListUsers");
    assert_eq!(listed.users().len(), 4, "one valid user per algorithm");
    for user in &users {
        let _ = cognito.admin_get_user().user_pool_id(&pool).username(user).send().await;
        let _ = admin_sign_in(&cognito, &pool, &client, user, PASSWORD).await;
        let _ = admin_sign_in(&cognito, &pool, &client, user, WRONG).await;
    }
    let jobs = cognito
        .list_user_import_jobs()
        .user_pool_id(&pool)
        .max_results(60)
        .send()
        .await
        .expect("ListUserImportJobs");
    for job in jobs.user_import_jobs() {
        describe(&cognito, &pool, job.job_id().unwrap()).await;
    }
    let group = format!("/aws/cognito/userpools/{pool}/canary");
    let events = logs
        .filter_log_events()
        .log_group_name(&group)
        .send()
        .await
        .expect("FilterLogEvents");
    let lines: Vec<&str> = events.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(lines.len(), 16, "four lines per job");
    assert_eq!(lines.iter().filter(|l| l.starts_with("[FAILED]")).count(), 12);

    let answers = answers.0.lock().unwrap().clone();
    // The capture works: it holds the users, the jobs and the log lines.
    let everything = answers.join("\n");
    for user in users.iter().filter(|u| u.ends_with("-ok")) {
        assert!(everything.contains(user.as_str()), "{user} not seen in any answer");
    }
    assert!(everything.contains("PasswordHashingAlgorithm") && everything.contains("[FAILED] Line Number 3"));
    let mut seen: Vec<String> = answers;
    seen.extend(lines.iter().map(|l| l.to_string()));
    for job in emulator.jobs() {
        seen.extend(emulator.job_log(&job.id));
    }
    seen.push(format!("{:?}", emulator.users(&pool)));
    for secret in &secrets {
        for text in &seen {
            assert!(
                !text.contains(secret.as_str()),
                "a hash leaked into an answer or a log line"
            );
        }
    }
}

#[tokio::test]
async fn sign_in_needs_its_flow_enabled_on_the_client() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let app = app_client(&emulator);
    let pool = create_pool(&cognito, "flows").await;
    let header = hash_header(&cognito, &pool).await;
    let hash = make_hash(HashAlgorithm::Pbkdf2Sha256, PASSWORD, Cost::Cheap);
    let (_, ended) = run_job(
        &cognito,
        &pool,
        Some(HashAlgorithm::Pbkdf2Sha256),
        hash_csv(&header, &[("alice", &hash)]),
    )
    .await;
    assert_eq!(counts(&ended), (1, 0, 0));

    let srp_only = create_client(&cognito, &pool, &[ExplicitAuthFlowsType::AllowUserSrpAuth]).await;
    let admin = admin_sign_in(&cognito, &pool, &srp_only, "alice", PASSWORD).await;
    assert_eq!(
        admin,
        refused("InvalidParameterException", "Auth flow not enabled for this client")
    );
    let unsigned = app_sign_in(&app, &srp_only, "alice", PASSWORD).await;
    assert_eq!(
        unsigned,
        refused(
            "InvalidParameterException",
            "USER_PASSWORD_AUTH flow not enabled for this client"
        )
    );

    // One flow does not enable the other.
    let admin_only = create_client(&cognito, &pool, &[ExplicitAuthFlowsType::AllowAdminUserPasswordAuth]).await;
    assert_tokens(
        &admin_sign_in(&cognito, &pool, &admin_only, "alice", PASSWORD).await,
        "admin-only client",
    );
    assert_eq!(
        code_of(&app_sign_in(&app, &admin_only, "alice", PASSWORD).await),
        "InvalidParameterException"
    );

    // The legacy names enable the same flows.
    let legacy = create_client(
        &cognito,
        &pool,
        &[
            ExplicitAuthFlowsType::AdminNoSrpAuth,
            ExplicitAuthFlowsType::UserPasswordAuth,
        ],
    )
    .await;
    assert_tokens(
        &admin_sign_in(&cognito, &pool, &legacy, "alice", PASSWORD).await,
        "legacy admin",
    );
    assert_tokens(&app_sign_in(&app, &legacy, "alice", PASSWORD).await, "legacy app");

    // An unknown client, or one of another pool.
    let other_pool = create_pool(&cognito, "other").await;
    let elsewhere = password_client(&cognito, &other_pool).await;
    for (pool, client) in [(&pool, "nosuchclient"), (&pool, elsewhere.as_str())] {
        assert_eq!(
            code_of(&admin_sign_in(&cognito, pool, client, "alice", PASSWORD).await),
            "ResourceNotFoundException"
        );
    }
    assert_eq!(
        code_of(&app_sign_in(&app, "nosuchclient", "alice", PASSWORD).await),
        "ResourceNotFoundException"
    );
}

fn code_of(result: &SignIn) -> &str {
    match result {
        Ok(_) => panic!("the sign-in succeeded; an error was expected"),
        Err((code, _)) => code,
    }
}

#[tokio::test]
async fn create_user_pool_client_refuses_a_secret_and_mixed_flows() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "clients").await;
    let secret = cognito
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("secret")
        .generate_secret(true)
        .send()
        .await;
    assert_eq!(code(&secret), "InvalidParameterException");
    let mixed = cognito
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("mixed")
        .explicit_auth_flows(ExplicitAuthFlowsType::UserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .send()
        .await;
    assert_eq!(code(&mixed), "InvalidParameterException");
    let missing_pool = cognito
        .create_user_pool_client()
        .user_pool_id("us-east-1_missing")
        .client_name("app")
        .send()
        .await;
    assert_eq!(code(&missing_pool), "ResourceNotFoundException");
    // Without flows: Cognito's default, which has no password flow.
    let out = cognito
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("default")
        .send()
        .await
        .expect("CreateUserPoolClient");
    let flows: Vec<&str> = out
        .user_pool_client()
        .unwrap()
        .explicit_auth_flows()
        .iter()
        .map(|f| f.as_str())
        .collect();
    assert_eq!(
        flows,
        ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]
    );
}

#[tokio::test]
async fn only_initiate_auth_is_served_unsigned() {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "unsigned").await;
    let client = password_client(&cognito, &pool).await;
    let http = reqwest::Client::new();
    let call = |target: &str, body: serde_json::Value| {
        http.post(emulator.endpoint())
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{target}"))
            .body(body.to_string())
            .send()
    };
    let params = serde_json::json!({ "USERNAME": "nobody", "PASSWORD": PASSWORD });
    // InitiateAuth reaches the operation (which refuses the unknown user)...
    let app = call(
        "InitiateAuth",
        serde_json::json!({ "ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": params }),
    )
    .await
    .unwrap();
    assert_eq!(app.headers()["x-amzn-errortype"], "NotAuthorizedException");
    // ...AdminInitiateAuth and any other operation stop at the missing signature.
    let admin = call(
        "AdminInitiateAuth",
        serde_json::json!({ "UserPoolId": pool, "ClientId": client, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": params }),
    )
    .await
    .unwrap();
    let list = call("ListUsers", serde_json::json!({ "UserPoolId": pool }))
        .await
        .unwrap();
    for answer in [admin, list] {
        assert_eq!(answer.status().as_u16(), 400);
        assert_eq!(
            answer.headers()["x-amzn-errortype"],
            "MissingAuthenticationTokenException"
        );
    }
}
