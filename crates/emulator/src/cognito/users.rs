//! The user operations (AdminCreateUser, AdminGetUser, ListUsers), and [`new_user`]: the one way a
//! user enters a pool, which imports take too.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::json;

use super::model::{Pool, User};
use super::request::{page, pool_id_of};
use crate::import::ImportedHash;
use crate::json::{ApiError, ApiResult, Input};
use crate::shared::Shared;

pub(super) fn admin_create_user(shared: &Arc<Shared>, input: &Input) -> ApiResult {
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
    attributes: Vec<(String, String)>,
    status: &str,
    mfa_enabled: Option<bool>,
) -> Result<&'p User, ApiError> {
    new_user_with_password(pool, username, attributes, status, mfa_enabled, None)
}

/// [`new_user`] with the password hash an import brought (the user then signs in with it).
pub fn new_user_with_password<'p>(
    pool: &'p mut Pool,
    username: &str,
    mut attributes: Vec<(String, String)>,
    status: &str,
    mfa_enabled: Option<bool>,
    password_hash: Option<ImportedHash>,
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
        password_hash,
    };
    Ok(pool.users.entry(username.to_owned()).or_insert(user))
}

pub(super) fn admin_get_user(shared: &Arc<Shared>, input: &Input) -> ApiResult {
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

pub(super) fn list_users(shared: &Arc<Shared>, input: &Input) -> ApiResult {
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
