//! The user pool operations: CreateUserPool, DescribeUserPool, ListUserPools and GetCSVHeader.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::model::{Attribute, Pool, STANDARD_ATTRIBUTES};
use super::request::{page, pool_id_of};
use crate::json::{ApiError, ApiResult, Input, epoch_seconds, random_id};
use crate::shared::Shared;

pub(super) fn create_user_pool(shared: &Arc<Shared>, input: &Input) -> ApiResult {
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

pub(super) fn describe_user_pool(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let state = shared.cognito.lock().unwrap();
    Ok(json!({ "UserPool": state.pool(pool_id_of(input)?)?.to_json() }))
}

/// DeleteUserPool: the pool goes with its users, app clients and import jobs (a job's calls then
/// answer ResourceNotFoundException "User pool … does not exist."; a running job stops changing
/// anything).
pub(super) fn delete_user_pool(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    let mut state = shared.cognito.lock().unwrap();
    state.pool(pool_id)?;
    state.pools.remove(pool_id);
    state.jobs.retain(|_, job| job.pool_id != pool_id);
    state.clients.retain(|_, client| client.pool_id != pool_id);
    Ok(json!({}))
}

pub(super) fn list_user_pools(shared: &Arc<Shared>, input: &Input) -> ApiResult {
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

pub(super) fn get_csv_header(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let id = pool_id_of(input)?;
    let state = shared.cognito.lock().unwrap();
    let header = state
        .pool(id)?
        .csv_header_with(shared.config.csv_header_lists_password_hash);
    Ok(json!({ "UserPoolId": id, "CSVHeader": header }))
}
