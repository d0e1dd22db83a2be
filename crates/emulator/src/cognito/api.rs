//! The Cognito Identity Provider's JSON 1.1 dispatch: the operation named by `X-Amz-Target` (its
//! prefix already taken off by the server) to the function that runs it, and the error for one the
//! emulator does not support.

use std::sync::Arc;

use super::{auth, clients, import_jobs, pools, users};
use crate::json::{ApiError, ApiResult, Input};
use crate::shared::Shared;

/// Runs one Cognito operation.
pub fn handle(shared: &Arc<Shared>, op: &str, input: &Input) -> ApiResult {
    match op {
        "CreateUserPool" => pools::create_user_pool(shared, input),
        "DescribeUserPool" => pools::describe_user_pool(shared, input),
        "DeleteUserPool" => pools::delete_user_pool(shared, input),
        "ListUserPools" => pools::list_user_pools(shared, input),
        "GetCSVHeader" => pools::get_csv_header(shared, input),
        "AdminCreateUser" => users::admin_create_user(shared, input),
        "AdminGetUser" => users::admin_get_user(shared, input),
        "ListUsers" => users::list_users(shared, input),
        "CreateUserPoolClient" => clients::create_user_pool_client(shared, input),
        "AdminInitiateAuth" => auth::admin_initiate_auth(shared, input),
        "InitiateAuth" => auth::initiate_auth(shared, input),
        "CreateUserImportJob" => import_jobs::create_import_job(shared, input),
        "StartUserImportJob" => import_jobs::start_import_job(shared, input),
        "StopUserImportJob" => import_jobs::stop_import_job(shared, input),
        "DescribeUserImportJob" => import_jobs::describe_import_job(shared, input),
        "ListUserImportJobs" => import_jobs::list_import_jobs(shared, input),
        _ => Err(ApiError::new(
            "UnknownOperationException",
            format!("Operation {op} is not supported"),
        )),
    }
}
