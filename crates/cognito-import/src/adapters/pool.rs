//! The user pool: what it requires of a file (GetCSVHeader, DescribeUserPool) and its import jobs
//! (Create, Start, Describe).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::start_user_import_job::StartUserImportJobError;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, PasswordHashingAlgorithmType, UserImportJobType, UserPoolMfaType, UserPoolType,
};

use crate::check::{AutoVerified, HashAlgorithm, Mfa, PoolRules};
use crate::domain::assumptions;
use crate::domain::job::{JobState, JobStatus};

/// A Cognito call that failed; the message names the call and AWS's answer.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("{call} failed: {detail}")]
    Call { call: &'static str, detail: String },
    /// Retrying cannot help: a setting is wrong. The message names the setting to fix.
    #[error("{call} failed because of the setting {setting}: {fix} ({detail})")]
    Setting {
        call: &'static str,
        setting: &'static str,
        fix: &'static str,
        detail: String,
    },
    #[error(
        "user pool {0} auto-verifies neither email nor phone_number, so Cognito will not start an import job; \
         turn on auto-verification for one of them"
    )]
    CannotImport(String),
    /// Cognito answered TooManyRequestsException on every try the call was given.
    #[error("{call} was throttled by Cognito (the pool's or the account's request rate): {detail}")]
    Throttled { call: &'static str, detail: String },
}

impl PoolError {
    /// Whether the pool itself is wrong: gone (deleted, or another id set), or without import jobs.
    pub fn is_about_the_pool(&self) -> bool {
        self.setting() == Some(POOL)
    }

    /// The setting an operator must fix before the object can import, if that is what went wrong.
    pub fn setting(&self) -> Option<&'static str> {
        match self {
            PoolError::Setting { setting, .. } => Some(setting),
            PoolError::CannotImport(_) => Some("the user pool's AutoVerifiedAttributes"),
            PoolError::Call { .. } | PoolError::Throttled { .. } => None,
        }
    }
}

/// The setting that names the pool.
const POOL: &str = "USER_POOL_ID";

/// A configuration mistake, from the error code Cognito answered `call` with: which setting is
/// wrong and what to do. `None`: the error may be transient (throttling, 5xx) or the object's own.
fn misconfiguration(call: &'static str, code: &str, message: &str) -> Option<(&'static str, &'static str)> {
    const ROLE: &str = "CLOUDWATCH_LOGS_ROLE_ARN";
    const PERMISSIONS: &str = "the function's IAM role";
    Some(match (call, code) {
        ("GetCSVHeader" | "DescribeUserPool" | "CreateUserImportJob", "ResourceNotFoundException") => (
            POOL,
            "no user pool with this id in the function's region; set the id of an existing pool",
        ),
        // On a job's own calls the code alone does not say whether the pool or the job is
        // missing; Cognito's message names the pool ("User pool <id> does not exist.").
        ("DescribeUserImportJob" | "StartUserImportJob" | "StopUserImportJob", "ResourceNotFoundException")
            if message.to_ascii_lowercase().contains("user pool") =>
        {
            (
                POOL,
                "no user pool with this id in the function's region (deleted, or another id set); set the id of an existing pool",
            )
        }
        (_, "OperationNotEnabledException") => (
            POOL,
            "this pool or region does not offer import jobs (e.g. a replica region); import into the pool's primary region",
        ),
        (_, "AccessDeniedException" | "NotAuthorizedException") if message.contains("iam:PassRole") => (
            ROLE,
            "the function may not pass this role to Cognito; allow iam:PassRole on it (the stack does for its own role)",
        ),
        ("CreateUserImportJob", "InvalidParameterException") if message.to_ascii_lowercase().contains("role") => (
            ROLE,
            "Cognito cannot use this role to write the job's log; set the logs role the stack creates",
        ),
        (_, "AccessDeniedException" | "NotAuthorizedException") => (
            PERMISSIONS,
            "the function is not allowed this call on the pool; check the pool id and the role's policy",
        ),
        _ => return None,
    })
}

fn call_error<E>(call: &'static str, err: SdkError<E>) -> PoolError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    let service = err.as_service_error();
    let throttled = service.and_then(|e| e.code()) == Some("TooManyRequestsException");
    let found = service.and_then(|e| misconfiguration(call, e.code()?, e.message().unwrap_or_default()));
    let detail = DisplayErrorContext(err).to_string();
    match found {
        _ if throttled => PoolError::Throttled { call, detail },
        Some((setting, fix)) => PoolError::Setting {
            call,
            setting,
            fix,
            detail,
        },
        None => PoolError::Call { call, detail },
    }
}

/// What CreateUserImportJob does when Cognito throttles it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttled {
    /// A drop: [`GIVE_WAY_ATTEMPTS`] tries, then [`PoolError::Throttled`]. The file then waits in
    /// the queue and its job is created when its turn comes, so that files dropped together do
    /// not each spend billed seconds waiting for Cognito's 5 creates a second.
    GiveWay,
    /// The file's turn in the queue: the client's retries, all of them.
    WaitItOut,
}

/// Tries of a drop's CreateUserImportJob before it gives way (the first included), with the
/// standard retry mode's backoff of at most a second between them. Not the adaptive mode: after
/// one throttled answer its client-side limiter holds the retry back for about 20 seconds.
pub const GIVE_WAY_ATTEMPTS: u32 = 2;

/// A job as CreateUserImportJob gave it. The URL is a credential: never log it.
pub struct NewJob {
    pub id: String,
    pub name: String,
    pub presigned_url: String,
    /// When the URL stops working: as the URL says (`X-Amz-Date` + `X-Amz-Expires`), else the
    /// documented lifetime from when the job was seen.
    pub valid_until: std::time::Instant,
}

impl NewJob {
    fn new(id: String, name: String, presigned_url: String) -> NewJob {
        let valid_until = url_valid_until(&presigned_url)
            .unwrap_or_else(|| std::time::Instant::now() + assumptions::UPLOAD_URL_LIFETIME);
        NewJob {
            id,
            name,
            presigned_url,
            valid_until,
        }
    }

    /// How long the URL still works.
    pub fn time_left(&self) -> std::time::Duration {
        self.valid_until.saturating_duration_since(std::time::Instant::now())
    }
}

/// When a SigV4 pre-signed URL expires, from its `X-Amz-Date` and `X-Amz-Expires`, as an instant of
/// this process's clock (the past saturates to now).
fn url_valid_until(url: &str) -> Option<std::time::Instant> {
    let query = url.split_once('?')?.1;
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    };
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let signed = time::PrimitiveDateTime::parse(param("X-Amz-Date")?, &format)
        .ok()?
        .assume_utc();
    let expires = time::Duration::seconds(param("X-Amz-Expires")?.parse().ok()?);
    let left = signed.checked_add(expires)? - time::OffsetDateTime::now_utc();
    let left = std::time::Duration::try_from(left).unwrap_or_default();
    Some(std::time::Instant::now() + left)
}

impl std::fmt::Debug for NewJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewJob")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What StartUserImportJob did.
#[derive(Debug, PartialEq, Eq)]
pub enum Start {
    Started,
    /// Another job of the account is active; this one waits (`message` is Cognito's).
    Busy(String),
}

/// The one pool this function imports into.
#[derive(Clone)]
pub struct Pool {
    client: Client,
    pool_id: String,
    logs_role_arn: String,
    /// The pool's rules as last read, shared by the clones (the invocations of one process).
    rules: Arc<Mutex<Option<(Instant, PoolRules)>>>,
}

/// How long the pool's rules (GetCSVHeader, DescribeUserPool) are reused by one process: files
/// dropped together share one read of them instead of each spending two calls of the pool's
/// 5 requests a second. A pool's header and settings change rarely, and a file prepared again
/// later is held to the bytes it was checked with (a changed header is found, not ignored).
pub const RULES_FRESH_FOR: Duration = Duration::from_secs(60);

impl Pool {
    pub fn new(client: Client, pool_id: impl Into<String>, logs_role_arn: impl Into<String>) -> Pool {
        Pool {
            client,
            pool_id: pool_id.into(),
            logs_role_arn: logs_role_arn.into(),
            rules: Arc::default(),
        }
    }

    pub fn id(&self) -> &str {
        &self.pool_id
    }

    /// The header and attribute rules a file must meet; fails when the pool cannot import at all.
    /// Read at most once per [`RULES_FRESH_FOR`] by this process.
    pub async fn rules(&self, require_full_header: bool) -> Result<PoolRules, PoolError> {
        let cached = self.rules.lock().expect("not poisoned").clone();
        let rules = match cached {
            Some((read, rules)) if read.elapsed() < RULES_FRESH_FOR => rules,
            _ => {
                let rules = self.read_rules().await?;
                *self.rules.lock().expect("not poisoned") = Some((Instant::now(), rules.clone()));
                rules
            }
        };
        Ok(PoolRules {
            require_full_header,
            ..rules
        })
    }

    async fn read_rules(&self) -> Result<PoolRules, PoolError> {
        let header = async {
            let answer = self.client.get_csv_header().user_pool_id(&self.pool_id).send().await;
            Ok(answer
                .map_err(|e| call_error("GetCSVHeader", e))?
                .csv_header
                .unwrap_or_default())
        };
        let (header, pool) = tokio::try_join!(header, self.describe())?;
        // What each row must mark verified; a pool that auto-verifies neither cannot import at all.
        let auto_verified = AutoVerified::from_attributes(pool.auto_verified_attributes().iter().map(|a| a.as_str()))
            .ok_or_else(|| PoolError::CannotImport(self.pool_id.clone()))?;
        let schema = pool.schema_attributes();
        let required = schema
            .iter()
            .filter(|a| a.required == Some(true))
            .filter_map(|a| a.name.clone())
            .filter(|n| header.contains(n))
            .collect();
        let number_attributes = schema
            .iter()
            .filter(|a| a.attribute_data_type == Some(AttributeDataType::Number))
            .filter_map(|a| a.name.clone())
            .filter(|n| n.starts_with("custom:"))
            .collect();
        let mfa = match pool.mfa_configuration {
            Some(UserPoolMfaType::On) => Mfa::On,
            Some(UserPoolMfaType::Optional) => Mfa::Optional,
            _ => Mfa::Off,
        };
        Ok(PoolRules {
            header,
            required,
            mfa,
            auto_verified,
            number_attributes,
            require_full_header: true,
        })
    }

    /// Creates a job; with `hashing`, a hash job: its users' `password_hash` values are of that
    /// algorithm.
    pub async fn create_job(
        &self,
        name: &str,
        hashing: Option<HashAlgorithm>,
        throttled: Throttled,
    ) -> Result<NewJob, PoolError> {
        let call = self
            .client
            .create_user_import_job()
            .user_pool_id(&self.pool_id)
            .job_name(name)
            .cloud_watch_logs_role_arn(&self.logs_role_arn)
            .set_password_hashing_algorithm(hashing.map(|a| PasswordHashingAlgorithmType::from(a.api_name())));
        let call = match throttled {
            Throttled::WaitItOut => call.customize(),
            Throttled::GiveWay => call.customize().config_override(
                aws_sdk_cognitoidentityprovider::config::Builder::default()
                    .retry_config(RetryConfig::standard().with_max_attempts(GIVE_WAY_ATTEMPTS)),
            ),
        };
        let job = call
            .send()
            .await
            .map_err(|e| call_error("CreateUserImportJob", e))?
            .user_import_job
            .ok_or_else(|| PoolError::Call {
                call: "CreateUserImportJob",
                detail: "no UserImportJob in the answer".into(),
            })?;
        match (job.job_id, job.pre_signed_url) {
            (Some(id), Some(url)) => Ok(NewJob::new(id, job.job_name.unwrap_or_else(|| name.to_owned()), url)),
            _ => Err(PoolError::Call {
                call: "CreateUserImportJob",
                detail: "the job has no id or no URL".into(),
            }),
        }
    }

    pub async fn start_job(&self, job_id: &str) -> Result<Start, PoolError> {
        match self
            .client
            .start_user_import_job()
            .user_pool_id(&self.pool_id)
            .job_id(job_id)
            .send()
            .await
        {
            Ok(_) => Ok(Start::Started),
            Err(e) => match e.as_service_error() {
                Some(StartUserImportJobError::PreconditionNotMetException(busy))
                    if assumptions::PRECONDITION_AFTER_UPLOAD_MEANS_BUSY =>
                {
                    Ok(Start::Busy(busy.message().unwrap_or_default().to_owned()))
                }
                _ => Err(call_error("StartUserImportJob", e)),
            },
        }
    }

    /// An earlier attempt's job that was never started, to upload to again: `None` unless it is
    /// still `Created` with a URL (whose [`NewJob::time_left`] the caller weighs).
    pub async fn open_job(&self, job_id: &str) -> Result<Option<NewJob>, PoolError> {
        let job = self.describe_import_job(job_id).await?;
        let created = job.status.as_ref().map(|s| s.as_str()) == Some("Created");
        Ok(match (created, job.job_name, job.pre_signed_url) {
            // Only a URL whose expiry it states: the job may be older than a URL's lifetime.
            (true, Some(name), Some(url)) if url_valid_until(&url).is_some() => {
                Some(NewJob::new(job_id.to_owned(), name, url))
            }
            _ => None,
        })
    }

    /// DescribeUserImportJob's answer (it holds the URL: never logged, never stored).
    async fn describe_import_job(&self, job_id: &str) -> Result<UserImportJobType, PoolError> {
        self.client
            .describe_user_import_job()
            .user_pool_id(&self.pool_id)
            .job_id(job_id)
            .send()
            .await
            .map_err(|e| call_error("DescribeUserImportJob", e))?
            .user_import_job
            .ok_or_else(|| PoolError::Call {
                call: "DescribeUserImportJob",
                detail: "no UserImportJob".into(),
            })
    }

    pub async fn describe_job(&self, job_id: &str) -> Result<JobState, PoolError> {
        let job = self.describe_import_job(job_id).await?;
        Ok(JobState {
            job_id: job_id.to_owned(),
            status: job
                .status
                .as_ref()
                .map_or(JobStatus::Unknown, |s| JobStatus::from_api(s.as_str())),
            imported_users: job.imported_users,
            skipped_users: job.skipped_users,
            failed_users: job.failed_users,
            completion_message: job.completion_message,
            creation_date: job.creation_date.map(|d| d.as_secs_f64()),
            start_date: job.start_date.map(|d| d.as_secs_f64()),
            completion_date: job.completion_date.map(|d| d.as_secs_f64()),
        })
    }

    /// The CloudWatch log group Cognito writes this pool's import logs to:
    /// `/aws/cognito/userpools/<poolId>/<poolName>`.
    pub async fn log_group(&self) -> Result<String, PoolError> {
        let name = self.describe().await?.name.ok_or_else(|| PoolError::Call {
            call: "DescribeUserPool",
            detail: "the pool has no name".into(),
        })?;
        Ok(format!("/aws/cognito/userpools/{}/{name}", self.pool_id))
    }

    async fn describe(&self) -> Result<UserPoolType, PoolError> {
        self.client
            .describe_user_pool()
            .user_pool_id(&self.pool_id)
            .send()
            .await
            .map_err(|e| call_error("DescribeUserPool", e))?
            .user_pool
            .ok_or_else(|| PoolError::Call {
                call: "DescribeUserPool",
                detail: "no UserPool in the answer".into(),
            })
    }
}

/// A readable job name from the object's file name: `[\w\s+=,.@-]`, 1 to 128 characters. Letters
/// outside ASCII become `-`, since the API's `\w` may be ASCII-only.
/// The job name of part `number` of `count`: the file's name, then ` part 2 of 3` (kept within the
/// 128 characters of a job name). Not `(2/3)`: a job name allows letters, digits, spaces and
/// `_+=,.@-` only (`[\w\s+=,.@-]+`), so CreateUserImportJob refuses parentheses and slashes.
pub fn part_job_name(key: &str, number: u32, count: usize) -> String {
    let suffix = format!(" part {number} of {count}");
    let name: String = job_name(key).chars().take(128 - suffix.len()).collect();
    format!("{name}{suffix}")
}

pub fn job_name(key: &str) -> String {
    let file = key.rsplit('/').next().unwrap_or(key);
    let name: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ' ' || "+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(128)
        .collect();
    if name.trim().is_empty() {
        "import".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::job_name;

    #[test]
    fn job_names_are_readable_and_valid() {
        assert_eq!(job_name("incoming/new users+1.csv"), "new users+1.csv");
        assert_eq!(job_name("incoming/José & Zoë (march).csv"), "Jos- - Zo- -march-.csv");
        assert_eq!(job_name("incoming/"), "import");
        assert_eq!(
            job_name(&format!("incoming/{}.csv", "a".repeat(300))).chars().count(),
            128
        );
    }
}

#[cfg(test)]
mod mocked {
    //! Edge cases of the Cognito answers, on clients that never leave the process.

    use aws_sdk_cognitoidentityprovider::Client;
    use aws_sdk_cognitoidentityprovider::operation::describe_user_pool::DescribeUserPoolOutput;
    use aws_sdk_cognitoidentityprovider::operation::get_csv_header::GetCsvHeaderOutput;
    use aws_sdk_cognitoidentityprovider::types::error::{PreconditionNotMetException, ResourceNotFoundException};
    use aws_sdk_cognitoidentityprovider::types::{
        AttributeDataType, SchemaAttributeType, UserPoolMfaType, UserPoolType, VerifiedAttributeType,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    #[test]
    fn a_pre_signed_urls_expiry_is_read_from_the_url() {
        let now = time::OffsetDateTime::now_utc() - time::Duration::seconds(100);
        let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let url = |date: &str, expires: &str| {
            format!(
                "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host"
            )
        };
        let signed = now.format(&format).unwrap();
        let left = url_valid_until(&url(&signed, "899")).unwrap() - std::time::Instant::now();
        assert!((797..=799).contains(&left.as_secs()), "{left:?}");
        // Long expired: no time left.
        let past = url_valid_until(&url("20200101T000000Z", "899")).unwrap();
        assert!(past <= std::time::Instant::now());
        assert!(url_valid_until("https://b/k").is_none());
        assert!(url_valid_until(&url("yesterday", "899")).is_none());
        assert!(url_valid_until(&url(&signed, "9223372036854775807")).is_none());
    }

    fn attribute(name: &str, data_type: AttributeDataType, required: bool) -> SchemaAttributeType {
        SchemaAttributeType::builder()
            .name(name)
            .attribute_data_type(data_type)
            .required(required)
            .build()
    }

    fn pool_with(client: Client) -> Pool {
        Pool::new(client, "us-east-1_Abc", "arn:aws:iam::111111111111:role/R")
    }

    #[tokio::test]
    async fn rules_come_from_the_header_and_the_pool_schema() {
        let header = mock!(Client::get_csv_header).then_output(|| {
            GetCsvHeaderOutput::builder()
                .set_csv_header(Some(
                    [
                        "email",
                        "email_verified",
                        "custom:age",
                        "custom:tier",
                        "cognito:mfa_enabled",
                        "cognito:username",
                    ]
                    .map(String::from)
                    .to_vec(),
                ))
                .build()
        });
        let describe = mock!(Client::describe_user_pool).then_output(|| {
            let pool = UserPoolType::builder()
                .auto_verified_attributes(VerifiedAttributeType::Email)
                .mfa_configuration(UserPoolMfaType::On)
                .schema_attributes(attribute("sub", AttributeDataType::String, true))
                .schema_attributes(attribute("email", AttributeDataType::String, true))
                .schema_attributes(attribute("custom:age", AttributeDataType::Number, false))
                .schema_attributes(attribute("custom:tier", AttributeDataType::String, false))
                .build();
            DescribeUserPoolOutput::builder().user_pool(pool).build()
        });
        let client = mock_client!(
            aws_sdk_cognitoidentityprovider,
            RuleMode::MatchAny,
            [&header, &describe]
        );
        let rules = pool_with(client).rules(true).await.unwrap();
        // `sub` is required but not a column: only columns can be required of a file.
        assert_eq!(rules.required, vec!["email"]);
        assert_eq!(rules.number_attributes, vec!["custom:age"]);
        assert_eq!(rules.mfa, Mfa::On);
        assert_eq!(rules.auto_verified, AutoVerified::Email);
        assert_eq!(rules.header.len(), 6);
        assert!(rules.require_full_header);
    }

    #[tokio::test]
    async fn the_auto_verified_attributes_are_carried_into_the_rules() {
        for (attributes, expected) in [
            (vec![VerifiedAttributeType::PhoneNumber], AutoVerified::PhoneNumber),
            (
                vec![VerifiedAttributeType::PhoneNumber, VerifiedAttributeType::Email],
                AutoVerified::EmailAndPhoneNumber,
            ),
        ] {
            let header = mock!(Client::get_csv_header).then_output(|| GetCsvHeaderOutput::builder().build());
            let describe = mock!(Client::describe_user_pool).then_output(move || {
                DescribeUserPoolOutput::builder()
                    .user_pool(
                        UserPoolType::builder()
                            .set_auto_verified_attributes(Some(attributes.clone()))
                            .build(),
                    )
                    .build()
            });
            let client = mock_client!(
                aws_sdk_cognitoidentityprovider,
                RuleMode::MatchAny,
                [&header, &describe]
            );
            assert_eq!(pool_with(client).rules(true).await.unwrap().auto_verified, expected);
        }
    }

    #[tokio::test]
    async fn a_pool_that_auto_verifies_nothing_cannot_import() {
        let header = mock!(Client::get_csv_header).then_output(|| GetCsvHeaderOutput::builder().build());
        let describe = mock!(Client::describe_user_pool).then_output(|| {
            DescribeUserPoolOutput::builder()
                .user_pool(UserPoolType::builder().build())
                .build()
        });
        let client = mock_client!(
            aws_sdk_cognitoidentityprovider,
            RuleMode::MatchAny,
            [&header, &describe]
        );
        let err = pool_with(client).rules(true).await.unwrap_err();
        assert!(
            matches!(err, PoolError::CannotImport(ref id) if id == "us-east-1_Abc"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_precondition_after_upload_means_another_job_is_active() {
        let busy = mock!(Client::start_user_import_job).then_error(|| {
            StartUserImportJobError::PreconditionNotMetException(
                PreconditionNotMetException::builder()
                    .message("Another import job is in progress")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_cognitoidentityprovider, [&busy]);
        let start = pool_with(client).start_job("import-1").await.unwrap();
        assert_eq!(start, Start::Busy("Another import job is in progress".into()));
    }

    #[tokio::test]
    async fn other_start_errors_name_the_call() {
        let gone = mock!(Client::start_user_import_job).then_error(|| {
            StartUserImportJobError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Import job import-1 does not exist.")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_cognitoidentityprovider, [&gone]);
        let err = pool_with(client).start_job("import-1").await.unwrap_err().to_string();
        assert!(err.starts_with("StartUserImportJob failed:"), "{err}");
        assert!(err.contains("does not exist"), "{err}");
    }
}

#[cfg(test)]
mod misconfiguration_tests {
    use super::misconfiguration;

    #[test]
    fn configuration_mistakes_name_the_setting_and_transient_errors_do_not() {
        let setting = |call, code, message| misconfiguration(call, code, message).map(|(s, _)| s);
        assert_eq!(
            setting(
                "GetCSVHeader",
                "ResourceNotFoundException",
                "User pool x does not exist."
            ),
            Some("USER_POOL_ID")
        );
        assert_eq!(
            setting("StartUserImportJob", "OperationNotEnabledException", ""),
            Some("USER_POOL_ID")
        );
        // A job's own call: the pool missing is a setting, the job missing is not.
        let missing = |message| setting("StartUserImportJob", "ResourceNotFoundException", message);
        assert_eq!(missing("User pool us-east-1_x does not exist."), Some("USER_POOL_ID"));
        assert_eq!(missing("Import job import-x does not exist."), None);
        assert_eq!(
            setting(
                "CreateUserImportJob",
                "AccessDeniedException",
                "not authorized to perform: iam:PassRole on resource: arn:aws:iam::1:role/R"
            ),
            Some("CLOUDWATCH_LOGS_ROLE_ARN")
        );
        assert_eq!(
            setting(
                "CreateUserImportJob",
                "InvalidParameterException",
                "Role cannot be assumed"
            ),
            Some("CLOUDWATCH_LOGS_ROLE_ARN")
        );
        assert_eq!(
            setting("GetCSVHeader", "AccessDeniedException", "no"),
            Some("the function's IAM role")
        );
        // A job that is gone is the object's business, and throttling passes.
        assert_eq!(setting("DescribeUserImportJob", "ResourceNotFoundException", ""), None);
        assert_eq!(setting("CreateUserImportJob", "TooManyRequestsException", ""), None);
        assert_eq!(setting("CreateUserImportJob", "InternalErrorException", ""), None);
    }
}
