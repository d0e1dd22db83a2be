//! A local stand-in for Amazon Cognito user import jobs, with the S3, CloudWatch Logs and SNS around
//! them, on one loopback HTTP endpoint that real AWS SDK clients and the AWS CLI talk to.
//!
//! - Cognito Identity Provider (AWS JSON 1.1): pools, users and import jobs (`cognito`, `jobs`),
//!   run by Cognito's rules for import files (`import`).
//! - The pre-signed upload URL of a job (`sigv4`, `upload`), checked the way S3 checks it.
//! - S3, path-style, for drop buckets (`s3`), on s3s and s3s-fs, with object tagging kept in
//!   memory (`Emulator::object_tags`).
//! - CloudWatch Logs GetLogEvents/FilterLogEvents over the jobs' logs (`logs`).
//! - SNS CreateTopic/Publish/ListTopics (AWS Query protocol, `sns`); published messages are kept
//!   for tests (`Emulator::published`), not delivered.
//!
//! Every call is SigV4-verified against the configured credentials. Faults (`faults`) can be
//! switched on by tests. What Cognito does not document is chosen in `assumptions`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = cognito_import_emulator::Emulator::start(Default::default()).await?;
//! // Point AWS_ENDPOINT_URL (or an SDK client's endpoint_url) at this:
//! println!("{}", emulator.endpoint());
//! # Ok(()) }
//! ```

pub mod assumptions;
pub mod cognito;
pub mod faults;
pub mod import;
pub mod jobs;
pub mod json;
pub mod logs;
pub mod s3;
pub mod server;
pub mod sigv4;
pub mod sns;
pub mod upload;

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub use cognito::{Job, JobStatus, User};
pub use faults::{Fault, Faults};
pub use json::ApiError;
pub use sns::Published;

/// How an emulator behaves. `Default` gives a fast, Cognito-like emulator on an ephemeral port.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Where S3 keeps buckets; `None` uses a temporary directory removed on drop.
    pub data_dir: Option<PathBuf>,
    pub region: String,
    pub account_id: String,
    /// Access key → secret pairs accepted in SigV4 signatures.
    pub credentials: Vec<(String, String)>,
    /// The endpoint written into pre-signed URLs; defaults to `http://<bound address>`.
    pub public_endpoint: Option<String>,
    /// Time between a job's status steps (Pending → InProgress → …).
    pub job_step: Duration,
    /// Time spent on each row; zero by default, raised by tests that stop a job mid-way.
    pub row_delay: Duration,
    /// A Created job not started within this time becomes Expired.
    pub job_expiry: Duration,
    /// Cognito's documented rule: the header must hold every GetCSVHeader column. `false` accepts
    /// a subset (an older documentation example did).
    pub require_full_header: bool,
    /// Import jobs a pool may create (Cognito's quota is 1,000).
    pub jobs_per_pool: usize,
    /// Share of failed-or-skipped rows above which a job ends Failed.
    pub failed_ratio: f64,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            region: "us-east-1".into(),
            account_id: "111111111111".into(),
            credentials: vec![("test".into(), "test".into())],
            public_endpoint: None,
            job_step: Duration::from_millis(20),
            row_delay: Duration::ZERO,
            job_expiry: assumptions::DEFAULT_JOB_EXPIRY,
            require_full_header: true,
            jobs_per_pool: assumptions::DEFAULT_JOBS_PER_POOL,
            failed_ratio: assumptions::FAILED_OR_SKIPPED_RATIO,
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot prepare the S3 data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the S3 store: {0}")]
    Store(String),
}

/// State shared by every request and job.
pub struct Shared {
    pub(crate) config: EmulatorConfig,
    pub(crate) cognito: Mutex<cognito::Cognito>,
    pub(crate) logs: Mutex<logs::Logs>,
    pub(crate) sns: Mutex<sns::Sns>,
    /// Object tags, shared with the S3 store.
    pub(crate) tags: Arc<s3::ObjectTags>,
    pub(crate) faults: Arc<Faults>,
    s3_root: PathBuf,
    endpoint: String,
    /// The key that signs pre-signed URLs, standing in for Cognito's own credentials.
    import_key: (String, String),
}

impl Shared {
    pub(crate) fn import_bucket(&self) -> String {
        format!("aws-cognito-idp-user-import-{}", self.config.region)
    }

    fn import_key_path(&self, pool_id: &str, job_id: &str) -> String {
        format!("{}/{pool_id}/{job_id}", self.config.account_id)
    }

    /// Where s3s-fs keeps the file uploaded for a job.
    pub(crate) fn import_object_path(&self, pool_id: &str, job_id: &str) -> PathBuf {
        self.s3_root
            .join(self.import_bucket())
            .join(self.import_key_path(pool_id, job_id))
    }

    pub(crate) fn secret_for(&self, access_key: &str) -> Option<String> {
        self.config
            .credentials
            .iter()
            .find(|(ak, _)| ak == access_key)
            .map(|(_, sk)| sk.clone())
    }

    /// A fresh pre-signed PUT URL for a job's file, valid 899 s (or the injected lifetime: the
    /// signing time is moved back so that `X-Amz-Expires` keeps its real value).
    pub(crate) fn presigned_url(&self, pool_id: &str, job_id: &str) -> String {
        const EXPIRES: u32 = 899;
        let mut signed_at = OffsetDateTime::now_utc();
        if let Some(lifetime) = self.faults.url_lifetime() {
            let cut = Duration::from_secs(EXPIRES.into()).saturating_sub(lifetime);
            signed_at -= cut;
        }
        let path = format!("/{}/{}", self.import_bucket(), self.import_key_path(pool_id, job_id));
        sigv4::presign_put(&sigv4::Presign {
            endpoint: &self.endpoint,
            path: &path,
            access_key: &self.import_key.0,
            secret: &self.import_key.1,
            region: &self.config.region,
            signed_at,
            expires_seconds: EXPIRES,
        })
    }
}

/// A running emulator. Dropping it stops the server and its jobs.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    _tempdir: Option<tempfile::TempDir>,
}

impl Emulator {
    /// Binds, prepares the S3 store and serves in the background of the current Tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, StartError> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
        let (tempdir, s3_root) = match &config.data_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let dir = tempfile::tempdir().map_err(|source| StartError::DataDir {
                    path: std::env::temp_dir(),
                    source,
                })?;
                let path = dir.path().to_owned();
                (Some(dir), path)
            }
        };
        let import_key = ("ASIACOGNITOIMPORT".to_owned(), json::random_id(40));
        let endpoint = config
            .public_endpoint
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let shared = Arc::new(Shared {
            cognito: Mutex::default(),
            logs: Mutex::default(),
            sns: Mutex::new(sns::Sns::new(&config.region, &config.account_id)),
            tags: Arc::default(),
            faults: Arc::default(),
            s3_root,
            endpoint,
            import_key,
            config,
        });
        let import_dir = shared.s3_root.join(shared.import_bucket());
        std::fs::create_dir_all(&import_dir).map_err(|source| StartError::DataDir {
            path: import_dir,
            source,
        })?;
        let fs = s3s_fs::FileSystem::new(&shared.s3_root).map_err(|e| StartError::Store(format!("{e:?}")))?;

        let mut builder =
            S3ServiceBuilder::new(s3::Store::new(fs, Arc::clone(&shared.tags), Arc::clone(&shared.faults)));
        let mut auth = SimpleAuth::new();
        for (ak, sk) in shared.config.credentials.iter().chain([&shared.import_key]) {
            auth.register(ak.clone(), sk.clone().into());
        }
        builder.set_auth(auth);
        builder.set_access(s3::Access {
            region: shared.config.region.clone(),
            import_bucket: shared.import_bucket(),
            import_access_key: shared.import_key.0.clone(),
            faults: Arc::clone(&shared.faults),
        });
        let s3 = builder.build();

        let server = tokio::spawn(serve(listener, Arc::clone(&shared), s3));
        Ok(Emulator {
            shared,
            addr,
            server,
            _tempdir: tempdir,
        })
    }

    /// `http://127.0.0.1:PORT`: the endpoint for every service.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// Where S3 keeps its buckets (one directory per bucket).
    pub fn s3_root(&self) -> &Path {
        &self.shared.s3_root
    }

    /// The bucket pre-signed URLs write to.
    pub fn import_bucket(&self) -> String {
        self.shared.import_bucket()
    }

    /// The fault switchboard.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// The tags of an S3 object, in the order they were given; `None` when the object does not exist.
    pub fn object_tags(&self, bucket: &str, key: &str) -> Option<Vec<(String, String)>> {
        // s3s-fs keeps an object at <root>/<bucket>/<key>; anything but plain names stays out.
        let relative = Path::new(bucket).join(key);
        let plain = relative.components().all(|c| matches!(c, Component::Normal(_)));
        if bucket.is_empty() || key.is_empty() || !plain || !self.shared.s3_root.join(relative).exists() {
            return None;
        }
        Some(self.shared.tags.get(bucket, key))
    }

    /// Creates an SNS topic as CreateTopic does (idempotently) and returns its ARN.
    ///
    /// # Panics
    ///
    /// When `name` is not a valid topic name (1-256 letters, digits, `-` or `_`).
    pub fn create_topic(&self, name: &str) -> String {
        self.shared
            .sns
            .lock()
            .unwrap()
            .create_topic(name)
            .unwrap_or_else(|e| panic!("cannot create topic {name:?}: {e}"))
    }

    /// The messages published to an SNS topic, oldest first (empty for an unknown topic).
    pub fn published(&self, topic_arn: &str) -> Vec<Published> {
        self.shared.sns.lock().unwrap().published(topic_arn)
    }

    /// Runs CreateUserPool with the same JSON members as the API; returns the pool id.
    pub fn create_user_pool(&self, request: serde_json::Value) -> Result<String, ApiError> {
        let out = cognito::handle(&self.shared, "CreateUserPool", &json::Input(request))?;
        Ok(out["UserPool"]["Id"]
            .as_str()
            .expect("CreateUserPool answers an Id")
            .to_owned())
    }

    /// Adds a confirmed user directly (as if it had signed up earlier).
    pub fn add_user(&self, pool_id: &str, username: &str, attributes: &[(&str, &str)]) -> Result<(), ApiError> {
        let mut state = self.shared.cognito.lock().unwrap();
        let pool = state
            .pools
            .get_mut(pool_id)
            .ok_or_else(|| ApiError::not_found(pool_id.to_owned()))?;
        let attributes = attributes.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        cognito::new_user(pool, username, attributes, "CONFIRMED", None)?;
        Ok(())
    }

    /// The users of a pool, by username.
    pub fn users(&self, pool_id: &str) -> Vec<User> {
        let state = self.shared.cognito.lock().unwrap();
        state
            .pools
            .get(pool_id)
            .map(|p| p.users.values().cloned().collect())
            .unwrap_or_default()
    }

    /// One import job as it stands (a due expiry applied).
    pub fn job(&self, job_id: &str) -> Option<Job> {
        let mut state = self.shared.cognito.lock().unwrap();
        let job = state.jobs.get_mut(job_id)?;
        cognito::expire_if_due(job, self.shared.config.job_expiry);
        Some(job.clone())
    }

    /// Every import job of the account, oldest first.
    pub fn jobs(&self) -> Vec<Job> {
        let mut jobs: Vec<Job> = self.shared.cognito.lock().unwrap().jobs.values().cloned().collect();
        jobs.sort_by_key(|j| j.created);
        jobs
    }

    /// The CloudWatch log lines of a job, oldest first.
    pub fn job_log(&self, job_id: &str) -> Vec<String> {
        let state = self.shared.cognito.lock().unwrap();
        let Some(job) = state.jobs.get(job_id) else {
            return Vec::new();
        };
        let Some(pool) = state.pools.get(&job.pool_id) else {
            return Vec::new();
        };
        self.shared
            .logs
            .lock()
            .unwrap()
            .messages(&pool.log_group(), &format!("{}/{}", job.id, job.name))
    }

    /// Waits until a job reaches a terminal status (or `timeout` passes) and returns it.
    pub async fn wait_for_job(&self, job_id: &str, timeout: Duration) -> Option<Job> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let job = self.job(job_id)?;
            let terminal = !matches!(
                job.status,
                JobStatus::Created | JobStatus::Pending | JobStatus::InProgress | JobStatus::Stopping
            );
            if terminal || tokio::time::Instant::now() >= deadline {
                return Some(job);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, s3: s3s::service::S3Service) {
    // Connections live in the set, so aborting the server task ends them too.
    let mut connections = JoinSet::new();
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        // Small answers go out at once, as from AWS's endpoints (no Nagle delay on loopback).
        if let Err(e) = socket.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        while connections.try_join_next().is_some() {}
        let (shared, s3) = (Arc::clone(&shared), s3.clone());
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| server::route(Arc::clone(&shared), s3.clone(), req));
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(socket), service);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}
