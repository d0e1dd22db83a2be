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
//!   line from 1, blank lines included (see [`is_blank_line`]); blank lines are otherwise skipped.
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
//! use cognito_import::check::{Checker, Mfa, PoolRules, Rule};
//!
//! let rules = PoolRules {
//!     header: vec!["cognito:username".into(), "email".into(), "email_verified".into()],
//!     required: vec![],
//!     mfa: Mfa::Off,
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

mod limits;
mod pool_rules;
mod problem;

pub use limits::{
    BIRTH_YEARS, CUSTOM_PREFIX, ESCAPED_COMMA, LINE_END, MAX_BYTES, MAX_CUSTOM_STRING_CHARS, MAX_LISTED_PROBLEMS,
    MAX_PHONE_DIGITS, MAX_ROW_BYTES, MAX_ROW_CHARS, MAX_ROWS, MAX_USERNAME_CHARS, is_blank_line, is_number_attribute,
    is_quoted, is_trimmed, looks_like_data, same_column,
};
pub use pool_rules::{Mfa, PoolRules};
pub use problem::{Problem, Rule, Verdict};

use std::ops::{Index, Range};

use memchr::{memchr, memchr_iter, memrchr};

use limits::BOM;
use problem::Sink;

// The assumed shapes of single values (the other assumptions are in limits.rs).

/// Whether the value has whitespace inside it: any Unicode `White_Space` character (so `cognito:username`
/// refuses a no-break space too, not only the spaces and tabs the guide names). `value` is UTF-8 (an
/// invalid sequence counts as U+FFFD, not whitespace).
#[inline]
pub fn has_whitespace(value: &[u8]) -> bool {
    Glance::of(value).may_have_space && has_whitespace_exactly(value)
}

/// The shape required of a non-empty `email`: exactly one `@`, at least one character on each side,
/// no whitespace ([`has_whitespace`]). Deliberately loose: Cognito's own check is not documented, and
/// this one only catches values that cannot be an address.
#[inline]
pub fn is_email(value: &[u8]) -> bool {
    let glance = Glance::of(value);
    glance.ats == 1
        && glance.first_at > 0
        && glance.first_at + 1 < value.len()
        && !(glance.may_have_space && has_whitespace_exactly(value))
}

/// The shape of a non-empty `phone_number`: `+`, then 1 to [`MAX_PHONE_DIGITS`] ASCII digits, the first
/// not `0`. No spaces, dashes or brackets.
#[inline]
pub fn is_phone_number(value: &[u8]) -> bool {
    match value {
        [b'+', first, rest @ ..] => {
            (b'1'..=b'9').contains(first) && rest.len() < MAX_PHONE_DIGITS && rest.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// The shape of a non-empty `birthdate`: `mm/dd/yyyy` with exactly 2, 2 and 4 ASCII digits, naming a
/// day of the proleptic Gregorian calendar in [`BIRTH_YEARS`] (so `02/29/2001` and `13/01/2000` are
/// refused, `2/3/1990` too).
#[inline]
pub fn is_birthdate(value: &[u8]) -> bool {
    let &[m1, m2, b'/', d1, d2, b'/', y1, y2, y3, y4] = value else {
        return false;
    };
    if ![m1, m2, d1, d2, y1, y2, y3, y4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |digits: &[u8]| digits.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let (month, day, year) = (num(&[m1, m2]), num(&[d1, d2]), num(&[y1, y2, y3, y4]));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    BIRTH_YEARS.contains(&year) && (1..=days).contains(&day)
}

/// The shape of a non-empty `updated_at`: one or more ASCII digits (seconds since the Unix epoch; no
/// sign, no fraction, no upper bound).
#[inline]
pub fn is_epoch_seconds(value: &[u8]) -> bool {
    !value.is_empty() && value.iter().all(u8::is_ascii_digit)
}

/// The shape of a non-empty value of a Number custom attribute: an integer, an optional `-` then one
/// or more ASCII digits (no `+`, no fraction, no exponent, no bound).
#[inline]
pub fn is_integer(value: &[u8]) -> bool {
    let digits = value.strip_prefix(b"-").unwrap_or(value);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

const USERNAME: &str = "cognito:username";
const EMAIL: &str = "email";
const EMAIL_VERIFIED: &str = "email_verified";
const PHONE: &str = "phone_number";
const PHONE_VERIFIED: &str = "phone_number_verified";
const MFA_ENABLED: &str = "cognito:mfa_enabled";

/// What a column's values are checked for, decided once from the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// No rule beyond quotes and [`Col::required`].
    Plain,
    Username,
    EmailVerified,
    PhoneVerified,
    Email,
    Phone,
    Birthdate,
    UpdatedAt,
    MfaEnabled,
    Number,
    CustomString,
}

/// One column of the file's header, with its rule.
#[derive(Debug)]
struct Col {
    name: String,
    kind: Kind,
    required: bool,
}

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
    cols: Vec<Col>,
    /// Positions in `cols` of the columns with a rule of their own (not [`Kind::Plain`], or required):
    /// the only values a line without `"` needs to have looked at.
    ruled: Vec<usize>,
    /// `0..cols.len()`: the values to look at in a line with a `"`.
    every: Vec<usize>,
    /// Positions in `cols` of the columns that rules across a row need.
    email_col: Option<usize>,
    phone_col: Option<usize>,
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
}

impl Checker {
    /// A checker for a file meant for a pool with these rules.
    pub fn new(rules: &PoolRules) -> Self {
        Checker {
            rules: rules.clone(),
            cols: Vec::new(),
            ruled: Vec::new(),
            every: Vec::new(),
            email_col: None,
            phone_col: None,
            header: HeaderState::Pending,
            carry: Vec::new(),
            skipping: false,
            lines: 0,
            rows: 0,
            bytes: 0,
            too_large: false,
            ends: Vec::new(),
            sink: Sink::default(),
        }
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

    /// The lines of `region` (each ended by `\n`) under a good header, in one pass of 64-byte blocks.
    ///
    /// The same as [`Checker::line`] on each line, but the bytes are read once: each block's bit masks
    /// ([`masks`]) give the field separators and the line ends in order, so that each line's field ends
    /// are in `ends` when its `\n` is reached; the non-ASCII bytes are checked as UTF-8 on the way, and a
    /// bad one marks its line.
    fn rows_in(&mut self, region: &[u8]) {
        debug_assert_eq!(self.header, HeaderState::Good);
        // Room for the field ends of any line that is not too long, and 64 more; a longer line's are
        // counted, not kept (the line is only reported too long).
        const SLOTS: usize = MAX_ROW_BYTES + 2 + 64;
        // Taken out of `self` for the pass, so that it stays in registers.
        let mut ends = std::mem::take(&mut self.ends);
        if ends.len() < SLOTS {
            ends.resize(SLOTS, 0);
        }
        /// Bits `from..to` of a block's mask (`from` ≤ `to` ≤ 64).
        fn span(from: u32, to: u32) -> u64 {
            let below_to = if to >= 64 { !0 } else { (1u64 << to) - 1 };
            below_to & (!0u64).checked_shl(from).unwrap_or(0)
        }
        let mut line_start = 0usize;
        let mut fields = 0usize;
        let (mut quotes, mut bad) = (false, false);
        // 1 when the previous block ended with a backslash.
        let mut escaped_first = 0u64;
        let mut utf8 = Utf8::default();
        for (base, block) in (0..).step_by(64).zip(region.chunks(64)) {
            let m = match block.try_into() {
                Ok(block) => masks(block),
                Err(_) => {
                    let mut padded = [0u8; 64];
                    padded[..block.len()].copy_from_slice(block);
                    masks(&padded)
                }
            };
            let separators = m.commas & !((m.backslashes << 1) | escaped_first);
            escaped_first = m.backslashes >> 63;
            let bad_bytes = utf8.block(region, base, &m);
            // The first bit of the current line in this block.
            let mut from = 0;
            let mut separators = separators;
            let mut newlines = m.newlines;
            loop {
                // The separators before the next line end (all of them when none is left).
                let next_end = newlines & newlines.wrapping_neg();
                let mut segment = if newlines == 0 {
                    separators
                } else {
                    separators & (next_end - 1)
                };
                separators ^= segment;
                if fields < SLOTS - 64 {
                    // Positions relative to the line (which may have started in this block).
                    let offset = base.wrapping_sub(line_start);
                    while segment != 0 {
                        ends[fields] = offset.wrapping_add(segment.trailing_zeros() as usize) as u32;
                        fields += 1;
                        segment &= segment - 1;
                    }
                } else {
                    // A line far too long: count, do not keep.
                    fields += segment.count_ones() as usize;
                }
                if newlines == 0 {
                    break;
                }
                let bit = next_end.trailing_zeros();
                let at = base + bit as usize;
                ends[fields.min(SLOTS - 1)] = (at - line_start) as u32;
                fields += 1;
                quotes |= m.quotes & span(from, bit) != 0;
                bad |= bad_bytes & span(from, bit) != 0;
                self.indexed_line(&region[line_start..at], &mut ends[..fields.min(SLOTS)], quotes, bad);
                (line_start, fields, quotes, bad, from) = (at + 1, 0, false, false, bit + 1);
                newlines ^= next_end;
            }
            quotes |= m.quotes & span(from, 64) != 0;
            bad |= bad_bytes & span(from, 64) != 0;
        }
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
                self.sink.push(line_no, None, Rule::InvalidUtf8);
            } else {
                ends[ends.len() - 1] = content.len() as u32;
                self.row_checks(line_no, content, ends, quotes);
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

    /// Line 1: checks it against the pool's header and, when it is the pool's, builds the column table.
    #[cold]
    fn header(&mut self, content: &[u8]) {
        self.header = HeaderState::Broken;
        let content = match content.strip_prefix(BOM) {
            Some(rest) => {
                self.sink.push(1, None, Rule::ByteOrderMark);
                rest
            }
            None => content,
        };
        let Ok(text) = std::str::from_utf8(content) else {
            self.sink.push(1, None, Rule::InvalidUtf8);
            return;
        };
        if text.chars().count() > MAX_ROW_CHARS {
            self.sink.push(
                1,
                None,
                Rule::RowTooLong {
                    limit_chars: MAX_ROW_CHARS,
                },
            );
            return;
        }
        if is_blank_line(content) {
            self.sink.push(1, None, Rule::MissingHeader);
            return;
        }
        let count = split(content, &mut self.ends).expect("the header is UTF-8").fields;
        let names: Vec<String> = fields(text, &self.ends[..count])
            .map(|name| name.trim_ascii().replace("\\,", ","))
            .collect();
        let pool = &self.rules.header;
        let known = |name: &str| pool.iter().any(|p| same_column(name, p));
        let unknown = names.iter().filter(|n| !known(n)).count();
        if looks_like_data(unknown, names.len()) {
            self.sink.push(1, None, Rule::NotHeader);
            return;
        }
        let problems_before = self.sink.count;
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                self.sink.push(1, None, Rule::EmptyColumnName { position: i + 1 });
            } else if !known(name) {
                self.sink.push(1, Some(name), Rule::UnknownColumn);
            } else if names[..i].iter().any(|n| n == name) {
                self.sink.push(1, Some(name), Rule::DuplicateColumn);
            }
        }
        let present = |pool_name: &str| names.iter().any(|n| same_column(n, pool_name));
        for pool_name in pool {
            let needed = self.rules.require_full_header
                || pool_name == USERNAME
                || self.rules.required.iter().any(|r| r == pool_name);
            if needed && !present(pool_name) {
                self.sink.push(1, Some(pool_name), Rule::MissingColumn);
            }
        }
        if self.sink.count != problems_before {
            return;
        }
        self.cols = names.into_iter().map(|name| self.col(name)).collect();
        self.ruled = (0..self.cols.len())
            .filter(|&i| self.cols[i].kind != Kind::Plain || self.cols[i].required)
            .collect();
        self.every = (0..self.cols.len()).collect();
        self.email_col = self.cols.iter().position(|c| c.name == EMAIL);
        self.phone_col = self.cols.iter().position(|c| c.name == PHONE);
        self.header = HeaderState::Good;
    }

    fn col(&self, name: String) -> Col {
        let kind = if self
            .rules
            .number_attributes
            .iter()
            .any(|a| is_number_attribute(&name, a))
        {
            Kind::Number
        } else if name.starts_with(CUSTOM_PREFIX) {
            Kind::CustomString
        } else {
            match name.as_str() {
                USERNAME => Kind::Username,
                EMAIL_VERIFIED => Kind::EmailVerified,
                PHONE_VERIFIED => Kind::PhoneVerified,
                EMAIL => Kind::Email,
                PHONE => Kind::Phone,
                "birthdate" => Kind::Birthdate,
                "updated_at" => Kind::UpdatedAt,
                MFA_ENABLED => Kind::MfaEnabled,
                _ => Kind::Plain,
            }
        };
        let required = kind == Kind::Username || self.rules.required.contains(&name);
        Col { name, kind, required }
    }

    /// A user row (non-blank, at most [`MAX_ROW_BYTES`] bytes) under a good header.
    fn row(&mut self, line_no: u64, content: &[u8]) {
        match split(content, &mut self.ends) {
            Some(Split { fields, quotes }) => {
                let ends = std::mem::take(&mut self.ends);
                self.row_checks(line_no, content, &ends[..fields], quotes);
                self.ends = ends;
            }
            None => self.sink.push(line_no, None, Rule::InvalidUtf8),
        }
    }

    /// The checks of a UTF-8 user row whose fields end at `ends` (`quotes`: whether it has a `"`).
    #[inline]
    fn row_checks(&mut self, line_no: u64, content: &[u8], ends: &[u32], quotes: bool) {
        let count = ends.len();
        // From here on the line is UTF-8: every field boundary and trimmed end is an ASCII byte, so
        // every value below is UTF-8 too.
        if content.len() > MAX_ROW_CHARS && char_count(content) > MAX_ROW_CHARS {
            self.sink.push(
                line_no,
                None,
                Rule::RowTooLong {
                    limit_chars: MAX_ROW_CHARS,
                },
            );
            return;
        }
        let Checker {
            cols,
            ruled,
            every,
            sink,
            rules,
            email_col,
            phone_col,
            ..
        } = self;
        if count != cols.len() {
            sink.push(
                line_no,
                None,
                Rule::FieldCount {
                    expected: cols.len(),
                    found: count,
                },
            );
            return;
        }
        let mut email_verified = None;
        let mut phone_verified = None;
        let mut bad_verified = false;
        let mut email_given = false;
        let mut phone_given = false;
        // Without a `"` in the line no value is quoted, and a column without a rule of its own (most of
        // them) has nothing to look at.
        for &i in if quotes { &every[..] } else { &ruled[..] } {
            let col = &cols[i];
            let start = if i == 0 { 0 } else { ends[i - 1] as usize + 1 };
            let value = content[start..ends[i] as usize].trim_ascii();
            if col.kind == Kind::Plain && !col.required {
                if is_quoted(value) {
                    sink.push(line_no, Some(&col.name), Rule::QuotedValue);
                }
                continue;
            }
            if value.is_empty() {
                if col.required {
                    sink.push(line_no, Some(&col.name), Rule::Required);
                }
                continue;
            }
            if is_quoted(value) {
                sink.push(line_no, Some(&col.name), Rule::QuotedValue);
                email_given |= col.kind == Kind::Email;
                phone_given |= col.kind == Kind::Phone;
                bad_verified |= matches!(col.kind, Kind::EmailVerified | Kind::PhoneVerified);
                continue;
            }
            let broken = match col.kind {
                Kind::Plain => None,
                Kind::Username => {
                    if has_whitespace(value) {
                        Some(Rule::UsernameWhitespace)
                    } else if too_many_chars(value, MAX_USERNAME_CHARS) {
                        Some(Rule::ValueTooLong {
                            limit_chars: MAX_USERNAME_CHARS,
                        })
                    } else {
                        None
                    }
                }
                Kind::EmailVerified | Kind::PhoneVerified => {
                    let parsed = boolean(value);
                    bad_verified |= parsed.is_none();
                    if col.kind == Kind::EmailVerified {
                        email_verified = parsed;
                    } else {
                        phone_verified = parsed;
                    }
                    parsed.is_none().then_some(Rule::NotBoolean)
                }
                Kind::Email => {
                    email_given = true;
                    (!is_email(value)).then_some(Rule::InvalidEmail)
                }
                Kind::Phone => {
                    phone_given = true;
                    (!is_phone_number(value)).then_some(Rule::InvalidPhoneNumber)
                }
                Kind::Birthdate => (!is_birthdate(value)).then_some(Rule::InvalidBirthdate),
                Kind::UpdatedAt => (!is_epoch_seconds(value)).then_some(Rule::NotEpochSeconds),
                Kind::MfaEnabled => match (boolean(value), rules.mfa) {
                    (None, _) => Some(Rule::NotBoolean),
                    (Some(false), Mfa::On) => Some(Rule::MfaRequiredByPool),
                    (Some(true), Mfa::Off) => Some(Rule::MfaOffInPool),
                    _ => None,
                },
                Kind::Number => (!is_integer(value)).then_some(Rule::NotInteger),
                Kind::CustomString => too_many_chars(value, MAX_CUSTOM_STRING_CHARS).then_some(Rule::ValueTooLong {
                    limit_chars: MAX_CUSTOM_STRING_CHARS,
                }),
            };
            if let Some(rule) = broken {
                sink.push(line_no, Some(&col.name), rule);
            }
        }
        if email_verified == Some(true) && !email_given {
            sink.push(
                line_no,
                Some(email_col.map_or(EMAIL, |i| &cols[i].name)),
                Rule::RequiredWhenVerified,
            );
        }
        if phone_verified == Some(true) && !phone_given {
            sink.push(
                line_no,
                Some(phone_col.map_or(PHONE, |i| &cols[i].name)),
                Rule::RequiredWhenVerified,
            );
        }
        if email_verified != Some(true) && phone_verified != Some(true) && !bad_verified {
            sink.push(line_no, None, Rule::NotVerified);
        }
    }
}

/// Finds where the fields of `line` end and checks that `line` is UTF-8, in one pass.
///
/// Writes to `ends[..n]` the position of each comma that separates two fields, then `line.len()`, and
/// returns `n`, the number of fields (at least 1), and whether the line has a `"`; returns `None` when
/// `line` is not UTF-8. A comma
/// right after a backslash is part of a field ([`ESCAPED_COMMA`]). `ends` is grown to fit the line and
/// never shrunk, so a buffer reused from line to line stops allocating after the longest line.
///
/// The line is read 64 bytes at a time as bit masks ([`masks`]): its commas, its backslashes, its `"`
/// and its non-ASCII bytes. Rows have a comma every few bytes, too dense for a `memchr` call per comma to
/// pay, and they are mostly ASCII: only the non-ASCII bytes are looked at one by one ([`utf8_len`]).
#[inline]
fn split(line: &[u8], ends: &mut Vec<u32>) -> Option<Split> {
    if ends.len() <= line.len() {
        ends.resize(line.len() + 1, 0);
    }
    let mut n = 0;
    let mut quotes = 0;
    // 1 when the previous block ended with a backslash.
    let mut escaped_first = 0u64;
    let mut utf8 = Utf8::default();
    for (base, block) in (0..).step_by(64).zip(line.chunks(64)) {
        let m = match block.try_into() {
            Ok(block) => masks(block),
            Err(_) => {
                // The last, short block, padded with NUL bytes (none of the three kinds).
                let mut padded = [0u8; 64];
                padded[..block.len()].copy_from_slice(block);
                masks(&padded)
            }
        };
        quotes |= m.quotes;
        let mut separators = m.commas & !((m.backslashes << 1) | escaped_first);
        escaped_first = m.backslashes >> 63;
        while separators != 0 {
            ends[n] = base + separators.trailing_zeros();
            n += 1;
            separators &= separators - 1;
        }
        if utf8.block(line, base as usize, &m) != 0 {
            return None;
        }
    }
    ends[n] = line.len() as u32;
    Some(Split {
        fields: n + 1,
        quotes: quotes != 0,
    })
}

/// What [`split`] found in a UTF-8 line.
#[derive(Clone, Copy, Debug)]
struct Split {
    /// How many fields the line has; `ends[..fields]` are where they end.
    fields: usize,
    /// Whether the line has a `"` anywhere.
    quotes: bool,
}

/// Bit `i` of each mask describes byte `i` of a 64-byte block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Masks {
    commas: u64,
    backslashes: u64,
    quotes: u64,
    newlines: u64,
    /// Bytes with their high bit set: the bytes of non-ASCII characters.
    high: u64,
}

/// The masks of a block: with SSE2 (part of every x86-64 CPU) where there is SSE2, else eight bytes at a
/// time in a `u64` ([`masks_swar`]).
#[inline(always)]
fn masks(block: &[u8; 64]) -> Masks {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: `masks_sse2` only needs SSE2, which this build's target has (the cfg above).
        unsafe { masks_sse2(block) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        masks_swar(block)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn masks_sse2(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set_epi64x, _mm_set1_epi8};
    let commas = _mm_set1_epi8(b',' as i8);
    let backslashes = _mm_set1_epi8(ESCAPED_COMMA[0] as i8);
    let quotes = _mm_set1_epi8(b'"' as i8);
    let newlines = _mm_set1_epi8(LINE_END as i8);
    let mut m = Masks::default();
    for (i, lane) in block.chunks_exact(16).enumerate() {
        let (low, high) = lane.split_at(8);
        let word = |half: &[u8]| i64::from_le_bytes(half.try_into().expect("8 bytes"));
        let v = _mm_set_epi64x(word(high), word(low));
        let shift = 16 * i;
        m.commas |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, commas)) as u16) << shift;
        m.backslashes |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslashes)) as u16) << shift;
        m.quotes |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quotes)) as u16) << shift;
        m.newlines |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, newlines)) as u16) << shift;
        m.high |= u64::from(_mm_movemask_epi8(v) as u16) << shift;
    }
    m
}

/// [`masks`] without SIMD instructions: eight bytes at a time in a `u64` (SWAR).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn masks_swar(block: &[u8; 64]) -> Masks {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    const LOW7: u64 = !HIGH;
    /// The high bit of each byte set exactly where that byte of `x` is zero. Exact, unlike the
    /// classic `(x - ONES) & !x & HIGH`: no carry crosses bytes, since 0x7F + 0x7F < 0x100.
    fn zero_bytes(x: u64) -> u64 {
        !(((x & LOW7) + LOW7) | x | LOW7)
    }
    /// The high bits of the eight bytes as the low eight bits (the products of the multiplication
    /// land on distinct bits, so nothing carries).
    fn gather(high_bits: u64) -> u64 {
        ((high_bits >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
    }
    let mut m = Masks::default();
    for (i, word) in block.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let shift = 8 * i;
        m.commas |= gather(zero_bytes(x ^ (ONES * u64::from(b',')))) << shift;
        m.backslashes |= gather(zero_bytes(x ^ (ONES * u64::from(ESCAPED_COMMA[0])))) << shift;
        m.quotes |= gather(zero_bytes(x ^ (ONES * u64::from(b'"')))) << shift;
        m.newlines |= gather(zero_bytes(x ^ (ONES * u64::from(LINE_END)))) << shift;
        m.high |= gather(x & HIGH) << shift;
    }
    m
}

/// The UTF-8 check of [`split`] and [`Checker::rows_in`], one 64-byte block after the other: only the
/// non-ASCII bytes are looked at, and each that does not continue a character already checked must start
/// a well-formed one ([`utf8_len`]).
#[derive(Clone, Copy, Debug, Default)]
struct Utf8 {
    /// Where the next character starts, once the ones before it are checked.
    next_char: usize,
}

impl Utf8 {
    /// The bad bytes of the block of `bytes` at `base` whose masks are `m`: where no well-formed character
    /// starts though one should.
    #[inline]
    fn block(&mut self, bytes: &[u8], base: usize, m: &Masks) -> u64 {
        let mut bad = 0;
        let mut high = m.high;
        while high != 0 {
            let bit = high.trailing_zeros();
            let at = base + bit as usize;
            if at >= self.next_char {
                match utf8_len(bytes, at) {
                    Some(len) => self.next_char = at + len,
                    None => bad |= 1 << bit,
                }
            }
            high &= high - 1;
        }
        bad
    }
}

/// The length of the UTF-8 character that starts at `bytes[at]` (a non-ASCII byte), or `None` when no
/// well-formed character starts there (Unicode, table 3-7: no overlong forms, no surrogates, nothing
/// above U+10FFFF, no stray continuation byte, no character cut by the end).
#[inline]
fn utf8_len(bytes: &[u8], at: usize) -> Option<usize> {
    let follows = |i: usize, range: std::ops::RangeInclusive<u8>| bytes.get(at + i).is_some_and(|b| range.contains(b));
    let ok = match bytes[at] {
        0xC2..=0xDF => follows(1, 0x80..=0xBF),
        0xE0 => follows(1, 0xA0..=0xBF) && follows(2, 0x80..=0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => follows(1, 0x80..=0xBF) && follows(2, 0x80..=0xBF),
        0xED => follows(1, 0x80..=0x9F) && follows(2, 0x80..=0xBF),
        0xF0 => follows(1, 0x90..=0xBF) && follows(2, 0x80..=0xBF) && follows(3, 0x80..=0xBF),
        0xF1..=0xF3 => follows(1, 0x80..=0xBF) && follows(2, 0x80..=0xBF) && follows(3, 0x80..=0xBF),
        0xF4 => follows(1, 0x80..=0x8F) && follows(2, 0x80..=0xBF) && follows(3, 0x80..=0xBF),
        _ => false,
    };
    ok.then_some(match bytes[at] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    })
}

/// The fields of `line`, untrimmed, from the `ends` that [`split`] wrote.
#[inline]
fn fields<'a, T: ?Sized + Index<Range<usize>, Output = T>>(
    line: &'a T,
    ends: &'a [u32],
) -> impl Iterator<Item = &'a T> + 'a {
    let mut start = 0;
    ends.iter().map(move |&end| {
        let field = &line[start..end as usize];
        start = end as usize + 1;
        field
    })
}

/// Characters in UTF-8 `bytes`: the bytes that do not continue a character.
#[inline]
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Whether a (UTF-8) value has more than `limit` characters once its escaped commas are unescaped.
/// Characters are counted only when the bytes alone cannot settle it.
#[inline]
fn too_many_chars(value: &[u8], limit: usize) -> bool {
    value.len() > limit && {
        // Inside a value, every comma is an escaped one.
        let escapes = memchr_iter(b',', value).count();
        char_count(value) - escapes > limit
    }
}

/// What one pass over a short value tells, eight bytes at a time (SWAR).
#[derive(Clone, Copy, Debug)]
struct Glance {
    /// Whether a byte is at or below a space, or not ASCII: only then can the value hold whitespace.
    may_have_space: bool,
    /// How many `@` the value has: exact up to 1, and at least 2 when it says 2 or more.
    ats: u32,
    /// Where the first `@` is (0 when there is none).
    first_at: usize,
}

impl Glance {
    #[inline]
    fn of(value: &[u8]) -> Glance {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = ONES * 0x80;
        let mut glance = Glance {
            may_have_space: false,
            ats: 0,
            first_at: 0,
        };
        let mut suspect = 0u64;
        // Looks at the bytes of word `x` (starting at `base`) whose high bits are in `keep`.
        let mut look = |x: u64, keep: u64, base: usize| {
            // `(x - 0x21..) & !x` has a high bit set when some byte of `x` is below 0x21 (exact as to
            // whether there is one); `x` itself has it for a non-ASCII byte.
            suspect |= ((x.wrapping_sub(ONES * 0x21) & !x) | x) & keep;
            // The high bit of each byte that is `@` (exact: see `masks_swar`).
            let y = x ^ (ONES * u64::from(b'@'));
            let ats = !(((y & !HIGH) + !HIGH) | y | !HIGH) & keep;
            if ats != 0 {
                if glance.ats == 0 {
                    glance.first_at = base + (ats.trailing_zeros() / 8) as usize;
                }
                // One more, or two for two or more (enough to tell one from many, without a popcount).
                glance.ats += if ats & (ats - 1) == 0 { 1 } else { 2 };
            }
        };
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        if value.len() < 8 {
            // Padded with a byte that is neither suspect nor `@`.
            let mut padded = [b'a'; 8];
            padded[..value.len()].copy_from_slice(value);
            look(word(&padded), HIGH, 0);
        } else {
            let mut words = value.chunks_exact(8);
            for (base, bytes) in (0..).step_by(8).zip(&mut words) {
                look(word(bytes), HIGH, base);
            }
            let rest = words.remainder().len();
            if rest > 0 {
                // The last eight bytes, of which the first `8 - rest` were looked at already.
                let base = value.len() - 8;
                look(word(&value[base..]), HIGH << (8 * (8 - rest)), base);
            }
        }
        glance.may_have_space = suspect != 0;
        glance
    }
}

/// [`has_whitespace`] byte by byte: space and 0x09..=0x0D (tab, line feed, vertical tab, form feed,
/// carriage return), then the non-ASCII ones.
#[cold]
fn has_whitespace_exactly(value: &[u8]) -> bool {
    value.iter().any(|&b| b == b' ' || (b'\t'..=b'\r').contains(&b))
        || (!value.is_ascii() && String::from_utf8_lossy(value).chars().any(char::is_whitespace))
}

/// TRUE or FALSE in any case.
#[inline]
fn boolean(value: &[u8]) -> Option<bool> {
    if value.eq_ignore_ascii_case(b"true") {
        Some(true)
    } else if value.eq_ignore_ascii_case(b"false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod fixtures;

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
    fn username() {
        assert_eq!(
            row_problems(&[("cognito:username", "")]),
            [(Some("cognito:username"), Rule::Required)]
        );
        assert_eq!(
            row_problems(&[("cognito:username", "   ")]),
            [(Some("cognito:username"), Rule::Required)]
        );
        assert_eq!(row_problems(&[("cognito:username", "  trimmed\t")]), []);
        for inner in ["a b", "a\tb", "a\u{a0}b", "a\u{3000}b", "a\u{b}b"] {
            assert_eq!(
                row_problems(&[("cognito:username", inner)]),
                [(Some("cognito:username"), Rule::UsernameWhitespace)],
                "{inner:?}"
            );
        }
        assert_eq!(row_problems(&[("cognito:username", "zoë.łukasz.José_日本")]), []);
        let limit = Rule::ValueTooLong {
            limit_chars: MAX_USERNAME_CHARS,
        };
        assert_eq!(row_problems(&[("cognito:username", &"a".repeat(128))]), []);
        assert_eq!(
            row_problems(&[("cognito:username", &"a".repeat(129))]),
            [(Some("cognito:username"), limit.clone())]
        );
        // Characters, not bytes: 128 two-byte characters fit.
        assert_eq!(row_problems(&[("cognito:username", &"é".repeat(128))]), []);
        assert_eq!(
            row_problems(&[("cognito:username", &"é".repeat(129))]),
            [(Some("cognito:username"), limit)]
        );
        // An escaped comma is one character.
        let escaped = format!("{}\\,", "a".repeat(127));
        assert_eq!(row_problems(&[("cognito:username", &escaped)]), []);
    }

    #[test]
    fn booleans() {
        for good in ["true", "TRUE", "True", " tRuE "] {
            assert_eq!(row_problems(&[("email_verified", good)]), [], "{good:?}");
        }
        for good in ["false", "FALSE", "", "False"] {
            assert_eq!(row_problems(&[("phone_number_verified", good)]), [], "{good:?}");
        }
        for bad in ["yes", "1", "t", "truee", "fals"] {
            assert_eq!(
                row_problems(&[("email_verified", bad)]),
                [(Some("email_verified"), Rule::NotBoolean)],
                "{bad}"
            );
            assert_eq!(
                row_problems(&[("phone_number_verified", bad)]),
                [(Some("phone_number_verified"), Rule::NotBoolean)],
                "{bad}"
            );
        }
    }

    #[test]
    fn verification() {
        assert_eq!(row_problems(&[("email_verified", "")]), [(None, Rule::NotVerified)]);
        assert_eq!(
            row_problems(&[("email_verified", "false")]),
            [(None, Rule::NotVerified)]
        );
        assert_eq!(
            row_problems(&[("email_verified", "false"), ("phone_number_verified", "FALSE")]),
            [(None, Rule::NotVerified)]
        );
        assert_eq!(
            row_problems(&[
                ("email_verified", "false"),
                ("phone_number", "+14325551212"),
                ("phone_number_verified", "true")
            ]),
            []
        );
        assert_eq!(
            row_problems(&[("email", "")]),
            [(Some("email"), Rule::RequiredWhenVerified)]
        );
        assert_eq!(
            row_problems(&[("email_verified", ""), ("phone_number_verified", "true")]),
            [(Some("phone_number"), Rule::RequiredWhenVerified)]
        );
        assert_eq!(
            row_problems(&[("email", ""), ("phone_number_verified", "true")]),
            [
                (Some("email"), Rule::RequiredWhenVerified),
                (Some("phone_number"), Rule::RequiredWhenVerified)
            ]
        );
        // Not verified, but a bad boolean is the problem to report, not a missing verification.
        assert_eq!(
            row_problems(&[("email_verified", "oui")]),
            [(Some("email_verified"), Rule::NotBoolean)]
        );
        // Unverified contact data needs no verification flag of its own.
        assert_eq!(row_problems(&[("phone_number", "+33612345678")]), []);
    }

    #[test]
    fn verification_columns_left_out() {
        // Without a full header, a file without the verification columns fails every row.
        let rules = PoolRules {
            require_full_header: false,
            ..pool()
        };
        let verdict = run(&rules, b"cognito:username,email\nalice,alice@example.com\n");
        assert_eq!(found(&verdict), [(2, None, Rule::NotVerified)]);
        let verdict = run(&rules, b"cognito:username,email_verified\nalice,true\n");
        assert_eq!(found(&verdict), [(2, Some("email"), Rule::RequiredWhenVerified)]);
    }

    #[test]
    fn phone_number() {
        for good in ["+14325551212", "+1", "+123456789012345", " +48123456789 "] {
            assert_eq!(row_problems(&[("phone_number", good)]), [], "{good}");
        }
        for bad in [
            "14325551212",
            "+",
            "+0123",
            "+1234567890123456",
            "+1 432 555",
            "+1-432",
            "++1",
            "+1a",
            "+١٢٣",
        ] {
            assert_eq!(
                row_problems(&[("phone_number", bad)]),
                [(Some("phone_number"), Rule::InvalidPhoneNumber)],
                "{bad}"
            );
        }
    }

    #[test]
    fn email() {
        for good in ["a@b", "first.last+tag@example.co.uk", "zoë@exämple.com", " x@y "] {
            assert_eq!(row_problems(&[("email", good)]), [], "{good}");
        }
        for bad in [
            "ab",
            "@b",
            "a@",
            "a@@b",
            "a@b@c",
            "a b@c",
            "a@b\tc",
            "a@b\u{a0}c",
            "a@b\u{2003}",
        ] {
            assert_eq!(
                row_problems(&[("email", bad)]),
                [(Some("email"), Rule::InvalidEmail)],
                "{bad}"
            );
        }
        // The '@' past the first eight bytes, and past the last whole word.
        assert_eq!(row_problems(&[("email", "abcdefghijklmnop@q")]), []);
        assert_eq!(
            row_problems(&[("email", "abcdefghijklmnop@q@")]),
            [(Some("email"), Rule::InvalidEmail)]
        );
        assert_eq!(
            row_problems(&[("email", "abcdefgh@ijklmnop@")]),
            [(Some("email"), Rule::InvalidEmail)]
        );
    }

    #[test]
    fn birthdate() {
        for good in [
            "02/29/2000",
            "02/29/2004",
            "12/31/1999",
            "01/01/0001",
            "04/30/1985",
            " 07/04/1976 ",
        ] {
            assert_eq!(row_problems(&[("birthdate", good)]), [], "{good}");
        }
        for bad in [
            "02/29/1900",
            "02/29/2001",
            "04/31/2000",
            "13/01/2000",
            "00/10/2000",
            "10/00/2000",
            "12/31/0000",
            "2/3/1990",
            "1990-02-03",
            "02/03/90",
            "02-03-1990",
            "ab/cd/efgh",
            "02/03/1990x",
        ] {
            assert_eq!(
                row_problems(&[("birthdate", bad)]),
                [(Some("birthdate"), Rule::InvalidBirthdate)],
                "{bad}"
            );
        }
    }

    #[test]
    fn updated_at() {
        for good in ["0", "1700000000", " 1600000000 "] {
            assert_eq!(row_problems(&[("updated_at", good)]), [], "{good}");
        }
        for bad in ["-1", "1.5", "1e9", "+5", "2024-01-01", "17 00"] {
            assert_eq!(
                row_problems(&[("updated_at", bad)]),
                [(Some("updated_at"), Rule::NotEpochSeconds)],
                "{bad}"
            );
        }
    }

    #[test]
    fn mfa() {
        let mfa = |mode: Mfa, value: &str| {
            let rules = PoolRules { mfa: mode, ..pool() };
            found(&run(
                &rules,
                file(&[user(&[("cognito:mfa_enabled", value)])]).as_bytes(),
            ))
        };
        let column = Some("cognito:mfa_enabled");
        assert_eq!(mfa(Mfa::Off, "false"), []);
        assert_eq!(mfa(Mfa::Off, ""), []);
        assert_eq!(mfa(Mfa::Off, "TRUE"), [(2, column, Rule::MfaOffInPool)]);
        assert_eq!(mfa(Mfa::On, "true"), []);
        assert_eq!(mfa(Mfa::On, ""), []);
        assert_eq!(mfa(Mfa::On, "False"), [(2, column, Rule::MfaRequiredByPool)]);
        assert_eq!(mfa(Mfa::Optional, "true"), []);
        assert_eq!(mfa(Mfa::Optional, "false"), []);
        for mode in [Mfa::Off, Mfa::On, Mfa::Optional] {
            assert_eq!(mfa(mode, "maybe"), [(2, column, Rule::NotBoolean)]);
        }
    }

    #[test]
    fn required_attributes() {
        let rules = PoolRules {
            required: vec!["custom:tier".into(), "name".into()],
            ..pool()
        };
        let text = file(&[
            user(&[("custom:tier", "gold"), ("name", "Zoë")]),
            user(&[("custom:tier", " ")]),
        ]);
        let verdict = run(&rules, text.as_bytes());
        assert_eq!(
            found(&verdict),
            [
                (3, Some("name"), Rule::Required),
                (3, Some("custom:tier"), Rule::Required)
            ]
        );
    }

    #[test]
    fn number_attributes() {
        for good in ["12", "-3", "0", " 42 ", ""] {
            assert_eq!(row_problems(&[("custom:age", good)]), [], "{good}");
        }
        for bad in ["1.5", "+3", "-", "12a", "1 2", "١٢"] {
            assert_eq!(
                row_problems(&[("custom:age", bad)]),
                [(Some("custom:age"), Rule::NotInteger)],
                "{bad}"
            );
        }
        // Named with its prefix too.
        let rules = PoolRules {
            number_attributes: vec!["custom:age".into()],
            ..pool()
        };
        let verdict = run(&rules, file(&[user(&[("custom:age", "x")])]).as_bytes());
        assert_eq!(found(&verdict), [(2, Some("custom:age"), Rule::NotInteger)]);
        // A number attribute is not held to the string limit, a string attribute not to integers.
        assert_eq!(row_problems(&[("custom:tier", "x")]), []);
    }

    #[test]
    fn custom_string_length() {
        let limit = Rule::ValueTooLong {
            limit_chars: MAX_CUSTOM_STRING_CHARS,
        };
        assert_eq!(row_problems(&[("custom:tier", &"x".repeat(2048))]), []);
        assert_eq!(
            row_problems(&[("custom:tier", &"x".repeat(2049))]),
            [(Some("custom:tier"), limit.clone())]
        );
        assert_eq!(row_problems(&[("custom:tier", &"ł".repeat(2048))]), []);
        assert_eq!(
            row_problems(&[("custom:tier", &"ł".repeat(2049))]),
            [(Some("custom:tier"), limit)]
        );
        assert_eq!(row_problems(&[("custom:tier", &"x\\,".repeat(1024))]), []);
        // Standard attributes have no such limit here.
        assert_eq!(row_problems(&[("name", &"x".repeat(5000))]), []);
    }

    #[test]
    fn quoted_values() {
        assert_eq!(
            row_problems(&[("name", "\"Zoë\"")]),
            [(Some("name"), Rule::QuotedValue)]
        );
        assert_eq!(
            row_problems(&[("name", "  \"Zoë\" ")]),
            [(Some("name"), Rule::QuotedValue)]
        );
        assert_eq!(row_problems(&[("name", "\"\"")]), [(Some("name"), Rule::QuotedValue)]);
        assert_eq!(
            row_problems(&[("email", "\"alice@example.com\"")]),
            [(Some("email"), Rule::QuotedValue)]
        );
        assert_eq!(
            row_problems(&[("email_verified", "\"true\"")]),
            [(Some("email_verified"), Rule::QuotedValue)]
        );
        // Not both ends: fine.
        for fine in ["\"", "\"Zoë", "Zoë\"", "Zo\"ë", "say \"hi\" now"] {
            assert_eq!(row_problems(&[("name", fine)]), [], "{fine}");
        }
    }

    #[test]
    fn escaped_commas() {
        assert_eq!(row_problems(&[("name", "García\\, José")]), []);
        assert_eq!(
            row_problems(&[(
                "name",
                "a\\,b\\,c\\,d\\,e\\,f\\,g\\,h\\,i\\,j\\,k\\,l\\,m\\,n\\,o\\,p\\,q\\,r\\,s"
            )]),
            []
        );
        // A backslash before anything else is a literal backslash; before a comma it always escapes it.
        assert_eq!(row_problems(&[("name", "back\\slash\\\\,x")]), []);
        // So a value cannot end with a backslash: the separator after it is escaped.
        assert_eq!(
            row_problems(&[("name", "trailing\\")]),
            [(
                None,
                Rule::FieldCount {
                    expected: 11,
                    found: 10
                }
            )]
        );
        // An unescaped comma is one field too many.
        let too_many = Rule::FieldCount {
            expected: 11,
            found: 12,
        };
        assert_eq!(row_problems(&[("name", "García, José")]), [(None, too_many)]);
        // Across the 64-byte blocks the fields are found in.
        for at in 50..80 {
            let name = format!("{}\\,x", "n".repeat(at));
            assert_eq!(row_problems(&[("name", &name)]), [], "{at}");
        }
    }

    #[test]
    fn field_count() {
        let text = file(&[
            "alice,alice@example.com,true".into(),
            format!("{},extra", user(&[])),
            String::new(),
        ]);
        let verdict = run(&pool(), text.as_bytes());
        assert_eq!(
            found(&verdict),
            [
                (2, None, Rule::FieldCount { expected: 11, found: 3 }),
                (
                    3,
                    None,
                    Rule::FieldCount {
                        expected: 11,
                        found: 12
                    }
                ),
            ]
        );
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
            "{HEADER}\n\n{}\n   \n\t\r\n\r\n{}\n\n",
            user(&[]),
            user(&[("cognito:username", "bob"), ("birthdate", "31/12/1999")])
        );
        let verdict = run(&pool(), text.as_bytes());
        assert_eq!(verdict.rows, 2);
        assert_eq!(found(&verdict), [(7, Some("birthdate"), Rule::InvalidBirthdate)]);
    }

    #[test]
    fn byte_order_mark() {
        let text = format!("\u{feff}{}", file(&[user(&[("email_verified", "no")])]));
        let verdict = run(&pool(), text.as_bytes());
        // Reported once; the header behind it is still read, and the rows checked.
        assert_eq!(
            found(&verdict),
            [
                (1, None, Rule::ByteOrderMark),
                (2, Some("email_verified"), Rule::NotBoolean)
            ]
        );
        // Only at the start of the file.
        let later = file(&[user(&[("name", "\u{feff}x")])]);
        assert!(run(&pool(), later.as_bytes()).is_clean());
    }

    #[test]
    fn invalid_utf8() {
        let mut text = file(&[
            user(&[]),
            user(&[("name", "Zo?")]),
            user(&[]),
            user(&[("name", "x?y?")]),
        ])
        .into_bytes();
        let marks: Vec<usize> = text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'?')
            .map(|(i, _)| i)
            .collect();
        text[marks[0]] = 0xC3; // a lead byte followed by ','
        text[marks[1]] = 0xE9; // a lead byte followed by 'y'
        text[marks[2]] = 0xA9; // a stray continuation byte
        let verdict = run(&pool(), &text);
        assert_eq!(
            found(&verdict),
            [(3, None, Rule::InvalidUtf8), (5, None, Rule::InvalidUtf8)]
        );
        // Surrogates, overlong forms and code points above U+10FFFF are not UTF-8 either.
        for bad in [
            &b"\xED\xA0\x80"[..],
            b"\xC0\xAF",
            b"\xE0\x80\xAF",
            b"\xF4\x90\x80\x80",
            b"\xF8\x88\x80\x80\x80",
            b"\xFF",
        ] {
            let mut row = user(&[("name", "@")]).into_bytes();
            let at = row
                .iter()
                .position(|&b| b == b'@' && row.ends_with(b"@"))
                .unwrap_or(row.len() - 1);
            row.splice(at..=at, bad.iter().copied());
            let mut text = format!("{HEADER}\n").into_bytes();
            text.extend_from_slice(&row);
            assert_eq!(found(&run(&pool(), &text)), [(2, None, Rule::InvalidUtf8)], "{bad:x?}");
        }
    }

    #[test]
    fn invalid_utf8_in_the_header() {
        let mut text = file(&[user(&[("email_verified", "nope")])]).into_bytes();
        text[3] = 0xFF;
        let verdict = run(&pool(), &text);
        // The header is broken: its rows are counted, not checked.
        assert_eq!(found(&verdict), [(1, None, Rule::InvalidUtf8)]);
        assert_eq!(verdict.rows, 1);
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
        assert_eq!(found(&verdict), [(7, None, Rule::InvalidUtf8)]);
    }

    #[test]
    fn row_length_in_characters() {
        // 16,000 two-byte characters (32,000 bytes) are not too long; one more is.
        let row = |name_chars: usize| {
            let head = user(&[("name", "")]);
            let name = "é".repeat(name_chars - (head.chars().count()));
            user(&[("name", &name)])
        };
        assert_eq!(row(MAX_ROW_CHARS).chars().count(), MAX_ROW_CHARS);
        assert!(run(&pool(), file(&[row(MAX_ROW_CHARS)]).as_bytes()).is_clean());
        let verdict = run(
            &pool(),
            file(&[row(MAX_ROW_CHARS + 1), user(&[("updated_at", "x")])]).as_bytes(),
        );
        assert_eq!(
            found(&verdict),
            [
                (
                    2,
                    None,
                    Rule::RowTooLong {
                        limit_chars: MAX_ROW_CHARS
                    }
                ),
                (3, Some("updated_at"), Rule::NotEpochSeconds)
            ]
        );
        // The line terminator is not a character of the row.
        let crlf = file(&[row(MAX_ROW_CHARS)]).replace('\n', "\r\n");
        assert!(run(&pool(), crlf.as_bytes()).is_clean());
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
    fn header_problems_name_the_columns() {
        let rules = pool();
        let text = format!("{HEADER},nickname,email, custom:tier ,\n{}\n", user(&[("email", "x")]));
        let verdict = run(&rules, text.as_bytes());
        assert_eq!(
            found(&verdict),
            [
                (1, Some("nickname"), Rule::UnknownColumn),
                (1, Some("email"), Rule::DuplicateColumn),
                (1, Some("custom:tier"), Rule::DuplicateColumn),
                (1, None, Rule::EmptyColumnName { position: 15 }),
            ]
        );
        // A broken header stops the row checks (the row's bad email is not reported), not the counting.
        assert_eq!(verdict.rows, 1);
    }

    #[test]
    fn missing_columns() {
        let text = "email,cognito:username,email_verified\nalice@example.com,alice,true\n";
        let verdict = run(&pool(), text.as_bytes());
        let missing = |c| (1, Some(c), Rule::MissingColumn);
        assert_eq!(
            found(&verdict),
            [
                missing("phone_number"),
                missing("phone_number_verified"),
                missing("birthdate"),
                missing("updated_at"),
                missing("cognito:mfa_enabled"),
                missing("name"),
                missing("custom:tier"),
                missing("custom:age"),
            ]
        );
        // Without the full-header rule that file is fine...
        let partial = PoolRules {
            require_full_header: false,
            ..pool()
        };
        assert!(run(&partial, text.as_bytes()).is_clean());
        // ...but cognito:username and the pool's required columns are still needed.
        let partial = PoolRules {
            required: vec!["custom:tier".into()],
            ..partial
        };
        let verdict = run(&partial, b"email,email_verified\nalice@example.com,true\n");
        assert_eq!(found(&verdict), [missing("cognito:username"), missing("custom:tier")]);
    }

    #[test]
    fn header_order_and_whitespace_do_not_matter() {
        let mut names = columns();
        names.reverse();
        let header = names.iter().map(|n| format!(" {n}\t")).collect::<Vec<_>>().join(",");
        let row = names
            .iter()
            .map(|n| match n.as_str() {
                "cognito:username" => "bob",
                "email" => "bob@example.com",
                "email_verified" => "TRUE",
                "birthdate" => "13/13/2000",
                _ => "",
            })
            .collect::<Vec<_>>()
            .join(",");
        let verdict = run(&pool(), format!("{header}\r\n{row}\r\n").as_bytes());
        assert_eq!(found(&verdict), [(2, Some("birthdate"), Rule::InvalidBirthdate)]);
    }

    #[test]
    fn header_that_looks_like_data() {
        let secret = "alice.PLANTED@example.com";
        let text = format!("alice,{secret},true,,,,,,Alice Smith,gold,\n{}\n", user(&[]));
        let verdict = run(&pool(), text.as_bytes());
        assert_eq!(found(&verdict), [(1, None, Rule::NotHeader)]);
        assert_eq!(
            verdict.problems[0].to_string(),
            "line 1: not the pool's header: more than half of its columns are unknown"
        );
        assert!(!serde_json::to_string(&verdict).unwrap().contains("PLANTED"));
        // Half unknown is still read as a header (and the unknown ones named).
        let rules = PoolRules::new(vec!["cognito:username".into(), "email_verified".into(), "email".into()]);
        let verdict = run(&rules, b"cognito:username,email_verified,x,y,email\nalice,true,,,a@b\n");
        assert_eq!(
            found(&verdict),
            [(1, Some("x"), Rule::UnknownColumn), (1, Some("y"), Rule::UnknownColumn)]
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
            found(&run(&pool(), format!("{HEADER}\r\n\r\n  \n").as_bytes())),
            [(1, None, Rule::NoUserRows)]
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
                (6, Some("email"), Rule::InvalidEmail),
                (7, Some("cognito:username"), Rule::UsernameWhitespace),
                (7, Some("updated_at"), Rule::NotEpochSeconds),
                (8, None, Rule::FieldCount { expected: 11, found: 2 }),
                (9, Some("email_verified"), Rule::QuotedValue),
                (10, None, Rule::InvalidUtf8),
            ]
        );
        assert_eq!(verdict.rows, 7);
    }

    #[test]
    fn utf8_check_agrees_with_std() {
        let alphabet: &[u8] = &[
            b'a', b',', b'\\', b'"', b' ', 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
            0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ];
        let mut seed = 0x1234_5678_9ABC_DEF1;
        let mut ends = Vec::new();
        for round in 0..20_000 {
            let len = (random(&mut seed) % 150) as usize;
            let mut line: Vec<u8> = (0..len)
                .map(|_| alphabet[(random(&mut seed) % alphabet.len() as u64) as usize])
                .collect();
            if round % 3 == 0 {
                // Mostly valid text with an odd byte here and there.
                line = String::from_utf8_lossy(&line).into_owned().into_bytes();
                if round % 2 == 0 && !line.is_empty() {
                    let at = (random(&mut seed) % line.len() as u64) as usize;
                    line[at] = alphabet[(random(&mut seed) % alphabet.len() as u64) as usize];
                }
            }
            let ours = split(&line, &mut ends);
            assert_eq!(ours.is_some(), std::str::from_utf8(&line).is_ok(), "{line:x?}");
            if let Some(found) = ours {
                // Same fields as a byte-by-byte split.
                let mut expected = Vec::new();
                for (i, &b) in line.iter().enumerate() {
                    if b == b',' && (i == 0 || line[i - 1] != b'\\') {
                        expected.push(i as u32);
                    }
                }
                expected.push(line.len() as u32);
                assert_eq!(&ends[..found.fields], &expected[..], "{line:x?}");
                assert_eq!(found.quotes, line.contains(&b'"'));
            }
        }
    }

    #[test]
    fn random_files_agree_across_chunkings_and_with_std_utf8() {
        // Random user rows from pieces that stress the scanner: separators, escapes, quotes, line ends,
        // characters of every UTF-8 length, and broken ones.
        let pieces: &[&[u8]] = &[
            b",",
            b",",
            b",",
            b"\\",
            b"\\,",
            b"\"",
            b"\r",
            b"\n",
            b"\r\n",
            b" ",
            b"a@b",
            b"true",
            b"TRUE",
            b"alice",
            b"\xC3\xA9",
            b"\xE6\x97\xA5",
            b"\xF0\x9F\x98\x80",
            b"\xC3",
            b"\xA9",
            b"\xED\xA0\x80",
            b"\xFF",
            b"+14325551212",
            b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ];
        let rules = PoolRules::new(vec![
            "cognito:username".into(),
            "email".into(),
            "email_verified".into(),
            "name".into(),
        ]);
        let mut seed = 0x05EE_D0FF_11E5_u64;
        for _ in 0..100 {
            let mut text = b"cognito:username,email,email_verified,name\n".to_vec();
            for _ in 0..(random(&mut seed) % 60) {
                text.extend_from_slice(pieces[(random(&mut seed) % pieces.len() as u64) as usize]);
            }
            let verdict = run(&rules, &text);
            let bad_lines: Vec<u64> = verdict
                .problems
                .iter()
                .filter(|p| p.rule == Rule::InvalidUtf8)
                .map(|p| p.line)
                .collect();
            let expected: Vec<u64> = text
                .split(|&b| b == b'\n')
                .enumerate()
                .filter(|(_, line)| std::str::from_utf8(line).is_err() && !is_blank_line(line))
                .map(|(i, _)| i as u64 + 1)
                .collect();
            assert_eq!(bad_lines, expected, "{:?}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    fn swar_masks_agree_with_simd() {
        let mut seed = 0xDEAD_BEEF_CAFE_F00D;
        let alphabet = b",\\\"\n\r a\x7F\x80\xC3\xFF\x00";
        for _ in 0..20_000 {
            let mut block = [0u8; 64];
            for byte in &mut block {
                *byte = alphabet[(random(&mut seed) % alphabet.len() as u64) as usize];
            }
            let swar = masks_swar(&block);
            let mut expected = Masks::default();
            for (i, &b) in block.iter().enumerate() {
                expected.commas |= u64::from(b == b',') << i;
                expected.backslashes |= u64::from(b == b'\\') << i;
                expected.quotes |= u64::from(b == b'"') << i;
                expected.newlines |= u64::from(b == b'\n') << i;
                expected.high |= u64::from(b >= 0x80) << i;
            }
            assert_eq!(swar, expected, "{block:x?}");
            assert_eq!(masks(&block), expected, "{block:x?}");
        }
    }

    #[test]
    fn glance_finds_ats_and_suspects() {
        let mut seed = 0x0BAD_5EED_u64;
        let alphabet = "ab@ \t.é\u{a0}";
        let chars: Vec<char> = alphabet.chars().collect();
        for _ in 0..20_000 {
            let len = (random(&mut seed) % 40) as usize;
            let value: String = (0..len)
                .map(|_| chars[(random(&mut seed) % chars.len() as u64) as usize])
                .collect();
            let bytes = value.as_bytes();
            let ats = bytes.iter().filter(|&&b| b == b'@').count();
            let expected_email = ats == 1 && {
                let at = value.find('@').unwrap();
                at > 0 && at + 1 < bytes.len() && !value.chars().any(char::is_whitespace)
            };
            assert_eq!(is_email(bytes), expected_email, "{value:?}");
            assert_eq!(
                has_whitespace(bytes),
                value.chars().any(char::is_whitespace),
                "{value:?}"
            );
        }
    }
}
