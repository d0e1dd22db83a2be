//! CreateUserPoolClient: the app clients users sign in through (`auth`), with the auth flows each
//! allows.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::json;

use super::model::AppClient;
use super::request::pool_id_of;
use crate::assumptions;
use crate::json::{ApiError, ApiResult, Input};
use crate::shared::Shared;

/// The API's ExplicitAuthFlowsType values: the legacy ones, then those beginning with `ALLOW_`.
const AUTH_FLOWS: [&str; 9] = [
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
];

const CLIENT_NAME_MAX: usize = 128;

pub(super) fn create_user_pool_client(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    let name = input.str("ClientName")?;
    let name_ok = !name.is_empty()
        && name.chars().count() <= CLIENT_NAME_MAX
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=,.@-".contains(c));
    if !name_ok {
        return Err(ApiError::invalid(
            "1 validation error detected: Value at 'clientName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+ and be 1 to 128 characters",
        ));
    }
    if assumptions::GENERATE_SECRET_REFUSED && input.opt_bool("GenerateSecret")?.unwrap_or(false) {
        return Err(ApiError::invalid(
            "GenerateSecret is not supported by this emulator: it does not check SECRET_HASH.",
        ));
    }
    let mut flows = input.strings("ExplicitAuthFlows")?;
    if let Some(bad) = flows.iter().find(|f| !AUTH_FLOWS.contains(&f.as_str())) {
        return Err(ApiError::invalid(format!(
            "1 validation error detected: Value '[{bad}]' at 'explicitAuthFlows' failed to satisfy \
             constraint: Member must satisfy enum value set: [{}]",
            AUTH_FLOWS.join(", ")
        )));
    }
    // Documented: the legacy values cannot be given together with the ALLOW_ ones.
    let allow = flows.iter().filter(|f| f.starts_with("ALLOW_")).count();
    if allow != 0 && allow != flows.len() {
        return Err(ApiError::invalid(
            "ExplicitAuthFlows cannot mix legacy values with values that begin with ALLOW_.",
        ));
    }
    if flows.is_empty() {
        flows = assumptions::DEFAULT_EXPLICIT_AUTH_FLOWS.map(str::to_owned).to_vec();
    }
    let prevent = input
        .opt_str("PreventUserExistenceErrors")?
        .unwrap_or(assumptions::DEFAULT_PREVENT_USER_EXISTENCE_ERRORS);
    if !["ENABLED", "LEGACY"].contains(&prevent) {
        return Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{prevent}' at 'preventUserExistenceErrors' failed to \
             satisfy constraint: Member must satisfy enum value set: [LEGACY, ENABLED]"
        )));
    }

    let mut state = shared.cognito.lock().unwrap();
    state.pool(pool_id)?;
    let client = AppClient {
        id: client_id(),
        name: name.to_owned(),
        pool_id: pool_id.to_owned(),
        created: SystemTime::now(),
        explicit_auth_flows: flows,
        prevent_user_existence_errors: prevent.to_owned(),
    };
    let out = json!({ "UserPoolClient": client.to_json() });
    state.clients.insert(client.id.clone(), client);
    Ok(out)
}

/// 26 lowercase letters and digits, the shape of Cognito's client ids.
fn client_id() -> String {
    crate::json::random_id(26).to_ascii_lowercase()
}
