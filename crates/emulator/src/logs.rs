//! CloudWatch Logs, just enough to read an import job's log: GetLogEvents and FilterLogEvents
//! (`Logs_20140328` JSON API) over the groups and streams the job runner writes.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::json::{ApiError, ApiResult, Input};

const DEFAULT_LIMIT: u64 = 10_000;

#[derive(Clone, Debug)]
pub struct Event {
    pub timestamp: i64,
    pub message: String,
}

/// Log groups → streams → events, in the order written.
#[derive(Default)]
pub struct Logs {
    groups: BTreeMap<String, BTreeMap<String, Vec<Event>>>,
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Logs {
    pub fn create_stream(&mut self, group: &str, stream: &str) {
        self.groups
            .entry(group.to_owned())
            .or_default()
            .entry(stream.to_owned())
            .or_default();
    }

    pub fn append(&mut self, group: &str, stream: &str, message: String) {
        let events = self
            .groups
            .entry(group.to_owned())
            .or_default()
            .entry(stream.to_owned())
            .or_default();
        events.push(Event {
            timestamp: now_millis(),
            message,
        });
    }

    /// The messages of one stream, oldest first (empty when there is no such stream).
    pub fn messages(&self, group: &str, stream: &str) -> Vec<String> {
        self.groups
            .get(group)
            .and_then(|g| g.get(stream))
            .map(|events| events.iter().map(|e| e.message.clone()).collect())
            .unwrap_or_default()
    }

    fn group(&self, name: &str) -> Result<&BTreeMap<String, Vec<Event>>, ApiError> {
        self.groups
            .get(name)
            .ok_or_else(|| ApiError::not_found("The specified log group does not exist."))
    }

    /// Runs one CloudWatch Logs operation.
    pub fn handle(&self, op: &str, input: &Input) -> ApiResult {
        match op {
            "GetLogEvents" => self.get_log_events(input),
            "FilterLogEvents" => self.filter_log_events(input),
            _ => Err(ApiError::new(
                "UnknownOperationException",
                format!("Operation {op} is not supported"),
            )),
        }
    }

    /// Tokens are `f/<index>` (read forward from index) and `b/<index>` (read back, ending before it).
    fn get_log_events(&self, input: &Input) -> ApiResult {
        let group = self.group(input.str("logGroupName")?)?;
        let events = group
            .get(input.str("logStreamName")?)
            .ok_or_else(|| ApiError::not_found("The specified log stream does not exist."))?;
        let limit = input.limit("limit", DEFAULT_LIMIT, DEFAULT_LIMIT)?;
        let from_head = input.opt_bool("startFromHead")?.unwrap_or(false);
        let bad_token = || ApiError::invalid("The specified nextToken is invalid.");
        let (start, end) = match input.opt_str("nextToken")? {
            Some(t) => {
                let (dir, n) = t.split_once('/').ok_or_else(bad_token)?;
                let n: usize = n.parse().map_err(|_| bad_token())?;
                if n > events.len() {
                    return Err(bad_token());
                }
                match dir {
                    "f" => (n, (n + limit).min(events.len())),
                    "b" => (n.saturating_sub(limit), n),
                    _ => return Err(bad_token()),
                }
            }
            None if from_head => (0, limit.min(events.len())),
            None => (events.len().saturating_sub(limit), events.len()),
        };
        let page: Vec<Value> = events[start..end]
            .iter()
            .map(|e| json!({ "timestamp": e.timestamp, "message": e.message, "ingestionTime": e.timestamp }))
            .collect();
        Ok(json!({ "events": page, "nextForwardToken": format!("f/{end}"), "nextBackwardToken": format!("b/{start}") }))
    }

    /// Supports `logStreamNames`, `logStreamNamePrefix`, `startTime`/`endTime` and a
    /// `filterPattern` of plain terms (every term must occur; `"quoted phrases"` allowed).
    fn filter_log_events(&self, input: &Input) -> ApiResult {
        let group = self.group(input.str("logGroupName")?)?;
        let names = input.strings("logStreamNames")?;
        let prefix = input.opt_str("logStreamNamePrefix")?.unwrap_or("");
        let terms = pattern_terms(input.opt_str("filterPattern")?.unwrap_or(""));
        let start_time = input.opt_u64("startTime")?.map(|t| t as i64);
        let end_time = input.opt_u64("endTime")?.map(|t| t as i64);
        let limit = input.limit("limit", DEFAULT_LIMIT, DEFAULT_LIMIT)?;
        let skip: usize = match input.opt_str("nextToken")? {
            Some(t) => t
                .parse()
                .map_err(|_| ApiError::invalid("The specified nextToken is invalid."))?,
            None => 0,
        };
        let matching = group
            .iter()
            .filter(|(stream, _)| (names.is_empty() || names.contains(stream)) && stream.starts_with(prefix))
            .flat_map(|(stream, events)| events.iter().enumerate().map(move |(i, e)| (stream, i, e)))
            .filter(|(_, _, e)| {
                start_time.is_none_or(|t| e.timestamp >= t)
                    && end_time.is_none_or(|t| e.timestamp <= t)
                    && terms.iter().all(|term| e.message.contains(term.as_str()))
            });
        let mut events = Vec::new();
        let mut more = false;
        for (n, (stream, i, e)) in matching.skip(skip).enumerate() {
            if n == limit {
                more = true;
                break;
            }
            events.push(json!({
                "logStreamName": stream,
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.timestamp,
                "eventId": format!("{:020}{i:016}", e.timestamp),
            }));
        }
        let mut out = json!({ "events": events, "searchedLogStreams": [] });
        if more {
            out["nextToken"] = json!((skip + limit).to_string());
        }
        Ok(out)
    }
}

/// Splits a filter pattern into terms; a double-quoted phrase is one term.
fn pattern_terms(pattern: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut rest = pattern.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            terms.push(quoted[..end].to_owned());
            rest = quoted.get(end + 1..).unwrap_or("").trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            terms.push(rest[..end].to_owned());
            rest = rest[end..].trim_start();
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs_with(n: usize) -> Logs {
        let mut logs = Logs::default();
        for i in 0..n {
            logs.append(
                "g",
                "s",
                format!("[SUCCEEDED] Line Number {} - The import succeeded.", i + 2),
            );
        }
        logs
    }

    #[test]
    fn get_log_events_pages_forward_and_ends_on_the_same_token() {
        let logs = logs_with(5);
        let req = |token: Option<&str>| {
            let mut v = json!({ "logGroupName": "g", "logStreamName": "s", "startFromHead": true, "limit": 2 });
            if let Some(t) = token {
                v["nextToken"] = json!(t);
            }
            logs.handle("GetLogEvents", &Input(v)).unwrap()
        };
        let first = req(None);
        assert_eq!(first["events"].as_array().unwrap().len(), 2);
        assert_eq!(
            first["events"][0]["message"],
            "[SUCCEEDED] Line Number 2 - The import succeeded."
        );
        let token = first["nextForwardToken"].as_str().unwrap().to_owned();
        let second = req(Some(&token));
        assert_eq!(
            second["events"][0]["message"],
            "[SUCCEEDED] Line Number 4 - The import succeeded."
        );
        let third = req(second["nextForwardToken"].as_str());
        assert_eq!(third["events"].as_array().unwrap().len(), 1);
        let last = req(third["nextForwardToken"].as_str());
        assert!(last["events"].as_array().unwrap().is_empty());
        assert_eq!(last["nextForwardToken"], third["nextForwardToken"]);
    }

    #[test]
    fn get_log_events_from_the_tail_by_default() {
        let out = logs_with(5)
            .handle(
                "GetLogEvents",
                &Input(json!({"logGroupName": "g", "logStreamName": "s", "limit": 1})),
            )
            .unwrap();
        assert_eq!(
            out["events"][0]["message"],
            "[SUCCEEDED] Line Number 6 - The import succeeded."
        );
    }

    #[test]
    fn filter_matches_terms_and_pages() {
        let mut logs = logs_with(3);
        logs.append("g", "s", "[FAILED] Line Number 5 - The email is not valid.".into());
        let out = logs
            .handle(
                "FilterLogEvents",
                &Input(json!({"logGroupName": "g", "filterPattern": "\"[FAILED]\""})),
            )
            .unwrap();
        let events = out["events"].as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["logStreamName"], "s");
        let paged = logs
            .handle("FilterLogEvents", &Input(json!({"logGroupName": "g", "limit": 3})))
            .unwrap();
        assert_eq!(paged["events"].as_array().unwrap().len(), 3);
        assert_eq!(paged["nextToken"], "3");
    }

    #[test]
    fn unknown_group_and_stream_are_not_found() {
        let logs = logs_with(1);
        let err = logs
            .handle(
                "GetLogEvents",
                &Input(json!({"logGroupName": "x", "logStreamName": "s"})),
            )
            .unwrap_err();
        assert_eq!(err.code, "ResourceNotFoundException");
        let err = logs
            .handle(
                "GetLogEvents",
                &Input(json!({"logGroupName": "g", "logStreamName": "x"})),
            )
            .unwrap_err();
        assert_eq!(err.message, "The specified log stream does not exist.");
    }
}
