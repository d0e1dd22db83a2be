//! A local stand-in for Amazon Cognito user import jobs, with the S3, CloudWatch Logs and SNS around
//! them, on one loopback HTTP endpoint that real AWS SDK clients and the AWS CLI talk to.
//!
//! - Cognito Identity Provider (AWS JSON 1.1): pools, users and import jobs (`cognito`), run by
//!   Cognito's rules for import files (`import`), password hashes included; app clients and
//!   password sign-in (AdminInitiateAuth, InitiateAuth) against the imported hashes.
//! - The pre-signed upload URL of a job (`sigv4`, `upload`), checked the way S3 checks it.
//! - S3, path-style, for drop buckets (`s3`), on s3s and s3s-fs, with object tagging kept in
//!   memory (`Emulator::object_tags`) and bucket versioning (older versions, delete markers,
//!   ListObjectVersions).
//! - CloudWatch Logs GetLogEvents/FilterLogEvents over the jobs' logs (`logs`).
//! - SNS CreateTopic/Publish/ListTopics (AWS Query protocol, `sns`); published messages are kept
//!   for tests (`Emulator::published`), not delivered.
//!
//! Every call is SigV4-verified against the configured credentials (but InitiateAuth, which apps
//! send unsigned), and counted by operation (`calls`, `Emulator::calls`). Faults (`faults`) can be
//! switched on by tests. Cognito's request quotas on the import operations are enforced
//! (`quotas`, `EmulatorConfig::cognito_quotas`). What Cognito does not document is chosen in
//! `assumptions`.
//!
//! The configuration (`config`) and the state every request and job share (`shared`) sit below the
//! services, which take them as their context; this root only starts and serves, and no module
//! calls back up into it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = cognito_import_emulator::Emulator::start(Default::default()).await?;
//! // Point AWS_ENDPOINT_URL (or an SDK client's endpoint_url) at this:
//! println!("{}", emulator.endpoint());
//! # Ok(()) }
//! ```

pub mod assumptions;
pub mod calls;
pub mod cognito;
pub mod config;
pub mod faults;
pub mod import;
pub mod json;
pub mod logs;
pub mod quotas;
pub mod s3;
pub mod server;
pub mod shared;
pub mod sigv4;
pub mod sns;
pub mod upload;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub use cognito::model::{Job, JobStatus, User};
pub use config::EmulatorConfig;
pub use faults::{Fault, Faults};
pub use json::ApiError;
pub use shared::Shared;
pub use sns::Published;

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
        let endpoint = config
            .public_endpoint
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let shared = Arc::new(Shared::new(config, s3_root, endpoint));
        let import_dir = shared.s3_root().join(shared.import_bucket());
        std::fs::create_dir_all(&import_dir).map_err(|source| StartError::DataDir {
            path: import_dir,
            source,
        })?;
        let store = s3::Store::open(shared.s3_root(), Arc::clone(&shared.tags), Arc::clone(&shared.faults))
            .map_err(StartError::Store)?;

        let mut builder = S3ServiceBuilder::new(store);
        let mut auth = SimpleAuth::new();
        for (ak, sk) in shared.config.credentials.iter().chain([shared.import_key()]) {
            auth.register(ak.clone(), sk.clone().into());
        }
        builder.set_auth(auth);
        builder.set_access(s3::Access {
            region: shared.config.region.clone(),
            import_bucket: shared.import_bucket(),
            import_access_key: shared.import_key().0.clone(),
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
        self.shared.s3_root()
    }

    /// The bucket pre-signed URLs write to.
    pub fn import_bucket(&self) -> String {
        self.shared.import_bucket()
    }

    /// The fault switchboard.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// How many requests of each operation were served since the start or the last
    /// [`Emulator::reset_calls`], by `service:operation` (see [`calls`]: `cognito-idp:StartUserImportJob`,
    /// `s3:PutObject`, `logs:GetLogEvents`, `sns:Publish`, [`calls::PRESIGNED_UPLOAD`]).
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.shared.calls.snapshot()
    }

    /// Sets every call count back to zero, the throttled answers' counts ([`Emulator::throttled`])
    /// too. The quotas' buckets keep their levels.
    pub fn reset_calls(&self) {
        self.shared.calls.reset();
        self.shared.quotas.reset_throttled();
    }

    /// How many requests Cognito's request quotas ([`quotas`]) answered TooManyRequestsException,
    /// by `cognito-idp:<operation>` as [`Emulator::calls`] names them (which counts them too), since
    /// the start or the last [`Emulator::reset_calls`]. Injected `Throttle` faults are not counted
    /// here. Empty when `EmulatorConfig::cognito_quotas` is off.
    pub fn throttled(&self) -> BTreeMap<String, u64> {
        self.shared.quotas.throttled()
    }

    /// The tags of an S3 object, in the order they were given; `None` when the object does not exist.
    pub fn object_tags(&self, bucket: &str, key: &str) -> Option<Vec<(String, String)>> {
        self.object_file(bucket, key)?;
        Some(self.shared.tags.get(bucket, key))
    }

    /// The file that holds the current object of `key` in `bucket`, if there is one: s3s-fs's
    /// `<root>/<bucket>/<key>`, or for a key too long for s3s-fs's file names, the file of its
    /// surrogate. A test may set its modification time, which listings report.
    pub fn object_file(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        s3::object_file(self.shared.s3_root(), bucket, key).filter(|file| file.exists())
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
        let out = cognito::api::handle(&self.shared, "CreateUserPool", &json::Input(request))?;
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
        cognito::users::new_user(pool, username, attributes, "CONFIRMED", None)?;
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
        cognito::model::expire_if_due(job, self.shared.config.job_expiry);
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
