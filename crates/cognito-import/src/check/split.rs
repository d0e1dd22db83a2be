//! A prepared file over Cognito's limits, cut at row boundaries into parts that each import as a
//! job of their own: streaming, no I/O, a few bytes of state.
//!
//! The input is a *prepared* file ([`Preparer`](super::Preparer)'s output: Cognito's dialect, lines
//! ended by `\n`, line 1 the header). The [`Splitter`] cuts it into parts:
//!
//! * Each part is the header line, then consecutive lines of the source. Part 1 starts with the
//!   source's own line 1; every later part starts with a copy of it.
//! * A part holds at most [`Limits::rows`] user rows (non-empty lines after line 1, as the checker
//!   counts them) and at most [`Limits::bytes`] bytes, its header included.
//! * A cut is made only before a user row, never before an empty line: empty lines are carried
//!   along inside parts (they stay with the part before a cut when they fit in it, else they open
//!   the next part), so no part but a last one of only trailing empty lines is without rows.
//! * A file within both limits is one part whose bytes are exactly the input. Every part but the
//!   last ends with `\n`.
//!
//! # Line numbers
//!
//! Line `N` of a part (1-based, empty lines counted as everywhere in `check`) is, in the source:
//!
//! * `N = 1`: line 1 (the header, repeated);
//! * `N ≥ 2`: line [`PartInfo::first_line`]` + N - 2` ([`PartInfo::source_line`]).
//!
//! A part's lines after its header are the source's lines `first_line..=last_line`, without a gap.
//! (The prepared file has the source's line numbers: the decoder writes one output line per source
//! line.) So a job's log line `Line Number N` of part `p` maps back to the source file exactly.
//!
//! # When a part is over a limit anyway
//!
//! A part holds at least one row, so a header and a single row over the byte limit make a part over
//! it (as do a header, a row and the empty lines before it, when there are more empty lines in a row
//! than fit in a part). A line longer than [`Limits::line`] is not held back while the splitter waits for its end
//! (memory stays flat whatever the file): the decision to cut before it is taken as if it were
//! `line + 1` bytes long, and its bytes go on into that part, which may then be over the byte
//! limit. The checker refuses such a line anyway ([`Rule::RowTooLong`]). A header longer than
//! [`Limits::line`] is not repeated: such a file is one part (the checker refuses it).
//!
//! # Cost
//!
//! The splitter reads every line end (`memchr`). It hands slices of the chunks it is fed on; it
//! copies only the line cut by a chunk's end, and only when that line comes within
//! [`Limits::line`] bytes of a limit, so that the cut can wait for its length. It keeps at most that
//! line, the header ([`Limits::line`] bytes each) and one [`PartInfo`] per part.

use memchr::{memchr, memchr_iter};

use super::hashes::HashGroup;
use super::limits::{LINE_END, MAX_BYTES, MAX_ROW_BYTES, MAX_ROWS};
use super::problem::{Rule, Verdict};

/// Largest part, in bytes, its header included: 100,000,000.
///
/// Cognito's quota is "100 MB" per file, and AWS does not say whether that is 10^8 bytes or 100 MiB
/// (104,857,600, the checker's [`MAX_BYTES`]). A part stays under both readings: the smaller one.
/// (So a file between the two is within the checker's limit, and still made two parts.)
pub const MAX_PART_BYTES: u64 = 100_000_000;

/// Longest line held back while the splitter waits for its end: a row of [`MAX_ROW_BYTES`] (the
/// longest the checker accepts) and its `\r\n`.
pub const MAX_HELD_LINE: usize = MAX_ROW_BYTES + 2;

/// What a part may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most user rows in a part.
    pub rows: u64,
    /// Most bytes in a part, its header included.
    pub bytes: u64,
    /// Longest line (its `\n` included) held back until its end is seen; see the module's docs for
    /// a longer one.
    pub line: usize,
}

impl Limits {
    /// Cognito's: [`MAX_ROWS`] rows, [`MAX_PART_BYTES`] bytes, lines of [`MAX_HELD_LINE`] bytes.
    pub const COGNITO: Limits = Limits {
        rows: MAX_ROWS,
        bytes: MAX_PART_BYTES,
        line: MAX_HELD_LINE,
    };

    /// No cut: one part, whatever the file.
    const NONE: Limits = Limits {
        rows: u64::MAX,
        bytes: u64::MAX,
        line: MAX_HELD_LINE,
    };
}

/// What [`Splitter::feed`] hands on, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Part `number` (from 1) starts: the pieces up to the next `Part` are its bytes, the header
    /// first.
    Part(u32),
    /// The next bytes of the current part.
    Bytes(&'a [u8]),
}

/// One part of a split file. Its line `N ≥ 2` is the source's line `first_line + N - 2`
/// ([`PartInfo::source_line`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartInfo {
    /// 1-based.
    pub number: u32,
    /// The source line of the part's line 2: its first line after the header (a user row, or an
    /// empty line carried along).
    pub first_line: u64,
    /// The source line of its last line. `first_line..=last_line` are the source lines it holds
    /// after its header, without a gap; the range is empty (`last_line < first_line`) when the part
    /// is only a header.
    pub last_line: u64,
    /// User rows: non-empty lines after the header. (The checker also skips a line of only `\r` as
    /// blank; a prepared file has none, and here it would count as a row: a part can only come out
    /// smaller for it.)
    pub rows: u64,
    /// Bytes, the header included.
    pub bytes: u64,
    /// In a file imported as one file per hash algorithm, the algorithm's (see `group`): then the
    /// line numbers above are that algorithm's file's, not the source's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<HashGroup>,
}

impl PartInfo {
    /// The source line of the part's line `part_line` (1-based): the header for 1, else
    /// `first_line + part_line - 2`.
    pub fn source_line(&self, part_line: u64) -> u64 {
        if part_line <= 1 {
            1
        } else {
            self.first_line + part_line - 2
        }
    }

    /// Whether the part is within `limits`' rows and bytes.
    pub fn within(&self, limits: &Limits) -> bool {
        self.rows <= limits.rows && self.bytes <= limits.bytes
    }
}

/// The verdict on a file that is imported as `parts` rather than as one file: without
/// [`Rule::FileTooLarge`] and [`Rule::TooManyRows`] when every part is within Cognito's limits
/// ([`Limits::COGNITO`]), since no job is given more than a part. Otherwise the verdict as it is.
///
/// The checker reports each of the two problems at most once, when the whole file is over its limit
/// ([`Verdict::bytes`] over [`MAX_BYTES`], [`Verdict::rows`] over [`MAX_ROWS`]); they are taken off
/// the count even when the list was already full.
pub fn verdict_when_split(mut verdict: Verdict, parts: &[PartInfo]) -> Verdict {
    if parts.is_empty() || !parts.iter().all(|p| p.within(&Limits::COGNITO)) {
        return verdict;
    }
    let reported = u64::from(verdict.bytes > MAX_BYTES) + u64::from(verdict.rows > MAX_ROWS);
    verdict
        .problems
        .retain(|p| !matches!(p.rule, Rule::FileTooLarge { .. } | Rule::TooManyRows { .. }));
    verdict.problem_count -= reported.min(verdict.problem_count);
    verdict
}

/// A piece, before the borrow of the splitter and the chunk it refers to is handed out.
#[derive(Clone, Copy, Debug)]
enum Op {
    Part(u32),
    /// `chunk[start..end]`.
    Chunk(usize, usize),
    /// The repeated header.
    Header,
    /// The line that was held back, handed on.
    Emitted,
    /// That many `\n` (at most [`NEWLINES`]' length): empty lines that were held back.
    Newlines(usize),
}

static NEWLINES: [u8; 1024] = [LINE_END; 1024];

/// The line being read: what has become of its bytes so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    /// No byte of it yet.
    Start,
    /// Its bytes so far are held in `held`: its part is not decided.
    Held,
    /// It is in the current part: its bytes go there up to its `\n`.
    Placed,
}

/// The streaming splitter: [`Splitter::feed`] the prepared file's bytes in any chunks, writing each
/// piece where it goes, then [`Splitter::finish`].
///
/// The parts do not depend on how the bytes are cut into chunks.
///
/// ```
/// use cognito_import::check::{Limits, Piece, Splitter};
///
/// let mut splitter = Splitter::new(Limits { rows: 2, ..Limits::COGNITO });
/// let mut parts: Vec<Vec<u8>> = Vec::new();
/// let mut take = |piece: Piece<'_>| match piece {
///     Piece::Part(_) => parts.push(Vec::new()),
///     Piece::Bytes(bytes) => parts.last_mut().unwrap().extend_from_slice(bytes),
/// };
/// for chunk in [&b"h\na\n\nb"[..], b"\nc\n"] {
///     splitter.feed(chunk).for_each(&mut take);
/// }
/// let (tail, info) = splitter.finish();
/// tail.pieces().for_each(&mut take);
/// assert_eq!(parts, [&b"h\na\n\nb\n"[..], b"h\nc\n"]);
/// // Part 2's line 2 is the source's line 5.
/// assert_eq!((info[1].first_line, info[1].last_line, info[1].rows), (5, 5, 1));
/// assert_eq!(info[1].source_line(2), 5);
/// ```
#[derive(Debug)]
pub struct Splitter {
    limits: Limits,
    /// Line 1 has not ended yet.
    in_header: bool,
    /// Line 1 is too long to repeat: the file is one part.
    whole: bool,
    /// Line 1 with its `\n`, repeated at the start of every part after the first.
    header: Vec<u8>,
    /// Lines ended so far.
    lines: u64,
    /// Empty lines held back, from chunks before this one: the lines just before the current one.
    blanks: u64,
    line: Line,
    /// The start of the current line, while [`Line::Held`] (at most `limits.line` bytes).
    held: Vec<u8>,
    /// The held line once it is handed on (kept while its piece is borrowed).
    emitted: Vec<u8>,
    /// The current part (`number` 0 before the first piece).
    part: PartInfo,
    parts: Vec<PartInfo>,
    ops: Vec<Op>,
}

impl Splitter {
    /// A splitter into parts within `limits`.
    pub fn new(limits: Limits) -> Self {
        Splitter {
            limits,
            in_header: true,
            whole: false,
            header: Vec::new(),
            lines: 0,
            blanks: 0,
            line: Line::Start,
            held: Vec::new(),
            emitted: Vec::new(),
            part: PartInfo {
                number: 0,
                first_line: 2,
                last_line: 0,
                rows: 0,
                bytes: 0,
                group: None,
            },
            parts: Vec::new(),
            ops: Vec::new(),
        }
    }

    /// A splitter into parts within Cognito's limits ([`Limits::COGNITO`]).
    pub fn cognito() -> Self {
        Splitter::new(Limits::COGNITO)
    }

    /// Splits the next chunk (any chunking); returns the pieces it makes, in order. The first piece
    /// of the file is [`Piece::Part`]`(1)`.
    pub fn feed<'a>(&'a mut self, chunk: &'a [u8]) -> impl Iterator<Item = Piece<'a>> + 'a {
        self.ops.clear();
        self.begin();
        let start = if self.in_header { self.header_line(chunk) } else { 0 };
        if !self.in_header {
            self.rows(chunk, start);
        } else {
            self.push_chunk(0, chunk.len());
        }
        let this: &'a Splitter = self;
        this.ops
            .iter()
            .map(move |&op| resolve(op, chunk, &this.header, &this.emitted))
    }

    /// Ends the file (a last line without `\n` is a line): the last pieces, and every part.
    pub fn finish(mut self) -> (Tail, Vec<PartInfo>) {
        self.ops.clear();
        self.begin();
        if self.in_header {
            // Only line 1, without a line end (or nothing at all).
            if self.part.bytes > 0 {
                self.part.last_line = 1;
            }
        } else {
            match self.line {
                Line::Held => {
                    let len = self.held.len();
                    self.place_row(len as u64, &mut 0, 0, 0);
                    std::mem::swap(&mut self.held, &mut self.emitted);
                    self.ops.push(Op::Emitted);
                    self.part.bytes += len as u64;
                }
                Line::Placed => {}
                Line::Start if self.blanks > 0 => {
                    // Empty lines at the end: in the last part if they fit, else a part of their own.
                    let n = self.lines + 1;
                    let blanks = self.blanks;
                    if self.part.rows > 0 && self.part.bytes + blanks > self.limits.bytes {
                        self.cut(n - blanks);
                    }
                    self.newlines(blanks);
                    self.part.bytes += blanks;
                    self.part.last_line = n - 1;
                    self.blanks = 0;
                }
                Line::Start => {}
            }
        }
        self.parts.push(self.part.clone());
        let tail = Tail {
            ops: std::mem::take(&mut self.ops),
            header: std::mem::take(&mut self.header),
            emitted: std::mem::take(&mut self.emitted),
        };
        (tail, self.parts)
    }

    /// The first piece of the file, once.
    fn begin(&mut self) {
        if self.part.number == 0 {
            self.part.number = 1;
            self.ops.push(Op::Part(1));
        }
    }

    /// Line 1's bytes in `chunk` (all part 1's): kept to repeat, up to `limits.line` bytes. Returns
    /// where line 1 ends in `chunk` (its length when it does not).
    fn header_line(&mut self, chunk: &[u8]) -> usize {
        let end = memchr(LINE_END, chunk).map_or(chunk.len(), |i| i + 1);
        self.part.bytes += end as u64;
        if !self.whole && self.header.len() + end > self.limits.line {
            // Too long to be a header: not repeated, and so no cut.
            self.whole = true;
            self.limits = Limits {
                line: self.limits.line,
                ..Limits::NONE
            };
            self.header = Vec::new();
        } else if !self.whole {
            self.header.extend_from_slice(&chunk[..end]);
        }
        if end > 0 && chunk[end - 1] == LINE_END {
            self.in_header = false;
            self.lines = 1;
            self.part.last_line = 1;
        }
        end
    }

    /// The bytes of `chunk` from `start` on, after line 1.
    fn rows(&mut self, chunk: &[u8], start: usize) {
        let cap = self.limits.line;
        // `chunk[run..]` up to the next decision is the current part's, not yet in `ops`;
        // `chunk[blank..at]` are empty lines held back (only `\n`s), `at` the start of the current
        // line. `self.blanks > 0` (empty lines from earlier chunks) only while nothing of this chunk
        // is decided (`run == blank == 0`).
        let mut run = 0;
        let mut at = start;
        let mut blank = start;
        match self.line {
            Line::Start => {}
            Line::Placed => match memchr(LINE_END, chunk) {
                Some(i) => {
                    self.part.bytes += i as u64 + 1;
                    self.lines += 1;
                    self.line = Line::Start;
                    at = i + 1;
                    blank = at;
                }
                None => {
                    self.part.bytes += chunk.len() as u64;
                    self.push_chunk(run, chunk.len());
                    return;
                }
            },
            Line::Held => {
                let end = memchr(LINE_END, chunk).map(|i| i + 1);
                let head = end.unwrap_or(chunk.len());
                let len = self.held.len() + head;
                if end.is_none() && len <= cap {
                    self.held.extend_from_slice(chunk);
                    return;
                }
                let weight = if len <= cap { len as u64 } else { cap as u64 + 1 };
                self.place_row(weight, &mut run, 0, 0);
                self.emitted.clear();
                std::mem::swap(&mut self.held, &mut self.emitted);
                self.ops.push(Op::Emitted);
                self.part.bytes += len as u64;
                match end {
                    Some(end) => {
                        self.lines += 1;
                        self.line = Line::Start;
                        at = end;
                        blank = end;
                    }
                    None => {
                        self.line = Line::Placed;
                        self.push_chunk(run, chunk.len());
                        return;
                    }
                }
            }
        }
        let from = at;
        for nl in memchr_iter(LINE_END, &chunk[from..]).map(|i| from + i) {
            if nl > at {
                let len = nl + 1 - at;
                let weight = if len <= cap { len as u64 } else { cap as u64 + 1 };
                self.place_row(weight, &mut run, blank, at);
                self.part.bytes += len as u64;
                blank = nl + 1;
            }
            // An empty line stays in `chunk[blank..]` until a row decides where it goes.
            self.lines += 1;
            at = nl + 1;
        }
        let tail = chunk.len() - at;
        if tail == 0 {
            self.blanks += (at - blank) as u64;
            self.push_chunk(run, blank);
            return;
        }
        // A line cut by the chunk's end: into the current part now if it fits there however long
        // it turns out (or is already too long to hold), else held until its end decides.
        let blanks = self.blanks + (at - blank) as u64;
        if tail > cap || self.fits(blanks, cap as u64 + 1) {
            self.place_row(cap as u64 + 1, &mut run, blank, at);
            self.part.bytes += tail as u64;
            self.line = Line::Placed;
            self.push_chunk(run, chunk.len());
        } else {
            self.blanks = blanks;
            self.held.clear();
            self.held.extend_from_slice(&chunk[at..]);
            self.line = Line::Held;
            self.push_chunk(run, blank);
        }
    }

    /// Whether a row of `weight` bytes after `blanks` empty lines goes into the current part.
    fn fits(&self, blanks: u64, weight: u64) -> bool {
        self.part.rows == 0
            || (self.part.rows < self.limits.rows
                && self.part.bytes.saturating_add(blanks).saturating_add(weight) <= self.limits.bytes)
    }

    /// Decides the part of the row starting at `chunk[at]` (or held), weighing `weight` bytes, and of
    /// the empty lines before it (`self.blanks`, then `chunk[blank..at]`): cuts before them when
    /// needed, and adds them and the row to the part (the row's bytes are the caller's to count).
    fn place_row(&mut self, weight: u64, run: &mut usize, blank: usize, at: usize) {
        let blanks = self.blanks + (at - blank) as u64;
        let n = self.lines + 1;
        if !self.fits(blanks, weight) {
            if self.part.bytes + blanks <= self.limits.bytes {
                // The empty lines end the part, the row starts the next.
                self.newlines(self.blanks);
                self.push_chunk(*run, at);
                *run = at;
                self.part.bytes += blanks;
                self.part.last_line = n - 1;
                self.cut(n);
            } else {
                // They open the next part.
                self.push_chunk(*run, blank);
                *run = blank;
                self.cut(n - blanks);
                self.newlines(self.blanks);
                self.part.bytes += blanks;
            }
        } else {
            self.newlines(self.blanks);
            self.part.bytes += blanks;
        }
        self.blanks = 0;
        self.part.rows += 1;
        self.part.last_line = n;
    }

    /// Ends the current part and starts the next, whose line 2 is source line `first_line`.
    fn cut(&mut self, first_line: u64) {
        let number = self.part.number + 1;
        let next = PartInfo {
            number,
            first_line,
            last_line: first_line - 1,
            rows: 0,
            bytes: self.header.len() as u64,
            group: None,
        };
        self.parts.push(std::mem::replace(&mut self.part, next));
        self.ops.push(Op::Part(number));
        self.ops.push(Op::Header);
    }

    fn newlines(&mut self, mut count: u64) {
        while count > 0 {
            let n = count.min(NEWLINES.len() as u64);
            self.ops.push(Op::Newlines(n as usize));
            count -= n;
        }
    }

    fn push_chunk(&mut self, start: usize, end: usize) {
        if end > start {
            self.ops.push(Op::Chunk(start, end));
        }
    }
}

/// The last pieces of a file, from [`Splitter::finish`]: [`Tail::pieces`].
#[derive(Debug)]
pub struct Tail {
    ops: Vec<Op>,
    header: Vec<u8>,
    emitted: Vec<u8>,
}

impl Tail {
    /// The last pieces, in order (none, or a last line, or a part of its own).
    pub fn pieces(&self) -> impl Iterator<Item = Piece<'_>> + '_ {
        self.ops.iter().map(|&op| resolve(op, &[], &self.header, &self.emitted))
    }
}

fn resolve<'a>(op: Op, chunk: &'a [u8], header: &'a [u8], emitted: &'a [u8]) -> Piece<'a> {
    match op {
        Op::Part(number) => Piece::Part(number),
        Op::Chunk(start, end) => Piece::Bytes(&chunk[start..end]),
        Op::Header => Piece::Bytes(header),
        Op::Emitted => Piece::Bytes(emitted),
        Op::Newlines(n) => Piece::Bytes(&NEWLINES[..n]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Problem;

    /// The parts of `bytes` split in chunks of `chunk` bytes, and their infos; also checks that
    /// pieces come in order (a part first, parts numbered from 1) and that no `Bytes` is empty.
    fn split_in(limits: Limits, bytes: &[u8], chunk: usize) -> (Vec<Vec<u8>>, Vec<PartInfo>) {
        let mut splitter = Splitter::new(limits);
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut take = |piece: Piece<'_>| match piece {
            Piece::Part(number) => {
                assert_eq!(number as usize, parts.len() + 1);
                parts.push(Vec::new());
            }
            Piece::Bytes(b) => {
                assert!(!b.is_empty(), "an empty piece");
                parts.last_mut().expect("a part first").extend_from_slice(b);
            }
        };
        if bytes.is_empty() {
            splitter.feed(&[]).for_each(&mut take);
        }
        for piece in bytes.chunks(chunk.max(1)) {
            splitter.feed(piece).for_each(&mut take);
        }
        let (tail, infos) = splitter.finish();
        tail.pieces().for_each(&mut take);
        (parts, infos)
    }

    /// The parts in every chunking from 1 to 64 bytes (and a few larger), checked to agree, and
    /// checked against what every split must be: the input again, minus the repeated headers.
    fn split(limits: Limits, bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<PartInfo>) {
        let whole = split_in(limits, bytes, bytes.len());
        for size in (1..=64).chain([100, 1000, 4096]) {
            assert_eq!(split_in(limits, bytes, size), whole, "chunks of {size} bytes");
        }
        assert_rejoins(bytes, &whole.0, &whole.1);
        whole
    }

    /// The parts joined without their repeated headers are `bytes`; each part's info matches it.
    fn assert_rejoins(bytes: &[u8], parts: &[Vec<u8>], infos: &[PartInfo]) {
        assert_eq!(parts.len(), infos.len());
        let header_len = memchr(LINE_END, bytes).map_or(bytes.len(), |i| i + 1);
        let header = &bytes[..header_len];
        let mut joined = Vec::new();
        for (i, (part, info)) in parts.iter().zip(infos).enumerate() {
            assert_eq!(info.number as usize, i + 1);
            assert_eq!(info.bytes, part.len() as u64, "part {}", i + 1);
            assert!(part.starts_with(header), "part {} starts with the header", i + 1);
            if i + 1 < parts.len() {
                assert!(part.ends_with(b"\n"), "part {} ends with a line end", i + 1);
            }
            let body = if i == 0 { &part[..] } else { &part[header_len..] };
            // The part's lines after its header are the source's `first_line..=last_line`.
            let source_lines: Vec<&[u8]> = bytes.split(|&b| b == LINE_END).collect();
            let own: Vec<&[u8]> = part.split(|&b| b == LINE_END).collect();
            let own_count = if part.ends_with(b"\n") {
                own.len() - 1
            } else {
                own.len()
            };
            assert_eq!(
                (info.last_line + 1).saturating_sub(info.first_line),
                own_count as u64 - 1,
                "part {}: {info:?}",
                i + 1
            );
            for n in 2..=own_count as u64 {
                assert_eq!(own[n as usize - 1], source_lines[info.source_line(n) as usize - 1]);
            }
            let rows = own[1..own_count].iter().filter(|l| !l.is_empty()).count();
            assert_eq!(info.rows, rows as u64, "part {}", i + 1);
            joined.extend_from_slice(body);
        }
        assert_eq!(joined, bytes);
    }

    fn small(rows: u64, bytes: u64) -> Limits {
        Limits { rows, bytes, line: 16 }
    }

    fn text(parts: &[Vec<u8>]) -> Vec<String> {
        parts.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect()
    }

    fn info(number: u32, first_line: u64, last_line: u64, rows: u64, bytes: u64) -> PartInfo {
        PartInfo {
            number,
            first_line,
            last_line,
            rows,
            bytes,
            group: None,
        }
    }

    #[test]
    fn a_file_within_the_limits_is_one_part_of_its_own_bytes() {
        let file = b"h,i\na,1\nb,2\n\nc,3";
        let (parts, infos) = split(Limits::COGNITO, file);
        assert_eq!(parts, [file.to_vec()]);
        assert_eq!(infos, [info(1, 2, 5, 3, file.len() as u64)]);
        // Not copied: the pieces are the chunks' own bytes.
        for size in [1, 3, 7, file.len()] {
            let mut splitter = Splitter::cognito();
            for chunk in file.chunks(size) {
                let pieces: Vec<Piece<'_>> = splitter.feed(chunk).collect();
                for piece in pieces {
                    if let Piece::Bytes(b) = piece {
                        let (inside, newlines) = (chunk.as_ptr_range(), NEWLINES.as_ptr_range());
                        assert!(
                            inside.contains(&b.as_ptr()) || newlines.contains(&b.as_ptr()),
                            "a copy, in chunks of {size}"
                        );
                    }
                }
            }
            let (tail, _) = splitter.finish();
            assert_eq!(tail.pieces().count(), 0);
        }
        let mut splitter = Splitter::cognito();
        assert_eq!(
            splitter.feed(file).collect::<Vec<_>>(),
            [Piece::Part(1), Piece::Bytes(file)]
        );
    }

    #[test]
    fn parts_by_rows() {
        let file = b"h\na\nb\nc\nd\ne\n";
        let (parts, infos) = split(small(2, 1000), file);
        assert_eq!(text(&parts), ["h\na\nb\n", "h\nc\nd\n", "h\ne\n"]);
        assert_eq!(infos, [info(1, 2, 3, 2, 6), info(2, 4, 5, 2, 6), info(3, 6, 6, 1, 4)]);
        // Exactly at the limit: one part.
        let (parts, _) = split(small(5, 1000), file);
        assert_eq!(parts.len(), 1);
    }

    #[test]
    fn parts_by_bytes_header_included() {
        // "h,i\n" is 4 bytes, each row 4: a part of 12 bytes holds 2 rows.
        let file = b"h,i\na,1\nb,2\nc,3\nd,4\ne,5";
        let (parts, infos) = split(small(100, 12), file);
        assert_eq!(text(&parts), ["h,i\na,1\nb,2\n", "h,i\nc,3\nd,4\n", "h,i\ne,5"]);
        assert_eq!(infos, [info(1, 2, 3, 2, 12), info(2, 4, 5, 2, 12), info(3, 6, 6, 1, 7)]);
        // One byte short of two rows: one row a part, but the last row (no line end) is a byte shorter.
        let (parts, _) = split(small(100, 11), file);
        assert_eq!(
            text(&parts),
            ["h,i\na,1\n", "h,i\nb,2\n", "h,i\nc,3\n", "h,i\nd,4\ne,5"]
        );
        // A row too big for any part still gets one (and only that row).
        let (parts, infos) = split(small(100, 6), b"h,i\na,1\nbb,22\nc\n");
        assert_eq!(text(&parts), ["h,i\na,1\n", "h,i\nbb,22\n", "h,i\nc\n"]);
        assert_eq!(infos[1], info(2, 3, 3, 1, 10));
    }

    #[test]
    fn empty_lines_are_carried_and_never_start_a_cut() {
        // Empty lines before a cut stay in the part before it when they fit...
        let file = b"h\na\n\n\nb\n\nc\n";
        let (parts, infos) = split(small(1, 100), file);
        assert_eq!(text(&parts), ["h\na\n\n\n", "h\nb\n\n", "h\nc\n"]);
        assert_eq!(infos, [info(1, 2, 4, 1, 6), info(2, 5, 6, 1, 5), info(3, 7, 7, 1, 4)]);
        assert_eq!(infos[1].source_line(2), 5);
        assert_eq!(infos[2].source_line(2), 7);
        // ...and open the next part when they do not.
        let (parts, infos) = split(small(100, 5), b"h\na\n\n\nb\n");
        assert_eq!(text(&parts), ["h\na\n", "h\n\n\nb\n"]);
        assert_eq!(infos, [info(1, 2, 2, 1, 4), info(2, 3, 5, 1, 6)]);
        assert_eq!(infos[1].source_line(4), 5);
        // Empty lines at the end stay in the last part when they fit, even past the row limit...
        let (parts, infos) = split(small(1, 100), b"h\na\nb\n\n\n");
        assert_eq!(text(&parts), ["h\na\n", "h\nb\n\n\n"]);
        assert_eq!(infos[1], info(2, 3, 5, 1, 6));
        // ...else they make a part of their own, without rows.
        let (parts, infos) = split(small(100, 4), b"h\na\n\n");
        assert_eq!(text(&parts), ["h\na\n", "h\n\n"]);
        assert_eq!(infos[1], info(2, 3, 3, 0, 3));
        // Empty lines right after the header are part 1's.
        let (parts, infos) = split(small(1, 100), b"h\n\n\na\nb");
        assert_eq!(text(&parts), ["h\n\n\na\n", "h\nb"]);
        assert_eq!(infos, [info(1, 2, 4, 1, 6), info(2, 5, 5, 1, 3)]);
    }

    #[test]
    fn last_line_without_a_line_end() {
        let (parts, infos) = split(small(1, 100), b"h\na\nb");
        assert_eq!(text(&parts), ["h\na\n", "h\nb"]);
        assert_eq!(infos, [info(1, 2, 2, 1, 4), info(2, 3, 3, 1, 3)]);
        let (parts, infos) = split(small(1, 100), b"h\na\nb\n");
        assert_eq!(text(&parts), ["h\na\n", "h\nb\n"]);
        assert_eq!(infos[1], info(2, 3, 3, 1, 4));
    }

    #[test]
    fn a_header_alone_an_empty_file_and_a_header_without_a_line_end() {
        assert_eq!(split(small(1, 10), b""), (vec![vec![]], vec![info(1, 2, 0, 0, 0)]));
        assert_eq!(
            split(small(1, 10), b"h,i"),
            (vec![b"h,i".to_vec()], vec![info(1, 2, 1, 0, 3)])
        );
        assert_eq!(
            split(small(1, 10), b"h,i\n"),
            (vec![b"h,i\n".to_vec()], vec![info(1, 2, 1, 0, 4)])
        );
    }

    #[test]
    fn a_line_too_long_to_hold_is_passed_on_not_kept() {
        // The line cap is 16 bytes: a 30-byte row is placed as if it were 17, then passed on.
        let long = "x".repeat(30);
        let file = format!("h\na\n{long}\nb\n");
        let (parts, infos) = split(small(100, 20), file.as_bytes());
        assert_eq!(text(&parts), ["h\na\n", format!("h\n{long}\n").as_str(), "h\nb\n"]);
        assert_eq!(infos[1], info(2, 3, 3, 1, 33));
        // Fits by its weight (17 bytes after 4): it stays, and the part is over the limit.
        let (parts, _) = split(small(100, 21), file.as_bytes());
        assert_eq!(text(&parts), [format!("h\na\n{long}\n").as_str(), "h\nb\n"]);
        // Memory stays flat: 10 MiB without a line end.
        let mut splitter = Splitter::new(small(100, 20));
        let _ = splitter.feed(b"h\na\n").count();
        let block = vec![b'x'; 1000];
        let mut passed = 0;
        for _ in 0..10_000 {
            for piece in splitter.feed(&block) {
                if let Piece::Bytes(b) = piece {
                    passed += b.len();
                }
            }
            assert!(splitter.held.capacity() <= 64 && splitter.emitted.capacity() <= 64);
        }
        assert!(passed >= 10_000 * 1000 - 16);
        let (_, infos) = splitter.finish();
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[1].rows, 1);
        // A header over the cap: one part, nothing repeated.
        let file = format!("{long}\na\nb\nc\n");
        let (parts, infos) = split(small(1, 20), file.as_bytes());
        assert_eq!(parts, [file.as_bytes().to_vec()]);
        assert_eq!(infos, [info(1, 2, 4, 3, file.len() as u64)]);
    }

    #[test]
    fn a_row_that_arrives_in_pieces_near_a_limit_is_held_then_placed() {
        // Within 17 bytes of the byte limit, the cut line waits for its end (copied, then handed on).
        let file = b"h\naaaa\nbbbb\ncccc\n";
        for size in 1..file.len() {
            let (parts, _) = split_in(small(100, 12), file, size);
            assert_eq!(text(&parts), ["h\naaaa\nbbbb\n", "h\ncccc\n"], "chunks of {size}");
        }
    }

    #[test]
    fn the_real_limits() {
        assert_eq!(MAX_PART_BYTES, 100_000_000);
        const { assert!(MAX_PART_BYTES < MAX_BYTES) };
        assert_eq!(Limits::COGNITO.rows, 500_000);
        // 500,001 short rows: two parts, the second with the last row only.
        let mut file = b"cognito:username\n".to_vec();
        for i in 0..=MAX_ROWS {
            file.extend_from_slice(format!("u{i}\n").as_bytes());
        }
        let (parts, infos) = split_in(Limits::COGNITO, &file, 1 << 20);
        assert_rejoins(&file, &parts, &infos);
        assert_eq!(parts[1], format!("cognito:username\nu{MAX_ROWS}\n").as_bytes());
        assert_eq!(infos[0].rows, MAX_ROWS);
        assert_eq!(infos[1], info(2, MAX_ROWS + 2, MAX_ROWS + 2, 1, 17 + 8));
    }

    fn problem(line: u64, rule: Rule) -> Problem {
        Problem {
            line,
            column: None,
            rule,
        }
    }

    #[test]
    fn the_size_limits_are_no_problem_when_the_parts_are_within_them() {
        let too_large = problem(9, Rule::FileTooLarge { limit_bytes: MAX_BYTES });
        let too_many = problem(500_002, Rule::TooManyRows { limit_rows: MAX_ROWS });
        let other = problem(7, Rule::NotBoolean);
        let verdict = Verdict {
            rows: MAX_ROWS + 1,
            bytes: MAX_BYTES + 1,
            problems: vec![other.clone(), too_large.clone(), too_many],
            problem_count: 3,
            hashes: Default::default(),
        };
        let within = [
            info(1, 2, 250_001, 250_000, 60_000_000),
            info(2, 250_002, 500_002, 250_001, 60_000_000),
        ];
        let split = verdict_when_split(verdict.clone(), &within);
        assert_eq!(split.problems, std::slice::from_ref(&other));
        assert_eq!(split.problem_count, 1);
        // A part over a limit: the verdict as it was.
        let over = [info(1, 2, 3, 1, MAX_PART_BYTES + 1)];
        assert_eq!(verdict_when_split(verdict.clone(), &over), verdict);
        // Counted but not listed (the list was full): taken off the count all the same.
        let full = Verdict {
            rows: 10,
            bytes: MAX_BYTES + 1,
            problems: vec![other.clone()],
            problem_count: 2,
            hashes: Default::default(),
        };
        let split = verdict_when_split(full, &within);
        assert_eq!((split.problems.len(), split.problem_count), (1, 1));
        assert!(!split.is_clean());
        let only = Verdict {
            rows: 10,
            bytes: MAX_BYTES + 1,
            problems: vec![too_large],
            problem_count: 1,
            hashes: Default::default(),
        };
        assert!(verdict_when_split(only, &within).is_clean());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A line of 0 to `max` bytes: empty lines often, no `\n`.
        fn line(max: usize) -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                1 => Just(Vec::new()),
                4 => prop::collection::vec(prop::sample::select(b"ab,\\\r\xC3".to_vec()), 1..=max),
            ]
        }

        fn file(lines: &[Vec<u8>], last_end: bool) -> Vec<u8> {
            let mut out = b"h,i\n".to_vec();
            for (i, l) in lines.iter().enumerate() {
                out.extend_from_slice(l);
                if i + 1 < lines.len() || last_end {
                    out.push(b'\n');
                }
            }
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1000))]

            /// Lines no longer than the cap: every chunking gives the same parts, they rejoin to the
            /// input, and each is within the limits whenever a header, the longest line and the
            /// longest run of empty lines fit in one.
            #[test]
            fn parts_rejoin_and_are_within_the_limits(
                lines in prop::collection::vec(line(15), 0..40),
                last_end in any::<bool>(),
                rows in 1u64..6,
                bytes in 4u64..60,
                chunk in 1usize..30,
            ) {
                let input = file(&lines, last_end);
                let limits = small(rows, bytes);
                let whole = split_in(limits, &input, input.len());
                prop_assert_eq!(&split_in(limits, &input, chunk), &whole);
                let (parts, infos) = whole;
                assert_rejoins(&input, &parts, &infos);
                let longest = lines.iter().map(|l| l.len() as u64 + 1).max().unwrap_or(0);
                let mut run = 0u64;
                let mut longest_run = 0u64;
                for l in &lines {
                    run = if l.is_empty() { run + 1 } else { 0 };
                    longest_run = longest_run.max(run);
                }
                for info in &infos {
                    prop_assert!(info.rows <= rows, "{:?}", info);
                    if 4 + longest + longest_run <= bytes {
                        prop_assert!(info.bytes <= bytes, "{:?}", info);
                    }
                }
                prop_assert_eq!(infos.iter().map(|i| i.rows).sum::<u64>(), lines.iter().filter(|l| !l.is_empty()).count() as u64);
            }

            /// Any bytes at all (lines over the cap, a header over it): the same parts in every
            /// chunking, and they rejoin to the input.
            #[test]
            fn any_bytes_rejoin(
                input in prop::collection::vec(prop::sample::select(b"ab\n\n\r,".to_vec()), 0..200),
                rows in 1u64..4,
                bytes in 1u64..40,
                chunk in 1usize..50,
            ) {
                let limits = small(rows, bytes);
                let whole = split_in(limits, &input, input.len().max(1));
                prop_assert_eq!(&split_in(limits, &input, chunk), &whole);
                assert_rejoins(&input, &whole.0, &whole.1);
            }
        }
    }
}
