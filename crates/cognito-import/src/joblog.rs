//! A finished job's CloudWatch log: one line per row, `[SUCCEEDED] Line Number 2 - The import
//! succeeded.`, `[SKIPPED] Line Number 3 - The user already exists.`, `[FAILED] Line Number 4 -
//! <reason>`. Rows are named by line number only, so the log itself holds no user data.
//!
//! The stream is `<jobId>/<jobName>` in the pool's group, read oldest first with GetLogEvents.
//! Outcomes are kept compactly (a 500,000-row job is about 6 MB here): reasons are interned.

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::DisplayErrorContext;

/// What Cognito did with one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RowOutcome {
    Succeeded,
    Skipped,
    Failed,
}

impl RowOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RowOutcome::Succeeded => "SUCCEEDED",
            RowOutcome::Skipped => "SKIPPED",
            RowOutcome::Failed => "FAILED",
        }
    }
}

/// One parsed log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The file's line number (the header is line 1).
    pub line: u32,
    pub outcome: RowOutcome,
    /// Index into [`JobLog::reasons`].
    pub reason: u32,
}

/// A job's log, parsed, sorted by line.
#[derive(Debug, Default)]
pub struct JobLog {
    pub lines: Vec<LogLine>,
    pub reasons: Vec<String>,
    /// Messages that were not row outcomes (kept out of the report, counted for the summary).
    pub other_messages: u64,
    /// Whether the stream existed at all.
    pub found: bool,
}

impl JobLog {
    pub fn reason(&self, line: &LogLine) -> &str {
        &self.reasons[line.reason as usize]
    }

    pub fn count(&self, outcome: RowOutcome) -> usize {
        self.lines.iter().filter(|l| l.outcome == outcome).count()
    }
}

/// Parses messages into a [`JobLog`].
#[derive(Default)]
pub struct Parser {
    log: JobLog,
    interned: HashMap<String, u32>,
}

impl Parser {
    pub fn push(&mut self, message: &str) {
        let Some((line, outcome, reason)) = parse_line(message) else {
            self.log.other_messages += 1;
            return;
        };
        let next = self.log.reasons.len() as u32;
        let reason = *self.interned.entry(reason.to_owned()).or_insert_with(|| {
            self.log.reasons.push(reason.to_owned());
            next
        });
        self.log.lines.push(LogLine { line, outcome, reason });
    }

    pub fn finish(mut self) -> JobLog {
        self.log.lines.sort_by_key(|l| l.line);
        self.log
    }
}

/// `[OUTCOME] Line Number N - reason` → its parts.
pub fn parse_line(message: &str) -> Option<(u32, RowOutcome, &str)> {
    let message = message.trim();
    let (tag, rest) = message.strip_prefix('[')?.split_once(']')?;
    let outcome = match tag {
        "SUCCEEDED" => RowOutcome::Succeeded,
        "SKIPPED" => RowOutcome::Skipped,
        "FAILED" => RowOutcome::Failed,
        _ => return None,
    };
    let rest = rest.trim_start().strip_prefix("Line Number")?.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let line = rest[..digits].parse().ok()?;
    let reason = rest[digits..].trim_start();
    let reason = reason.strip_prefix('-').unwrap_or(reason).trim();
    Some((line, outcome, reason))
}

/// Pages read at most: 500,000 rows at GetLogEvents' 10,000 events a page is 50, so this bounds
/// a stream that keeps handing out new tokens without end.
const MAX_PAGES: usize = 1_000;

/// Reading the log failed.
#[derive(Debug, thiserror::Error)]
#[error("reading the job's log {group} / {stream} failed: {detail}")]
pub struct LogError {
    group: String,
    stream: String,
    detail: String,
}

/// Reads the whole stream `<jobId>/<jobName>` of `group`, oldest first. A missing group or stream
/// (Cognito could not write it, e.g. the logs role is broken) gives an empty log, `found: false`.
pub async fn read(client: &Client, group: &str, stream: &str) -> Result<JobLog, LogError> {
    let mut parser = Parser::default();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let answer = client
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true)
            .set_next_token(token.clone())
            .send()
            .await;
        let page = match answer {
            Ok(page) => page,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(JobLog::default());
            }
            Err(e) => {
                return Err(LogError {
                    group: group.to_owned(),
                    stream: stream.to_owned(),
                    detail: DisplayErrorContext(e).to_string(),
                });
            }
        };
        for event in page.events() {
            parser.push(event.message().unwrap_or_default());
        }
        // The forward token repeats once the end of the stream is reached; a page may be empty
        // before that, so only the token ends the read.
        let next = page.next_forward_token;
        pages += 1;
        if next.is_none() || next == token || pages >= MAX_PAGES {
            break;
        }
        token = next;
    }
    let mut log = parser.finish();
    log.found = true;
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cognitos_three_line_forms() {
        assert_eq!(
            parse_line("[SUCCEEDED] Line Number 5956 - The import succeeded."),
            Some((5956, RowOutcome::Succeeded, "The import succeeded."))
        );
        assert_eq!(
            parse_line("[SKIPPED] Line Number 3 - The user already exists."),
            Some((3, RowOutcome::Skipped, "The user already exists."))
        );
        assert_eq!(
            parse_line(
                "[FAILED] Line Number 12 - The phone_number attribute is not valid - use +<country code><number>.\n"
            ),
            Some((
                12,
                RowOutcome::Failed,
                "The phone_number attribute is not valid - use +<country code><number>."
            ))
        );
        assert_eq!(parse_line("Import job started"), None);
        assert_eq!(parse_line("[INFO] Line Number 2 - x"), None);
        assert_eq!(parse_line("[FAILED] Line Number x - y"), None);
    }

    #[test]
    fn interns_reasons_and_sorts_by_line() {
        let mut parser = Parser::default();
        parser.push("[FAILED] Line Number 4 - The email is not valid.");
        parser.push("[SUCCEEDED] Line Number 2 - The import succeeded.");
        parser.push("[FAILED] Line Number 3 - The email is not valid.");
        parser.push("something else");
        let log = parser.finish();
        assert_eq!(log.lines.iter().map(|l| l.line).collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(log.reasons.len(), 2);
        assert_eq!(log.reason(&log.lines[2]), "The email is not valid.");
        assert_eq!(log.count(RowOutcome::Failed), 2);
        assert_eq!(log.other_messages, 1);
    }
}
