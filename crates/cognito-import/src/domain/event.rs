//! Triggers: what names the dropped objects. One entry point takes them all:
//!
//! - an S3 event notification (`Records[].s3`, event source `aws:s3`);
//! - the same drop through EventBridge (`source: aws.s3`, `detail-type: Object Created`);
//! - an SQS batch (`Records[]`, event source `aws:sqs`) whose bodies hold either of the above;
//! - a direct invocation `{"bucket": "...", "key": "...", "versionId": "..."}` by an operator;
//! - the schedule that runs the pass (EventBridge `Scheduled Event`), or `{"pass": true}`.
//!
//! Keys in S3 and EventBridge events arrive URL-encoded (`+` is a space, `%2B` a plus); a direct
//! invocation names the key as it is.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::assumptions;

/// One dropped object, pinned to the version the event saw where the event says which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    /// Without quotes.
    pub etag: Option<String>,
    pub size: Option<u64>,
}

/// Where an invocation came from (for logs and the SQS answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    S3,
    EventBridge,
    Direct,
}

/// One SQS message: its id (for `batchItemFailures`) and what its body names.
#[derive(Debug)]
pub struct SqsItem {
    pub message_id: String,
    pub objects: Result<Vec<ObjectRef>, EventError>,
}

/// A decoded invocation.
#[derive(Debug)]
pub enum Trigger {
    Objects {
        source: Source,
        objects: Vec<ObjectRef>,
    },
    Sqs(Vec<SqsItem>),
    /// The scheduled pass: an EventBridge schedule (`source: aws.events`, `detail-type:
    /// Scheduled Event`), or `{"pass": true}` from an operator.
    Pass,
    /// Nothing to import (an S3 test event, a delete notification): the reason, for one log line.
    Nothing(String),
}

/// An event the function cannot read. The message says what was expected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    #[error(
        "unrecognised event: expected an S3 notification, an EventBridge 'Object Created' event from aws.s3, \
         an SQS batch carrying either, {{\"bucket\", \"key\"}}, or a Scheduled Event"
    )]
    Unrecognised,
    #[error("malformed {kind} event: {reason}")]
    Malformed { kind: &'static str, reason: String },
    #[error("object key {0:?} is not valid URL-encoded UTF-8")]
    BadKey(String),
}

#[derive(Deserialize)]
struct ObjectCreatedDetail {
    bucket: DetailBucket,
    object: DetailObject,
}

#[derive(Deserialize)]
struct DetailBucket {
    name: String,
}

#[derive(Deserialize)]
struct DetailObject {
    key: String,
    size: Option<u64>,
    etag: Option<String>,
    #[serde(rename = "version-id")]
    version_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DirectInvocation {
    bucket: String,
    key: String,
    version_id: Option<String>,
}

/// Decodes a key as S3 writes it into events: `+` for a space, percent-escapes for the rest.
pub fn decode_key(raw: &str) -> Result<String, EventError> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| EventError::BadKey(raw.to_owned()))
}

fn malformed(kind: &'static str, e: impl std::fmt::Display) -> EventError {
    EventError::Malformed {
        kind,
        reason: e.to_string(),
    }
}

fn clean_etag(etag: Option<String>) -> Option<String> {
    etag.map(|e| e.trim_matches('"').to_owned()).filter(|e| !e.is_empty())
}

/// A scheduled event older than this is not acted on.
pub const STALE_SCHEDULE_SECONDS: i64 = 300;

/// Reads any supported invocation.
pub fn parse(event: Value) -> Result<Trigger, EventError> {
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        let source = records
            .first()
            .and_then(|r| r.get("eventSource").or_else(|| r.get("EventSource")));
        return match source.and_then(Value::as_str) {
            Some("aws:sqs") => parse_sqs(event),
            Some("aws:s3") => parse_s3(event),
            None if records.is_empty() => Ok(Trigger::Nothing("an event with no records".into())),
            _ => Err(EventError::Unrecognised),
        };
    }
    if event.get("source").and_then(Value::as_str) == Some("aws.events")
        && event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
    {
        // Lambda may hold asynchronous events for hours (throttling): an old tick is dropped,
        // the next one comes within a minute.
        let time = event.get("time").and_then(Value::as_str).unwrap_or_default();
        if let Ok(at) = time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339)
            && (time::OffsetDateTime::now_utc() - at).whole_seconds() > STALE_SCHEDULE_SECONDS
        {
            return Ok(Trigger::Nothing(format!(
                "a scheduled event from {time}, too old to act on"
            )));
        }
        return Ok(Trigger::Pass);
    }
    if event.get("pass").and_then(Value::as_bool) == Some(true) {
        return Ok(Trigger::Pass);
    }
    if event.get("detail-type").is_some() {
        return parse_eventbridge(event);
    }
    if event.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Trigger::Nothing(
            "the S3 test event sent when notifications are configured".into(),
        ));
    }
    if event.get("bucket").is_some() && event.get("key").is_some() {
        let d: DirectInvocation = serde_json::from_value(event).map_err(|e| malformed("direct invocation", e))?;
        if d.bucket.is_empty() || d.key.is_empty() {
            return Err(malformed("direct invocation", "bucket and key must not be empty"));
        }
        let object = ObjectRef {
            bucket: d.bucket,
            key: d.key,
            version_id: d.version_id,
            etag: None,
            size: None,
        };
        return Ok(Trigger::Objects {
            source: Source::Direct,
            objects: vec![object],
        });
    }
    Err(EventError::Unrecognised)
}

fn parse_s3(event: Value) -> Result<Trigger, EventError> {
    let event: S3Event = serde_json::from_value(event).map_err(|e| malformed("S3 notification", e))?;
    let mut objects = Vec::new();
    for record in event.records {
        // Only creations import; a delete or restore notification is not a drop.
        if !record.event_name.as_deref().unwrap_or("").starts_with("ObjectCreated:") {
            continue;
        }
        let bucket = record
            .s3
            .bucket
            .name
            .ok_or_else(|| malformed("S3 notification", "a record has no bucket name"))?;
        let raw = record
            .s3
            .object
            .key
            .ok_or_else(|| malformed("S3 notification", "a record has no object key"))?;
        objects.push(ObjectRef {
            bucket,
            key: decode_key(&raw)?,
            version_id: record.s3.object.version_id.filter(|v| !v.is_empty()),
            etag: clean_etag(record.s3.object.e_tag),
            size: record.s3.object.size.and_then(|s| u64::try_from(s).ok()),
        });
    }
    if objects.is_empty() {
        return Ok(Trigger::Nothing(
            "an S3 notification with no ObjectCreated record".into(),
        ));
    }
    Ok(Trigger::Objects {
        source: Source::S3,
        objects,
    })
}

fn parse_eventbridge(event: Value) -> Result<Trigger, EventError> {
    let event: EventBridgeEvent<Value> = serde_json::from_value(event).map_err(|e| malformed("EventBridge", e))?;
    if event.source != "aws.s3" || event.detail_type != "Object Created" {
        return Ok(Trigger::Nothing(format!(
            "an EventBridge event '{}' from {} (only 'Object Created' from aws.s3 imports)",
            event.detail_type, event.source
        )));
    }
    let detail: ObjectCreatedDetail =
        serde_json::from_value(event.detail).map_err(|e| malformed("EventBridge Object Created", e))?;
    let key = if assumptions::EVENTBRIDGE_KEYS_ARE_URL_ENCODED {
        decode_key(&detail.object.key)?
    } else {
        detail.object.key
    };
    let object = ObjectRef {
        bucket: detail.bucket.name,
        key,
        version_id: detail.object.version_id.filter(|v| !v.is_empty()),
        etag: clean_etag(detail.object.etag),
        size: detail.object.size,
    };
    Ok(Trigger::Objects {
        source: Source::EventBridge,
        objects: vec![object],
    })
}

fn parse_sqs(event: Value) -> Result<Trigger, EventError> {
    let event: SqsEvent = serde_json::from_value(event).map_err(|e| malformed("SQS", e))?;
    let items = event
        .records
        .into_iter()
        .map(|message| {
            let message_id = message.message_id.unwrap_or_default();
            let objects = message
                .body
                .ok_or_else(|| malformed("SQS", "a message has no body"))
                .and_then(|body| serde_json::from_str::<Value>(&body).map_err(|e| malformed("SQS message body", e)))
                .and_then(|body| match parse(body)? {
                    Trigger::Objects { objects, .. } => Ok(objects),
                    Trigger::Nothing(_) => Ok(Vec::new()),
                    Trigger::Sqs(_) => Err(malformed("SQS message body", "an SQS batch inside an SQS message")),
                    Trigger::Pass => Err(malformed(
                        "SQS message body",
                        "a scheduled event belongs on the schedule",
                    )),
                });
            SqsItem { message_id, objects }
        })
        .collect();
    Ok(Trigger::Sqs(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn objects(t: Trigger) -> Vec<ObjectRef> {
        match t {
            Trigger::Objects { objects, .. } => objects,
            other => panic!("expected objects, got {other:?}"),
        }
    }

    #[test]
    fn keys_decode_plus_percent_and_unicode() {
        assert_eq!(
            decode_key("incoming/new+users%2B1.csv").unwrap(),
            "incoming/new users+1.csv"
        );
        assert_eq!(
            decode_key("incoming/Jos%C3%A9+%26+Zo%C3%AB.csv").unwrap(),
            "incoming/José & Zoë.csv"
        );
        assert_eq!(
            decode_key("incoming/%FF.csv"),
            Err(EventError::BadKey("incoming/%FF.csv".into()))
        );
    }

    #[test]
    fn s3_notification_fixture() {
        let t = parse(fixture("s3-put.json")).unwrap();
        assert!(matches!(t, Trigger::Objects { source: Source::S3, .. }));
        let o = objects(t);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].bucket, "cognito-import-drop-111111111111");
        assert_eq!(o[0].key, "incoming/new users+1.csv");
        assert_eq!(o[0].version_id.as_deref(), Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"));
        assert_eq!(o[0].etag.as_deref(), Some("0123456789abcdef0123456789abcdef"));
        assert_eq!(o[0].size, Some(1024));
    }

    #[test]
    fn eventbridge_fixture() {
        let t = parse(fixture("eventbridge-object-created.json")).unwrap();
        assert!(matches!(
            t,
            Trigger::Objects {
                source: Source::EventBridge,
                ..
            }
        ));
        let o = objects(t);
        assert_eq!(o[0].key, "incoming/José users.csv");
        assert_eq!(o[0].version_id.as_deref(), Some("IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"));
        assert_eq!(o[0].size, Some(2048));
    }

    #[test]
    fn sqs_fixture_carries_both_kinds_and_reports_bad_bodies_per_message() {
        let Trigger::Sqs(items) = parse(fixture("sqs-batch.json")).unwrap() else {
            panic!("expected SQS")
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].message_id, "msg-s3");
        assert_eq!(items[0].objects.as_ref().unwrap()[0].key, "incoming/new users+1.csv");
        assert_eq!(items[1].objects.as_ref().unwrap()[0].key, "incoming/José users.csv");
        assert_eq!(items[2].message_id, "msg-bad");
        assert!(matches!(
            items[2].objects,
            Err(EventError::Malformed {
                kind: "SQS message body",
                ..
            })
        ));
    }

    #[test]
    fn direct_invocation_fixture_keeps_the_key_as_is() {
        let t = parse(fixture("direct.json")).unwrap();
        assert!(matches!(
            t,
            Trigger::Objects {
                source: Source::Direct,
                ..
            }
        ));
        let o = objects(t);
        assert_eq!(o[0].key, "incoming/users+more.csv");
        assert_eq!(o[0].version_id, None);
    }

    #[test]
    fn test_events_and_deletes_import_nothing() {
        let test_event = serde_json::json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"});
        assert!(matches!(parse(test_event).unwrap(), Trigger::Nothing(_)));
        let mut delete = fixture("s3-put.json");
        delete["Records"][0]["eventName"] = "ObjectRemoved:Delete".into();
        assert!(matches!(parse(delete).unwrap(), Trigger::Nothing(_)));
        let mut other = fixture("eventbridge-object-created.json");
        other["detail-type"] = "Object Deleted".into();
        assert!(matches!(parse(other).unwrap(), Trigger::Nothing(_)));
    }

    #[test]
    fn unknown_and_malformed_events_say_what_was_expected() {
        let err = parse(serde_json::json!({"hello": "world"})).unwrap_err();
        assert_eq!(err, EventError::Unrecognised);
        assert!(err.to_string().contains("an S3 notification"));
        let mut broken = fixture("eventbridge-object-created.json");
        broken["detail"]["object"] = serde_json::json!({"size": 3});
        let err = parse(broken).unwrap_err();
        assert!(
            matches!(
                err,
                EventError::Malformed {
                    kind: "EventBridge Object Created",
                    ..
                }
            ),
            "{err}"
        );
        let err = parse(serde_json::json!({"bucket": "", "key": "k"})).unwrap_err();
        assert!(err.to_string().contains("bucket and key must not be empty"));
    }

    #[test]
    fn scheduled_events_run_the_pass_unless_stale() {
        let now = time::OffsetDateTime::now_utc();
        let at = |t: time::OffsetDateTime| {
            serde_json::json!({
                "version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.events",
                "account": "111111111111", "region": "us-east-1", "detail": {},
                "time": t.format(&time::format_description::well_known::Rfc3339).unwrap(),
                "resources": ["arn:aws:events:us-east-1:111111111111:rule/r"],
            })
        };
        assert!(matches!(parse(at(now)).unwrap(), Trigger::Pass));
        let old = parse(at(now - time::Duration::minutes(30))).unwrap();
        assert!(matches!(&old, Trigger::Nothing(r) if r.contains("too old")), "{old:?}");
        assert!(matches!(
            parse(serde_json::json!({ "pass": true })).unwrap(),
            Trigger::Pass
        ));
        let sample = include_str!("../../../../events/schedule.json");
        let sample: Value = serde_json::from_str(sample).unwrap();
        assert_eq!(sample["detail-type"], "Scheduled Event");
    }
}
