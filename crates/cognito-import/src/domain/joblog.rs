//! A finished job's CloudWatch log: one line per row, `[SUCCEEDED] Line Number 2 - The import
//! succeeded.`, `[SKIPPED] Line Number 3 - The user already exists.`, `[FAILED] Line Number 4 -
//! <reason>`. Rows are named by line number only, so the log itself holds no user data.
//!
//! Outcomes are kept compactly (a 500,000-row job is about 6 MB here): reasons are interned. The
//! log is read by [`crate::adapters::logs`].

use std::collections::HashMap;

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

    /// Appends the log of a later part of the same file, its line numbers mapped to the file's
    /// (`line`); the parts come in order, so the lines stay sorted.
    pub fn append(&mut self, other: JobLog, line: impl Fn(u32) -> u32) {
        let base = self.reasons.len() as u32;
        self.reasons.extend(other.reasons);
        self.lines.extend(other.lines.into_iter().map(|l| LogLine {
            line: line(l.line),
            outcome: l.outcome,
            reason: base + l.reason,
        }));
        self.other_messages += other.other_messages;
        self.found |= other.found;
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
