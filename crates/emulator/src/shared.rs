//! The state every request and every running job share: the configuration, each service's state
//! behind its own lock, the fault switchboard, and where the import bucket's files are.
//!
//! It sits below every service module (they take it as their context) and above their data, so
//! that no module reaches back up to the crate root for it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;

use crate::calls::Calls;
use crate::cognito::model::Cognito;
use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::json;
use crate::logs::Logs;
use crate::quotas::Quotas;
use crate::s3::ObjectTags;
use crate::sigv4;
use crate::sns::Sns;

/// State shared by every request and job.
pub struct Shared {
    pub(crate) config: EmulatorConfig,
    pub(crate) cognito: Mutex<Cognito>,
    pub(crate) logs: Mutex<Logs>,
    pub(crate) sns: Mutex<Sns>,
    /// Object tags, shared with the S3 store.
    pub(crate) tags: Arc<ObjectTags>,
    pub(crate) faults: Arc<Faults>,
    /// Requests served, by operation (counted by the server's dispatch).
    pub(crate) calls: Calls,
    /// Cognito's request quotas for the import operations.
    pub(crate) quotas: Quotas,
    s3_root: PathBuf,
    endpoint: String,
    /// The key that signs pre-signed URLs, standing in for Cognito's own credentials.
    import_key: (String, String),
}

impl Shared {
    /// Empty services, S3 kept under `s3_root`, pre-signed URLs pointing at `endpoint`.
    pub(crate) fn new(config: EmulatorConfig, s3_root: PathBuf, endpoint: String) -> Shared {
        let import_key = ("ASIACOGNITOIMPORT".to_owned(), json::random_id(40));
        Shared {
            cognito: Mutex::default(),
            logs: Mutex::default(),
            sns: Mutex::new(Sns::new(&config.region, &config.account_id)),
            tags: Arc::default(),
            faults: Arc::default(),
            calls: Calls::default(),
            quotas: Quotas::new(config.cognito_quotas),
            s3_root,
            endpoint,
            import_key,
            config,
        }
    }

    /// Where S3 keeps its buckets (one directory per bucket).
    pub(crate) fn s3_root(&self) -> &Path {
        &self.s3_root
    }

    /// The access key and secret of pre-signed URLs.
    pub(crate) fn import_key(&self) -> &(String, String) {
        &self.import_key
    }

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
