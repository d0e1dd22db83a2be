//! The function on one machine: the local stand-in (emulator) in process, a pool and a drop
//! bucket on it, and the same handler the Lambda runs, fed the events S3 and the schedule send.
//! The end-to-end tests, the benchmarks and `cognito-import local` build on it.
//!
//! The drop bucket is versioned, as the deployed stack's is: every drop has a version id, and its
//! event names it. A test may ask for an unversioned bucket ([`DropBucket::Unversioned`]), where
//! the function pins a drop by its ETag instead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use cognito_import_emulator::{Emulator, EmulatorConfig};
use lambda_runtime::{Context, LambdaEvent};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use tracing::Instrument;

use cognito_import::adapters::notify::MetricsSink;
use cognito_import::app::{self, App};
use cognito_import::domain::config::Config;
use cognito_import::domain::record::Record;
use cognito_import::handler;

pub const BUCKET: &str = "cognito-import-local";
pub const LOGS_ROLE_ARN: &str = "arn:aws:iam::111111111111:role/CognitoImportLogs";

/// What S3 leaves unescaped in event keys (a space becomes `+`).
const KEY_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'*')
    .remove(b' ');

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot start the local stand-in: {0}")]
    Emulator(#[from] cognito_import_emulator::StartError),
    #[error("cannot read {path}: {source}")]
    File { path: String, source: std::io::Error },
    #[error("{0}")]
    Aws(String),
    #[error("the handler failed: {0}")]
    Handler(String),
}

fn aws<E: std::error::Error + Send + Sync + 'static>(what: &str, e: aws_sdk_s3::error::SdkError<E>) -> LocalError {
    LocalError::Aws(format!("{what}: {}", aws_sdk_s3::error::DisplayErrorContext(e)))
}

/// Whether the drop bucket keeps versions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DropBucket {
    /// Versioning enabled, as deployed.
    #[default]
    Versioned,
    /// Never versioned: objects have no version id, events carry none.
    Unversioned,
}

/// An object put in the drop bucket, as its S3 event names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// The ETag, without quotes.
    pub etag: String,
    /// The version id (none in an unversioned bucket).
    pub version_id: Option<String>,
}

impl Dropped {
    /// The tag of the version in its state record's key: the version id, or the ETag when the
    /// bucket is unversioned (what [`Sandbox::record`] and [`Sandbox::settle`] take).
    pub fn tag(&self) -> &str {
        self.version_id.as_deref().unwrap_or(&self.etag)
    }
}

/// An emulator with a pool and a drop bucket, and the function's `App` pointed at it.
pub struct Sandbox {
    pub emulator: Emulator,
    pub sdk: SdkConfig,
    pub app: App,
    pub pool_id: String,
}

impl Sandbox {
    /// Starts an emulator and makes a pool (CreateUserPool members in `pool`; email auto-verified
    /// unless `pool` says otherwise) and the drop bucket, versioned.
    pub async fn start(emulator: EmulatorConfig, pool: Value, env: &[(&str, &str)]) -> Result<Sandbox, LocalError> {
        Self::start_with_bucket(emulator, pool, env, DropBucket::Versioned).await
    }

    /// [`Sandbox::start`] with the drop bucket `bucket` asks for.
    pub async fn start_with_bucket(
        emulator: EmulatorConfig,
        pool: Value,
        env: &[(&str, &str)],
        bucket: DropBucket,
    ) -> Result<Sandbox, LocalError> {
        let emulator = Emulator::start(emulator).await?;
        let mut request = json!({ "PoolName": "LocalImport", "AutoVerifiedAttributes": ["email"] });
        if let (Some(base), Some(extra)) = (request.as_object_mut(), pool.as_object()) {
            base.extend(extra.clone());
        }
        let pool_id = emulator
            .create_user_pool(request)
            .map_err(|e| LocalError::Aws(e.to_string()))?;
        let credentials = aws_sdk_s3::config::Credentials::new("test", "test", None, None, "local-sandbox");
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(emulator.config().region.clone()))
            .credentials_provider(credentials)
            .endpoint_url(emulator.endpoint())
            .retry_config(app::retry_config())
            .stalled_stream_protection(app::stalled_stream_protection())
            .load()
            .await;
        let config = Config::from_lookup(|name| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
                .or_else(|| match name {
                    "USER_POOL_ID" => Some(pool_id.clone()),
                    "CLOUDWATCH_LOGS_ROLE_ARN" => Some(LOGS_ROLE_ARN.into()),
                    "DROP_BUCKET" => Some(BUCKET.into()),
                    "S3_FORCE_PATH_STYLE" => Some("true".into()),
                    _ => None,
                })
        })
        .map_err(|e| LocalError::Aws(e.to_string()))?;
        let mut app = App::new(config, &sdk);
        // Metrics stay in memory (stdout is the local run's summary); tests read them back.
        app.notifier.metrics = MetricsSink::memory();
        app.s3
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .map_err(|e| aws("CreateBucket", e))?;
        if bucket == DropBucket::Versioned {
            let enabled = VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build();
            app.s3
                .put_bucket_versioning()
                .bucket(BUCKET)
                .versioning_configuration(enabled)
                .send()
                .await
                .map_err(|e| aws("PutBucketVersioning", e))?;
        }
        Ok(Sandbox {
            emulator,
            sdk,
            app,
            pool_id,
        })
    }

    /// Puts bytes in the drop bucket; returns what its event will name.
    pub async fn drop_bytes(&self, key: &str, body: ByteStream) -> Result<Dropped, LocalError> {
        let out = self
            .app
            .s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(body)
            .send()
            .await
            .map_err(|e| aws("PutObject", e))?;
        Ok(Dropped {
            etag: out.e_tag.unwrap_or_default().trim_matches('"').to_owned(),
            version_id: out.version_id,
        })
    }

    /// The S3 notification S3 would send for that object (key URL-encoded as S3 does; the
    /// version id when there is one).
    pub fn s3_event(&self, key: &str, dropped: &Dropped, size: u64) -> Value {
        let encoded = utf8_percent_encode(key, KEY_SAFE).to_string().replace(' ', "+");
        let mut object = json!({ "key": encoded, "size": size, "eTag": dropped.etag, "sequencer": "0" });
        if let Some(version_id) = &dropped.version_id {
            object["versionId"] = json!(version_id);
        }
        json!({ "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": self.emulator.config().region,
            "eventTime": "2026-11-25T00:00:00.000Z",
            "eventName": "ObjectCreated:Put",
            "userIdentity": { "principalId": "local" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "local",
                "bucket": { "name": BUCKET, "ownerIdentity": { "principalId": "local" }, "arn": format!("arn:aws:s3:::{BUCKET}") },
                "object": object
            }
        }]})
    }

    /// Runs the Lambda handler on an event, as the runtime would.
    pub async fn invoke(&self, event: Value) -> Result<Value, LocalError> {
        // As the runtime does: a request id, and the invocation's span carrying it.
        static REQUESTS: AtomicU64 = AtomicU64::new(1);
        let mut context = Context::default();
        context.request_id = format!("local-{:08}", REQUESTS.fetch_add(1, Ordering::Relaxed));
        let span = lambda_runtime::layers::trace::request_span(&context);
        handler::handle(&self.app, LambdaEvent::new(event, context))
            .instrument(span)
            .await
            .map_err(|e| LocalError::Handler(e.to_string()))
    }

    /// The scheduled event EventBridge sends every minute.
    pub fn schedule_event(&self) -> Value {
        json!({
            "version": "0",
            "id": "local-pass",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.emulator.config().account_id,
            "time": time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .expect("a timestamp formats"),
            "region": self.emulator.config().region,
            "resources": ["arn:aws:events:us-east-1:111111111111:rule/local-pass"],
            "detail": {}
        })
    }

    /// Runs one scheduled pass through the handler; its answer.
    pub async fn pass(&self) -> Result<Value, LocalError> {
        self.invoke(self.schedule_event()).await
    }

    /// The state record of `key` (the version tagged `tag`: version id or ETag).
    pub async fn record(&self, key: &str, tag: &str) -> Result<Option<Record>, LocalError> {
        let record_key = format!("{}{key}@{tag}.json", self.app.config.state_prefix);
        self.app
            .ledger
            .read(BUCKET, &record_key)
            .await
            .map(|found| found.map(|(record, _)| record))
            .map_err(|e| LocalError::Aws(e.to_string()))
    }

    /// Runs passes (as the schedule would, but without waiting a minute) until the record of
    /// `key` is final; calls `progress` with the record after each pass.
    pub async fn settle(&self, key: &str, tag: &str, mut progress: impl FnMut(&Record)) -> Result<Record, LocalError> {
        loop {
            let answer = self.pass().await?;
            if answer.get("pass").is_none() {
                return Err(LocalError::Handler(format!(
                    "the scheduled event did not run the pass: {answer}"
                )));
            }
            let record = self
                .record(key, tag)
                .await?
                .ok_or_else(|| LocalError::Aws(format!("no state record for {key}")))?;
            progress(&record);
            if record.status().is_final() {
                return Ok(record);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Reads an object of the drop bucket as text.
    pub async fn read_text(&self, key: &str) -> Result<String, LocalError> {
        let out = self
            .app
            .s3
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .map_err(|e| aws("GetObject", e))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| LocalError::Aws(e.to_string()))?
            .into_bytes();
        String::from_utf8(bytes.to_vec()).map_err(|e| LocalError::Aws(format!("{key} is not UTF-8: {e}")))
    }
}
