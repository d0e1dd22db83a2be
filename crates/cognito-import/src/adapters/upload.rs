//! The upload: the object streamed to the job's pre-signed URL as S3 requires it — one PUT, the
//! exact Content-Length (a chunked body is refused with 501), and the signed header
//! `x-amz-server-side-encryption: aws:kms` (without it, 403 SignatureDoesNotMatch).
//!
//! The body goes from the S3 GetObject stream to the socket chunk by chunk: memory stays flat
//! whatever the file size. The URL is a credential, so no error message here ever carries it.

use crate::adapters::fetch::Chunks;

/// Why an upload failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Network trouble, a broken source stream or a 5xx: the same URL may work on another try.
    #[error("upload interrupted: {0}")]
    Transient(String),
    /// S3 refused the URL as expired: only a new job (with a new URL) can take the file.
    #[error("the pre-signed URL has expired")]
    Expired,
    /// S3 refused the request itself; retrying the same request gives the same answer.
    #[error("upload refused with HTTP {status} {code}")]
    Refused { status: u16, code: String },
}

impl UploadError {
    pub fn is_transient(&self) -> bool {
        matches!(self, UploadError::Transient(_))
    }
}

/// The `<Code>` of an S3 XML error body.
fn s3_error_code(body: &str) -> String {
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or_else(|| "(no error code)".to_owned(), |(code, _)| code.to_owned())
}

/// PUTs `length` bytes from `body` to `url`.
pub async fn put(http: &reqwest::Client, url: &str, body: Chunks, length: u64) -> Result<(), UploadError> {
    let response = http
        .put(url)
        .header("x-amz-server-side-encryption", "aws:kms")
        // With the length given, the streamed body goes out with this Content-Length, not chunked.
        .header(reqwest::header::CONTENT_LENGTH, length)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .map_err(|e| UploadError::Transient(e.without_url().to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    let code = s3_error_code(&text);
    if status.is_server_error() || code == "SlowDown" || code == "RequestTimeout" {
        return Err(UploadError::Transient(format!("HTTP {} {code}", status.as_u16())));
    }
    if status.as_u16() == 403 && text.contains("Request has expired") {
        return Err(UploadError::Expired);
    }
    Err(UploadError::Refused {
        status: status.as_u16(),
        code,
    })
}

#[cfg(test)]
mod tests {
    use super::s3_error_code;

    #[test]
    fn reads_the_error_code_of_an_s3_answer() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error>";
        assert_eq!(s3_error_code(xml), "SignatureDoesNotMatch");
        assert_eq!(s3_error_code("gateway timeout"), "(no error code)");
    }
}
