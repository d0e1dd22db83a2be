//! Shared setup of the end-to-end tests: an emulator, real AWS SDK clients pointed at it, import
//! files for a pool's GetCSVHeader, the pre-signed upload and raw HTTP for what clients refuse to send.
//!
//! Pre-signed URLs are bearer credentials in AWS: nothing here prints one, and no helper puts one in
//! a panic message.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{UserImportJobStatusType, UserImportJobType, VerifiedAttributeType};
use cognito_import_emulator::{Emulator, EmulatorConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub use aws_config::retry::RetryConfig;
pub type Cognito = aws_sdk_cognitoidentityprovider::Client;
pub type S3 = aws_sdk_s3::Client;
pub type Logs = aws_sdk_cloudwatchlogs::Client;

/// A role ARN that CreateUserImportJob accepts.
pub const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/CognitoImportLogs";
/// How long any poll in these tests may wait before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub async fn start() -> Emulator {
    start_with(EmulatorConfig::default()).await
}

pub async fn start_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("the emulator starts")
}

/// Who signs the calls, where, and whether the SDK retries. `Signer::default()` is the emulator's
/// test/test key in us-east-1 with retries disabled, so that every answer is seen as it was sent.
#[derive(Clone, Debug)]
pub struct Signer {
    pub access_key: &'static str,
    pub secret_key: &'static str,
    pub region: &'static str,
    pub retry: RetryConfig,
}

impl Default for Signer {
    fn default() -> Self {
        Signer {
            access_key: "test",
            secret_key: "test",
            region: "us-east-1",
            retry: RetryConfig::disabled(),
        }
    }
}

impl Signer {
    pub fn sdk_config(&self, emulator: &Emulator) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                self.access_key,
                self.secret_key,
                None,
                None,
                "e2e-tests",
            )))
            .endpoint_url(emulator.endpoint())
            .retry_config(self.retry.clone())
            .build()
    }

    pub fn cognito(&self, emulator: &Emulator) -> Cognito {
        Cognito::new(&self.sdk_config(emulator))
    }

    pub fn s3(&self, emulator: &Emulator) -> S3 {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config(emulator))
            .force_path_style(true)
            .build();
        S3::from_conf(config)
    }

    pub fn logs(&self, emulator: &Emulator) -> Logs {
        Logs::new(&self.sdk_config(emulator))
    }
}

pub fn cognito(emulator: &Emulator) -> Cognito {
    Signer::default().cognito(emulator)
}

pub fn s3(emulator: &Emulator) -> S3 {
    Signer::default().s3(emulator)
}

pub fn logs(emulator: &Emulator) -> Logs {
    Signer::default().logs(emulator)
}

/// The error code (`__type`, or S3's `<Code>`) of a failed SDK call; panics when the call succeeded.
pub fn code<T, E: ProvideErrorMetadata>(result: &Result<T, SdkError<E, HttpResponse>>) -> String {
    match result {
        Ok(_) => panic!("the call succeeded; an error was expected"),
        Err(err) => err.code().unwrap_or("<no code>").to_owned(),
    }
}

/// The HTTP status of a failed SDK call (0 when no answer came back).
pub fn status<T, E>(result: &Result<T, SdkError<E, HttpResponse>>) -> u16 {
    match result {
        Ok(_) => panic!("the call succeeded; an error was expected"),
        Err(err) => err.raw_response().map_or(0, |r| r.status().as_u16()),
    }
}

/// The error message of a failed SDK call.
pub fn message<T, E: ProvideErrorMetadata>(result: &Result<T, SdkError<E, HttpResponse>>) -> String {
    match result {
        Ok(_) => panic!("the call succeeded; an error was expected"),
        Err(err) => err.message().unwrap_or("").to_owned(),
    }
}

/// A pool through CreateUserPool that auto-verifies email (so that its import jobs can start).
pub async fn create_pool(cognito: &Cognito, name: &str) -> String {
    let out = cognito
        .create_user_pool()
        .pool_name(name)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .send()
        .await
        .expect("CreateUserPool");
    out.user_pool().and_then(|p| p.id()).expect("a pool id").to_owned()
}

pub async fn csv_header(cognito: &Cognito, pool_id: &str) -> Vec<String> {
    cognito
        .get_csv_header()
        .user_pool_id(pool_id)
        .send()
        .await
        .expect("GetCSVHeader")
        .csv_header()
        .to_vec()
}

/// An import file in Cognito's dialect: `header` as given, then one line per row with each named
/// value in its column (a `,` written `\,`) and every other column empty.
pub fn csv(header: &[String], rows: &[&[(&str, &str)]]) -> String {
    let mut out = header.join(",");
    out.push('\n');
    for row in rows {
        for (name, _) in row.iter() {
            assert!(header.iter().any(|c| c == name), "{name} is not a header column");
        }
        let line: Vec<String> = header
            .iter()
            .map(|column| {
                row.iter()
                    .find(|(name, _)| name == column)
                    .map_or(String::new(), |(_, value)| value.replace(',', "\\,"))
            })
            .collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// The columns of a row that imports: username, email and email_verified.
pub fn user<'a>(username: &'a str, email: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("cognito:username", username),
        ("email", email),
        ("email_verified", "true"),
    ]
}

/// A file with one importable user per name (email `<name>@example.com`).
pub fn users_csv(header: &[String], names: &[&str]) -> String {
    let emails: Vec<String> = names.iter().map(|n| format!("{n}@example.com")).collect();
    let rows: Vec<[(&str, &str); 3]> = names.iter().zip(&emails).map(|(n, e)| user(n, e)).collect();
    let rows: Vec<&[(&str, &str)]> = rows.iter().map(|r| r.as_slice()).collect();
    csv(header, &rows)
}

/// A new import job: its id and pre-signed URL.
pub struct NewJob {
    pub id: String,
    pub url: String,
}

pub async fn create_job(cognito: &Cognito, pool_id: &str, name: &str) -> NewJob {
    let out = cognito
        .create_user_import_job()
        .user_pool_id(pool_id)
        .job_name(name)
        .cloud_watch_logs_role_arn(ROLE_ARN)
        .send()
        .await
        .expect("CreateUserImportJob");
    let job = out.user_import_job().expect("a job");
    NewJob {
        id: job.job_id().expect("a job id").to_owned(),
        url: job.pre_signed_url().expect("a pre-signed URL").to_owned(),
    }
}

/// PUTs `body` to a pre-signed URL the way the guide's curl does (with the signed SSE header).
pub async fn upload(url: &str, body: impl Into<Vec<u8>>) -> reqwest::Response {
    reqwest::Client::new()
        .put(url)
        .header("x-amz-server-side-encryption", "aws:kms")
        .body(body.into())
        .send()
        .await
        .expect("the upload gets an answer")
}

/// Uploads and checks S3 accepted it.
pub async fn upload_ok(url: &str, body: impl Into<Vec<u8>>) {
    let response = upload(url, body).await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "upload refused: {}",
        response.text().await.unwrap_or_default()
    );
}

pub async fn start_job(cognito: &Cognito, pool_id: &str, job_id: &str) -> UserImportJobType {
    cognito
        .start_user_import_job()
        .user_pool_id(pool_id)
        .job_id(job_id)
        .send()
        .await
        .expect("StartUserImportJob")
        .user_import_job()
        .expect("a job")
        .clone()
}

/// DescribeUserImportJob, as a poller that keeps within Cognito's request quotas must call it: a
/// TooManyRequestsException (the emulator's 5 requests a second per operation and pool, `quotas`)
/// is waited out, a token's refill time at a time, and asked again. Every other error fails the test.
pub async fn describe(cognito: &Cognito, pool_id: &str, job_id: &str) -> UserImportJobType {
    let refill = Duration::from_secs_f64(1.0 / cognito_import_emulator::quotas::PER_POOL_PER_OPERATION);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let result = cognito
            .describe_user_import_job()
            .user_pool_id(pool_id)
            .job_id(job_id)
            .send()
            .await;
        if result.is_err() && code(&result) == "TooManyRequestsException" && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(refill).await;
            continue;
        }
        return result
            .expect("DescribeUserImportJob")
            .user_import_job()
            .expect("a job")
            .clone();
    }
}

pub fn status_of(job: &UserImportJobType) -> &str {
    job.status().map_or("<none>", UserImportJobStatusType::as_str)
}

/// Polls `probe` every 10 ms until it gives a value; fails the test after [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// DescribeUserImportJob until the job meets `done`.
pub async fn job_when(
    cognito: &Cognito,
    pool_id: &str,
    job_id: &str,
    what: &str,
    done: impl Fn(&UserImportJobType) -> bool,
) -> UserImportJobType {
    eventually(what, || async {
        let job = describe(cognito, pool_id, job_id).await;
        done(&job).then_some(job)
    })
    .await
}

/// DescribeUserImportJob until the job ended (Succeeded, Failed, Stopped or Expired).
pub async fn finished(cognito: &Cognito, pool_id: &str, job_id: &str) -> UserImportJobType {
    job_when(cognito, pool_id, job_id, "the job to end", |job| {
        matches!(status_of(job), "Succeeded" | "Failed" | "Stopped" | "Expired")
    })
    .await
}

/// Create, upload, start and wait: the manual flow of the guide. Returns the job id and the ended job.
pub async fn run_import(cognito: &Cognito, pool_id: &str, file: impl Into<Vec<u8>>) -> (String, UserImportJobType) {
    let job = create_job(cognito, pool_id, "e2e-import").await;
    upload_ok(&job.url, file).await;
    start_job(cognito, pool_id, &job.id).await;
    let ended = finished(cognito, pool_id, &job.id).await;
    (job.id, ended)
}

/// (imported, skipped, failed) of a job.
pub fn counts(job: &UserImportJobType) -> (i64, i64, i64) {
    (job.imported_users(), job.skipped_users(), job.failed_users())
}

/// What came back on a raw connection.
#[derive(Debug, PartialEq, Eq)]
pub enum RawAnswer {
    /// A complete HTTP response.
    Response { status: u16, body: String },
    /// The server closed the connection without a complete response.
    Closed,
}

impl RawAnswer {
    /// The status and S3 `<Code>` of a response; panics when the connection was just closed.
    pub fn s3_error(&self) -> (u16, String) {
        match self {
            RawAnswer::Response { status, body } => (*status, xml_code(body)),
            RawAnswer::Closed => panic!("the server closed the connection without answering"),
        }
    }
}

/// The text of `<Code>` in an S3 error body.
pub fn xml_code(body: &str) -> String {
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or(String::new(), |(code, _)| code.to_owned())
}

/// Sends `head` (request line and headers, without the blank line) and `body` on a new connection,
/// optionally half-closes it, and reads the answer. Nothing sent is ever printed.
pub async fn raw_request(addr: SocketAddr, head: &str, body: &[u8], close_write: bool) -> RawAnswer {
    let mut stream = TcpStream::connect(addr).await.expect("connect to the emulator");
    let mut request = format!("{head}\r\n\r\n").into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request).await.expect("send the request");
    if close_write {
        stream.shutdown().await.expect("half-close the connection");
    }
    let read = async {
        let mut received = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            if let Some(answer) = parse_response(&received) {
                return answer;
            }
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return RawAnswer::Closed,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(DEADLINE, read)
        .await
        .expect("the emulator answers or closes the connection in time")
}

/// A complete response in `bytes` (status line, headers, `Content-Length` bytes of body), if any.
fn parse_response(bytes: &[u8]) -> Option<RawAnswer> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).expect("an ASCII response head");
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let body = bytes.get(end + 4..end + 4 + length)?;
    Some(RawAnswer::Response {
        status,
        body: String::from_utf8_lossy(body).into_owned(),
    })
}

/// The request line and Host header of a PUT to a pre-signed URL, plus the signed SSE header.
pub fn presigned_put_head(url: &str, extra_headers: &[&str]) -> String {
    let url = reqwest::Url::parse(url).expect("a pre-signed URL parses");
    let host = format!("{}:{}", url.host_str().expect("a host"), url.port().expect("a port"));
    let mut head = format!(
        "PUT {}?{} HTTP/1.1\r\nHost: {host}\r\nx-amz-server-side-encryption: aws:kms",
        url.path(),
        url.query().unwrap_or("")
    );
    for header in extra_headers {
        head.push_str("\r\n");
        head.push_str(header);
    }
    head
}
