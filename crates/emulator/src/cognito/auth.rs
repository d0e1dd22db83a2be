//! Sign-in with a username and password: AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH) and
//! InitiateAuth (USER_PASSWORD_AUTH), so that tests can prove an import kept a user's password.
//!
//! The password is checked against the hash the import stored (`import::hashes`). Other flows
//! (SRP, refresh, custom) are not implemented. Choices the API reference leaves open are in
//! `assumptions` (prevent-user-existence errors, RESET_REQUIRED, opaque tokens).

use std::sync::Arc;

use serde_json::{Value, json};

use super::model::{AppClient, Cognito};
use super::request::pool_id_of;
use crate::assumptions;
use crate::import::ImportedHash;
use crate::json::{ApiError, ApiResult, Input, random_id};
use crate::shared::Shared;

/// The API's AuthFlowType values.
const AUTH_FLOWS: [&str; 8] = [
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "USER_AUTH",
];

const WRONG_CREDENTIALS: &str = "Incorrect username or password.";

/// Which operation is signing in.
#[derive(Clone, Copy)]
enum Operation {
    /// AdminInitiateAuth: names the pool, signed by an administrator.
    Admin,
    /// InitiateAuth: names only the client, unsigned.
    App,
}

impl Operation {
    /// The AuthFlow values of this operation's password flow.
    fn password_flows(self) -> &'static [&'static str] {
        match self {
            Operation::Admin => &["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"],
            Operation::App => &["USER_PASSWORD_AUTH"],
        }
    }

    /// The ExplicitAuthFlows that enable it (the current value and the legacy one).
    fn enabling_flows(self) -> [&'static str; 2] {
        match self {
            Operation::Admin => ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"],
            Operation::App => ["ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"],
        }
    }

    /// Flows of the other operation: Cognito's answer for them.
    fn is_other_operations(self, flow: &str) -> bool {
        match self {
            Operation::Admin => flow == "USER_PASSWORD_AUTH",
            Operation::App => flow.starts_with("ADMIN_"),
        }
    }
}

pub(super) fn admin_initiate_auth(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    let pool_id = pool_id_of(input)?;
    initiate(shared, input, Operation::Admin, Some(pool_id))
}

pub(super) fn initiate_auth(shared: &Arc<Shared>, input: &Input) -> ApiResult {
    initiate(shared, input, Operation::App, None)
}

fn initiate(shared: &Arc<Shared>, input: &Input, operation: Operation, pool_id: Option<&str>) -> ApiResult {
    let client_id = input.str("ClientId")?;
    let flow = input.str("AuthFlow")?;
    if !AUTH_FLOWS.contains(&flow) {
        return Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{flow}' at 'authFlow' failed to satisfy constraint: \
             Member must satisfy enum value set: [{}]",
            AUTH_FLOWS.join(", ")
        )));
    }
    let hash = {
        let state = shared.cognito.lock().unwrap();
        if let Some(pool_id) = pool_id {
            state.pool(pool_id)?;
        }
        let client = client(&state, client_id, pool_id)?;
        if operation.is_other_operations(flow) {
            return Err(ApiError::invalid("Initiate Auth method not supported."));
        }
        if !operation.password_flows().contains(&flow) {
            return Err(ApiError::invalid(format!(
                "AuthFlow {flow} is not implemented by this emulator; use {}.",
                operation.password_flows()[0]
            )));
        }
        if !operation.enabling_flows().iter().any(|f| client.allows(f)) {
            let text = match operation {
                Operation::Admin => "Auth flow not enabled for this client".to_owned(),
                Operation::App => format!("{flow} flow not enabled for this client"),
            };
            return Err(ApiError::invalid(text));
        }
        let username = parameter(input, "USERNAME")?;
        stored_hash(&state, client, username)?
    };
    // Hashing takes a while at real parameters: the state's lock is not held meanwhile.
    if !hash.verify(parameter(input, "PASSWORD")?) {
        return Err(not_authorized());
    }
    Ok(json!({
        "ChallengeParameters": {},
        "AuthenticationResult": {
            "AccessToken": token(),
            "ExpiresIn": assumptions::TOKEN_EXPIRES_IN,
            "TokenType": "Bearer",
            "RefreshToken": token(),
            "IdToken": token(),
        },
    }))
}

/// The client, which must belong to `pool_id` when one is named.
fn client<'s>(state: &'s Cognito, client_id: &str, pool_id: Option<&str>) -> Result<&'s AppClient, ApiError> {
    state
        .clients
        .get(client_id)
        .filter(|c| pool_id.is_none_or(|p| c.pool_id == p))
        .ok_or_else(|| ApiError::not_found(format!("User pool client {client_id} does not exist.")))
}

/// A member of AuthParameters.
fn parameter<'i>(input: &'i Input, name: &str) -> Result<&'i str, ApiError> {
    input
        .0
        .get("AuthParameters")
        .and_then(|p| p.get(name))
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid(format!("Missing required parameter {name}")))
}

/// The hash to check the password against, or why the user cannot sign in with one.
fn stored_hash(state: &Cognito, client: &AppClient, username: &str) -> Result<ImportedHash, ApiError> {
    let pool = state.pool(&client.pool_id)?;
    let Some(user) = pool.users.get(username) else {
        return Err(if client.prevent_user_existence_errors == "LEGACY" {
            ApiError::new("UserNotFoundException", "User does not exist.")
        } else {
            not_authorized()
        });
    };
    if !user.enabled {
        return Err(ApiError::new("NotAuthorizedException", "User is disabled."));
    }
    if assumptions::RESET_REQUIRED_IGNORES_THE_PASSWORD && user.status == "RESET_REQUIRED" {
        return Err(ApiError::new(
            "PasswordResetRequiredException",
            "Password reset required for the user",
        ));
    }
    user.password_hash.clone().ok_or_else(not_authorized)
}

fn not_authorized() -> ApiError {
    ApiError::new("NotAuthorizedException", WRONG_CREDENTIALS)
}

/// An opaque token ([`assumptions::TOKEN_EXPIRES_IN`]).
fn token() -> String {
    random_id(64)
}
