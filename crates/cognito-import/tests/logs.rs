//! The function's logs as an operator reads them, captured from whole runs on the stand-in: the
//! level Lambda's logging controls ask for, `requestId` on every line of an invocation, one JSON
//! object a line with no key twice, and — at any level — no pre-signed URL and no user data.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use cognito_import::logging::{self, Controls};
use common::*;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use tracing::instrument::WithSubscriber;

/// Every line written, shared with the subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The keys of one JSON object, in order and with repeats (a `Value` would keep only the last).
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(V)
    }
}

/// Drops a file and runs passes until it is imported, with the function's logs going to a
/// subscriber built from `controls`; returns the lines our crate's code wrote and every line.
async fn logged_import(controls: Controls, file: &[u8]) -> (Vec<Value>, String) {
    let captured = Captured::default();
    let subscriber = logging::subscriber(&controls, captured.clone());
    async {
        let sb = sandbox().await;
        let event = drop_file(&sb, "incoming/logged.csv", file).await;
        let answer = sb.invoke(event.clone()).await.unwrap();
        assert_eq!(outcome(&answer), "started", "{answer}");
        let job_id = answer["results"][0]["jobId"].as_str().unwrap().to_owned();
        finished(&sb, &job_id).await;
        sb.settle("incoming/logged.csv", &tag_of(&event), |_| {}).await.unwrap();
    }
    .with_subscriber(subscriber)
    .await;
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let ours = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .filter(|line| {
            line["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("cognito_import::") || t == "cognito_import")
        })
        .collect();
    (ours, text)
}

/// The stand-in's own logs are not the function's: they stay out of the capture.
const WITHOUT_STAND_IN: &str = "cognito_import_emulator=off,s3s=off,s3s_fs=off";

#[tokio::test]
async fn lambdas_debug_level_logs_at_debug_with_the_request_id_on_every_line() {
    let controls = Controls {
        rust_log: None,
        lambda_level: Some("DEBUG".into()),
        lambda_format: Some("JSON".into()),
    };
    // Lambda's level alone, as deployed: the stand-in's own lines are told apart by target.
    let (ours, text) = logged_import(controls, &users_csv(3, 201)).await;
    assert!(!ours.is_empty(), "nothing logged:\n{text}");
    assert!(
        text.lines().any(|l| l.contains(r#""level":"DEBUG""#)),
        "no debug line at DEBUG:\n{text}"
    );
    for line in &ours {
        let request = line["requestId"].as_str().unwrap_or_default();
        assert!(request.starts_with("local-"), "a line without requestId: {line}");
        assert!(line["message"].is_string(), "a line without message: {line}");
    }
    let messages: Vec<&str> = ours.iter().filter_map(|l| l["message"].as_str()).collect();
    for expected in [
        "import job created",
        "file uploaded",
        "import job started",
        "import finished",
    ] {
        assert!(messages.contains(&expected), "no {expected:?} in {messages:?}");
    }
    // The object's lines name it and its job.
    let created = ours.iter().find(|l| l["message"] == "import job created").unwrap();
    assert_eq!(created["key"], "incoming/logged.csv");
    assert!(created["job_id"].as_str().unwrap().starts_with("import-"), "{created}");
}

#[tokio::test]
async fn no_line_writes_a_key_twice() {
    let controls = Controls {
        rust_log: Some(format!("debug,{WITHOUT_STAND_IN}")),
        lambda_level: None,
        lambda_format: None,
    };
    let (_, text) = logged_import(controls, &users_csv(2, 202)).await;
    for line in text.lines() {
        let Keys(keys) = serde_json::from_str(line).unwrap();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len(), "a key written twice: {line}");
    }
}

#[tokio::test]
async fn even_at_trace_no_line_holds_the_pre_signed_url_or_a_username() {
    let file = users_csv(3, 203);
    let usernames: Vec<String> = String::from_utf8(file.clone())
        .unwrap()
        .lines()
        .skip(1)
        .map(|row| row.rsplit(',').next().unwrap().to_owned())
        .collect();
    let controls = Controls {
        rust_log: Some(format!("trace,{WITHOUT_STAND_IN}")),
        lambda_level: None,
        lambda_format: None,
    };
    let (_, text) = logged_import(controls, &file).await;
    assert!(text.lines().count() > 50, "the run logged almost nothing:\n{text}");
    assert!(!text.contains("X-Amz-Signature"), "a pre-signed URL was logged");
    assert!(
        !text.contains("PreSignedUrl"),
        "CreateUserImportJob's answer was logged"
    );
    for username in &usernames {
        assert!(!text.contains(username.as_str()), "the username {username} was logged");
    }
}

#[tokio::test]
async fn even_at_trace_no_line_holds_a_password_hash() {
    use cognito_import::check::HashAlgorithm;
    use cognito_import_testkit::hashes;
    let secrets: Vec<String> = (0..3)
        .map(|i| hashes::hash(HashAlgorithm::Argon2id, &format!("logged-{i}")))
        .collect();
    let names: Vec<String> = (0..3).map(|i| format!("hashed{i}")).collect();
    let controls = Controls {
        rust_log: Some(format!("trace,{WITHOUT_STAND_IN}")),
        lambda_level: None,
        lambda_format: None,
    };
    let (ours, text) = logged_import(controls, &hashes::file_of(&names, &secrets)).await;
    assert!(
        ours.iter()
            .any(|l| l["message"] == "a password hash file: its users with a hash keep their password"),
        "not imported as a hash file:\n{text}"
    );
    for hash in &secrets {
        for part in hash.rsplit('$').take(2) {
            assert!(!text.contains(part), "a part of a password hash was logged");
        }
    }
}
