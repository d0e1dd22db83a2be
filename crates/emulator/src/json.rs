//! The AWS JSON 1.1 protocol shared by the Cognito and CloudWatch Logs endpoints: reading inputs,
//! writing outputs and error answers (`__type` in the body and `x-amzn-ErrorType` in a header).

use http::{Response, StatusCode};
use s3s::Body;
use serde_json::Value;

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// An error answer of a JSON-protocol operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("ResourceNotFoundException", message)
    }

    /// Server faults are 5xx; everything else a client fault (400), as the services answer.
    pub fn status(&self) -> StatusCode {
        match self.code {
            "InternalErrorException" | "ServiceUnavailableException" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

pub type ApiResult = Result<Value, ApiError>;

/// A random id in UUID form: request ids, and SNS message ids.
pub(crate) fn request_id() -> String {
    let n: u128 = rand::random();
    let h = format!("{n:032x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// The HTTP answer for an operation's outcome.
pub fn respond(result: ApiResult) -> Response<Body> {
    let builder = Response::builder()
        .header("content-type", CONTENT_TYPE)
        .header("x-amzn-requestid", request_id());
    match result {
        Ok(value) => builder.status(StatusCode::OK).body(Body::from(value.to_string())),
        Err(err) => {
            let body = serde_json::json!({ "__type": err.code, "message": err.message });
            builder
                .status(err.status())
                .header("x-amzn-errortype", err.code)
                .body(Body::from(body.to_string()))
        }
    }
    .expect("static headers are valid")
}

/// Typed access to a request's JSON members, with the validation errors the services give.
pub struct Input(pub Value);

impl Input {
    pub fn opt_str(&self, field: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Self::serialization(field, "a string")),
        }
    }

    pub fn str(&self, field: &str) -> Result<&str, ApiError> {
        self.opt_str(field)?.ok_or_else(|| {
            ApiError::invalid(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_first(field)
            ))
        })
    }

    pub fn opt_u64(&self, field: &str) -> Result<Option<u64>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| Self::serialization(field, "a non-negative integer")),
        }
    }

    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| Self::serialization(field, "a boolean")),
        }
    }

    pub fn array(&self, field: &str) -> Result<&[Value], ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(Self::serialization(field, "a list")),
        }
    }

    /// A list of strings (`AutoVerifiedAttributes`, `logStreamNames`, …).
    pub fn strings(&self, field: &str) -> Result<Vec<String>, ApiError> {
        self.array(field)?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Self::serialization(field, "a list of strings"))
            })
            .collect()
    }

    /// A page size between 1 and `max`, or `default` when absent.
    pub fn limit(&self, field: &str, default: u64, max: u64) -> Result<usize, ApiError> {
        match self.opt_u64(field)? {
            None => Ok(default as usize),
            Some(n) if (1..=max).contains(&n) => Ok(n as usize),
            Some(_) => Err(ApiError::invalid(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: \
                 Member must have value between 1 and {max}",
                lower_first(field)
            ))),
        }
    }

    fn serialization(field: &str, what: &str) -> ApiError {
        ApiError::new("SerializationException", format!("{field} must be {what}"))
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// Seconds since the epoch with a fraction, the way Cognito writes its dates.
pub fn epoch_seconds(t: std::time::SystemTime) -> f64 {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

/// `n` random letters and digits, for resource ids.
pub fn random_id(n: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
