//! A prepared file whose password hashes name several algorithms, sorted into one file per
//! algorithm: a job hashes with one algorithm (reference, "password hashes"), so each algorithm's
//! users are imported by jobs of their own, the parts of that algorithm's file.
//!
//! * An algorithm's file is the header line, then the rows whose `password_hash` is of that
//!   algorithm, in the source's order. The rows without a hash go with the first algorithm (in
//!   [`HashAlgorithm::ALL`]'s order) the file names. Empty lines are in no algorithm's file.
//! * Each algorithm's file is cut by a [`Splitter`] as any prepared file is; its parts are numbered
//!   after the parts of the algorithms before it ([`GroupedSplit`]).
//! * The line numbers of an algorithm's parts are that algorithm's file's ([`PartInfo::first_line`]
//!   and [`PartInfo::last_line`] count its lines); the per-line report maps them back to the
//!   source's as it reads the source (`Joiner::grouped`), so no table of line numbers is kept.
//!
//! Streaming, no I/O; it copies the lines it hands on.

use memchr::memchr;

use super::hashes::{HashAlgorithm, HashGroup, PASSWORD_HASH, algorithm_of};
use super::limits::LINE_END;
use super::scan::{column_name, raw_fields};
use super::split::{PartInfo, Piece, Splitter};

/// One algorithm's file, from the prepared file: [`Grouper::feed`] any chunks, then
/// [`Grouper::finish`].
#[derive(Debug)]
pub struct Grouper {
    algorithm: HashAlgorithm,
    with_empty: bool,
    /// Line 1 has not ended yet.
    in_header: bool,
    /// The field of `password_hash`, once line 1 is read.
    column: Option<usize>,
    /// The start of a line cut by a chunk's end.
    carry: Vec<u8>,
    out: Vec<u8>,
}

impl Grouper {
    /// The file of `algorithm`'s rows (and of the rows without a hash, `with_empty`).
    pub fn new(algorithm: HashAlgorithm, with_empty: bool) -> Self {
        Grouper {
            algorithm,
            with_empty,
            in_header: true,
            column: None,
            carry: Vec::new(),
            out: Vec::new(),
        }
    }

    /// The next chunk of the prepared file; returns the algorithm's file's bytes of it.
    pub fn feed(&mut self, mut chunk: &[u8]) -> &[u8] {
        self.out.clear();
        while let Some(end) = memchr(LINE_END, chunk) {
            if self.carry.is_empty() {
                self.line(&chunk[..=end]);
            } else {
                let mut line = std::mem::take(&mut self.carry);
                line.extend_from_slice(&chunk[..=end]);
                self.line(&line);
            }
            chunk = &chunk[end + 1..];
        }
        self.carry.extend_from_slice(chunk);
        &self.out
    }

    /// The last bytes (a last line without a line end).
    pub fn finish(mut self) -> Vec<u8> {
        self.out.clear();
        let last = std::mem::take(&mut self.carry);
        if !last.is_empty() {
            self.line(&last);
        }
        self.out
    }

    /// One line, with its line end if it has one.
    fn line(&mut self, line: &[u8]) {
        let content = line.strip_suffix(&[LINE_END]).unwrap_or(line);
        if self.in_header {
            self.in_header = false;
            self.column = raw_fields(content).position(|raw| column_name(raw) == PASSWORD_HASH);
            self.out.extend_from_slice(line);
            return;
        }
        if content.is_empty() {
            return;
        }
        let value = self
            .column
            .and_then(|c| raw_fields(content).nth(c))
            .map(<[u8]>::trim_ascii)
            .unwrap_or_default();
        let ours = match algorithm_of(value) {
            Some(algorithm) => algorithm == self.algorithm,
            None => self.with_empty,
        };
        if ours {
            self.out.extend_from_slice(line);
            if !line.ends_with(&[LINE_END]) {
                // A last line without a line end: this file may hold rows after it.
                self.out.push(LINE_END);
            }
        }
    }
}

/// The parts of a file imported as one file per hash algorithm (`algorithms`, in
/// [`HashAlgorithm::ALL`]'s order, the first taking the rows without a hash): feed it the prepared
/// file, then [`GroupedSplit::finish`].
#[derive(Debug)]
pub struct GroupedSplit {
    groups: Vec<(Grouper, Splitter)>,
}

impl GroupedSplit {
    pub fn new(algorithms: &[HashAlgorithm], splitter: impl Fn() -> Splitter) -> Self {
        let groups = algorithms
            .iter()
            .enumerate()
            .map(|(i, &algorithm)| (Grouper::new(algorithm, i == 0), splitter()))
            .collect();
        GroupedSplit { groups }
    }

    pub fn feed(&mut self, prepared: &[u8]) {
        for (grouper, splitter) in &mut self.groups {
            splitter.feed(grouper.feed(prepared)).for_each(drop);
        }
    }

    /// Every algorithm's parts, numbered one after another.
    pub fn finish(self) -> Vec<PartInfo> {
        let mut parts = Vec::new();
        for (grouper, mut splitter) in self.groups {
            let algorithm = grouper.algorithm;
            let with_empty = grouper.with_empty;
            splitter.feed(&grouper.finish()).for_each(drop);
            let (_, infos) = splitter.finish();
            for mut info in infos {
                info.group = Some(HashGroup {
                    algorithm,
                    with_empty,
                    part: info.number,
                });
                info.number = parts.len() as u32 + 1;
                parts.push(info);
            }
        }
        parts
    }
}

/// One part of a grouped file, as it streams: the prepared file's bytes in, the part's bytes out.
#[derive(Debug)]
pub struct GroupPart {
    grouper: Grouper,
    /// Taken by `finish`.
    splitter: Option<Splitter>,
    want: u32,
    current: u32,
}

impl GroupPart {
    pub fn new(group: HashGroup, splitter: Splitter) -> Self {
        GroupPart {
            grouper: Grouper::new(group.algorithm, group.with_empty),
            splitter: Some(splitter),
            want: group.part,
            current: 0,
        }
    }

    /// The part's bytes of the next prepared chunk, appended to `out`.
    pub fn feed(&mut self, prepared: &[u8], out: &mut Vec<u8>) {
        let splitter = self.splitter.as_mut().expect("fed before finish");
        for piece in splitter.feed(self.grouper.feed(prepared)) {
            take(piece, self.want, &mut self.current, out);
        }
    }

    /// The part's last bytes, appended to `out`.
    pub fn finish(self, out: &mut Vec<u8>) {
        let GroupPart {
            grouper,
            splitter,
            want,
            mut current,
        } = self;
        let mut splitter = splitter.expect("finished once");
        let last = grouper.finish();
        for piece in splitter.feed(&last) {
            take(piece, want, &mut current, out);
        }
        let (tail, _) = splitter.finish();
        for piece in tail.pieces() {
            take(piece, want, &mut current, out);
        }
    }
}

fn take(piece: Piece<'_>, want: u32, current: &mut u32, out: &mut Vec<u8>) {
    match piece {
        Piece::Part(number) => *current = number,
        Piece::Bytes(bytes) if *current == want => out.extend_from_slice(bytes),
        Piece::Bytes(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Limits;

    const BCRYPT: &str = "$2b$04$abcdefghijklmnopqrstuuDSF8y8EB2PaWlxmeVoYy1H1dGwsg4yG";
    const ARGON: &str = "$argon2id$v=19$m=64\\,t=1\\,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";

    fn file() -> String {
        format!(
            "cognito:username,password_hash,email\n\
             a,{BCRYPT},a@x\n\
             b,{ARGON},b@x\n\
             \n\
             c,,c@x\n\
             d,{ARGON},d@x\n\
             e,{BCRYPT},e@x"
        )
    }

    fn group(algorithm: HashAlgorithm, with_empty: bool, text: &str, chunk: usize) -> String {
        let mut grouper = Grouper::new(algorithm, with_empty);
        let mut out = Vec::new();
        for piece in text.as_bytes().chunks(chunk) {
            out.extend_from_slice(grouper.feed(piece));
        }
        out.extend_from_slice(&grouper.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_algorithm_gets_its_rows_in_order_and_the_first_the_rows_without_a_hash() {
        for chunk in [1, 2, 7, 1000] {
            assert_eq!(
                group(HashAlgorithm::Bcrypt, true, &file(), chunk),
                format!("cognito:username,password_hash,email\na,{BCRYPT},a@x\nc,,c@x\ne,{BCRYPT},e@x\n"),
                "{chunk}"
            );
            assert_eq!(
                group(HashAlgorithm::Argon2id, false, &file(), chunk),
                format!("cognito:username,password_hash,email\nb,{ARGON},b@x\nd,{ARGON},d@x\n"),
                "{chunk}"
            );
        }
    }

    #[test]
    fn the_parts_of_every_algorithm_are_numbered_in_turn_and_stream_alone() {
        let algorithms = [HashAlgorithm::Bcrypt, HashAlgorithm::Argon2id];
        let limits = Limits {
            rows: 2,
            ..Limits::COGNITO
        };
        let mut split = GroupedSplit::new(&algorithms, || Splitter::new(limits));
        for piece in file().as_bytes().chunks(5) {
            split.feed(piece);
        }
        let parts = split.finish();
        let groups: Vec<(u32, HashAlgorithm, u32, u64)> = parts
            .iter()
            .map(|p| {
                let g = p.group.unwrap();
                (p.number, g.algorithm, g.part, p.rows)
            })
            .collect();
        assert_eq!(
            groups,
            [
                (1, HashAlgorithm::Bcrypt, 1, 2),
                (2, HashAlgorithm::Bcrypt, 2, 1),
                (3, HashAlgorithm::Argon2id, 1, 2),
            ]
        );
        // Part 2 alone, as a delivery prepares it again: the header and the bcrypt file's third row.
        let mut out = Vec::new();
        let mut part = GroupPart::new(parts[1].group.unwrap(), Splitter::new(limits));
        for piece in file().as_bytes().chunks(3) {
            part.feed(piece, &mut out);
        }
        part.finish(&mut out);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            format!("cognito:username,password_hash,email\ne,{BCRYPT},e@x\n")
        );
        assert_eq!(out.len() as u64, parts[1].bytes);
    }
}
