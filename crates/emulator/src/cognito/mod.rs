//! Cognito Identity Provider: user pools, users and user import jobs, as the
//! `AWSCognitoIdentityProviderService` JSON API presents them.
//!
//! The data is in [`model`]; the running of a started job is in `jobs.rs`.

pub mod model;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::json::{ApiError, ApiResult, Input, epoch_seconds, random_id};
use crate::shared::Shared;

pub use model::{Attribute, Cognito, Job, JobStatus, Pool, STANDARD_ATTRIBUTES, User, expire_if_due, messages};

const JOB_NAME_MAX: usize = 128;

fn check_pool_id(id: &str) -> Result<(), ApiError> {
    let ok = id.len() <= 55
        && id.split_once('_').is_some_and(|(region, rest)| {
            !region.is_empty()
                && region.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{id}' at 'userPoolId' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"
        )))
    }
}

fn pool_id_of(input: &Input) -> Result<&str, ApiError> {
    let id = input.str("UserPoolId")?;
    check_pool_id(id)?;
    Ok(id)
}

/// Runs one Cognito operation.
pub fn handle(shared: &Arc<Shared>, op: &str, input: &Input) -> ApiResult {
    match op {
        "CreateUserPool" => create_user_pool(shared, input),
        "DescribeUserPool" => {
            let state = shared.cognito.lock().unwrap();
            Ok(json!({ "UserPool": state.pool(pool_id_of(input)?)?.to_json() }))
        }
        "ListUserPools" => list_user_pools(shared, input),
        "GetCSVHeader" => {
            let id = pool_id_of(input)?;
            let state = shared.cognito.lock().unwrap();
            Ok(json!({ "UserPoolId": id, "CSVHeader": state.pool(id)?.csv_header() }))
        }
        "AdminCreateUser" => admin_create_user(shared, input),
        "AdminGetUser" => admin_get_user(shared, input),
        "ListUsers" => list_users(shared, input),
        "CreateUserImportJob" => create_import_job(shared, input),
        "StartUserImportJob" => crate::jobs::start(shared, pool_id_of(input)?, input.str("JobId")?),
        "StopUserImportJob" => stop_import_job(shared, input),
        "DescribeUserImportJob" => {
            let mut state = shared.cognito.lock().unwrap();
            let job = state.job_mut(pool_id_of(input)?, input.str("JobId")?, shared.config.job_expiry)?;
            Ok(json!({ "UserImportJob": job.to_json() }))
        }
        "ListUserImportJobs" => list_import_jobs(shared, input),
        _ => Err(ApiError::new(
            "UnknownOperationException",
            format!("Operation {op} is not supported"),
        )),
    }
}

fn create_user_pool(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let name = input.str("PoolName")?;
    if name.is_empty() || name.len() > 128 {
        return Err(ApiError::invalid("PoolName must be 1 to 128 characters long"));
    }
    let mut schema: Vec<Attribute> = std::iter::once("sub")
        .chain(STANDARD_ATTRIBUTES)
        .map(|n| Attribute {
            name: n.to_owned(),
            data_type: match n {
                "email_verified" | "phone_number_verified" => "Boolean",
                "updated_at" => "Number",
                _ => "String",
            }
            .to_owned(),
            required: n == "sub",
            mutable: n != "sub",
        })
        .collect();
    for attr in input.array("Schema")? {
        let attr = Input(attr.clone());
        let attr_name = attr.str("Name")?;
        let required = attr.opt_bool("Required")?.unwrap_or(false);
        if let Some(std) = schema.iter_mut().find(|a| a.name == attr_name) {
            std.required = required;
            continue;
        }
        let data_type = attr.opt_str("AttributeDataType")?.unwrap_or("String");
        if !["String", "Number", "DateTime", "Boolean"].contains(&data_type) {
            return Err(ApiError::invalid(format!(
                "Invalid AttributeDataType for custom attribute {attr_name}"
            )));
        }
        if required {
            return Err(ApiError::invalid(
                "Required custom attributes are not supported currently.",
            ));
        }
        schema.push(Attribute {
            name: format!("custom:{}", attr_name.trim_start_matches("custom:")),
            data_type: data_type.to_owned(),
            required: false,
            mutable: attr.opt_bool("Mutable")?.unwrap_or(true),
        });
    }
    let auto_verified = input.strings("AutoVerifiedAttributes")?;
    if let Some(bad) = auto_verified.iter().find(|a| *a != "email" && *a != "phone_number") {
        return Err(ApiError::invalid(format!(
            "Invalid AutoVerifiedAttributes value: {bad}"
        )));
    }
    let mfa = input.opt_str("MfaConfiguration")?.unwrap_or("OFF").to_owned();
    if !["OFF", "ON", "OPTIONAL"].contains(&mfa.as_str()) {
        return Err(ApiError::invalid("MfaConfiguration must be OFF, ON or OPTIONAL"));
    }
    let region = &shared.config.region;
    let id = format!("{region}_{}", random_id(9));
    let pool = Pool {
        arn: format!(
            "arn:aws:cognito-idp:{region}:{}:userpool/{id}",
            shared.config.account_id
        ),
        id: id.clone(),
        name: name.to_owned(),
        created: SystemTime::now(),
        schema,
        auto_verified,
        mfa,
        username_attributes: input.strings("UsernameAttributes")?,
        users: BTreeMap::new(),
        jobs_created: 0,
    };
    let out = json!({ "UserPool": pool.to_json() });
    shared.cognito.lock().unwrap().pools.insert(id, pool);
    Ok(out)
}

/// Pages over `items` with an opaque token holding the index of the next item.
fn page<'a, T>(items: &'a [T], token: Option<&str>, limit: usize) -> Result<(&'a [T], Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::invalid("Invalid pagination token"))?,
    };
    let end = (start + limit).min(items.len());
    let next = (end < items.len()).then(|| format!("page-{end}"));
    Ok((&items[start..end], next))
}

fn list_user_pools(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let limit = input.limit("MaxResults", 60, 60)?;
    if input.opt_u64("MaxResults")?.is_none() {
        return Err(ApiError::invalid("MaxResults is required"));
    }
    let state = shared.cognito.lock().unwrap();
    let pools: Vec<&Pool> = state.pools.values().collect();
    let (pools, next) = page(&pools, input.opt_str("NextToken")?, limit)?;
    let items: Vec<Value> = pools
        .iter()
        .map(|p| {
            let date = epoch_seconds(p.created);
            json!({ "Id": p.id, "Name": p.name, "CreationDate": date, "LastModifiedDate": date })
        })
        .collect();
    let mut out = json!({ "UserPools": items });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

fn admin_create_user(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    let username = input.str("Username")?;
    let mut attributes = Vec::new();
    for a in input.array("UserAttributes")? {
        let a = Input(a.clone());
        attributes.push((a.str("Name")?.to_owned(), a.opt_str("Value")?.unwrap_or("").to_owned()));
    }
    let mut state = shared.cognito.lock().unwrap();
    let pool = state.pool_mut(pool_id)?;
    let user = new_user(pool, username, attributes, "FORCE_CHANGE_PASSWORD", None)?;
    Ok(json!({ "User": user.to_json() }))
}

/// Adds a user to a pool, giving it a `sub`; fails if the username is taken.
pub fn new_user<'p>(
    pool: &'p mut Pool,
    username: &str,
    mut attributes: Vec<(String, String)>,
    status: &str,
    mfa_enabled: Option<bool>,
) -> Result<&'p User, ApiError> {
    if username.is_empty() || username.chars().any(char::is_whitespace) {
        return Err(ApiError::invalid(
            "Username must be non-empty and contain no whitespace",
        ));
    }
    if pool.users.contains_key(username) {
        return Err(ApiError::new("UsernameExistsException", "User account already exists"));
    }
    for (name, _) in &attributes {
        if !pool.schema.iter().any(|a| &a.name == name) {
            return Err(ApiError::invalid(format!(
                "Attribute does not exist in the schema: {name}"
            )));
        }
    }
    let sub = {
        let h = format!("{:032x}", rand::random::<u128>());
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    };
    attributes.retain(|(n, _)| n != "sub");
    attributes.insert(0, ("sub".into(), sub));
    let user = User {
        username: username.to_owned(),
        attributes,
        created: SystemTime::now(),
        enabled: true,
        status: status.to_owned(),
        mfa_enabled,
    };
    Ok(pool.users.entry(username.to_owned()).or_insert(user))
}

fn admin_get_user(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    let username = input.str("Username")?;
    let state = shared.cognito.lock().unwrap();
    let user = state
        .pool(pool_id)?
        .users
        .get(username)
        .ok_or_else(|| ApiError::new("UserNotFoundException", "User does not exist."))?;
    let mut out = user.to_json();
    let obj = out.as_object_mut().expect("a JSON object");
    let attributes = obj.remove("Attributes").unwrap_or_default();
    obj.insert("UserAttributes".into(), attributes);
    Ok(out)
}

/// ListUsers' `Filter`: `attribute = "value"` (exact) or `attribute ^= "value"` (prefix).
fn parse_filter(filter: &str) -> Result<(String, bool, String), ApiError> {
    let bad = || ApiError::invalid(format!("Error while parsing filter: {filter}"));
    // The operator is the first `=` (or the `^=` it ends): the quoted value may hold either.
    let (left, rest) = filter.split_once('=').ok_or_else(bad)?;
    let (name, exact) = match left.strip_suffix('^') {
        Some(name) => (name, false),
        None => (left, true),
    };
    let value = rest
        .trim()
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(bad)?;
    Ok((name.trim().to_owned(), exact, value.replace("\\\"", "\"")))
}

fn list_users(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    let limit = input.limit("Limit", 60, 60)?;
    let filter = input
        .opt_str("Filter")?
        .filter(|f| !f.trim().is_empty())
        .map(parse_filter)
        .transpose()?;
    let state = shared.cognito.lock().unwrap();
    let users: Vec<&User> = state
        .pool(pool_id)?
        .users
        .values()
        .filter(|u| {
            let Some((name, exact, value)) = &filter else {
                return true;
            };
            // `status` is Enabled/Disabled (case-sensitive); `cognito:user_status` is the UserStatus
            // (case-insensitive), as ListUsers documents them.
            let (actual, value) = match name.as_str() {
                "username" => (Some(u.username.clone()), value.clone()),
                "status" => (
                    Some(if u.enabled { "Enabled" } else { "Disabled" }.to_owned()),
                    value.clone(),
                ),
                "cognito:user_status" => (Some(u.status.to_lowercase()), value.to_lowercase()),
                other => (u.attribute(other).map(str::to_owned), value.clone()),
            };
            actual.is_some_and(|a| if *exact { a == value } else { a.starts_with(&value) })
        })
        .collect();
    let (users, next) = page(&users, input.opt_str("PaginationToken")?, limit)?;
    let mut out = json!({ "Users": users.iter().map(|u| u.to_json()).collect::<Vec<_>>() });
    if let Some(next) = next {
        out["PaginationToken"] = json!(next);
    }
    Ok(out)
}

fn create_import_job(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    let name = input.str("JobName")?;
    let name_ok = !name.is_empty()
        && name.chars().count() <= JOB_NAME_MAX
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=,.@-".contains(c));
    if !name_ok {
        return Err(ApiError::invalid(
            "1 validation error detected: Value at 'jobName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+ and be 1 to 128 characters",
        ));
    }
    let role = input.str("CloudWatchLogsRoleArn")?;
    let role_ok = role.starts_with("arn:") && role.split(':').count() >= 6 && role.contains(":role/");
    if !role_ok {
        return Err(ApiError::invalid(format!(
            "CloudWatchLogsRoleArn is not an IAM role ARN: {role}"
        )));
    }
    let hashing = input.opt_str("PasswordHashingAlgorithm")?.map(str::to_owned);
    if let Some(a) = &hashing
        && !["BCRYPT", "SCRYPT", "ARGON2ID", "PBKDF2_SHA256"].contains(&a.as_str())
    {
        return Err(ApiError::invalid(format!("Unsupported PasswordHashingAlgorithm: {a}")));
    }

    let id = format!("import-{}", random_id(10));
    let url = shared.presigned_url(pool_id, &id);
    let mut state = shared.cognito.lock().unwrap();
    let pool = state.pool_mut(pool_id)?;
    if pool.jobs_created >= shared.config.jobs_per_pool {
        return Err(ApiError::new(
            "LimitExceededException",
            format!(
                "The user pool has reached its limit of {} import jobs.",
                shared.config.jobs_per_pool
            ),
        ));
    }
    pool.jobs_created += 1;
    let job = Job {
        id: id.clone(),
        name: name.to_owned(),
        pool_id: pool_id.to_owned(),
        role_arn: role.to_owned(),
        presigned_url: url,
        hashing_algorithm: hashing,
        created: SystemTime::now(),
        started: None,
        completed: None,
        status: JobStatus::Created,
        imported: 0,
        skipped: 0,
        failed: 0,
        message: None,
    };
    let out = json!({ "UserImportJob": job.to_json() });
    state.jobs.insert(id, job);
    Ok(out)
}

fn stop_import_job(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let mut state = shared.cognito.lock().unwrap();
    let job = state.job_mut(pool_id_of(input)?, input.str("JobId")?, shared.config.job_expiry)?;
    match job.status {
        JobStatus::Pending | JobStatus::InProgress => job.status = JobStatus::Stopping,
        JobStatus::Stopping => {}
        other => {
            return Err(ApiError::new(
                "PreconditionNotMetException",
                format!("Import job {} is {} and cannot be stopped.", job.id, other.as_str()),
            ));
        }
    }
    Ok(json!({ "UserImportJob": job.to_json() }))
}

fn list_import_jobs(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    if input.opt_u64("MaxResults")?.is_none() {
        return Err(ApiError::invalid(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: \
             Member must not be null",
        ));
    }
    let limit = input.limit("MaxResults", 60, 60)?;
    let mut state = shared.cognito.lock().unwrap();
    state.pool(pool_id)?;
    let expiry = shared.config.job_expiry;
    let mut jobs: Vec<&mut Job> = state.jobs.values_mut().filter(|j| j.pool_id == pool_id).collect();
    for job in jobs.iter_mut() {
        expire_if_due(job, expiry);
    }
    // Newest first, as Cognito lists them.
    let mut jobs: Vec<&Job> = jobs.into_iter().map(|j| &*j).collect();
    jobs.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    let (jobs, next) = page(&jobs, input.opt_str("PaginationToken")?, limit)?;
    let mut out = json!({ "UserImportJobs": jobs.iter().map(|j| j.to_json()).collect::<Vec<_>>() });
    if let Some(next) = next {
        out["PaginationToken"] = json!(next);
    }
    Ok(out)
}

pub(crate) fn finish(job: &mut Job, status: JobStatus, message: &str) {
    job.finish(status, message);
}
