//! AWS Signature Version 4: checking the header signature of JSON-protocol calls, and making the
//! pre-signed upload URL of an import job.
//!
//! s3s checks S3 signatures (pre-signed ones included) but only for the `s3` and `sts` services, so
//! the Cognito, CloudWatch Logs and SNS endpoints check theirs here. Both directions share one canonical
//! request builder, written to the SigV4 specification:
//!
//! ```text
//! METHOD \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload hash
//! ```

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Characters SigV4 leaves unescaped: RFC 3986's unreserved set.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// How far a request's `X-Amz-Date` may be from the emulator's clock, as AWS allows.
const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Why a signed request was refused, with the JSON-protocol error code AWS answers.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("Request is missing Authentication Token")]
    Missing,
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    #[error("Credential should be scoped to correct service: '{expected}'.")]
    WrongService { expected: String },
    #[error("Credential should be scoped to a valid region, not '{got}'.")]
    WrongRegion { got: String },
    #[error("Signature expired: the request time is more than 15 minutes from the server time.")]
    Expired,
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method."
    )]
    Mismatch,
    #[error("Authorization header is malformed: {0}")]
    Malformed(&'static str),
}

impl AuthError {
    /// The `__type` AWS JSON services answer with.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "MissingAuthenticationTokenException",
            AuthError::UnknownAccessKey => "UnrecognizedClientException",
            AuthError::Expired | AuthError::Mismatch | AuthError::WrongRegion { .. } => "InvalidSignatureException",
            AuthError::WrongService { .. } | AuthError::Malformed(_) => "IncompleteSignatureException",
        }
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// The signature over `canonical_request` for one credential scope.
fn signature(secret: &str, amz_date: &str, region: &str, service: &str, canonical_request: &str) -> String {
    let day = &amz_date[..8];
    let scope = format!("{day}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    hex::encode(hmac(&key, string_to_sign.as_bytes()))
}

/// Query pairs sorted and encoded the SigV4 way.
fn canonical_query<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut encoded: Vec<(String, String)> = pairs.map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header value as SigV4 canonicalises it: trimmed, inner runs of spaces folded to one.
fn canonical_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes one `a=b&c=d` query string into pairs (percent-decoded, `+` kept as is like SigV4 does).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
            (dec(k), dec(v))
        })
        .collect()
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
struct AuthHeader<'a> {
    access_key: &'a str,
    day: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_auth_header(value: &str) -> Result<AuthHeader<'_>, AuthError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .ok_or(AuthError::Malformed("unsupported algorithm"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(AuthError::Malformed("expected key=value"))?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let credential = credential.ok_or(AuthError::Malformed("no Credential"))?;
    let mut scope = credential.split('/');
    let mut next = || {
        scope
            .next()
            .ok_or(AuthError::Malformed("Credential scope is incomplete"))
    };
    let (access_key, day, region, service, terminator) = (next()?, next()?, next()?, next()?, next()?);
    if terminator != "aws4_request" {
        return Err(AuthError::Malformed("Credential scope must end in aws4_request"));
    }
    Ok(AuthHeader {
        access_key,
        day,
        region,
        service,
        signed_headers: signed_headers.ok_or(AuthError::Malformed("no SignedHeaders"))?,
        signature: signature.ok_or(AuthError::Malformed("no Signature"))?,
    })
}

/// The service of an `Authorization` header's credential scope (`s3`, `sns`, …), if it parses:
/// how a request to the shared endpoint is told apart when its shape alone does not say.
pub fn scope_service(authorization: &str) -> Option<&str> {
    parse_auth_header(authorization).ok().map(|auth| auth.service)
}

fn parse_amz_date(value: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(value, format)
        .ok()
        .map(|t| t.assume_utc())
}

/// Formats a time as SigV4's `X-Amz-Date` (`20261125T033000Z`).
pub fn amz_date(t: OffsetDateTime) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    t.format(format).expect("a UTC date always formats")
}

/// Checks the header signature of a JSON-protocol request (`POST /`, body hashed into the
/// signature). `secret_for` maps an access key to its secret. Returns the access key.
pub fn verify_request(
    parts: &http::request::Parts,
    body: &[u8],
    service: &str,
    region: &str,
    now: OffsetDateTime,
    secret_for: impl Fn(&str) -> Option<String>,
) -> Result<String, AuthError> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let auth = parse_auth_header(header("authorization").ok_or(AuthError::Missing)?)?;
    let secret = secret_for(auth.access_key).ok_or(AuthError::UnknownAccessKey)?;
    if auth.service != service {
        return Err(AuthError::WrongService {
            expected: service.to_owned(),
        });
    }
    if auth.region != region {
        return Err(AuthError::WrongRegion {
            got: auth.region.to_owned(),
        });
    }
    let date = header("x-amz-date").ok_or(AuthError::Malformed("no X-Amz-Date header"))?;
    let time = parse_amz_date(date).ok_or(AuthError::Malformed("X-Amz-Date is not yyyyMMddTHHmmssZ"))?;
    if (now - time).whole_seconds().abs() > MAX_SKEW_SECONDS {
        return Err(AuthError::Expired);
    }
    if !date.starts_with(auth.day) {
        return Err(AuthError::Malformed("Credential date differs from X-Amz-Date"));
    }

    let mut canonical_headers = String::new();
    for name in auth.signed_headers.split(';') {
        let values: Vec<String> = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(canonical_value)
            .collect();
        if values.is_empty() && name != "host" {
            return Err(AuthError::Mismatch);
        }
        let value = if name == "host" && values.is_empty() {
            parts.uri.authority().map(|a| a.to_string()).unwrap_or_default()
        } else {
            values.join(",")
        };
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let pairs = query_pairs(parts.uri.query().unwrap_or(""));
    // JSON services sign the path with each segment encoded twice; `/` is all they use.
    let path = parts
        .uri
        .path()
        .split('/')
        .map(|s| encode(&encode(s)))
        .collect::<Vec<_>>()
        .join("/");
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        parts.method,
        if path.is_empty() { "/" } else { &path },
        canonical_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        canonical_headers,
        auth.signed_headers,
        sha256_hex(body)
    );
    let expected = signature(&secret, date, region, service, &canonical_request);
    if expected.as_bytes() != auth.signature.as_bytes() {
        return Err(AuthError::Mismatch);
    }
    Ok(auth.access_key.to_owned())
}

/// What an import job's pre-signed PUT URL is made of.
pub struct Presign<'a> {
    /// `http://host:port`, the endpoint the URL points at.
    pub endpoint: &'a str,
    /// `/bucket/key`, already safe for a URL (letters, digits, `-`, `_`, `/`).
    pub path: &'a str,
    pub access_key: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
    /// The signing time; with `expires_seconds` it fixes when the URL stops working.
    pub signed_at: OffsetDateTime,
    pub expires_seconds: u32,
}

/// A pre-signed S3 PUT URL whose signature covers `host` and `x-amz-server-side-encryption: aws:kms`,
/// like the URLs Cognito hands out.
pub fn presign_put(p: &Presign<'_>) -> String {
    let date = amz_date(p.signed_at);
    let credential = format!("{}/{}/{}/s3/aws4_request", p.access_key, &date[..8], p.region);
    let expires = p.expires_seconds.to_string();
    let signed_headers = "host;x-amz-server-side-encryption";
    let params = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", credential.as_str()),
        ("X-Amz-Date", date.as_str()),
        ("X-Amz-Expires", expires.as_str()),
        ("X-Amz-SignedHeaders", signed_headers),
    ];
    let query = canonical_query(params.iter().copied());
    let host = p
        .endpoint
        .split_once("://")
        .map_or(p.endpoint, |(_, h)| h)
        .trim_end_matches('/');
    let canonical_request = format!(
        "PUT\n{}\n{query}\nhost:{host}\nx-amz-server-side-encryption:aws:kms\n\n{signed_headers}\nUNSIGNED-PAYLOAD",
        p.path
    );
    let sig = signature(p.secret, &date, p.region, "s3", &canonical_request);
    format!(
        "{}{}?{query}&X-Amz-Signature={sig}",
        p.endpoint.trim_end_matches('/'),
        p.path
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the SigV4 documentation ("Examples of the complete Signature Version 4 signing
    // process", IAM ListUsers): known inputs, known signature.
    #[test]
    fn signs_the_documented_example() {
        let canonical_request = "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
            content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\n\
            x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n\
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let sig = signature(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830T123600Z",
            "us-east-1",
            "iam",
            canonical_request,
        );
        assert_eq!(sig, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
    }

    fn signed_request(secret: &str, date: &str, body: &[u8]) -> http::request::Parts {
        let canonical_request = format!(
            "POST\n/\n\nhost:127.0.0.1:9\nx-amz-date:{date}\nx-amz-target:AWSCognitoIdentityProviderService.ListUserPools\n\n\
             host;x-amz-date;x-amz-target\n{}",
            sha256_hex(body)
        );
        let sig = signature(secret, date, "us-east-1", "cognito-idp", &canonical_request);
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AK/{}/us-east-1/cognito-idp/aws4_request, \
             SignedHeaders=host;x-amz-date;x-amz-target, Signature={sig}",
            &date[..8]
        );
        let (parts, ()) = http::Request::post("http://127.0.0.1:9/")
            .header("host", "127.0.0.1:9")
            .header("x-amz-date", date)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.ListUserPools")
            .header("authorization", auth)
            .body(())
            .unwrap()
            .into_parts();
        parts
    }

    #[test]
    fn verify_accepts_a_good_signature_and_refuses_tampering() {
        let now = OffsetDateTime::now_utc();
        let date = amz_date(now);
        let parts = signed_request("sk", &date, b"{}");
        let secret = |ak: &str| (ak == "AK").then(|| "sk".to_owned());
        assert_eq!(
            verify_request(&parts, b"{}", "cognito-idp", "us-east-1", now, secret),
            Ok("AK".into())
        );
        assert_eq!(
            verify_request(&parts, b"{\"x\":1}", "cognito-idp", "us-east-1", now, secret),
            Err(AuthError::Mismatch)
        );
        assert_eq!(
            verify_request(&parts, b"{}", "logs", "us-east-1", now, secret),
            Err(AuthError::WrongService {
                expected: "logs".into()
            })
        );
        assert_eq!(
            verify_request(&parts, b"{}", "cognito-idp", "eu-west-1", now, secret),
            Err(AuthError::WrongRegion {
                got: "us-east-1".into()
            })
        );
        let wrong_secret = |_: &str| Some("other".to_owned());
        assert_eq!(
            verify_request(&parts, b"{}", "cognito-idp", "us-east-1", now, wrong_secret),
            Err(AuthError::Mismatch)
        );
        assert_eq!(
            verify_request(&parts, b"{}", "cognito-idp", "us-east-1", now, |_: &str| None),
            Err(AuthError::UnknownAccessKey)
        );
        let later = now + time::Duration::minutes(16);
        assert_eq!(
            verify_request(&parts, b"{}", "cognito-idp", "us-east-1", later, secret),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn presigned_url_has_the_documented_shape() {
        let url = presign_put(&Presign {
            endpoint: "http://127.0.0.1:4566",
            path: "/aws-cognito-idp-user-import-us-east-1/111111111111/us-east-1_abc/import-X",
            access_key: "AK",
            secret: "sk",
            region: "us-east-1",
            signed_at: OffsetDateTime::now_utc(),
            expires_seconds: 899,
        });
        assert!(url.starts_with("http://127.0.0.1:4566/aws-cognito-idp-user-import-us-east-1/111111111111/"));
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Expires=899",
            "X-Amz-SignedHeaders=host%3Bx-amz-server-side-encryption",
            "X-Amz-Signature=",
            "X-Amz-Credential=AK%2F",
        ] {
            assert!(url.contains(part), "{part} missing");
        }
    }
}
