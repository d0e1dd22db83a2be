//! Checks a user import CSV against a pool's header and Cognito's rules, in one streaming pass.
//!
//! An import job is a scarce thing (1,000 per pool, one active per account), and Cognito only says
//! what was wrong with a file after it has spent a job on it. [`Checker`] reads the whole object once,
//! in chunks of any size, and reports every problem it finds by line, column and rule. It never puts
//! a value from the file into a [`Problem`]: the values are personal data. Header names are not, and
//! a header column that is not the pool's is named (unless line 1 looks like data, see
//! [`looks_like_data`]).
//!
//! # The file, as Cognito reads it (not RFC 4180)
//!
//! * A record ends at `\n`; a `\r` just before it is dropped. Line numbers count every `\n`-ended
//!   line from 1, blank (empty) lines included (see [`is_blank_line`]); blank lines are otherwise
//!   skipped, but a line of only spaces or tabs is a user row.
//! * Line 1 is the header. Every other non-blank line is one user row.
//! * Fields are split on `,`. The two bytes `\,` are a comma inside a value (see [`ESCAPED_COMMA`]);
//!   any other backslash is a literal backslash. Values are never quoted.
//! * Leading and trailing whitespace of a value is trimmed (see [`is_trimmed`]) before the value
//!   rules apply.
//! * The file is UTF-8 without a byte-order mark.
//!
//! # Cost
//!
//! The checker keeps nothing that grows with the file: at most one partial line (capped at
//! [`MAX_ROW_BYTES`] + 1 bytes, an over-long line is skipped to its end, not kept), one reusable
//! buffer of field positions, and the first [`MAX_LISTED_PROBLEMS`] problems. Lines inside a chunk are
//! checked where they lie; only the line cut by a chunk's end is copied. A row allocates nothing
//! unless it has a problem to record.
//!
//! # Example
//!
//! ```
//! use cognito_import::check::{AutoVerified, Checker, Mfa, PoolRules, Rule};
//!
//! let rules = PoolRules {
//!     header: vec!["cognito:username".into(), "email".into(), "email_verified".into()],
//!     required: vec![],
//!     mfa: Mfa::Off,
//!     auto_verified: AutoVerified::Email,
//!     number_attributes: vec![],
//!     require_full_header: true,
//! };
//! let mut checker = Checker::new(&rules);
//! checker.feed(b"cognito:username,email,email_verified\nzoe,zoe@example.com,tr");
//! checker.feed(b"ue\r\nmax,max@example.com,yes\n");
//! let verdict = checker.finish();
//! assert_eq!(verdict.rows, 2);
//! assert_eq!(verdict.problems.len(), 1);
//! assert_eq!(verdict.problems[0].line, 3);
//! assert_eq!(verdict.problems[0].rule, Rule::NotBoolean);
//! assert_eq!(verdict.problems[0].to_string(), "line 3, column email_verified: must be true or false");
//! ```

// The parts, one concern each, in the order they build on one another: each uses only parts above it
// in this list (its docs may link to any), and none uses the `Checker` below.
//   limits      Cognito's limits, and the named assumptions about the file's format
//   pool_rules  what the pool requires of a file
//   problem     `Problem`, `Rule`, `Verdict`, and the `Sink` that collects problems
//   scan        lines into fields, 64 bytes at a time; UTF-8; character counts
//   values      the shape of each kind of value
//   header      line 1 into the table of columns and their rules
//   rows        a user row checked against that table
// and in front of the checker, for files as people export them (each uses the parts above):
//   dialect     RFC 4180 (and byte-order marks, CRLF) into Cognito's dialect
//   complete    a partial header completed to the pool's
//   prepare     the two, then the `Checker`: what is uploaded, and the verdict on it
//   split       a prepared file over the limits, cut into parts at row boundaries
// and `hashes` (the `password_hash` column's forms and bounds), which `header` and `rows` use, and
//   group       a file whose hashes name several algorithms, one file (and parts) per algorithm
mod complete;
mod dialect;
mod group;
mod hashes;
mod header;
mod limits;
mod pool_rules;
mod prepare;
mod problem;
mod rows;
mod scan;
mod split;
mod values;

#[cfg(test)]
mod fixtures;

pub use complete::{Completed, column_matches};
pub use dialect::{Decoded, Dialect, ReadAs};
pub use group::{GroupPart, GroupedSplit, Grouper};
pub use hashes::{Bounds, HashAlgorithm, HashGroup, HashProblem, HashTally, PASSWORD_HASH, algorithm_of};
pub use limits::{
    BIRTH_YEARS, CUSTOM_PREFIX, ESCAPED_COMMA, LINE_END, MAX_BYTES, MAX_EPOCH_SECONDS, MAX_LISTED_PROBLEMS,
    MAX_PHONE_DIGITS, MAX_ROW_BYTES, MAX_ROW_CHARS, MAX_ROWS, MAX_USERNAME_CHARS, MAX_VALUE_BYTES, NUMBER_RANGE,
    is_blank_line, is_number_attribute, is_quoted, is_trimmed, looks_like_data, same_column,
};
pub use pool_rules::{AutoVerified, Mfa, PoolRules};
pub use prepare::{Normalised, Options, Prepared, Preparer};
pub use problem::{Problem, Rule, Verdict};
pub use split::{Limits, MAX_HELD_LINE, MAX_PART_BYTES, PartInfo, Piece, Splitter, Tail, verdict_when_split};
pub use values::{
    has_whitespace, is_birthdate, is_email, is_epoch_seconds, is_integer, is_phone_number, is_username_char,
};

use memchr::{memchr, memchr_iter, memrchr};

use header::Columns;
use limits::BOM;
use problem::Sink;
use scan::{Split, split};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeaderState {
    /// Line 1 has not ended yet.
    Pending,
    /// The header is the pool's: rows are checked.
    Good,
    /// The header has problems: rows are counted, not checked.
    Broken,
}

/// The streaming checker: [`Checker::new`], [`Checker::feed`] the object's bytes in any chunks, then
/// [`Checker::finish`].
///
/// The verdict does not depend on how the bytes are cut into chunks: a line, a UTF-8 character or a
/// `\r\n` may be split anywhere.
#[derive(Debug)]
pub struct Checker {
    rules: PoolRules,
    /// The file's header columns with their rules, set when line 1 ends and is the pool's header.
    columns: Columns,
    header: HeaderState,
    /// The start of a line cut by the end of the last chunk (at most `MAX_ROW_BYTES + 1` bytes).
    carry: Vec<u8>,
    /// Inside a line already reported too long: bytes are dropped up to its `\n`.
    skipping: bool,
    /// Lines ended so far (by `\n`, or by the end of the file).
    lines: u64,
    rows: u64,
    bytes: u64,
    too_large: bool,
    /// Where each field of the current line ends (see [`split`]); reused from line to line.
    ends: Vec<u32>,
    sink: Sink,
    /// `PASSWORD_HASHING_ALGORITHM`, when set.
    hashing: Option<HashAlgorithm>,
    hashes: HashTally,
}

impl Checker {
    /// A checker for a file meant for a pool with these rules.
    pub fn new(rules: &PoolRules) -> Self {
        Checker {
            rules: rules.clone(),
            columns: Columns::default(),
            header: HeaderState::Pending,
            carry: Vec::new(),
            skipping: false,
            lines: 0,
            rows: 0,
            bytes: 0,
            too_large: false,
            ends: Vec::new(),
            sink: Sink::default(),
            hashing: None,
            hashes: HashTally::default(),
        }
    }

    /// Every `password_hash` must be of `algorithm` (`PASSWORD_HASHING_ALGORITHM`); `None`, the
    /// default: of any algorithm, each counted.
    pub fn hashing(mut self, algorithm: Option<HashAlgorithm>) -> Self {
        self.hashing = algorithm;
        self
    }

    /// Feeds the next bytes of the object (any chunking: a row, a UTF-8 character or a `\r\n` may be
    /// split across chunks).
    pub fn feed(&mut self, chunk: &[u8]) {
        let room = MAX_BYTES.saturating_sub(self.bytes);
        if !self.too_large && chunk.len() as u64 > room {
            // Check the lines before the first byte past the limit, name the line that byte is on,
            // then go on: the rest of the file is still checked.
            let (within, past) = chunk.split_at(room as usize);
            self.bytes += within.len() as u64;
            self.scan(within);
            self.too_large = true;
            self.sink
                .push(self.lines + 1, None, Rule::FileTooLarge { limit_bytes: MAX_BYTES });
            self.bytes += past.len() as u64;
            self.scan(past);
        } else {
            self.bytes += chunk.len() as u64;
            self.scan(chunk);
        }
    }

    /// How many lines of what was fed have ended (by `\n`) so far.
    pub fn lines_ended(&self) -> u64 {
        self.lines
    }

    /// Ends the file (a last line without `\n` is a line) and gives the verdict.
    pub fn finish(mut self) -> Verdict {
        if self.skipping {
            self.skipping = false;
            self.lines += 1;
        } else if !self.carry.is_empty() {
            let last = std::mem::take(&mut self.carry);
            self.line(&last);
        }
        if self.lines == 0 {
            self.sink.push(1, None, Rule::MissingHeader);
        } else if self.rows == 0 {
            self.sink.push(1, None, Rule::NoUserRows);
        }
        Verdict {
            rows: self.rows,
            bytes: self.bytes,
            problems: self.sink.problems,
            problem_count: self.sink.count,
            hashes: self.hashes,
        }
    }

    /// Splits `buf` into lines, carrying the cut one over to the next chunk.
    fn scan(&mut self, mut buf: &[u8]) {
        if self.skipping {
            let Some(end) = memchr(LINE_END, buf) else { return };
            self.skipping = false;
            self.lines += 1;
            buf = &buf[end + 1..];
        }
        if !self.carry.is_empty() {
            let end = memchr(LINE_END, buf);
            let head = &buf[..end.unwrap_or(buf.len())];
            if self.carry.len() + head.len() > MAX_ROW_BYTES + 1 {
                // Too long whatever follows: report it now, keep none of it.
                let mut carry = std::mem::take(&mut self.carry);
                let bom_room = BOM.len().saturating_sub(carry.len()).min(head.len());
                carry.extend_from_slice(&head[..bom_room]);
                self.too_long(self.lines + 1, &carry);
                self.carry = carry;
                self.carry.clear();
                match end {
                    Some(_) => self.lines += 1,
                    None => self.skipping = true,
                }
            } else {
                self.carry.extend_from_slice(head);
                if end.is_some() {
                    let mut line = std::mem::take(&mut self.carry);
                    self.line(&line);
                    line.clear();
                    self.carry = line;
                }
            }
            match end {
                Some(end) => buf = &buf[end + 1..],
                None => return,
            }
        }
        // The lines that end in this chunk are checked where they lie: line 1 on its own, the user rows
        // under a good header in one pass, the others (only counted) one by one.
        let whole = memrchr(LINE_END, buf).map_or(0, |last| last + 1);
        let (mut lines, tail) = buf.split_at(whole);
        while self.header == HeaderState::Pending && !lines.is_empty() {
            let end = memchr(LINE_END, lines).expect("lines end with \\n");
            self.line(&lines[..end]);
            lines = &lines[end + 1..];
        }
        if self.header == HeaderState::Good {
            self.rows_in(lines);
        } else {
            let mut start = 0;
            for end in memchr_iter(LINE_END, lines) {
                self.line(&lines[start..end]);
                start = end + 1;
            }
        }
        if tail.len() > MAX_ROW_BYTES + 1 {
            self.too_long(self.lines + 1, tail);
            self.skipping = true;
        } else {
            self.carry.extend_from_slice(tail);
        }
    }

    /// One whole line, without its `\n`.
    #[inline]
    fn line(&mut self, raw: &[u8]) {
        self.lines += 1;
        let line_no = self.lines;
        let content = raw.strip_suffix(b"\r").unwrap_or(raw);
        if content.len() > MAX_ROW_BYTES {
            self.too_long(line_no, content);
        } else if line_no == 1 {
            self.header(content);
        } else if !is_blank_line(content) {
            self.count_row(line_no);
            if self.header == HeaderState::Good {
                self.row(line_no, content);
            }
        }
    }

    /// The lines of `region` (each ended by `\n`) under a good header: the same as [`Checker::line`] on
    /// each line, but the bytes are read once ([`scan::lines`]).
    fn rows_in(&mut self, region: &[u8]) {
        debug_assert_eq!(self.header, HeaderState::Good);
        // Taken out of `self` for the pass, so that it stays in registers.
        let mut ends = std::mem::take(&mut self.ends);
        scan::lines(region, &mut ends, |raw, ends, quotes, bad| {
            self.indexed_line(raw, ends, quotes, bad)
        });
        self.ends = ends;
    }

    /// One whole line of [`Checker::rows_in`], without its `\n`: `ends` are where its fields end (the
    /// last at `raw.len()`), `quotes` whether it has a `"`, `bad` whether it is not UTF-8.
    #[inline]
    fn indexed_line(&mut self, raw: &[u8], ends: &mut [u32], quotes: bool, bad: bool) {
        self.lines += 1;
        let line_no = self.lines;
        let content = raw.strip_suffix(b"\r").unwrap_or(raw);
        if content.len() > MAX_ROW_BYTES {
            self.too_long(line_no, content);
        } else if !is_blank_line(content) {
            self.count_row(line_no);
            if bad {
                self.invalid_utf8(line_no, content);
            } else {
                ends[ends.len() - 1] = content.len() as u32;
                rows::check(
                    line_no,
                    content,
                    ends,
                    quotes,
                    &self.columns,
                    &mut self.sink,
                    &mut self.hashes,
                );
            }
        }
    }

    /// A line longer than [`MAX_ROW_BYTES`]: too long without looking further. `start` is as much of
    /// its beginning as is at hand (at least 3 bytes, enough to see a byte-order mark).
    #[cold]
    fn too_long(&mut self, line_no: u64, start: &[u8]) {
        let rule = Rule::RowTooLong {
            limit_chars: MAX_ROW_CHARS,
        };
        if line_no == 1 {
            if start.starts_with(BOM) {
                self.sink.push(1, None, Rule::ByteOrderMark);
            }
            self.sink.push(1, None, rule);
            self.header = HeaderState::Broken;
        } else {
            self.count_row(line_no);
            if self.header == HeaderState::Good {
                self.sink.push(line_no, None, rule);
            }
        }
    }

    #[inline]
    fn count_row(&mut self, line_no: u64) {
        self.rows += 1;
        if self.rows == MAX_ROWS + 1 {
            self.sink
                .push(line_no, None, Rule::TooManyRows { limit_rows: MAX_ROWS });
        }
    }

    /// Line 1: checks it against the pool's header and, when it is the pool's, keeps the column table.
    #[cold]
    fn header(&mut self, content: &[u8]) {
        match header::read(content, &self.rules, self.hashing, &mut self.ends, &mut self.sink) {
            Some(columns) => {
                self.hashes.column = columns.cols.iter().any(|c| c.name == PASSWORD_HASH);
                self.hashes.listed = self.rules.header.iter().any(|c| c == PASSWORD_HASH);
                self.columns = columns;
                self.header = HeaderState::Good;
            }
            None => self.header = HeaderState::Broken,
        }
    }

    /// A user row (non-blank, at most [`MAX_ROW_BYTES`] bytes) under a good header.
    fn row(&mut self, line_no: u64, content: &[u8]) {
        match split(content, &mut self.ends) {
            Some(Split { fields, quotes }) => rows::check(
                line_no,
                content,
                &self.ends[..fields],
                quotes,
                &self.columns,
                &mut self.sink,
                &mut self.hashes,
            ),
            None => self.invalid_utf8(line_no, content),
        }
    }

    /// A row that is not UTF-8, named by its first field that is not.
    #[cold]
    fn invalid_utf8(&mut self, line_no: u64, content: &[u8]) {
        let column = scan::raw_fields(content)
            .position(|field| std::str::from_utf8(field).is_err())
            .and_then(|i| self.columns.cols.get(i))
            .map(|col| col.name.as_str());
        self.sink.push(line_no, column, Rule::InvalidUtf8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixtures::*;

    #[test]
    fn clean_file() {
        let text = file(&[
            user(&[]),
            user(&[("cognito:username", "bob"), ("email", "bob@example.com")]),
        ]);
        let verdict = run(&pool(), text.as_bytes());
        assert!(verdict.is_clean(), "{:?}", verdict.problems);
        assert_eq!(verdict.rows, 2);
        assert_eq!(verdict.bytes, text.len() as u64);
        assert_eq!(verdict.problem_count, 0);
    }

    #[test]
    fn crlf_is_dropped() {
        let lf = file(&[
            user(&[]),
            user(&[("cognito:username", "bob"), ("email_verified", "yes")]),
        ]);
        let crlf = lf.replace('\n', "\r\n");
        let (a, b) = (run(&pool(), lf.as_bytes()), run(&pool(), crlf.as_bytes()));
        assert_eq!(a.problems, b.problems);
        assert_eq!(found(&b), [(3, Some("email_verified"), Rule::NotBoolean)]);
        // The `\r` is not part of the last value (a username must not hold whitespace)...
        let last_username = "email,email_verified,cognito:username\r\nalice@example.com,true,alice\r\n";
        let rules = PoolRules {
            require_full_header: false,
            ..pool()
        };
        assert!(run(&rules, last_username.as_bytes()).is_clean());
        // ...also when the file ends without a final `\n`.
        assert!(run(&rules, last_username.trim_end_matches('\n').as_bytes()).is_clean());
        // A `\r` elsewhere is a byte of the value, trimmed at its ends like other whitespace.
        let inner = "email,email_verified,cognito:username\nalice@example.com,true\r,al\rice\n";
        let verdict = run(&rules, inner.as_bytes());
        assert_eq!(
            found(&verdict),
            [(2, Some("cognito:username"), Rule::UsernameWhitespace)]
        );
    }

    #[test]
    fn blank_lines_are_skipped_and_counted() {
        let text = format!(
            "{HEADER}\n\n{}\n\r\n\r\n{}\n\n",
            user(&[]),
            user(&[("cognito:username", "bob"), ("birthdate", "31/12/1999")])
        );
        let verdict = run(&pool(), text.as_bytes());
        assert_eq!(verdict.rows, 2);
        assert_eq!(found(&verdict), [(6, Some("birthdate"), Rule::InvalidBirthdate)]);
    }

    #[test]
    fn a_line_of_spaces_or_a_tab_is_a_row() {
        let found_in = |rules: &PoolRules, text: String| found(&run(rules, text.as_bytes()));
        for blank in ["   ", "\t", " \t\r"] {
            let text = format!("{HEADER}\n{}\n{blank}\n", user(&[]));
            assert_eq!(
                found_in(&pool(), text),
                [(3, None, Rule::FieldCount { expected: 11, found: 1 })],
                "{blank:?}"
            );
            // Under a one-column header it is a row without a username.
            let one = PoolRules {
                require_full_header: false,
                ..pool()
            };
            let text = format!("cognito:username,email,email_verified\nalice,a@b,true\n{blank}\n");
            assert_eq!(
                found_in(&one, text),
                [(3, None, Rule::FieldCount { expected: 3, found: 1 })]
            );
            let text = format!("cognito:username\n{blank}");
            let rules = PoolRules {
                auto_verified: AutoVerified::Email,
                ..one.clone()
            };
            assert_eq!(
                found_in(&rules, text),
                [
                    (2, Some("cognito:username"), Rule::Required),
                    (2, Some("email_verified"), Rule::NotAutoVerified)
                ]
            );
        }
    }

    #[test]
    fn multibyte_characters_split_across_chunks() {
        // `run` feeds every chunk size from 1 to 64: every character here is cut somewhere.
        let names = ["José", "Zoë", "Łukasz", "日本語", "😀 emoji", "Ünïcödé\\, ölé"];
        let rows: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let username = format!("{name}{i}").replace([' ', '\\', ','], "");
                user(&[("name", name), ("cognito:username", &username)])
            })
            .collect();
        let verdict = run(&pool(), file(&rows).as_bytes());
        assert!(verdict.is_clean(), "{:?}", verdict.problems);
        // And a bad byte cut off from its character by a chunk edge.
        let mut bad = file(&rows).into_bytes();
        let at = bad
            .windows(2)
            .position(|w| w == "ę".as_bytes() || w == "ö".as_bytes())
            .unwrap();
        bad[at + 1] = b'x';
        let verdict = run(&pool(), &bad);
        assert_eq!(found(&verdict), [(7, Some("cognito:username"), Rule::InvalidUtf8)]);
    }

    #[test]
    fn unbounded_line_is_skipped_not_kept() {
        let head = file(&[user(&[])]);
        let tail = file(&[user(&[("email", "broken")])]);
        let tail = tail.split_once('\n').unwrap().1;
        let chunk = vec![b'x'; 64 * 1024];
        for chunk_size in [1000, 64 * 1024] {
            let mut checker = Checker::new(&pool());
            checker.feed(head.as_bytes());
            for _ in 0..160 {
                // 10 MiB without a line end.
                for piece in chunk.chunks(chunk_size) {
                    checker.feed(piece);
                    assert!(
                        checker.carry.capacity() <= 2 * (MAX_ROW_BYTES + 1) + 64 * 1024,
                        "carry grows"
                    );
                    assert!(checker.ends.capacity() <= 2 * (MAX_ROW_BYTES + 66), "field ends grow");
                }
            }
            checker.feed(b"\r\n");
            checker.feed(tail.as_bytes());
            let verdict = checker.finish();
            assert_eq!(
                found(&verdict),
                [
                    (
                        3,
                        None,
                        Rule::RowTooLong {
                            limit_chars: MAX_ROW_CHARS
                        }
                    ),
                    (4, Some("email"), Rule::InvalidEmail)
                ]
            );
            assert_eq!(verdict.rows, 3);
        }
        // A line just over the byte bound, in one chunk and in many.
        let text = format!("{}{}\n{}", head, "y".repeat(MAX_ROW_BYTES + 1), tail);
        let verdict = run(&pool(), text.as_bytes());
        assert_eq!(
            found(&verdict),
            [
                (
                    3,
                    None,
                    Rule::RowTooLong {
                        limit_chars: MAX_ROW_CHARS
                    }
                ),
                (4, Some("email"), Rule::InvalidEmail)
            ]
        );
        // An over-long header is a broken header.
        let text = format!("{}\n{}", "h".repeat(MAX_ROW_BYTES + 10), user(&[]));
        let verdict = run(&pool(), text.as_bytes());
        assert_eq!(
            found(&verdict),
            [(
                1,
                None,
                Rule::RowTooLong {
                    limit_chars: MAX_ROW_CHARS
                }
            )]
        );
        let text = format!("\u{feff}{}\n{}", "h".repeat(MAX_ROW_BYTES + 10), user(&[]));
        let verdict = run(&pool(), text.as_bytes());
        assert_eq!(
            found(&verdict),
            [
                (1, None, Rule::ByteOrderMark),
                (
                    1,
                    None,
                    Rule::RowTooLong {
                        limit_chars: MAX_ROW_CHARS
                    }
                )
            ]
        );
    }

    #[test]
    fn missing_header_and_empty_files() {
        assert_eq!(found(&run(&pool(), b"")), [(1, None, Rule::MissingHeader)]);
        assert_eq!(
            found(&run(&pool(), format!("\n{HEADER}\n{}\n", user(&[])).as_bytes())),
            [(1, None, Rule::MissingHeader)]
        );
        assert_eq!(
            found(&run(&pool(), format!("{HEADER}\n").as_bytes())),
            [(1, None, Rule::NoUserRows)]
        );
        assert_eq!(found(&run(&pool(), HEADER.as_bytes())), [(1, None, Rule::NoUserRows)]);
        assert_eq!(
            found(&run(&pool(), format!("{HEADER}\r\n\r\n\n").as_bytes())),
            [(1, None, Rule::NoUserRows)]
        );
        // A header of only whitespace is no header.
        assert_eq!(
            found(&run(&pool(), format!(" \t\n{}\n", user(&[])).as_bytes())),
            [(1, None, Rule::MissingHeader)]
        );
    }

    #[test]
    fn too_many_rows() {
        let rules = PoolRules::new(vec!["cognito:username".into(), "email".into(), "email_verified".into()]);
        let mut text = b"cognito:username,email,email_verified\n".to_vec();
        for i in 0..=MAX_ROWS {
            text.extend_from_slice(format!("u{i},a@b,true\n").as_bytes());
            if i == 10 {
                text.extend_from_slice(b"\n");
            }
        }
        let verdict = run(&rules, &text);
        assert_eq!(verdict.rows, MAX_ROWS + 1);
        // The first row past the limit: line 1 is the header, and one blank line.
        assert_eq!(
            found(&verdict),
            [(MAX_ROWS + 3, None, Rule::TooManyRows { limit_rows: MAX_ROWS })]
        );
        // Exactly at the limit: fine.
        let at_limit = &text[..text.len() - format!("u{MAX_ROWS},a@b,true\n").len()];
        assert!(run(&rules, at_limit).is_clean());
    }

    #[test]
    fn too_many_bytes() {
        let rules = PoolRules::new(vec!["cognito:username".into(), "email".into(), "email_verified".into()]);
        let head = b"cognito:username,email,email_verified\nalice,a@b,true\n";
        // One over-long line (skipped cheaply) fills the file up to exactly the limit with `last`, then
        // `extra` goes past it.
        let check = |last: &[u8], extra: &[u8], chunk: usize| {
            let filler = MAX_BYTES as usize - head.len() - last.len();
            let mut checker = Checker::new(&rules);
            checker.feed(head);
            let block = vec![b'x'; chunk];
            let mut left = filler;
            while left > 0 {
                let n = left.min(chunk);
                checker.feed(&block[..n]);
                left -= n;
            }
            checker.feed(last);
            checker.feed(extra);
            checker.finish()
        };
        let long = || {
            (
                3,
                None,
                Rule::RowTooLong {
                    limit_chars: MAX_ROW_CHARS,
                },
            )
        };
        let large = |line| (line, None, Rule::FileTooLarge { limit_bytes: MAX_BYTES });
        for chunk in [1 << 20, 999_999] {
            let at_limit = check(b"\nbob,b@c,true", b"", chunk);
            assert_eq!(at_limit.bytes, MAX_BYTES);
            assert_eq!(found(&at_limit), [long()]);
            // One byte more: named on the line that byte is on (a `\n` is on the line it ends)...
            let over = check(b"\nbob,b@c,true", b"\n", chunk);
            assert_eq!(over.bytes, MAX_BYTES + 1);
            assert_eq!(found(&over), [long(), large(4)]);
            // ...and the rest of the file is still checked.
            let over = check(b"\nbob,b@c,true", b"x", chunk);
            assert_eq!(
                found(&over),
                [long(), large(4), (4, Some("email_verified"), Rule::NotBoolean)]
            );
            let over = check(b"\nbob,b@c,true\n", b"carol,c@d,maybe\n", chunk);
            assert_eq!(
                found(&over),
                [long(), large(5), (5, Some("email_verified"), Rule::NotBoolean)]
            );
            assert_eq!(over.rows, 4);
        }
    }

    #[test]
    fn mixed_file_in_every_chunking() {
        let mut text = format!("\u{feff}{HEADER}\r\n").into_bytes();
        let rows = [
            user(&[
                ("name", "García\\, José"),
                ("phone_number", "+34600111222"),
                ("phone_number_verified", "false"),
            ]),
            String::new(),
            user(&[
                ("name", "Zoë \"Z\" Ünal"),
                ("birthdate", "02/30/1990"),
                ("cognito:username", "zoë"),
            ]),
            "  \t".into(),
            user(&[("email", "x y@z"), ("custom:tier", &"長".repeat(100))]),
            user(&[("cognito:username", "bad\u{a0}name"), ("updated_at", "soon")]),
            "a,b\\,c".into(),
            user(&[("email_verified", "\"true\""), ("custom:age", "-17")]),
        ];
        for row in &rows {
            text.extend_from_slice(row.as_bytes());
            text.extend_from_slice(b"\r\n");
        }
        text.extend_from_slice(b"\xF0\x9F\x98");
        text.extend_from_slice(b",x\n");
        let verdict = run(&pool(), &text);
        assert_eq!(
            found(&verdict),
            [
                (1, None, Rule::ByteOrderMark),
                (4, Some("birthdate"), Rule::InvalidBirthdate),
                (5, None, Rule::FieldCount { expected: 11, found: 1 }),
                (6, Some("email"), Rule::InvalidEmail),
                (7, Some("cognito:username"), Rule::UsernameWhitespace),
                (7, Some("updated_at"), Rule::NotEpochSeconds),
                (8, None, Rule::FieldCount { expected: 11, found: 2 }),
                (9, Some("email_verified"), Rule::QuotedValue),
                (10, Some("cognito:username"), Rule::InvalidUtf8),
            ]
        );
        assert_eq!(verdict.rows, 8);
    }
}
