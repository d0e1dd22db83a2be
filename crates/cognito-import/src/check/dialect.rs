//! A file as people export it, into Cognito's dialect: a streaming decoder, a few bytes of state.
//!
//! Spreadsheet tools and data libraries write RFC 4180 CSV; Cognito reads its own dialect (see the
//! checker's docs): quotes would become part of values and a quoted comma would split a field. The
//! [`Decoder`] turns the first into the second as the bytes stream past, so that the checker and the
//! upload see exactly what Cognito will read.
//!
//! # What it does, exactly
//!
//! * A UTF-8 byte-order mark at the very start is dropped.
//! * Outside quoted values, `\r\n` and a lone `\r` end a line and become `\n`.
//! * Which dialect the file is in ([`Dialect`]): [`Dialect::Cognito`] passes every other byte as it is
//!   (a `"` is a byte of the value); [`Dialect::Rfc4180`] reads a field that starts with `"` as quoted;
//!   [`Dialect::Auto`] reads the file as Cognito's until its first quoted field, and as RFC 4180 from
//!   there on (the lines before it read the same either way, see [`Rule::MixedDialect`]).
//! * A quoted value is written without its quotes, `""` inside it as `"`, and a `,` inside it as
//!   `\,`. A quote inside an unquoted field is a byte of the value (as most readers take it).
//! * What Cognito's dialect cannot carry is refused, naming the line and column: a line break inside a
//!   quoted value ([`Rule::LineBreakInValue`]); a value ending in a backslash before the next field
//!   ([`Rule::TrailingBackslash`]: Cognito would read the backslash and the separator as an escaped
//!   comma); a quoted value never closed ([`Rule::UnclosedQuote`]); text after a closing quote
//!   ([`Rule::TextAfterQuote`]).
//!
//! Every output line is one source line: the line breaks of a refused quoted value are written after
//! its record as empty lines, so the checker's line numbers are the source file's.
//!
//! Cost: a chunk with none of the bytes that need work (`\r`, and unless the file is Cognito's, `"`
//! and `\`) is handed on as it is, not copied; only its line ends are counted.

use memchr::{memchr, memchr_iter, memchr2, memchr3, memrchr};

use super::limits::{BOM, ESCAPED_COMMA, LINE_END, MAX_LISTED_PROBLEMS, MAX_ROW_BYTES};
use super::problem::{Rule, Sink};
use super::scan::{column_name, raw_fields};

/// Which CSV dialect a file is read in (setting `CSV_DIALECT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// RFC 4180 if any field is quoted (starts with `"`), else Cognito's.
    #[default]
    Auto,
    /// Cognito's own: values never quoted, a comma in a value written `\,`.
    Cognito,
    /// RFC 4180, as spreadsheet tools write it.
    Rfc4180,
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Dialect::Auto),
            "cognito" => Ok(Dialect::Cognito),
            "rfc4180" => Ok(Dialect::Rfc4180),
            other => Err(format!("{other:?} is not a CSV dialect (auto, cognito or rfc4180)")),
        }
    }
}

/// What decoding changed, in counts (never values).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decoded {
    /// The dialect the file was read in: `cognito` or `rfc4180`.
    pub read_as: ReadAs,
    pub byte_order_mark_removed: bool,
    /// `\r\n` and lone `\r` line ends written as `\n`.
    pub line_ends_converted: u64,
    /// Quoted fields written without their quotes.
    pub fields_unquoted: u64,
    /// `""` inside quoted values written as `"`.
    pub quotes_undoubled: u64,
    /// Commas inside quoted values written as `\,`.
    pub commas_escaped: u64,
}

/// The dialect a file turned out to be in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadAs {
    #[default]
    Cognito,
    Rfc4180,
}

impl Decoded {
    /// Whether the output differs from the input.
    pub fn changed(&self) -> bool {
        self.byte_order_mark_removed || self.line_ends_converted > 0 || self.fields_unquoted > 0
    }
}

/// The bytes that end a run of plain bytes in an unquoted value, and in a quoted one.
const UNQUOTED_STOPS: [bool; 256] = stops(&[LINE_END, b'\r', b',']);
const QUOTED_STOPS: [bool; 256] = stops(&[LINE_END, b'\r', b',', b'"']);

const fn stops(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a field: of a line, or after a separator.
    FieldStart,
    /// Inside a field that is not quoted.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// A `"` inside a quoted field: the closing quote, or the first of a doubled one.
    QuoteInQuoted,
    /// Text after a closing quote (reported): skipped up to the end of the field.
    AfterQuote,
}

/// The streaming decoder: [`Decoder::feed`] each chunk of the file, then [`Decoder::finish`].
#[derive(Debug)]
pub(super) struct Decoder {
    /// Decided: `Some(true)` RFC 4180, `Some(false)` Cognito's; `None` while [`Dialect::Auto`] has
    /// seen no quoted field.
    rfc: Option<bool>,
    /// How many bytes of a byte-order mark the file has started with; `None` once past the start.
    bom: Option<usize>,
    state: State,
    /// The last byte was a `\r` that ended a line (a `\n` right after it is the same line end).
    after_cr: bool,
    /// The last byte of the current value was a backslash.
    backslash: bool,
    /// The source line being read (1-based).
    line: u64,
    /// The field being read (0-based) in the current record.
    field: usize,
    /// The line the current quoted value opened on.
    value_line: u64,
    /// The current quoted value already has a line break reported.
    break_reported: bool,
    /// Line breaks inside quoted values of the current record (written as empty lines after it).
    breaks: u64,
    /// The first `\,` outside quotes while the dialect is undecided: its line and field.
    escaped_comma: Option<(u64, usize)>,
    /// Line 1 as written out (up to [`MAX_ROW_BYTES`]), for the column names; `None` once read.
    header: Option<Vec<u8>>,
    names: Vec<String>,
    changes: Decoded,
    /// The first problems, with the field they are in (named once line 1 is known, at the end).
    problems: Vec<(u64, usize, Rule)>,
    problem_count: u64,
    out: Vec<u8>,
}

impl Decoder {
    pub(super) fn new(setting: Dialect) -> Self {
        Decoder {
            rfc: match setting {
                Dialect::Auto => None,
                Dialect::Cognito => Some(false),
                Dialect::Rfc4180 => Some(true),
            },
            bom: Some(0),
            state: State::FieldStart,
            after_cr: false,
            backslash: false,
            line: 1,
            field: 0,
            value_line: 1,
            break_reported: false,
            breaks: 0,
            escaped_comma: None,
            header: Some(Vec::new()),
            names: Vec::new(),
            changes: Decoded::default(),
            problems: Vec::new(),
            problem_count: 0,
            out: Vec::new(),
        }
    }

    /// Decodes the next chunk (any chunking); returns its bytes in Cognito's dialect.
    /// `lines_ended`: how many lines of the output so far have ended — the checker that reads the
    /// output counts them anyway, so a chunk handed on as it is need not be counted twice. (Every
    /// output line is a source line; the line breaks of a refused value not yet written out as
    /// empty lines are the only difference, and are added back.)
    pub(super) fn feed<'a>(&'a mut self, chunk: &'a [u8], lines_ended: u64) -> &'a [u8] {
        self.line = lines_ended + 1 + self.breaks;
        let (chunk, replay) = self.skip_bom(chunk);
        let out: &'a [u8] = if replay == 0 && self.quiet(chunk) {
            self.pass(chunk);
            chunk
        } else {
            self.out.clear();
            self.out.reserve(chunk.len() + chunk.len() / 8);
            for &byte in &BOM[..replay] {
                self.byte(byte);
            }
            self.decode(chunk);
            &self.out
        };
        if let Some(header) = self.header.as_mut() {
            let end = memchr(LINE_END, out);
            let line = &out[..end.unwrap_or(out.len())];
            let room = (MAX_ROW_BYTES + 1).saturating_sub(header.len());
            header.extend_from_slice(&line[..line.len().min(room)]);
            if end.is_some() {
                self.names = raw_fields(header).map(column_name).collect();
                self.header = None;
            }
        }
        out
    }

    /// Ends the file: returns its last bytes (if any), what changed and the problems found.
    pub(super) fn finish(mut self) -> (Vec<u8>, Decoded, Sink) {
        let mut tail = Vec::new();
        if let Some(seen) = self.bom.take() {
            // A file shorter than a byte-order mark that began like one: its bytes are data.
            tail.extend_from_slice(&BOM[..seen]);
        }
        match self.state {
            State::Quoted => self.report(self.value_line, self.field, Rule::UnclosedQuote),
            State::QuoteInQuoted | State::AfterQuote | State::Unquoted | State::FieldStart => {}
        }
        tail.extend(std::iter::repeat_n(LINE_END, self.breaks as usize));
        if let Some(header) = self.header.take() {
            self.names = raw_fields(&header).map(column_name).collect();
        }
        self.changes.read_as = if self.rfc == Some(true) {
            ReadAs::Rfc4180
        } else {
            ReadAs::Cognito
        };
        let mut sink = Sink::default();
        for (line, field, rule) in std::mem::take(&mut self.problems) {
            let column = self.column(line, field);
            sink.push(line, Some(&column), rule);
        }
        sink.count = self.problem_count;
        (tail, self.changes, sink)
    }

    /// Drops a byte-order mark at the start of the file, however the chunks cut it. Returns the rest
    /// of the chunk, and how many bytes of [`BOM`] turned out to be data, to be decoded before it.
    fn skip_bom<'a>(&mut self, chunk: &'a [u8]) -> (&'a [u8], usize) {
        let Some(seen) = self.bom else { return (chunk, 0) };
        let take = (BOM.len() - seen).min(chunk.len());
        if chunk[..take] != BOM[seen..seen + take] {
            self.bom = None;
            return (chunk, seen);
        }
        if seen + take == BOM.len() {
            self.bom = None;
            self.changes.byte_order_mark_removed = true;
        } else {
            self.bom = Some(seen + take);
        }
        (&chunk[take..], 0)
    }

    /// Whether the chunk can be handed on as it is: it has none of the bytes that need work, and
    /// the decoder is between values or in an unquoted one.
    #[inline]
    fn quiet(&self, chunk: &[u8]) -> bool {
        if self.after_cr
            || self.backslash
            || self.breaks > 0
            || !matches!(self.state, State::FieldStart | State::Unquoted)
        {
            return false;
        }
        match self.rfc {
            Some(false) => memchr(b'\r', chunk).is_none(),
            // A `\,` is a problem in RFC 4180, and the first one is remembered while undecided.
            Some(true) => memchr3(b'\r', b'"', b'\\', chunk).is_none(),
            None if self.escaped_comma.is_none() => memchr3(b'\r', b'"', b'\\', chunk).is_none(),
            None => memchr2(b'\r', b'"', chunk).is_none(),
        }
    }

    /// Keeps count of lines and fields over a chunk [`Decoder::quiet`] let through.
    fn pass(&mut self, chunk: &[u8]) {
        let Some(&last) = chunk.last() else { return };
        // (`line` is set from the checker's count at the next feed.)
        let tail = match memrchr(LINE_END, chunk) {
            Some(end) => {
                self.field = 0;
                &chunk[end + 1..]
            }
            None => chunk,
        };
        // Commas after a backslash are escaped (possible only once the dialect cannot be RFC 4180's).
        let escaped = memchr_iter(b',', tail)
            .filter(|&i| i > 0 && tail[i - 1] == b'\\')
            .count();
        self.field += memchr_iter(b',', tail).count() - escaped;
        self.backslash = last == b'\\';
        self.state = match last {
            LINE_END => State::FieldStart,
            b',' if !self.backslash && (tail.len() < 2 || tail[tail.len() - 2] != b'\\') => State::FieldStart,
            _ => State::Unquoted,
        };
    }

    /// A chunk through the state machine: runs of plain bytes inside a value are copied whole,
    /// every other byte goes through [`Decoder::byte`].
    fn decode(&mut self, chunk: &[u8]) {
        let mut at = 0;
        while at < chunk.len() {
            let stops = match self.state {
                State::Unquoted if !self.after_cr => &UNQUOTED_STOPS,
                State::Quoted if !self.after_cr => &QUOTED_STOPS,
                _ => {
                    self.byte(chunk[at]);
                    at += 1;
                    continue;
                }
            };
            let rest = &chunk[at..];
            let run = rest.iter().position(|&b| stops[b as usize]).unwrap_or(rest.len());
            if run == 0 {
                self.byte(rest[0]);
                at += 1;
            } else {
                self.out.extend_from_slice(&rest[..run]);
                self.backslash = rest[run - 1] == b'\\';
                at += run;
            }
        }
    }

    /// One byte, in the state machine.
    #[inline]
    fn byte(&mut self, byte: u8) {
        if std::mem::take(&mut self.after_cr) && byte == LINE_END {
            // The `\n` of a `\r\n`: that line end is already counted and written.
            return;
        }
        match self.state {
            State::FieldStart | State::Unquoted => match byte {
                LINE_END => self.end_record(),
                b'\r' => self.cr_line_end(),
                b'"' if self.state == State::FieldStart && self.rfc != Some(false) => {
                    if self.rfc.is_none() {
                        self.decide_rfc();
                    }
                    self.changes.fields_unquoted += 1;
                    self.value_line = self.line;
                    self.break_reported = false;
                    self.state = State::Quoted;
                }
                b',' if self.backslash => {
                    self.backslash = false;
                    match self.rfc {
                        // A value ending in a backslash, then the separator.
                        Some(true) => {
                            self.report(self.line, self.field, Rule::TrailingBackslash);
                            self.separator();
                        }
                        // An escaped comma, unless a quoted field later says otherwise.
                        None => {
                            self.escaped_comma.get_or_insert((self.line, self.field));
                            self.out.push(b',');
                        }
                        Some(false) => self.out.push(b','),
                    }
                }
                b',' => self.separator(),
                other => {
                    self.out.push(other);
                    self.backslash = other == b'\\';
                    self.state = State::Unquoted;
                }
            },
            State::Quoted => match byte {
                b'"' => self.state = State::QuoteInQuoted,
                b',' => {
                    self.out.extend_from_slice(ESCAPED_COMMA);
                    self.changes.commas_escaped += 1;
                    self.backslash = false;
                }
                LINE_END | b'\r' => {
                    if !self.break_reported {
                        self.break_reported = true;
                        self.report(self.value_line, self.field, Rule::LineBreakInValue);
                    }
                    // Kept out of the line (see the module docs); a space keeps the value's shape.
                    self.out.push(b' ');
                    self.line += 1;
                    self.breaks += 1;
                    self.after_cr = byte == b'\r';
                    self.backslash = false;
                }
                other => {
                    self.out.push(other);
                    self.backslash = other == b'\\';
                }
            },
            State::QuoteInQuoted => match byte {
                b'"' => {
                    self.out.push(b'"');
                    self.changes.quotes_undoubled += 1;
                    self.backslash = false;
                    self.state = State::Quoted;
                }
                b',' => {
                    if self.backslash {
                        self.report(self.line, self.field, Rule::TrailingBackslash);
                    }
                    self.backslash = false;
                    self.separator();
                }
                LINE_END => self.end_record(),
                b'\r' => self.cr_line_end(),
                _ => {
                    self.report(self.line, self.field, Rule::TextAfterQuote);
                    self.state = State::AfterQuote;
                }
            },
            State::AfterQuote => match byte {
                b',' => self.separator(),
                LINE_END => self.end_record(),
                b'\r' => self.cr_line_end(),
                _ => {}
            },
        }
    }

    /// A `\r` outside quotes: a line end (a `\n` right after it is part of it).
    fn cr_line_end(&mut self) {
        self.changes.line_ends_converted += 1;
        self.end_record();
        self.after_cr = true;
    }

    /// A field separator outside quotes.
    fn separator(&mut self) {
        self.out.push(b',');
        self.field += 1;
        self.state = State::FieldStart;
    }

    /// A line end outside quotes: the record is over.
    fn end_record(&mut self) {
        self.out.push(LINE_END);
        // One empty line for each line break a refused value held, so line numbers stay the source's.
        for _ in 0..std::mem::take(&mut self.breaks) {
            self.out.push(LINE_END);
        }
        self.line += 1;
        self.field = 0;
        self.backslash = false;
        self.state = State::FieldStart;
    }

    /// The first quoted field of an [`Dialect::Auto`] file: it is RFC 4180's, and a `\,` seen
    /// before cannot be read both ways.
    #[cold]
    fn decide_rfc(&mut self) {
        self.rfc = Some(true);
        if let Some((line, field)) = self.escaped_comma {
            self.report(line, field, Rule::MixedDialect { quoted_line: self.line });
        }
    }

    #[cold]
    fn report(&mut self, line: u64, field: usize, rule: Rule) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push((line, field, rule));
        }
    }

    /// A column by its name in line 1 of the file; by its position (`#3`) on line 1 itself, or
    /// past the names line 1 has.
    fn column(&self, line: u64, field: usize) -> String {
        match self.names.get(field) {
            Some(name) if line > 1 && !name.is_empty() => name.clone(),
            _ => format!("#{}", field + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{Found, found, pool, prepare};
    use super::super::{Options, PoolRules, Rule};
    use super::*;

    fn rules() -> PoolRules {
        PoolRules {
            header: vec!["cognito:username".into(), "name".into(), "email".into()],
            require_full_header: false,
            ..pool()
        }
    }

    /// The bytes to upload and the problems, read in `dialect`, header left as it is. (The pool
    /// auto-verifies email and phone number, which these rows leave out: the checker's `NotVerified`
    /// on every row is left out too.)
    fn decode(dialect: Dialect, text: &[u8]) -> (Vec<u8>, Decoded, Found) {
        let options = Options {
            dialect,
            complete_header: false,
            hashing: None,
        };
        let (out, prepared) = prepare(&rules(), options, text);
        let mut problems = found(&prepared.verdict);
        problems.retain(|(_, _, rule)| *rule != Rule::NotVerified);
        (out, prepared.normalised.decoded, problems)
    }

    #[test]
    fn cognitos_dialect_is_handed_on_as_it_is() {
        let text = b"cognito:username,name,email\nzoe,Zo\xc3\xab\\, Jr,z@example.com\nmax,Max \"M\" Ng,m@example.com\n";
        for dialect in [Dialect::Auto, Dialect::Cognito] {
            let (out, decoded, problems) = decode(dialect, text);
            assert_eq!(out, text);
            assert_eq!(decoded, Decoded::default());
            assert!(!decoded.changed());
            assert_eq!(problems, []);
        }
        // Not copied: a chunk without quotes, carriage returns or backslashes is handed on itself
        // (and in Cognito's dialect, one without carriage returns).
        let plain = b"cognito:username,name,email\nzoe,Zo\xc3\xab,z@example.com\n";
        let mut decoder = Decoder::new(Dialect::Auto);
        assert_eq!(decoder.feed(plain, 0).as_ptr(), plain.as_ptr());
        let mut decoder = Decoder::new(Dialect::Cognito);
        assert_eq!(decoder.feed(text, 0).as_ptr(), text.as_ptr());
    }

    #[test]
    fn excel_csv_utf8_is_read_as_rfc_4180() {
        let text = "\u{feff}cognito:username,name,email\r\nbob,\"Bob \"\"B\"\" Jones, Jr\",bob@example.com\r\n\"zoe\",Zoë,\r\n";
        let (out, decoded, problems) = decode(Dialect::Auto, text.as_bytes());
        assert_eq!(
            out,
            "cognito:username,name,email\nbob,Bob \"B\" Jones\\, Jr,bob@example.com\nzoe,Zoë,\n".as_bytes()
        );
        assert_eq!(problems, []);
        assert_eq!(
            decoded,
            Decoded {
                read_as: ReadAs::Rfc4180,
                byte_order_mark_removed: true,
                line_ends_converted: 3,
                fields_unquoted: 2,
                quotes_undoubled: 2,
                commas_escaped: 1,
            }
        );
    }

    #[test]
    fn a_lone_cr_ends_a_line_and_crlf_is_one_line_end() {
        let (out, decoded, _) = decode(Dialect::Auto, b"cognito:username,name,email\ra,,\r\rb,,\r\n");
        assert_eq!(out, b"cognito:username,name,email\na,,\n\nb,,\n");
        assert_eq!(decoded.line_ends_converted, 4);
    }

    #[test]
    fn a_backslash_before_a_comma_inside_quotes_is_kept() {
        // The value `a\,b`: Cognito reads `\\,` as a backslash, then an escaped comma.
        let (out, _, problems) = decode(Dialect::Rfc4180, b"cognito:username,name,email\nu,\"a\\,b\",\n");
        assert_eq!(out, b"cognito:username,name,email\nu,a\\\\,b,\n");
        assert_eq!(problems, []);
        // A backslash ending the last value is fine: no separator follows it.
        let (_, _, problems) = decode(Dialect::Rfc4180, b"cognito:username,email,name\nu,,\"x\\\"\n");
        assert_eq!(problems, []);
    }

    #[test]
    fn what_cognitos_dialect_cannot_carry_is_refused_by_line_and_column() {
        let text = b"cognito:username,name,email\nu1,\"two\r\nlines\",a@example.com\nu2,\"ends\\\",b@example.com\n\
                     u3,x\\,y@example.com\nu4,\"quoted\" then,c@example.com\nu5,\"never closed,\n";
        let (_, _, problems) = decode(Dialect::Rfc4180, text);
        assert_eq!(
            problems,
            [
                (2, Some("name"), Rule::LineBreakInValue),
                // The line numbers after a value with a line break are the file's. Cognito would read
                // the backslash and the separator as one comma: one field short.
                (4, None, Rule::FieldCount { expected: 3, found: 2 }),
                (4, Some("name"), Rule::TrailingBackslash),
                (5, None, Rule::FieldCount { expected: 3, found: 2 }),
                (5, Some("name"), Rule::TrailingBackslash),
                (6, Some("name"), Rule::TextAfterQuote),
                // The value never closed runs over the file's last line end.
                (7, None, Rule::FieldCount { expected: 3, found: 2 }),
                (7, Some("name"), Rule::LineBreakInValue),
                (7, Some("name"), Rule::UnclosedQuote),
            ]
        );
    }

    #[test]
    fn a_cognito_escaped_comma_before_the_first_quoted_field_is_a_mixed_file() {
        let text = b"cognito:username,name,email\nu1,Ng\\, Max,m@example.com\nu2,\"Lee, Ann\",a@example.com\n";
        let (_, decoded, problems) = decode(Dialect::Auto, text);
        assert_eq!(decoded.read_as, ReadAs::Rfc4180);
        assert_eq!(problems, [(2, Some("name"), Rule::MixedDialect { quoted_line: 3 })]);
        // Said to be Cognito's, the same file keeps its quotes and the quoted comma splits a field,
        // as it would in Cognito.
        let (out, _, problems) = decode(Dialect::Cognito, text);
        assert_eq!(out, text);
        assert_eq!(problems, [(3, None, Rule::FieldCount { expected: 3, found: 4 })]);
    }

    #[test]
    fn a_byte_order_mark_is_dropped_only_at_the_start() {
        let (out, decoded, _) = decode(Dialect::Auto, "\u{feff}cognito:username\n\u{feff}x\n".as_bytes());
        assert_eq!(out, "cognito:username\n\u{feff}x\n".as_bytes());
        assert!(decoded.byte_order_mark_removed);
        // A start that only looks like one is data.
        let (out, decoded, _) = decode(Dialect::Auto, b"\xef\xbbx\n");
        assert_eq!(out, b"\xef\xbbx\n");
        assert!(!decoded.byte_order_mark_removed);
        let (out, _, _) = decode(Dialect::Auto, b"\xef");
        assert_eq!(out, b"\xef");
    }

    #[test]
    fn the_setting_is_read_in_any_case() {
        assert_eq!("RFC4180".parse(), Ok(Dialect::Rfc4180));
        assert_eq!(" auto ".parse(), Ok(Dialect::Auto));
        assert_eq!("cognito".parse(), Ok(Dialect::Cognito));
        assert!("excel".parse::<Dialect>().is_err());
    }

    /// Any table written by the `csv` crate (RFC 4180: quoting as needed or always, CRLF or LF, with
    /// or without a byte-order mark), in any chunks, reads back value for value in Cognito's dialect
    /// — or is refused for exactly what the dialect cannot carry.
    mod against_the_csv_crate {
        use super::*;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = String> {
            let piece = prop::sample::select(vec!["a", "Zoë", "日", " ", ",", "\"", "\\", "x", "\n"]);
            prop::collection::vec(piece, 0..5).prop_map(|pieces| pieces.concat())
        }

        /// A line of Cognito's dialect into its values (untrimmed).
        fn cognito_values(line: &[u8]) -> Vec<String> {
            raw_fields(line)
                .map(|raw| String::from_utf8(raw.to_vec()).unwrap().replace("\\,", ","))
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn reads_back_what_it_wrote(
                rows in prop::collection::vec(prop::collection::vec(value(), 3), 1..6),
                always in any::<bool>(),
                crlf in any::<bool>(),
                bom in any::<bool>(),
                chunk in 1usize..40,
            ) {
                let mut writer = csv::WriterBuilder::new()
                    .quote_style(if always { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary })
                    .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                    .from_writer(if bom { BOM.to_vec() } else { Vec::new() });
                for row in &rows {
                    writer.write_record(row).unwrap();
                }
                let written = writer.into_inner().unwrap();

                let mut decoder = Decoder::new(Dialect::Rfc4180);
                let mut out = Vec::new();
                for piece in written.chunks(chunk) {
                    let lines_ended = out.iter().filter(|&&b| b == b'\n').count() as u64;
                    out.extend_from_slice(decoder.feed(piece, lines_ended));
                }
                let (tail, decoded, sink) = decoder.finish();
                out.extend_from_slice(&tail);
                let rules: Vec<Rule> = sink.problems.iter().map(|p| p.rule.clone()).collect();

                let breaks = rows.iter().flatten().any(|v| v.contains('\n'));
                let ends_in_backslash = rows.iter().any(|row| row[..row.len() - 1].iter().any(|v| v.ends_with('\\')));
                prop_assert_eq!(rules.contains(&Rule::LineBreakInValue), breaks);
                prop_assert_eq!(rules.contains(&Rule::TrailingBackslash), ends_in_backslash);
                prop_assert!(rules.iter().all(|r| matches!(r, Rule::LineBreakInValue | Rule::TrailingBackslash)));
                prop_assert_eq!(decoded.byte_order_mark_removed, bom);
                if !breaks && !ends_in_backslash {
                    let lines: Vec<&[u8]> = out.strip_suffix(b"\n").unwrap().split(|&b| b == b'\n').collect();
                    prop_assert_eq!(lines.len(), rows.len());
                    for (line, row) in lines.iter().zip(&rows) {
                        prop_assert_eq!(&cognito_values(line), row);
                    }
                }
            }
        }
    }
}
