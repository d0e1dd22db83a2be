//! The pre-signed upload of an import job's file: the checks S3 makes before it reads a PUT body.
//!
//! s3s then verifies the URL's signature and expiry and stores the body; a body shorter than its
//! Content-Length never completes, so s3s-fs drops its temporary file and nothing is stored.

use http::{Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use s3s::Body;

/// Cognito's limit on an import file.
pub const MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// An S3 error answer in S3's XML.
pub fn s3_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let request_id = format!("{:016X}", rand::random::<u64>());
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>\
         <RequestId>{request_id}</RequestId></Error>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .header("x-amz-request-id", request_id)
        .body(Body::from(xml))
        .expect("static headers are valid")
}

/// The answer S3 gives before reading the body, if the request is one it refuses.
pub fn precheck(parts: &http::request::Parts) -> Option<Response<Body>> {
    let chunked = parts
        .headers
        .get_all("transfer-encoding")
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("chunked")));
    if chunked {
        return Some(s3_error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
        ));
    }
    let length = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match length {
        None => Some(s3_error(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        )),
        Some(n) if n > MAX_UPLOAD_BYTES => Some(s3_error(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
        )),
        Some(_) => None,
    }
}

/// A connection that breaks part-way through an upload.
#[derive(Debug, thiserror::Error)]
#[error("upload connection dropped by an injected fault")]
pub struct DroppedUpload;

/// Reads about half the body, then gives up: the server closes the connection with no answer.
pub async fn drop_part_way(parts: &http::request::Parts, mut body: Incoming) -> DroppedUpload {
    let length = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(0);
    let mut read = 0u64;
    while read < length / 2 {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => break,
        }
    }
    DroppedUpload
}
