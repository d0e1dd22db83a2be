//! Reports, in the drop bucket under `REPORT_PREFIX`, one set per object version:
//!
//! - `<key>@<version>.json` — for a rejected file, every problem by line, column and rule (never a
//!   value); for a finished import, the summary (job, status, counts, durations, bytes, the first
//!   failed or skipped lines);
//! - `<key>@<version>.lines.csv` — a finished import's outcome for every line, from the job's
//!   CloudWatch log joined to the source rows by line number: `line,username,outcome,reason`.
//!
//! Reports may name usernames: they stay in the same private bucket as the CSV. Logs never do.
//! This module holds what they say; [`crate::adapters::reports`] writes them.

use serde::Serialize;

use crate::check::{self, Verdict};
use crate::domain::job::{JobState, JobStatus};
use crate::domain::joblog::{JobLog, RowOutcome};
use crate::domain::record::Record;

/// Failed or skipped lines listed in the JSON summary; the CSV has them all.
pub const LISTED_LINES: usize = 20;

/// Report keys of one object version.
pub fn keys(report_prefix: &str, record: &Record) -> (String, String) {
    let base = format!("{report_prefix}{}@{}", record.key, record.version_tag());
    (format!("{base}.json"), format!("{base}.lines.csv"))
}

/// The rejection report: every problem by line, column and rule, never a value.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection<'a> {
    pub status: &'static str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub version_id: Option<&'a str>,
    pub etag: &'a str,
    pub user_pool_id: &'a str,
    pub rows: u64,
    pub bytes: u64,
    pub problem_count: u64,
    /// The listed problems, readable.
    pub summary: Vec<String>,
    pub problems: &'a [check::Problem],
    /// What preparing the file changed before the check (the problems' line numbers are the file's).
    pub normalised: Option<&'a check::Normalised>,
}

impl<'a> Rejection<'a> {
    /// The report of a rejected file.
    pub fn new(pool_id: &'a str, record: &'a Record, verdict: &'a Verdict) -> Rejection<'a> {
        Rejection {
            status: "Rejected",
            bucket: &record.bucket,
            key: &record.key,
            version_id: record.version_id.as_deref(),
            etag: &record.etag,
            user_pool_id: pool_id,
            rows: verdict.rows,
            bytes: verdict.bytes,
            problem_count: verdict.problem_count,
            summary: verdict.problems.iter().map(ToString::to_string).collect(),
            problems: &verdict.problems,
            normalised: record.normalised.as_ref(),
        }
    }
}

/// One failed or skipped line, in the summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineOutcome {
    pub line: u32,
    pub username: String,
    pub outcome: RowOutcome,
    pub reason: String,
}

/// The summary of a finished import: what the JSON report holds and the notification carries.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub user_pool_id: String,
    pub job_id: String,
    pub job_name: Option<String>,
    /// Cognito's final status: Succeeded, Failed or Stopped.
    pub status: JobStatus,
    pub completion_message: Option<String>,
    pub imported_users: i64,
    pub skipped_users: i64,
    pub failed_users: i64,
    pub bytes: u64,
    /// From the drop (the first claim) to the job's end.
    pub total_seconds: Option<f64>,
    /// Waiting for the account's active job, from upload to start.
    pub queued_seconds: Option<f64>,
    /// Cognito's own run, from start to completion.
    pub import_seconds: Option<f64>,
    /// Jobs created for this object and given up before they started.
    pub abandoned_jobs: Vec<String>,
    pub log_group: String,
    pub log_stream: String,
    /// Row outcomes found in the log; fewer than the counts if the log was incomplete.
    pub logged_lines: usize,
    pub report_key: String,
    pub lines_report_key: String,
    /// The first failed or skipped lines; the CSV has every line.
    pub problem_lines: Vec<LineOutcome>,
    /// What was done with the source object (kept, tagged, deleted).
    pub source_object: String,
    /// What preparing the file changed before the upload (line numbers are the dropped file's
    /// all the same), and the same in words.
    pub normalised: Option<check::Normalised>,
    pub prepared: Vec<String>,
    /// A file over Cognito's limits: each part, its source lines and its job (empty otherwise).
    pub parts: Vec<PartOutcome>,
    /// A password hash file: its jobs' algorithm, and the users imported with a hash (they sign in
    /// with their old password) and without one (they must reset it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_hashes: Option<ImportedHashes>,
}

/// The users of a hash file that were imported, by whether they had a hash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedHashes {
    /// The jobs' algorithms (one job, or more, per algorithm).
    pub algorithms: Vec<check::HashAlgorithm>,
    pub imported_with_hash: u64,
    pub imported_without_hash: u64,
}

/// One part of a split file in the summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartOutcome {
    pub number: u32,
    /// A part of one hash algorithm's file: the algorithm. Then the lines are that file's (its
    /// rows, in the source's order), not the source's; the per-line report has the source's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<check::HashAlgorithm>,
    pub first_line: u64,
    pub last_line: u64,
    pub rows: u64,
    /// `None`: never given a job (an earlier part did not succeed).
    pub job_id: Option<String>,
    pub status: Option<JobStatus>,
    pub imported_users: i64,
    pub skipped_users: i64,
    pub failed_users: i64,
}

impl Summary {
    /// The summary without any user data, for notifications and logs.
    pub fn without_users(&self) -> Summary {
        let mut copy = self.clone();
        copy.problem_lines.iter_mut().for_each(|l| l.username.clear());
        copy
    }
}

/// The durations of a summary from the record and the job's own dates.
pub fn durations(record: &Record, job: &JobState) -> (Option<f64>, Option<f64>, Option<f64>) {
    let total = job.completion_date.map(|end| end - record.created_at as f64);
    let queued = match (record.uploaded_at, job.start_date) {
        (Some(up), Some(start)) => Some((start - up as f64).max(0.0)),
        _ => None,
    };
    let import = match (job.start_date, job.completion_date) {
        (Some(start), Some(end)) => Some(end - start),
        _ => None,
    };
    (total, queued, import)
}

/// A finished file's job logs, numbered for the [`Joiner`]: one log in the source's line numbers
/// (a file imported whole, or cut in consecutive parts), or one per hash algorithm in the line
/// numbers of that algorithm's file (the one that took the rows without a hash first).
#[derive(Debug)]
pub enum Logs {
    Source(JobLog),
    ByAlgorithm(Vec<(check::HashAlgorithm, JobLog)>),
}

impl Logs {
    /// Row outcomes in all.
    pub fn lines(&self) -> usize {
        match self {
            Logs::Source(log) => log.lines.len(),
            Logs::ByAlgorithm(logs) => logs.iter().map(|(_, log)| log.lines.len()).sum(),
        }
    }

    pub fn joiner<W: std::io::Write>(&self, out: W) -> std::io::Result<Joiner<'_, W>> {
        match self {
            Logs::Source(log) => Joiner::new(log, out),
            Logs::ByAlgorithm(logs) => Joiner::grouped(logs.iter().map(|(a, log)| (*a, log)).collect(), out),
        }
    }
}

/// Joins log lines to source rows in one pass over both (each sorted by line number).
///
/// A file imported as one job per hash algorithm ([`Joiner::grouped`]) has a log per algorithm,
/// numbered as that algorithm's file was (its header, then its rows, without the source's empty
/// lines): each source row is matched to its algorithm's log as the rows come, by the row's place
/// among that algorithm's rows.
pub struct Joiner<'a, W: std::io::Write> {
    /// One log (a file imported whole, or cut in consecutive parts) or one a hash algorithm.
    logs: Vec<Cursor<'a>>,
    username_column: Option<usize>,
    /// Where `password_hash` is: a hash's presence is counted, the hash never kept.
    hash_column: Option<usize>,
    hashes: ImportedHashes,
    out: csv::Writer<W>,
    listed: Vec<LineOutcome>,
}

/// A log, and how far the join has read it.
struct Cursor<'a> {
    /// The hash algorithm of the log's rows (the first log also takes the rows without a hash);
    /// `None`: the log is numbered as the source is.
    algorithm: Option<check::HashAlgorithm>,
    log: &'a JobLog,
    next: usize,
    /// Source rows of this algorithm so far.
    rows: u32,
}

impl<'a, W: std::io::Write> Joiner<'a, W> {
    pub fn new(log: &'a JobLog, out: W) -> std::io::Result<Self> {
        Self::with_logs(vec![(None, log)], out)
    }

    /// For a file imported as one job (or more) per hash algorithm: each algorithm's log, the one
    /// that took the rows without a hash first.
    pub fn grouped(logs: Vec<(check::HashAlgorithm, &'a JobLog)>, out: W) -> std::io::Result<Self> {
        Self::with_logs(logs.into_iter().map(|(a, log)| (Some(a), log)).collect(), out)
    }

    fn with_logs(logs: Vec<(Option<check::HashAlgorithm>, &'a JobLog)>, out: W) -> std::io::Result<Self> {
        let mut out = csv::Writer::from_writer(out);
        out.write_record(["line", "username", "outcome", "reason"])?;
        let logs = logs
            .into_iter()
            .map(|(algorithm, log)| Cursor {
                algorithm,
                log,
                next: 0,
                rows: 0,
            })
            .collect();
        Ok(Joiner {
            logs,
            username_column: None,
            hash_column: None,
            hashes: ImportedHashes::default(),
            out,
            listed: Vec::new(),
        })
    }

    /// Takes the source's line `number` (without its line break).
    pub fn source_line(&mut self, number: u32, text: &[u8]) -> std::io::Result<()> {
        if number == 1 {
            self.username_column = split_fields(text).position(|f| f == "cognito:username");
            self.hash_column = split_fields(text).position(|f| f == check::PASSWORD_HASH);
            return Ok(());
        }
        let hash_column = self.hash_column;
        let hash = || {
            hash_column
                .and_then(|c| split_fields(text).nth(c))
                .is_some_and(|h| !h.is_empty())
        };
        let (cursor, line) = if self.logs[0].algorithm.is_none() {
            (0, number)
        } else if text.is_empty() {
            // Not in any algorithm's file.
            return Ok(());
        } else {
            let value = self
                .hash_column
                .and_then(|c| split_fields(text).nth(c))
                .unwrap_or_default();
            // A row without a hash is in the first algorithm's file; a row of an algorithm whose
            // file got no job (an earlier part did not succeed) has no outcome to join.
            let i = match check::algorithm_of(value.as_bytes()) {
                None => 0,
                algorithm => match self.logs.iter().position(|c| c.algorithm == algorithm) {
                    Some(i) => i,
                    None => return Ok(()),
                },
            };
            self.logs[i].rows += 1;
            (i, self.logs[i].rows + 1)
        };
        // Log lines for rows before this one had no source row (cannot happen with the checked
        // file, but never drop an outcome).
        while self.peek(cursor).is_some_and(|l| l.line < line) {
            self.emit(cursor, None, None)?;
        }
        while let Some(entry) = self.peek(cursor).filter(|l| l.line == line) {
            if self.hash_column.is_some() && entry.outcome == RowOutcome::Succeeded {
                match hash() {
                    true => self.hashes.imported_with_hash += 1,
                    false => self.hashes.imported_without_hash += 1,
                }
            }
            let username = self.username_column.and_then(|c| split_fields(text).nth(c));
            self.emit(cursor, Some(number), username)?;
        }
        Ok(())
    }

    fn peek(&self, cursor: usize) -> Option<crate::domain::joblog::LogLine> {
        let c = &self.logs[cursor];
        c.log.lines.get(c.next).copied()
    }

    /// Writes the next line of log `cursor`, as the source's line `number` (else its own).
    fn emit(&mut self, cursor: usize, number: Option<u32>, username: Option<String>) -> std::io::Result<()> {
        let c = &mut self.logs[cursor];
        let entry = c.log.lines[c.next];
        c.next += 1;
        // A line of an algorithm's file that no source row matched has no line of the source:
        // written without a number rather than with one that would name another row.
        let line = match (number, c.algorithm) {
            (Some(number), _) => number,
            (None, None) => entry.line,
            (None, Some(_)) => 0,
        };
        let shown = if line == 0 { String::new() } else { line.to_string() };
        let username = username.unwrap_or_default();
        let reason = c.log.reason(&entry);
        self.out
            .write_record([shown.as_str(), username.as_str(), entry.outcome.as_str(), reason])?;
        if entry.outcome != RowOutcome::Succeeded && self.listed.len() < LISTED_LINES {
            self.listed.push(LineOutcome {
                line,
                username,
                outcome: entry.outcome,
                reason: reason.to_owned(),
            });
        }
        Ok(())
    }

    /// Writes what is left of the logs; returns the listed failed or skipped lines, and the users
    /// imported by whether they had a hash (`None` without a `password_hash` column).
    pub fn finish(mut self) -> std::io::Result<(Vec<LineOutcome>, Option<ImportedHashes>, W)> {
        for cursor in 0..self.logs.len() {
            while self.peek(cursor).is_some() {
                self.emit(cursor, None, None)?;
            }
        }
        let out = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok((self.listed, self.hash_column.map(|_| self.hashes), out))
    }
}

/// The fields of one line of Cognito's dialect: split at `,` not after `\`, `\,` unescaped,
/// trimmed. Invalid UTF-8 is replaced (the checked file has none).
fn split_fields(line: &[u8]) -> impl Iterator<Item = String> + '_ {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let text = rest?;
        let mut end = 0;
        loop {
            match memchr::memchr(b',', &text[end..]) {
                Some(i) if end + i > 0 && text[end + i - 1] == b'\\' => end += i + 1,
                Some(i) => {
                    end += i;
                    rest = Some(&text[end + 1..]);
                    break;
                }
                None => {
                    end = text.len();
                    rest = None;
                    break;
                }
            }
        }
        let field = String::from_utf8_lossy(&text[..end]).replace("\\,", ",");
        Some(field.trim().to_owned())
    })
}

/// Splits a byte stream into numbered lines (`\n`, with a `\r` before it dropped) for a [`Joiner`].
#[derive(Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
    number: u32,
}

impl LineSplitter {
    pub fn feed<W: std::io::Write>(&mut self, mut chunk: &[u8], joiner: &mut Joiner<'_, W>) -> std::io::Result<()> {
        while let Some(i) = memchr::memchr(b'\n', chunk) {
            self.number += 1;
            let line = if self.pending.is_empty() {
                &chunk[..i]
            } else {
                self.pending.extend_from_slice(&chunk[..i]);
                &self.pending[..]
            };
            joiner.source_line(self.number, line.strip_suffix(b"\r").unwrap_or(line))?;
            self.pending.clear();
            chunk = &chunk[i + 1..];
        }
        // Rows are at most 16,000 characters in a checked file; keep no more of one than that.
        let room = check::MAX_ROW_BYTES.saturating_sub(self.pending.len());
        self.pending.extend_from_slice(&chunk[..chunk.len().min(room)]);
        Ok(())
    }

    pub fn finish<W: std::io::Write>(mut self, joiner: &mut Joiner<'_, W>) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            self.number += 1;
            joiner.source_line(self.number, &std::mem::take(&mut self.pending))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::joblog::Parser;

    fn log(lines: &[&str]) -> JobLog {
        let mut p = Parser::default();
        lines.iter().for_each(|l| p.push(l));
        p.finish()
    }

    #[test]
    fn a_file_imported_per_algorithm_is_joined_on_the_sources_lines_even_when_a_part_did_not_run() {
        // Source: 2 bcrypt, 3 pbkdf2, 4 no hash, 5 bcrypt. Bcrypt's file (with the row without a
        // hash) ran: its lines 2, 3, 4 are the source's 2, 4, 5. PBKDF2's never got a job.
        let bcrypt = log(&[
            "[SUCCEEDED] Line Number 2 - ok",
            "[SUCCEEDED] Line Number 3 - ok",
            "[FAILED] Line Number 4 - no",
        ]);
        let mut joiner = Joiner::grouped(vec![(check::HashAlgorithm::Bcrypt, &bcrypt)], Vec::new()).unwrap();
        let b = "$2b$04$abcdefghijklmnopqrstuuDSF8y8EB2PaWlxmeVoYy1H1dGwsg4yG";
        let p = "$pbkdf2-sha256$i=1000\\,l=32$c2FsdA$aGFzaA";
        joiner.source_line(1, b"cognito:username,password_hash").unwrap();
        for (n, row) in [
            (2, format!("ann,{b}")),
            (3, format!("bob,{p}")),
            (4, "cat,".into()),
            (5, format!("dan,{b}")),
        ] {
            joiner.source_line(n, row.as_bytes()).unwrap();
        }
        let (listed, hashes, out) = joiner.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "line,username,outcome,reason\n2,ann,SUCCEEDED,ok\n4,cat,SUCCEEDED,ok\n5,dan,FAILED,no\n"
        );
        assert_eq!((listed[0].line, listed[0].username.as_str()), (5, "dan"));
        let hashes = hashes.unwrap();
        assert_eq!((hashes.imported_with_hash, hashes.imported_without_hash), (1, 1));

        // A log line no source row matched (the source gone): no line number of the source.
        let mut joiner = Joiner::grouped(vec![(check::HashAlgorithm::Bcrypt, &bcrypt)], Vec::new()).unwrap();
        joiner.source_line(1, b"cognito:username,password_hash").unwrap();
        let (_, _, out) = joiner.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.lines().skip(1).all(|l| l.starts_with(",")), "{text}");
    }

    #[test]
    fn fields_follow_cognitos_dialect() {
        let fields: Vec<String> = split_fields(br"a\,b , c,,\d").collect();
        assert_eq!(fields, ["a,b", "c", "", r"\d"]);
        assert_eq!(split_fields(b"").collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn joins_every_logged_line_to_its_row() {
        let log = log(&[
            "[SUCCEEDED] Line Number 2 - The import succeeded.",
            "[FAILED] Line Number 4 - The email is not valid.",
            "[SKIPPED] Line Number 3 - The user already exists.",
            "[FAILED] Line Number 9 - Line past the end.",
        ]);
        let mut joiner = Joiner::new(&log, Vec::new()).unwrap();
        joiner.source_line(1, b"email,cognito:username,phone_number").unwrap();
        joiner.source_line(2, b"a@example.com,ann,").unwrap();
        joiner.source_line(3, br"b@example.com,bob\,jr,").unwrap();
        joiner.source_line(4, b"bad,cy,").unwrap();
        let (listed, hashes, out) = joiner.finish().unwrap();
        assert_eq!(hashes, None);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "line,username,outcome,reason\n\
             2,ann,SUCCEEDED,The import succeeded.\n\
             3,\"bob,jr\",SKIPPED,The user already exists.\n\
             4,cy,FAILED,The email is not valid.\n\
             9,,FAILED,Line past the end.\n"
        );
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0].username, "bob,jr");
        assert_eq!(listed[1].reason, "The email is not valid.");
    }

    #[test]
    fn splits_the_source_across_chunks_and_crlf() {
        let log = log(&["[SUCCEEDED] Line Number 2 - ok", "[FAILED] Line Number 3 - no"]);
        let mut joiner = Joiner::new(&log, Vec::new()).unwrap();
        let mut lines = LineSplitter::default();
        for chunk in ["cognito:user", "name,x\r\nan", "n,1\r\nzoe,2"] {
            lines.feed(chunk.as_bytes(), &mut joiner).unwrap();
        }
        lines.finish(&mut joiner).unwrap();
        let (_, _, out) = joiner.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "line,username,outcome,reason\n2,ann,SUCCEEDED,ok\n3,zoe,FAILED,no\n"
        );
    }
}
