//! Amazon SNS, just enough to publish notifications: CreateTopic, Publish and ListTopics on the
//! AWS Query protocol (a form-encoded `POST /`, answered in XML). Nothing is delivered: what is
//! published stays in memory for tests to read (`Emulator::published`).
//!
//! Only standard topics: names of letters, digits, `-` and `_`. Message attributes are accepted and
//! ignored.

use std::collections::BTreeMap;

use http::{Response, StatusCode};
use s3s::Body;

use crate::faults::Fault;
use crate::sigv4::AuthError;

pub const XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// SNS's limits: a message of 256 KiB, a subject of 100 characters, a topic name of 256.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
pub const MAX_SUBJECT_CHARS: usize = 100;
const MAX_NAME_CHARS: usize = 256;
/// Topics per ListTopics page, as SNS pages them.
const PAGE: usize = 100;

/// One message published to a topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub message: String,
    pub subject: Option<String>,
}

/// An error answer of an SNS action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SnsError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl SnsError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        SnsError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidParameter", message)
    }

    pub fn topic_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", "Topic does not exist")
    }

    /// The answer of an injected fault: `Throttle` throttles, the others fail.
    pub fn fault(fault: Fault) -> Self {
        match fault {
            Fault::Throttle => Self::new(StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded"),
            Fault::Fail | Fault::LoseAnswer => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "Internal error")
            }
        }
    }

    /// A refused signature, with the codes Query-protocol services answer.
    pub fn auth(err: &AuthError) -> Self {
        let (status, code) = match err {
            AuthError::Missing => (StatusCode::FORBIDDEN, "MissingAuthenticationToken"),
            AuthError::UnknownAccessKey => (StatusCode::FORBIDDEN, "InvalidClientTokenId"),
            AuthError::Expired | AuthError::Mismatch | AuthError::WrongRegion { .. } => {
                (StatusCode::FORBIDDEN, "SignatureDoesNotMatch")
            }
            AuthError::WrongService { .. } | AuthError::Malformed(_) => {
                (StatusCode::BAD_REQUEST, "IncompleteSignature")
            }
        };
        Self::new(status, code, err.to_string())
    }

    /// `Sender` for the caller's faults, `Receiver` for the service's.
    fn fault_type(&self) -> &'static str {
        if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

/// The parameters of a Query-protocol request, from its form-encoded body.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(body: &[u8]) -> Self {
        Params(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A successful action: its name and the inside of its `<ActionResult>` element.
#[derive(Debug)]
pub struct Answer {
    pub action: &'static str,
    pub result: String,
}

/// Topics by ARN, each with what was published to it, oldest first.
pub struct Sns {
    region: String,
    account_id: String,
    topics: BTreeMap<String, Vec<Published>>,
}

impl Sns {
    pub fn new(region: &str, account_id: &str) -> Self {
        Sns {
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            topics: BTreeMap::new(),
        }
    }

    /// Creates a topic, or finds it when it exists already (CreateTopic is idempotent); returns
    /// its ARN.
    pub fn create_topic(&mut self, name: &str) -> Result<String, SnsError> {
        let valid = (1..=MAX_NAME_CHARS).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(SnsError::invalid("Invalid parameter: Topic Name"));
        }
        let arn = format!("arn:aws:sns:{}:{}:{name}", self.region, self.account_id);
        self.topics.entry(arn.clone()).or_default();
        Ok(arn)
    }

    /// What was published to a topic, oldest first (empty for an unknown topic).
    pub fn published(&self, topic_arn: &str) -> Vec<Published> {
        self.topics.get(topic_arn).cloned().unwrap_or_default()
    }

    /// Runs one action.
    pub fn handle(&mut self, action: &str, params: &Params) -> Result<Answer, SnsError> {
        match action {
            "CreateTopic" => {
                let arn = self.create_topic(params.get("Name").unwrap_or(""))?;
                Ok(Answer {
                    action: "CreateTopic",
                    result: format!("<TopicArn>{}</TopicArn>", escape(&arn)),
                })
            }
            "Publish" => self.publish(params),
            "ListTopics" => self.list_topics(params),
            _ => Err(SnsError::new(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                format!("The action {action} is not valid for this endpoint."),
            )),
        }
    }

    fn publish(&mut self, params: &Params) -> Result<Answer, SnsError> {
        let arn = match (
            params.get("TopicArn"),
            params.get("TargetArn"),
            params.get("PhoneNumber"),
        ) {
            (Some(arn), None, None) | (None, Some(arn), None) => arn,
            (None, None, Some(_)) => {
                return Err(SnsError::invalid(
                    "Invalid parameter: PhoneNumber Reason: the emulator does not send SMS",
                ));
            }
            (None, None, None) => {
                return Err(SnsError::invalid(
                    "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
                ));
            }
            _ => {
                return Err(SnsError::invalid(
                    "Invalid parameter: TopicArn Reason: only one of TopicArn, TargetArn or PhoneNumber may be given",
                ));
            }
        };
        // arn:aws:sns:<region>:<account>:<name>; a well-formed ARN of no topic is NotFound.
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() != 6 || parts[..3] != ["arn", "aws", "sns"] || parts[5].is_empty() {
            return Err(SnsError::invalid("Invalid parameter: TopicArn"));
        }
        let message = params.get("Message").unwrap_or("");
        if message.is_empty() {
            return Err(SnsError::invalid("Invalid parameter: Empty message"));
        }
        if message.len() > MAX_MESSAGE_BYTES {
            return Err(SnsError::invalid("Invalid parameter: Message too long"));
        }
        let subject = params.get("Subject");
        if let Some(subject) = subject {
            let valid = !subject.is_empty()
                && subject.chars().count() <= MAX_SUBJECT_CHARS
                && !subject.chars().any(char::is_control);
            if !valid {
                return Err(SnsError::invalid("Invalid parameter: Subject"));
            }
        }
        let published = self.topics.get_mut(arn).ok_or_else(SnsError::topic_not_found)?;
        published.push(Published {
            message: message.to_owned(),
            subject: subject.map(str::to_owned),
        });
        Ok(Answer {
            action: "Publish",
            result: format!("<MessageId>{}</MessageId>", crate::json::request_id()),
        })
    }

    /// Pages of [`PAGE`] topics; the token is the index of the next one.
    fn list_topics(&self, params: &Params) -> Result<Answer, SnsError> {
        let start = match params.get("NextToken") {
            None | Some("") => 0,
            Some(token) => token
                .parse::<usize>()
                .ok()
                .filter(|&n| n < self.topics.len())
                .ok_or_else(|| SnsError::invalid("Invalid parameter: NextToken"))?,
        };
        let mut result = String::from("<Topics>");
        for arn in self.topics.keys().skip(start).take(PAGE) {
            result.push_str(&format!("<member><TopicArn>{}</TopicArn></member>", escape(arn)));
        }
        result.push_str("</Topics>");
        if start + PAGE < self.topics.len() {
            result.push_str(&format!("<NextToken>{}</NextToken>", start + PAGE));
        }
        Ok(Answer {
            action: "ListTopics",
            result,
        })
    }
}

/// Text made safe for an XML element.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTTP answer for an action's outcome.
pub fn respond(result: Result<Answer, SnsError>) -> Response<Body> {
    let request_id = crate::json::request_id();
    let (status, body) = render(result, &request_id);
    Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .header("x-amzn-requestid", &request_id)
        .body(Body::from(body))
        .expect("static headers are valid")
}

/// The status and XML of an outcome: `<ActionResponse>` or `<ErrorResponse>`.
fn render(result: Result<Answer, SnsError>, request_id: &str) -> (StatusCode, String) {
    match result {
        Ok(Answer { action, result }) => (
            StatusCode::OK,
            format!(
                "<{action}Response xmlns=\"{XMLNS}\"><{action}Result>{result}</{action}Result>\
                 <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
            ),
        ),
        Err(err) => (
            err.status,
            format!(
                "<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message>\
                 </Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                err.fault_type(),
                err.code,
                escape(&err.message)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn form_bodies_decode_plus_and_percent_escapes() {
        let p = Params::parse(b"Action=Publish&Message=a+b%26c%3D%C3%BC&Subject=");
        assert_eq!(p.get("Action"), Some("Publish"));
        assert_eq!(p.get("Message"), Some("a b&c=ü"));
        assert_eq!(p.get("Subject"), Some(""));
        assert_eq!(p.get("TopicArn"), None);
    }

    #[test]
    fn create_topic_is_idempotent_and_checks_the_name() {
        let mut sns = Sns::new("eu-west-1", "123456789012");
        let arn = sns.create_topic("import-results").unwrap();
        assert_eq!(arn, "arn:aws:sns:eu-west-1:123456789012:import-results");
        assert_eq!(sns.create_topic("import-results").unwrap(), arn);
        assert_eq!(sns.topics.len(), 1);
        for bad in ["", "has space", "dot.fifo", &"x".repeat(257)] {
            assert_eq!(sns.create_topic(bad).unwrap_err().code, "InvalidParameter", "{bad:?}");
        }
    }

    #[test]
    fn publish_checks_topic_message_and_subject() {
        let mut sns = Sns::new("us-east-1", "111111111111");
        let arn = sns.create_topic("t").unwrap();
        let publish = |sns: &mut Sns, extra: &[(&str, &str)]| {
            let mut p = vec![("TopicArn", arn.as_str()), ("Message", "hello")];
            p.extend_from_slice(extra);
            sns.handle("Publish", &params(&p))
        };
        publish(&mut sns, &[]).unwrap();
        publish(&mut sns, &[("Subject", &"s".repeat(MAX_SUBJECT_CHARS))]).unwrap();
        for subject in ["", "two\nlines", &"s".repeat(MAX_SUBJECT_CHARS + 1)] {
            let err = publish(&mut sns, &[("Subject", subject)]).unwrap_err();
            assert_eq!(err.message, "Invalid parameter: Subject");
        }
        let long = "m".repeat(MAX_MESSAGE_BYTES + 1);
        let err = sns
            .handle("Publish", &params(&[("TopicArn", &arn), ("Message", &long)]))
            .unwrap_err();
        assert_eq!(err.message, "Invalid parameter: Message too long");
        let exact = "m".repeat(MAX_MESSAGE_BYTES);
        sns.handle("Publish", &params(&[("TopicArn", &arn), ("Message", &exact)]))
            .unwrap();
        let err = sns
            .handle(
                "Publish",
                &params(&[
                    ("TopicArn", "arn:aws:sns:us-east-1:111111111111:other"),
                    ("Message", "m"),
                ]),
            )
            .unwrap_err();
        assert_eq!((err.status, err.code), (StatusCode::NOT_FOUND, "NotFound"));
        let err = sns
            .handle("Publish", &params(&[("TopicArn", "not-an-arn"), ("Message", "m")]))
            .unwrap_err();
        assert_eq!((err.status, err.code), (StatusCode::BAD_REQUEST, "InvalidParameter"));
        let err = sns.handle("Publish", &params(&[("TopicArn", &arn)])).unwrap_err();
        assert_eq!(err.message, "Invalid parameter: Empty message");

        let published = sns.published(&arn);
        assert_eq!(published.len(), 3);
        assert_eq!(
            published[0],
            Published {
                message: "hello".into(),
                subject: None
            }
        );
        assert_eq!(published[1].subject.as_deref().map(str::len), Some(MAX_SUBJECT_CHARS));
    }

    #[test]
    fn list_topics_pages_by_a_hundred() {
        let mut sns = Sns::new("us-east-1", "111111111111");
        for i in 0..150 {
            sns.create_topic(&format!("t{i:03}")).unwrap();
        }
        let first = sns.handle("ListTopics", &params(&[])).unwrap();
        assert_eq!(first.result.matches("<member>").count(), 100);
        assert!(first.result.ends_with("<NextToken>100</NextToken>"));
        let second = sns.handle("ListTopics", &params(&[("NextToken", "100")])).unwrap();
        assert_eq!(second.result.matches("<member>").count(), 50);
        assert!(!second.result.contains("NextToken"));
        let err = sns.handle("ListTopics", &params(&[("NextToken", "x")])).unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
    }

    #[test]
    fn answers_are_query_protocol_xml() {
        let ok = Answer {
            action: "Publish",
            result: "<MessageId>m-1</MessageId>".into(),
        };
        assert_eq!(
            render(Ok(ok), "r-1"),
            (
                StatusCode::OK,
                format!(
                    "<PublishResponse xmlns=\"{XMLNS}\"><PublishResult><MessageId>m-1</MessageId></PublishResult>\
                     <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>"
                )
            )
        );
        let (status, body) = render(Err(SnsError::invalid("a < b & c")), "r-2");
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains(
                "<Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>a &lt; b &amp; c</Message></Error>\
                 <RequestId>r-2</RequestId></ErrorResponse>"
            ),
            "{body}"
        );
        let response = respond(Err(SnsError::topic_not_found()));
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()["content-type"], "text/xml");
        let err = Sns::new("us-east-1", "1").handle("Nope", &params(&[])).unwrap_err();
        assert_eq!(err.code, "InvalidAction");
        assert_eq!(SnsError::fault(Fault::Fail).fault_type(), "Receiver");
        assert_eq!(SnsError::fault(Fault::Throttle).fault_type(), "Sender");
    }
}
