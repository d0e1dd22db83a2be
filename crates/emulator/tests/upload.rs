//! The pre-signed upload of an import file, checked the way S3 checks it: reqwest for what an HTTP
//! client sends, raw TCP for what clients refuse to send.

mod common;

use std::time::Duration;

use common::*;

/// A pool, a job and a valid file for it.
struct Setup {
    emulator: cognito_import_emulator::Emulator,
    cognito: Cognito,
    pool: String,
    job: NewJob,
    file: String,
}

async fn setup() -> Setup {
    let emulator = start().await;
    let cognito = cognito(&emulator);
    let pool = create_pool(&cognito, "uploads").await;
    let job = create_job(&cognito, &pool, "upload-job").await;
    let file = users_csv(&csv_header(&cognito, &pool).await, &["alice", "bob"]);
    Setup {
        emulator,
        cognito,
        pool,
        job,
        file,
    }
}

impl Setup {
    /// StartUserImportJob's answer: Ok when a file is stored, else the error code and message.
    async fn start(&self) -> Result<(), (String, String)> {
        let result = self
            .cognito
            .start_user_import_job()
            .user_pool_id(&self.pool)
            .job_id(&self.job.id)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(_) => Err((code(&result), message(&result))),
        }
    }

    /// Start is refused because nothing is stored for the job.
    async fn assert_nothing_stored(&self) {
        assert!(!self.stored_path().exists(), "an object is stored for the job");
        let (code, message) = self.start().await.expect_err("a job without a file must not start");
        assert_eq!(code, "PreconditionNotMetException");
        assert_eq!(message, format!("No csv file was uploaded for {}", self.job.id));
    }

    fn stored_path(&self) -> std::path::PathBuf {
        self.emulator
            .s3_root()
            .join(self.emulator.import_bucket())
            .join(format!("111111111111/{}/{}", self.pool, self.job.id))
    }

    fn with_query(&self, edit: impl Fn(&str, &str) -> String) -> String {
        let mut url = reqwest::Url::parse(&self.job.url).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.to_string(), edit(&k, &v))).collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.to_string()
    }
}

async fn s3_answer(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (status, xml_code(&body), body)
}

#[tokio::test]
async fn the_url_points_at_the_import_bucket_key_and_signs_the_sse_header() {
    let s = setup().await;
    let url = reqwest::Url::parse(&s.job.url).unwrap();
    assert_eq!(url.origin().ascii_serialization(), s.emulator.endpoint());
    assert_eq!(
        url.path(),
        format!(
            "/aws-cognito-idp-user-import-us-east-1/111111111111/{}/{}",
            s.pool, s.job.id
        )
    );
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
    assert_eq!(query["X-Amz-Expires"], "899");
    assert_eq!(query["X-Amz-SignedHeaders"], "host;x-amz-server-side-encryption");
    assert!(query["X-Amz-Credential"].ends_with("/us-east-1/s3/aws4_request"));
    assert_eq!(query["X-Amz-Signature"].len(), 64);
}

#[tokio::test]
async fn a_put_with_the_sse_header_and_exact_length_is_stored() {
    let s = setup().await;
    let response = upload(&s.job.url, s.file.clone()).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(std::fs::read_to_string(s.stored_path()).unwrap(), s.file);
    s.start().await.expect("the job starts once its file is stored");
    let job = finished(&s.cognito, &s.pool, &s.job.id).await;
    assert_eq!((status_of(&job), counts(&job)), ("Succeeded", (2, 0, 0)));
}

#[tokio::test]
async fn a_put_without_the_sse_header_does_not_match_the_signature() {
    let s = setup().await;
    let response = reqwest::Client::new()
        .put(&s.job.url)
        .body(s.file.clone())
        .send()
        .await
        .unwrap();
    let (status, code, _) = s3_answer(response).await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    s.assert_nothing_stored().await;
}

#[tokio::test]
async fn a_put_with_another_sse_value_does_not_match_the_signature() {
    let s = setup().await;
    for value in ["AES256", "aws:kms:dsse", "AWS:KMS"] {
        let response = reqwest::Client::new()
            .put(&s.job.url)
            .header("x-amz-server-side-encryption", value)
            .body(s.file.clone())
            .send()
            .await
            .unwrap();
        let (status, code, _) = s3_answer(response).await;
        assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"), "with {value}");
    }
    s.assert_nothing_stored().await;
}

#[tokio::test]
async fn an_altered_url_does_not_match_the_signature() {
    let s = setup().await;
    let other = create_job(&s.cognito, &s.pool, "other-job").await;
    let altered = [
        (
            "X-Amz-Expires changed",
            s.with_query(|k, v| if k == "X-Amz-Expires" { "898".into() } else { v.into() }),
        ),
        (
            "X-Amz-Signature changed",
            s.with_query(|k, v| {
                if k == "X-Amz-Signature" {
                    let flipped = if v.ends_with('0') { '1' } else { '0' };
                    format!("{}{flipped}", &v[..v.len() - 1])
                } else {
                    v.into()
                }
            }),
        ),
        ("another job's key", s.job.url.replace(&s.job.id, &other.id)),
    ];
    for (what, url) in altered {
        let (status, code, _) = s3_answer(upload(&url, s.file.clone()).await).await;
        assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"), "{what}");
    }
    // The signature is for a PUT: the URL cannot read the file back either.
    upload_ok(&s.job.url, s.file.clone()).await;
    let (status, code, _) = s3_answer(reqwest::get(&s.job.url).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    let other_stored = s.stored_path().with_file_name(&other.id);
    assert!(
        !other_stored.exists(),
        "nothing may be stored under the other job's key"
    );
}

#[tokio::test]
async fn a_url_past_its_lifetime_is_refused_as_expired() {
    let s = setup().await;
    s.emulator.faults().set_url_lifetime(Some(Duration::from_secs(3)));
    let job = create_job(&s.cognito, &s.pool, "short-lived").await;
    // Valid when fresh: the signing time is at most a second older than the lifetime implies.
    upload_ok(&job.url, s.file.clone()).await;
    let refused = eventually("the URL to expire", || async {
        let response = upload(&job.url, s.file.clone()).await;
        (response.status().as_u16() != 200).then_some(response)
    })
    .await;
    let (status, code, body) = s3_answer(refused).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert!(body.contains("<Message>Request has expired</Message>"));
    // URLs of other jobs keep the real lifetime once the fault is cleared.
    s.emulator.faults().set_url_lifetime(None);
    upload_ok(&s.job.url, s.file.clone()).await;
}

#[tokio::test]
async fn a_put_without_content_length_is_411() {
    let s = setup().await;
    let head = presigned_put_head(&s.job.url, &[]);
    let (status, code) = raw_request(s.emulator.addr(), &head, b"", false).await.s3_error();
    assert_eq!((status, code.as_str()), (411, "MissingContentLength"));
    s.assert_nothing_stored().await;
}

#[tokio::test]
async fn a_chunked_put_is_not_implemented() {
    let s = setup().await;
    let head = presigned_put_head(&s.job.url, &["Transfer-Encoding: chunked"]);
    let body = format!("{:x}\r\n{}\r\n0\r\n\r\n", s.file.len(), s.file);
    let (status, code) = raw_request(s.emulator.addr(), &head, body.as_bytes(), false)
        .await
        .s3_error();
    assert_eq!((status, code.as_str()), (501, "NotImplemented"));
    s.assert_nothing_stored().await;
}

#[tokio::test]
async fn a_put_over_100_mb_is_refused_before_its_body() {
    let s = setup().await;
    let head = presigned_put_head(&s.job.url, &["Content-Length: 104857601"]);
    let (status, code) = raw_request(s.emulator.addr(), &head, b"", false).await.s3_error();
    assert_eq!((status, code.as_str()), (400, "EntityTooLarge"));
    s.assert_nothing_stored().await;
}

#[tokio::test]
async fn a_body_shorter_than_its_length_stores_nothing() {
    let s = setup().await;
    let length = s.file.len() + 100;
    let head = presigned_put_head(&s.job.url, &[&format!("Content-Length: {length}")]);
    // Half the file, then the socket is closed for writing: the answer comes once the server gave up.
    let answer = raw_request(s.emulator.addr(), &head, &s.file.as_bytes()[..s.file.len() / 2], true).await;
    assert_eq!(answer.s3_error(), (400, "IncompleteBody".to_owned()));
    s.assert_nothing_stored().await;
    // The URL still works for a complete upload.
    upload_ok(&s.job.url, s.file.clone()).await;
    s.start().await.expect("the job starts with the complete file");
}

#[tokio::test]
async fn a_dropped_upload_fails_at_the_transport_and_the_next_one_succeeds() {
    let s = setup().await;
    s.emulator.faults().drop_uploads(1);
    let result = reqwest::Client::new()
        .put(&s.job.url)
        .header("x-amz-server-side-encryption", "aws:kms")
        .body(s.file.clone())
        .send()
        .await;
    let err = result.expect_err("the connection is dropped without an answer");
    assert!(err.status().is_none(), "a transport error has no HTTP status");
    s.assert_nothing_stored().await;
    upload_ok(&s.job.url, s.file.clone()).await;
    s.start().await.expect("the job starts after the retried upload");
}

#[tokio::test]
async fn the_import_bucket_is_closed_to_the_callers_credentials() {
    let s = setup().await;
    upload_ok(&s.job.url, s.file.clone()).await;
    let s3 = s3(&s.emulator);
    let bucket = s.emulator.import_bucket();
    let key = format!("111111111111/{}/{}", s.pool, s.job.id);

    let get = s3.get_object().bucket(&bucket).key(&key).send().await;
    assert_eq!((status(&get), code(&get).as_str()), (403, "AccessDenied"));
    let list = s3.list_objects_v2().bucket(&bucket).send().await;
    assert_eq!((status(&list), code(&list).as_str()), (403, "AccessDenied"));
    let put = s3
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .body(b"cognito:username\n".to_vec().into())
        .send()
        .await;
    assert_eq!((status(&put), code(&put).as_str()), (403, "AccessDenied"));
    let delete = s3.delete_object().bucket(&bucket).key(&key).send().await;
    assert_eq!((status(&delete), code(&delete).as_str()), (403, "AccessDenied"));

    // The uploaded file is untouched.
    assert_eq!(std::fs::read_to_string(s.stored_path()).unwrap(), s.file);
}
