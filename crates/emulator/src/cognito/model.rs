//! The data of the Cognito side: user pools with their schema and users, import jobs and their
//! statuses, and the JSON shapes the API gives each of them.
//!
//! Everything lives in memory behind one lock (`Shared::cognito`); the operations above change it,
//! nothing here calls them.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::assumptions;
use crate::import::{ImportedHash, Mfa, PASSWORD_HASH_COLUMN, PoolSchema};
use crate::json::{ApiError, epoch_seconds};

/// The standard attributes in GetCSVHeader's order (`sub` is in the schema but not the header).
pub const STANDARD_ATTRIBUTES: [&str; 19] = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
];

#[derive(Clone, Debug)]
pub struct Attribute {
    /// `email`, or `custom:tier` for a custom attribute.
    pub name: String,
    pub data_type: String,
    pub required: bool,
    pub mutable: bool,
}

#[derive(Clone, Debug)]
pub struct User {
    pub username: String,
    pub attributes: Vec<(String, String)>,
    pub created: SystemTime,
    pub enabled: bool,
    pub status: String,
    pub mfa_enabled: Option<bool>,
    /// The password hash imported for the user (then CONFIRMED), checked at sign-in. Never in an
    /// API answer; its `Debug` hides the hash.
    pub password_hash: Option<ImportedHash>,
}

impl User {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn attributes_json(&self) -> Value {
        self.attributes
            .iter()
            .map(|(n, v)| json!({ "Name": n, "Value": v }))
            .collect()
    }

    /// The `UserType` of ListUsers and AdminCreateUser.
    pub(super) fn to_json(&self) -> Value {
        let date = epoch_seconds(self.created);
        json!({
            "Username": self.username,
            "Attributes": self.attributes_json(),
            "UserCreateDate": date,
            "UserLastModifiedDate": date,
            "Enabled": self.enabled,
            "UserStatus": self.status,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Pool {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub created: SystemTime,
    pub schema: Vec<Attribute>,
    pub auto_verified: Vec<String>,
    pub mfa: String,
    pub username_attributes: Vec<String>,
    /// Users by username, in username order (ListUsers pages through them).
    pub users: BTreeMap<String, User>,
    pub jobs_created: usize,
}

impl Pool {
    /// GetCSVHeader's columns, without `password_hash` (see [`Pool::csv_header_with`]).
    pub fn csv_header(&self) -> Vec<String> {
        self.csv_header_with(false)
    }

    /// GetCSVHeader's columns; `password_hash` among them when `lists_password_hash`
    /// (`EmulatorConfig::csv_header_lists_password_hash`).
    pub fn csv_header_with(&self, lists_password_hash: bool) -> Vec<String> {
        let mut header: Vec<String> = STANDARD_ATTRIBUTES.iter().map(|s| s.to_string()).collect();
        if assumptions::CUSTOM_COLUMNS_BEFORE_COGNITO_COLUMNS {
            header.extend(
                self.schema
                    .iter()
                    .filter(|a| a.name.starts_with("custom:"))
                    .map(|a| a.name.clone()),
            );
        }
        header.push("cognito:mfa_enabled".into());
        header.push("cognito:username".into());
        if lists_password_hash && assumptions::PASSWORD_HASH_COLUMN_LAST {
            header.push(PASSWORD_HASH_COLUMN.into());
        }
        header
    }

    pub fn log_group(&self) -> String {
        format!("/aws/cognito/userpools/{}/{}", self.id, self.name)
    }

    /// What the import rules need to know about this pool, whose GetCSVHeader does not list
    /// `password_hash` (see [`Pool::import_schema_with`]).
    pub fn import_schema(&self, require_full_header: bool) -> PoolSchema {
        self.import_schema_with(require_full_header, false)
    }

    /// What the import rules need to know about this pool; `lists_password_hash` as for
    /// [`Pool::csv_header_with`].
    pub fn import_schema_with(&self, require_full_header: bool, lists_password_hash: bool) -> PoolSchema {
        let csv_header = self.csv_header_with(lists_password_hash);
        PoolSchema {
            // `sub` is required but Cognito assigns it: only the file's columns can be required of it.
            required: self
                .schema
                .iter()
                .filter(|a| a.required && csv_header.contains(&a.name))
                .map(|a| a.name.clone())
                .collect(),
            csv_header,
            mfa: match self.mfa.as_str() {
                "ON" => Mfa::On,
                "OPTIONAL" => Mfa::Optional,
                _ => Mfa::Off,
            },
            number_attributes: self
                .schema
                .iter()
                .filter(|a| a.name.starts_with("custom:") && a.data_type == "Number")
                .map(|a| a.name.clone())
                .collect(),
            auto_verified: self.auto_verified.clone(),
            require_full_header,
        }
    }

    /// The `UserPoolType` of CreateUserPool and DescribeUserPool.
    pub(super) fn to_json(&self) -> Value {
        let date = epoch_seconds(self.created);
        let schema: Vec<Value> = self
            .schema
            .iter()
            .map(|a| {
                json!({
                    "Name": a.name,
                    "AttributeDataType": a.data_type,
                    "DeveloperOnlyAttribute": false,
                    "Mutable": a.mutable,
                    "Required": a.required,
                })
            })
            .collect();
        json!({
            "Id": self.id,
            "Name": self.name,
            "Arn": self.arn,
            "CreationDate": date,
            "LastModifiedDate": date,
            "SchemaAttributes": schema,
            "AutoVerifiedAttributes": self.auto_verified,
            "UsernameAttributes": self.username_attributes,
            "MfaConfiguration": self.mfa,
            "EstimatedNumberOfUsers": self.users.len(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Created,
    Pending,
    InProgress,
    Stopping,
    Expired,
    Stopped,
    Failed,
    Succeeded,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Created => "Created",
            JobStatus::Pending => "Pending",
            JobStatus::InProgress => "InProgress",
            JobStatus::Stopping => "Stopping",
            JobStatus::Expired => "Expired",
            JobStatus::Stopped => "Stopped",
            JobStatus::Failed => "Failed",
            JobStatus::Succeeded => "Succeeded",
        }
    }

    /// Counts against the one-active-job-per-account limit.
    pub fn is_active(self) -> bool {
        matches!(self, JobStatus::Pending | JobStatus::InProgress | JobStatus::Stopping)
    }
}

pub mod messages {
    pub const SUCCEEDED: &str = "Import Job Completed Successfully.";
    pub const TOO_MANY_FAILED: &str = "Too many users have failed or been skipped during the import.";
    pub const STOPPED: &str = "The Import Job was stopped by the developer.";
    pub const EXPIRED: &str = "The user import job has expired.";
}

#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub name: String,
    pub pool_id: String,
    pub role_arn: String,
    pub presigned_url: String,
    pub hashing_algorithm: Option<String>,
    pub created: SystemTime,
    pub started: Option<SystemTime>,
    pub completed: Option<SystemTime>,
    pub status: JobStatus,
    pub imported: u64,
    pub skipped: u64,
    pub failed: u64,
    pub message: Option<String>,
}

impl Job {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "JobName": self.name,
            "JobId": self.id,
            "UserPoolId": self.pool_id,
            "PreSignedUrl": self.presigned_url,
            "CreationDate": epoch_seconds(self.created),
            "Status": self.status.as_str(),
            "CloudWatchLogsRoleArn": self.role_arn,
            "ImportedUsers": self.imported,
            "SkippedUsers": self.skipped,
            "FailedUsers": self.failed,
        });
        let obj = v.as_object_mut().expect("a JSON object");
        if let Some(t) = self.started {
            obj.insert("StartDate".into(), json!(epoch_seconds(t)));
        }
        if let Some(t) = self.completed {
            obj.insert("CompletionDate".into(), json!(epoch_seconds(t)));
        }
        if let Some(m) = &self.message {
            obj.insert("CompletionMessage".into(), json!(m));
        }
        if let Some(a) = &self.hashing_algorithm {
            obj.insert("PasswordHashingAlgorithm".into(), json!(a));
        }
        v
    }

    pub(super) fn finish(&mut self, status: JobStatus, message: &str) {
        self.status = status;
        self.message = Some(message.to_owned());
        self.completed = Some(SystemTime::now());
    }
}

/// An app client of a pool (CreateUserPoolClient), through which users sign in.
#[derive(Clone, Debug)]
pub struct AppClient {
    pub id: String,
    pub name: String,
    pub pool_id: String,
    pub created: SystemTime,
    /// As given, or Cognito's default (`assumptions::DEFAULT_EXPLICIT_AUTH_FLOWS`).
    pub explicit_auth_flows: Vec<String>,
    /// ENABLED or LEGACY.
    pub prevent_user_existence_errors: String,
}

impl AppClient {
    pub fn allows(&self, flow: &str) -> bool {
        self.explicit_auth_flows.iter().any(|f| f == flow)
    }

    /// The `UserPoolClientType` of CreateUserPoolClient.
    pub(super) fn to_json(&self) -> Value {
        let date = epoch_seconds(self.created);
        json!({
            "UserPoolId": self.pool_id,
            "ClientName": self.name,
            "ClientId": self.id,
            "CreationDate": date,
            "LastModifiedDate": date,
            "ExplicitAuthFlows": self.explicit_auth_flows,
            "PreventUserExistenceErrors": self.prevent_user_existence_errors,
            "AllowedOAuthFlowsUserPoolClient": false,
            "EnableTokenRevocation": true,
        })
    }
}

/// The Cognito side of the emulator's state.
#[derive(Default)]
pub struct Cognito {
    pub pools: BTreeMap<String, Pool>,
    pub jobs: BTreeMap<String, Job>,
    /// App clients by client id (InitiateAuth names only the client).
    pub clients: BTreeMap<String, AppClient>,
}

impl Cognito {
    pub fn pool(&self, id: &str) -> Result<&Pool, ApiError> {
        self.pools
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("User pool {id} does not exist.")))
    }

    pub(super) fn pool_mut(&mut self, id: &str) -> Result<&mut Pool, ApiError> {
        self.pools
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found(format!("User pool {id} does not exist.")))
    }

    /// A job of the pool, with a Created job past its window turned Expired first.
    pub(super) fn job_mut(
        &mut self,
        pool_id: &str,
        job_id: &str,
        expiry: std::time::Duration,
    ) -> Result<&mut Job, ApiError> {
        self.pool(pool_id)?;
        let job = self
            .jobs
            .get_mut(job_id)
            .filter(|j| j.pool_id == pool_id)
            .ok_or_else(|| ApiError::not_found(format!("Import job {job_id} does not exist.")))?;
        expire_if_due(job, expiry);
        Ok(job)
    }
}

pub fn expire_if_due(job: &mut Job, expiry: std::time::Duration) {
    if job.status == JobStatus::Created && job.created.elapsed().unwrap_or_default() >= expiry {
        job.finish(JobStatus::Expired, messages::EXPIRED);
    }
}
