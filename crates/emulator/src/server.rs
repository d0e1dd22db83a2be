//! One endpoint for everything, routed by the request itself: a JSON call by its `X-Amz-Target`
//! (Cognito or CloudWatch Logs), an SNS call by its signature's service or its form-encoded
//! `POST /` (S3 never gets one), an upload to the import bucket through the upload checks, and all
//! else to S3. Every request is counted here, by operation (`calls`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use s3s::Body;
use s3s::service::S3Service;
use time::OffsetDateTime;
use tracing::debug;

use crate::assumptions;
use crate::calls;
use crate::faults::Fault;
use crate::json::{self, ApiError, Input};
use crate::s3;
use crate::shared::Shared;
use crate::sns::{self, SnsError};
use crate::upload;

const COGNITO_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const LOGS_PREFIX: &str = "Logs_20140328.";
const MAX_JSON_BODY: usize = 1024 * 1024;
/// The Cognito operations that check a password.
const SIGN_IN_TARGETS: [&str; 2] = ["AdminInitiateAuth", "InitiateAuth"];
/// Room for a 256 KiB message even when form encoding triples its size.
const MAX_QUERY_BODY: usize = 1024 * 1024;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Routes one HTTP request. An `Err` makes hyper close the connection without an answer.
pub async fn route(shared: Arc<Shared>, s3: S3Service, req: Request<Incoming>) -> Result<Response<Body>, BoxError> {
    if let Some(target) = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    {
        let (parts, body) = req.into_parts();
        count_json_call(&shared, &target);
        let bytes = match Limited::new(body, MAX_JSON_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return Ok(json::respond(Err(ApiError::new(
                    "SerializationException",
                    "Request body too large",
                ))));
            }
        };
        if SIGN_IN_TARGETS
            .iter()
            .any(|t| target.strip_prefix(COGNITO_PREFIX) == Some(t))
        {
            // Checking a password is one hashing at up to Cognito's bounds (a quarter second for
            // bcrypt at cost 12): off the runtime's threads, which serve everything else.
            let answer = tokio::task::spawn_blocking(move || json_call(&shared, &parts, &bytes, &target)).await?;
            return Ok(json::respond(answer));
        }
        return Ok(json::respond(json_call(&shared, &parts, &bytes, &target)));
    }
    if is_sns(&req) {
        let (parts, body) = req.into_parts();
        let result = match Limited::new(body, MAX_QUERY_BODY).collect().await {
            Ok(bytes) => sns_call(&shared, &parts, &bytes.to_bytes()),
            Err(_) => {
                shared.calls.count_name(calls::SNS_UNNAMED);
                Err(SnsError::invalid("Request body too large"))
            }
        };
        return Ok(sns::respond(result));
    }
    let import_prefix = format!("/{}/", shared.import_bucket());
    if req.method() == http::Method::PUT && req.uri().path().starts_with(&import_prefix) {
        shared.calls.count_name(calls::PRESIGNED_UPLOAD);
        let (parts, body) = req.into_parts();
        if let Some(refusal) = upload::precheck(&parts) {
            return Ok(refusal);
        }
        if shared.faults.take_dropped_upload() {
            return Err(upload::drop_part_way(&parts, body).await.into());
        }
        // A body that ends before its Content-Length is an error s3s-fs reports as a 500
        // InternalError; S3 answers 400 IncompleteBody (and stores nothing, like s3s-fs).
        let broken = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&broken);
        let body = Body::http_body_unsync(body.map_err(move |e| {
            flag.store(true, Ordering::Relaxed);
            e
        }));
        let response = s3.call(Request::from_parts(parts, body)).await?;
        if broken.load(Ordering::Relaxed) && !response.status().is_success() {
            return Ok(upload::s3_error(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            ));
        }
        return Ok(response);
    }
    // s3s names the operation in its access check (`s3::Access`), which fills this slot.
    let operation = s3::OperationSlot::default();
    let mut req = req.map(Body::from);
    req.extensions_mut().insert(operation.clone());
    let response = s3.call(req).await;
    match operation.name() {
        Some(name) => shared.calls.count("s3", name),
        None => shared.calls.count_name(calls::S3_UNRESOLVED),
    }
    Ok(response?)
}

/// Counts a JSON call by its target.
fn count_json_call(shared: &Shared, target: &str) {
    let named = [("cognito-idp", COGNITO_PREFIX), ("logs", LOGS_PREFIX)]
        .into_iter()
        .find_map(|(service, prefix)| Some((service, target.strip_prefix(prefix)?)));
    match named {
        Some((service, op)) => shared.calls.count(service, op),
        None => shared.calls.count_name(calls::UNKNOWN_TARGET),
    }
}

/// Verifies, fault-checks and runs one JSON-protocol call.
fn json_call(shared: &Arc<Shared>, parts: &http::request::Parts, body: &[u8], target: &str) -> json::ApiResult {
    let (service, op) = if let Some(op) = target.strip_prefix(COGNITO_PREFIX) {
        ("cognito-idp", op)
    } else if let Some(op) = target.strip_prefix(LOGS_PREFIX) {
        ("logs", op)
    } else {
        return Err(ApiError::new(
            "UnknownOperationException",
            format!("Unknown target {target}"),
        ));
    };
    // Apps call InitiateAuth without AWS credentials (assumptions::UNSIGNED_COGNITO_TARGETS).
    let unsigned = service == "cognito-idp" && assumptions::UNSIGNED_COGNITO_TARGETS.contains(&op);
    if !unsigned {
        crate::sigv4::verify_request(
            parts,
            body,
            service,
            &shared.config.region,
            OffsetDateTime::now_utc(),
            |ak| shared.secret_for(ak),
        )
        .map_err(|e| ApiError::new(e.code(), e.to_string()))?;
    }
    debug!(service, op, "call");
    let fault = shared.faults.take(op);
    let error = |fault| match (service, fault) {
        ("logs", Fault::Throttle) => ApiError::new("ThrottlingException", "Rate exceeded"),
        ("logs", _) => ApiError::new("ServiceUnavailableException", "The service is unavailable."),
        (_, Fault::Throttle) => crate::quotas::throttled(),
        (_, _) => ApiError::new("InternalErrorException", "Internal error"),
    };
    if let Some(fault @ (Fault::Throttle | Fault::Fail)) = fault {
        return Err(error(fault));
    }
    let input = if body.is_empty() {
        Input(serde_json::json!({}))
    } else {
        Input(serde_json::from_slice(body).map_err(|e| ApiError::new("SerializationException", e.to_string()))?)
    };
    let result = match service {
        "logs" => shared.logs.lock().unwrap().handle(op, &input),
        _ => {
            // Cognito's request quotas (`quotas`): by the operation and the pool the request names.
            let pool_id = input.0.get("UserPoolId").and_then(|v| v.as_str());
            shared.quotas.admit(op, pool_id)?;
            crate::cognito::api::handle(shared, op, &input)
        }
    };
    match fault {
        Some(lost @ Fault::LoseAnswer) => Err(error(lost)),
        _ => result,
    }
}

/// An SNS call: signed for `sns`, or a form-encoded `POST /` (the Query protocol's shape, which no
/// S3 request has; a wrongly scoped one is then refused by the signature check).
fn is_sns(req: &Request<Incoming>) -> bool {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let signed_for_sns = header("authorization")
        .and_then(crate::sigv4::scope_service)
        .is_some_and(|service| service == "sns");
    let form_post = req.method() == http::Method::POST
        && req.uri().path() == "/"
        && header("content-type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    signed_for_sns || form_post
}

/// Verifies, fault-checks and runs one SNS (Query-protocol) call.
fn sns_call(shared: &Arc<Shared>, parts: &http::request::Parts, body: &[u8]) -> Result<sns::Answer, SnsError> {
    let params = sns::Params::parse(body);
    match params.get("Action") {
        Some(action) => shared.calls.count("sns", action),
        None => shared.calls.count_name(calls::SNS_UNNAMED),
    }
    crate::sigv4::verify_request(
        parts,
        body,
        "sns",
        &shared.config.region,
        OffsetDateTime::now_utc(),
        |ak| shared.secret_for(ak),
    )
    .map_err(|e| SnsError::auth(&e))?;
    let action = params
        .get("Action")
        .ok_or_else(|| SnsError::new(StatusCode::BAD_REQUEST, "MissingAction", "Missing Action"))?;
    debug!(service = "sns", op = action, "call");
    let fault = shared.faults.take(action);
    if let Some(fault @ (Fault::Throttle | Fault::Fail)) = fault {
        return Err(SnsError::fault(fault));
    }
    let result = shared.sns.lock().unwrap().handle(action, &params);
    match fault {
        Some(lost @ Fault::LoseAnswer) => Err(SnsError::fault(lost)),
        _ => result,
    }
}
