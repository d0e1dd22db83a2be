//! `cognito_import::domain::event::parse` on arbitrary JSON and on generated trigger events.
//!
//! An input that is JSON is parsed as it is; any other input drives the `arbitrary` crate to build
//! an S3 notification, an EventBridge event, an SQS batch carrying either (or garbage) or a direct
//! invocation, whose object keys are made of spaces, `+`, `%`, `/` and non-ASCII characters and
//! URL-encoded the way S3 writes them into events (each character escaped or not, hex digits in
//! either case).
//!
//! Properties, beyond "no panic" (as `domain/event.rs` documents them):
//! - a key from an S3 or EventBridge event is URL-decoded: `+` is a space, `%XX` the byte XX (a `%`
//!   not followed by two hex digits is kept), and a key whose bytes are not UTF-8 is
//!   `EventError::BadKey` carrying the raw key. Checked against a decoder written here, so a decoded
//!   key holds a `+` only where the raw key has the escape `%2B`, never one from an encoded space;
//! - a direct invocation's key is taken as it is;
//! - a version id or an ETag from S3 or EventBridge is never empty, an ETag never quoted;
//! - for generated events, the whole answer is the expected one: the source, every object (bucket,
//!   the original key, version, ETag, size), `Nothing` for deletions and other detail types, the
//!   error of the first bad record, and for SQS one item per message, in order, with its id.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use cognito_import::domain::event::{EventError, ObjectRef, Source, SqsItem, Trigger, parse};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// The reference decoder.

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// An S3 event key decoded: `None` when the bytes it stands for are not UTF-8.
fn reference_decode(raw: &str) -> Option<String> {
    let raw = raw.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// How many `+` the decoded key gets from `%2B` escapes of the raw key.
fn escaped_pluses(raw: &str) -> usize {
    let raw = raw.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%'
            && i + 2 < raw.len()
            && let (Some(hi), Some(lo)) = (hex(raw[i + 1]), hex(raw[i + 2]))
        {
            count += usize::from(hi << 4 | lo == b'+');
            i += 3;
            continue;
        }
        i += 1;
    }
    count
}

// ---------------------------------------------------------------------------------------------
// Checks that hold for any input.

fn check_decoded(raw: &str, key: &str) {
    assert_eq!(
        reference_decode(raw).as_deref(),
        Some(key),
        "raw key {raw:?} decoded to {key:?}"
    );
    assert_eq!(
        key.matches('+').count(),
        escaped_pluses(raw),
        "raw key {raw:?}: a `+` in {key:?} that is not a `%2B`"
    );
}

fn check_pinned(object: &ObjectRef) {
    assert_ne!(object.version_id.as_deref(), Some(""), "{object:?}");
    if let Some(etag) = &object.etag {
        assert!(
            !etag.is_empty() && !etag.starts_with('"') && !etag.ends_with('"'),
            "{object:?}"
        );
    }
}

/// What `parse` answered for `event`, checked against the event's own fields.
fn check_answer(event: &Value, answer: &Result<Trigger, EventError>) {
    match answer {
        Ok(Trigger::Objects { source, objects }) => {
            assert!(!objects.is_empty());
            match source {
                Source::S3 => {
                    let created = event["Records"]
                        .as_array()
                        .expect("an S3 notification has records")
                        .iter()
                        .filter(|r| r["eventName"].as_str().is_some_and(|n| n.starts_with("ObjectCreated:")));
                    let mut count = 0;
                    for (record, object) in created.zip(objects) {
                        count += 1;
                        assert_eq!(record["s3"]["bucket"]["name"].as_str(), Some(object.bucket.as_str()));
                        check_decoded(record["s3"]["object"]["key"].as_str().expect("a key"), &object.key);
                        check_pinned(object);
                    }
                    assert_eq!(count, objects.len(), "one object per ObjectCreated record");
                }
                Source::EventBridge => {
                    assert_eq!(objects.len(), 1);
                    let detail = &event["detail"];
                    assert_eq!(detail["bucket"]["name"].as_str(), Some(objects[0].bucket.as_str()));
                    check_decoded(detail["object"]["key"].as_str().expect("a key"), &objects[0].key);
                    check_pinned(&objects[0]);
                }
                Source::Direct => {
                    assert_eq!(objects.len(), 1);
                    assert_eq!(event["key"].as_str(), Some(objects[0].key.as_str()), "taken as it is");
                    assert_eq!(event["bucket"].as_str(), Some(objects[0].bucket.as_str()));
                    assert!(!objects[0].key.is_empty() && !objects[0].bucket.is_empty());
                }
            }
        }
        Ok(Trigger::Sqs(items)) => {
            let records = event["Records"].as_array().expect("an SQS batch has records");
            assert_eq!(items.len(), records.len(), "one item per message");
            for (record, item) in records.iter().zip(items) {
                assert_eq!(record["messageId"].as_str().unwrap_or_default(), item.message_id);
                let Ok(objects) = &item.objects else { continue };
                // The body, read again on its own, names the same objects.
                let body: Value = serde_json::from_str(record["body"].as_str().expect("a body")).expect("JSON");
                let again = parse(body.clone());
                match &again {
                    Ok(Trigger::Objects { objects: same, .. }) => assert_eq!(same, objects),
                    Ok(Trigger::Nothing(_)) => assert!(objects.is_empty()),
                    other => panic!("message {:?} gave objects, its body alone {other:?}", item.message_id),
                }
                check_answer(&body, &again);
            }
        }
        Ok(Trigger::Pass | Trigger::Nothing(_)) => {}
        Err(EventError::BadKey(raw)) => {
            assert_eq!(reference_decode(raw), None, "{raw:?} decodes, yet is a BadKey");
        }
        Err(EventError::Unrecognised | EventError::Malformed { .. }) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Generated events.

/// A piece of an object key: the characters that URL encoding treats specially, and some others.
#[derive(Arbitrary, Debug)]
enum Piece {
    Space,
    Plus,
    Percent,
    Slash,
    Letter(u8),
    Char(char),
    Text(String),
    /// What looks like an escape but is text: `%2B`, `%20`, `%%`...
    FakeEscape(u8, u8),
}

/// A key in an event, and what the function must make of it.
#[derive(Debug)]
struct Key {
    /// As the event carries it.
    raw: String,
    /// The decoded key; `None`: the raw key is not valid URL-encoded UTF-8.
    decoded: Option<String>,
}

fn arbitrary_plain(u: &mut Unstructured) -> arbitrary::Result<String> {
    let pieces: Vec<Piece> = u.arbitrary()?;
    let mut key = String::from("incoming/");
    for piece in pieces {
        match piece {
            Piece::Space => key.push(' '),
            Piece::Plus => key.push('+'),
            Piece::Percent => key.push('%'),
            Piece::Slash => key.push('/'),
            Piece::Letter(b) => key.push(char::from(b'a' + b % 26)),
            Piece::Char(c) => key.push(c),
            Piece::Text(t) => key.push_str(&t),
            Piece::FakeEscape(a, b) => {
                let pick = |b: u8| char::from(b"0123456789abcdefABCDEF%+G "[usize::from(b) % 26]);
                key.push('%');
                key.push(pick(a));
                key.push(pick(b));
            }
        }
    }
    Ok(key)
}

/// `plain` URL-encoded as S3 does, each character escaped or not at the fuzzer's choice where either
/// decodes the same: a space as `+` or `%20`; `+`, `%` and non-ASCII always escaped.
fn encode(u: &mut Unstructured, plain: &str) -> arbitrary::Result<String> {
    let mut raw = String::new();
    for c in plain.chars() {
        let escape = |raw: &mut String, upper: bool, c: char| {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                if upper {
                    raw.push_str(&format!("%{b:02X}"));
                } else {
                    raw.push_str(&format!("%{b:02x}"));
                }
            }
        };
        let upper: bool = u.arbitrary()?;
        match c {
            ' ' if u.arbitrary()? => raw.push('+'),
            c if c.is_ascii_alphanumeric() || "-_.~/!*'()".contains(c) => {
                if u.arbitrary()? {
                    escape(&mut raw, upper, c)
                } else {
                    raw.push(c)
                }
            }
            c => escape(&mut raw, upper, c),
        }
    }
    Ok(raw)
}

fn arbitrary_key(u: &mut Unstructured) -> arbitrary::Result<Key> {
    let plain = arbitrary_plain(u)?;
    Ok(if u.ratio(1, 4)? {
        // A key as it comes, decoded or not: anything may be in it.
        Key {
            decoded: reference_decode(&plain),
            raw: plain,
        }
    } else {
        Key {
            raw: encode(u, &plain)?,
            decoded: Some(plain),
        }
    })
}

fn arbitrary_text(u: &mut Unstructured, choices: &[&str]) -> arbitrary::Result<String> {
    Ok(if u.ratio(1, 5)? {
        u.arbitrary::<String>()?
    } else {
        u.choose(choices)?.to_string()
    })
}

/// An ETag as events carry it, and as the function must give it back.
fn arbitrary_etag(u: &mut Unstructured) -> arbitrary::Result<(Option<String>, Option<String>)> {
    Ok(match u.int_in_range(0..=3)? {
        0 => (None, None),
        1 => (Some("\"\"".into()), None),
        2 => (Some("0123456789abcdef".into()), Some("0123456789abcdef".into())),
        _ => {
            let inner = arbitrary_text(u, &["abc", "d41d8cd98f00b204e9800998ecf8427e-2"])?;
            let raw = format!("\"{inner}\"");
            let clean = raw.trim_matches('"').to_string();
            (Some(raw), Some(clean).filter(|c| !c.is_empty()))
        }
    })
}

fn arbitrary_version(u: &mut Unstructured) -> arbitrary::Result<(Option<String>, Option<String>)> {
    Ok(match u.int_in_range(0..=2)? {
        0 => (None, None),
        1 => (Some(String::new()), None),
        _ => {
            let v = arbitrary_text(u, &["3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "null"])?;
            (Some(v.clone()), Some(v).filter(|v| !v.is_empty()))
        }
    })
}

/// A generated event and the answer `parse` must give.
struct Case {
    event: Value,
    expected: Expected,
}

#[derive(Debug, PartialEq)]
enum Expected {
    Objects(Source, Vec<ObjectRef>),
    Nothing,
    Pass,
    BadKey(String),
    /// Malformed, of this kind.
    Malformed(&'static str),
    /// An SQS batch: each message's id and what its body names.
    Sqs(Vec<(String, Result<Vec<ObjectRef>, Expected>)>),
}

fn with<T>(value: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    value.map_or(Value::Null, f)
}

fn insert(object: &mut Value, field: &str, value: Value) {
    if !value.is_null() {
        object[field] = value;
    }
}

fn s3_notification(u: &mut Unstructured) -> arbitrary::Result<Case> {
    let records = u.int_in_range(0..=4)?;
    let mut json_records = Vec::new();
    let mut objects = Vec::new();
    let mut error = None;
    for _ in 0..records {
        let event_name = arbitrary_text(
            u,
            &[
                "ObjectCreated:Put",
                "ObjectCreated:CompleteMultipartUpload",
                "ObjectRemoved:Delete",
                "ObjectRestore:Completed",
            ],
        )?;
        let created = event_name.starts_with("ObjectCreated:");
        let bucket = if u.ratio(1, 8)? {
            None
        } else {
            Some(arbitrary_text(u, &["drop-bucket", ""])?)
        };
        let key = if u.ratio(1, 8)? { None } else { Some(arbitrary_key(u)?) };
        let (version_raw, version) = arbitrary_version(u)?;
        let (etag_raw, etag) = arbitrary_etag(u)?;
        let size: Option<i64> = u.arbitrary()?;
        let mut object = json!({});
        insert(&mut object, "key", with(key.as_ref(), |k| k.raw.clone().into()));
        insert(&mut object, "size", with(size, Value::from));
        insert(&mut object, "versionId", with(version_raw, Value::from));
        insert(&mut object, "eTag", with(etag_raw, Value::from));
        let mut bucket_json = json!({"arn": "arn:aws:s3:::drop-bucket"});
        insert(&mut bucket_json, "name", with(bucket.clone(), Value::from));
        json_records.push(json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2026-11-25T03:30:00.000Z",
            "eventName": event_name,
            "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
            "requestParameters": {"sourceIPAddress": "203.0.113.10"},
            "responseElements": {},
            "s3": {"s3SchemaVersion": "1.0", "bucket": bucket_json, "object": object},
        }));
        if !created || error.is_some() {
            continue;
        }
        match (bucket, key) {
            (None, _) | (_, None) => error = Some(Expected::Malformed("S3 notification")),
            (Some(_), Some(Key { raw, decoded: None })) => error = Some(Expected::BadKey(raw)),
            (Some(bucket), Some(Key { decoded: Some(key), .. })) => objects.push(ObjectRef {
                bucket,
                key,
                version_id: version,
                etag,
                size: size.and_then(|s| u64::try_from(s).ok()),
            }),
        }
    }
    let expected = match (error, objects.is_empty(), records) {
        (Some(error), _, _) => error,
        (None, true, _) => Expected::Nothing,
        (None, false, _) => Expected::Objects(Source::S3, objects),
    };
    Ok(Case {
        event: json!({ "Records": json_records }),
        expected,
    })
}

fn eventbridge(u: &mut Unstructured) -> arbitrary::Result<Case> {
    let detail_type = arbitrary_text(
        u,
        &["Object Created", "Object Created", "Object Deleted", "Scheduled Event"],
    )?;
    let source = arbitrary_text(u, &["aws.s3", "aws.s3", "aws.events"])?;
    let key = arbitrary_key(u)?;
    let (version_raw, version) = arbitrary_version(u)?;
    let (etag_raw, etag) = arbitrary_etag(u)?;
    let size: Option<u64> = u.arbitrary()?;
    let mut object = json!({ "key": key.raw, "sequencer": "00617F08299329D189" });
    insert(&mut object, "size", with(size, Value::from));
    insert(&mut object, "version-id", with(version_raw, Value::from));
    insert(&mut object, "etag", with(etag_raw, Value::from));
    let event = json!({
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": detail_type,
        "source": source,
        "account": "111111111111",
        "time": "2026-11-25T03:30:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:s3:::drop-bucket"],
        "detail": {"version": "0", "bucket": {"name": "drop-bucket"}, "object": object, "reason": "PutObject"},
    });
    let expected = if source == "aws.events" && detail_type == "Scheduled Event" {
        // A tick from 2026-11-25: stale unless the clock says otherwise; either way no objects.
        Expected::Pass
    } else if source != "aws.s3" || detail_type != "Object Created" {
        Expected::Nothing
    } else {
        match key.decoded {
            None => Expected::BadKey(key.raw),
            Some(decoded) => Expected::Objects(
                Source::EventBridge,
                vec![ObjectRef {
                    bucket: "drop-bucket".into(),
                    key: decoded,
                    version_id: version,
                    etag,
                    size,
                }],
            ),
        }
    };
    Ok(Case { event, expected })
}

fn direct(u: &mut Unstructured) -> arbitrary::Result<Case> {
    let bucket = arbitrary_text(u, &["drop-bucket", ""])?;
    // Named as it is: an encoded-looking key stays encoded.
    let key = if u.arbitrary()? {
        arbitrary_plain(u)?
    } else {
        arbitrary_key(u)?.raw
    };
    let key = if u.ratio(1, 10)? { String::new() } else { key };
    let version: Option<String> = u.arbitrary()?;
    let mut event = json!({ "bucket": bucket, "key": key });
    insert(&mut event, "versionId", with(version.clone(), Value::from));
    let expected = if bucket.is_empty() || key.is_empty() {
        Expected::Malformed("direct invocation")
    } else {
        Expected::Objects(
            Source::Direct,
            vec![ObjectRef {
                bucket,
                key,
                version_id: version,
                etag: None,
                size: None,
            }],
        )
    };
    Ok(Case { event, expected })
}

fn sqs(u: &mut Unstructured) -> arbitrary::Result<Case> {
    let messages = u.int_in_range(0..=3)?;
    let mut records = Vec::new();
    let mut items = Vec::new();
    for i in 0..messages {
        let id = format!("msg-{i}");
        let (body, outcome) = match u.int_in_range(0..=3)? {
            0 => {
                let case = s3_notification(u)?;
                (case.event.to_string(), body_outcome(case.expected))
            }
            1 => {
                let case = eventbridge(u)?;
                (case.event.to_string(), body_outcome(case.expected))
            }
            2 => (
                "this is not JSON".to_string(),
                Err(Expected::Malformed("SQS message body")),
            ),
            _ => (
                json!({"Records": [{"eventSource": "aws:sqs", "messageId": "inner", "body": "{}"}]}).to_string(),
                Err(Expected::Malformed("SQS message body")),
            ),
        };
        records.push(json!({
            "messageId": id,
            "receiptHandle": "AQEB",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "00000000000000000000000000000000",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:111111111111:drops",
            "awsRegion": "us-east-1",
        }));
        items.push((id, outcome));
    }
    let expected = if messages == 0 {
        Expected::Nothing
    } else {
        Expected::Sqs(items)
    };
    Ok(Case {
        event: json!({ "Records": records }),
        expected,
    })
}

/// What an SQS item holds for a body that alone would get `expected`.
fn body_outcome(expected: Expected) -> Result<Vec<ObjectRef>, Expected> {
    match expected {
        Expected::Objects(_, objects) => Ok(objects),
        Expected::Nothing => Ok(Vec::new()),
        // Refused in a message, or nothing when the clock finds the tick stale (see below).
        other => Err(other),
    }
}

fn matches_expected(answer: Result<Trigger, EventError>, expected: &Expected) -> bool {
    fn error_matches(error: &EventError, expected: &Expected) -> bool {
        match (error, expected) {
            (EventError::BadKey(raw), Expected::BadKey(want)) => raw == want,
            (EventError::Malformed { kind, .. }, Expected::Malformed(want)) => kind == want,
            _ => false,
        }
    }
    match (answer, expected) {
        (Ok(Trigger::Objects { source, objects }), Expected::Objects(want_source, want)) => {
            source == *want_source && objects == *want
        }
        (Ok(Trigger::Nothing(_)), Expected::Nothing) => true,
        // A schedule tick is the pass, or nothing when the clock finds it stale.
        (Ok(Trigger::Pass | Trigger::Nothing(_)), Expected::Pass) => true,
        (Ok(Trigger::Sqs(items)), Expected::Sqs(want)) => {
            items.len() == want.len()
                && items
                    .iter()
                    .zip(want)
                    .all(|(SqsItem { message_id, objects }, (id, outcome))| {
                        message_id == id
                            && match (objects, outcome) {
                                (Ok(objects), Ok(want)) => objects == want,
                                // A schedule tick in a message: refused, or nothing when stale.
                                (Ok(objects), Err(Expected::Pass)) => objects.is_empty(),
                                (Err(error), Err(Expected::Pass)) => {
                                    error_matches(error, &Expected::Malformed("SQS message body"))
                                }
                                (Err(error), Err(want)) => error_matches(error, want),
                                _ => false,
                            }
                    })
        }
        (Err(error), expected) => error_matches(&error, expected),
        _ => false,
    }
}

fn generated(u: &mut Unstructured) -> arbitrary::Result<Case> {
    match u.int_in_range(0..=3)? {
        0 => s3_notification(u),
        1 => eventbridge(u),
        2 => sqs(u),
        _ => direct(u),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<Value>(data) {
        let answer = parse(event.clone());
        check_answer(&event, &answer);
        return;
    }
    let mut u = Unstructured::new(data);
    let Ok(case) = generated(&mut u) else { return };
    let answer = parse(case.event.clone());
    check_answer(&case.event, &answer);
    let shown = format!("{answer:?}");
    assert!(
        matches_expected(answer, &case.expected),
        "event {}\nanswered {shown}\nexpected {:?}",
        case.event,
        case.expected
    );
});
