//! Everything that happens to a file's bytes before the upload, in one streaming pass: decoded into
//! Cognito's dialect ([`Decoder`]), its header completed ([`Completer`]), checked ([`Checker`]). What
//! [`Preparer::feed`] returns is exactly what is uploaded.

use super::Checker;
use super::complete::{Completed, Completer};
use super::dialect::{Decoded, Decoder, Dialect};
use super::hashes::HashAlgorithm;
use super::limits::MAX_LISTED_PROBLEMS;
use super::pool_rules::PoolRules;
use super::problem::Verdict;

/// How a file is prepared (settings `CSV_DIALECT` and `REQUIRE_FULL_HEADER`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub dialect: Dialect,
    /// Add the pool's columns a header lacks (else a header must name every column).
    pub complete_header: bool,
    /// `PASSWORD_HASHING_ALGORITHM`: every hash must be of it; `None`, of any (each counted).
    pub hashing: Option<HashAlgorithm>,
}

/// What preparing changed, in counts and header names (never values).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Normalised {
    #[serde(flatten)]
    pub decoded: Decoded,
    #[serde(flatten)]
    pub completed: Completed,
    /// The file's size as dropped, and as uploaded.
    pub bytes_in: u64,
    pub bytes_out: u64,
}

impl Normalised {
    /// Whether the bytes uploaded differ from the bytes dropped.
    pub fn changed(&self) -> bool {
        self.decoded.changed() || !self.completed.columns_added.is_empty() || !self.completed.columns_renamed.is_empty()
    }

    /// What changed, one short phrase each, for people (empty when nothing did).
    pub fn describe(&self) -> Vec<String> {
        let d = &self.decoded;
        let c = &self.completed;
        let mut said = Vec::new();
        if d.byte_order_mark_removed {
            said.push("byte-order mark removed".to_owned());
        }
        let counted = [
            (
                d.line_ends_converted,
                "line end written as LF",
                "line ends written as LF",
            ),
            (
                d.fields_unquoted,
                "quoted field unquoted (RFC 4180)",
                "quoted fields unquoted (RFC 4180)",
            ),
            (
                d.quotes_undoubled,
                "doubled quote written once",
                "doubled quotes written once",
            ),
            (
                d.commas_escaped,
                "comma inside a value escaped as \\,",
                "commas inside values escaped as \\,",
            ),
        ];
        for (count, one, many) in counted {
            match count {
                0 => {}
                1 => said.push(format!("1 {one}")),
                n => said.push(format!("{n} {many}")),
            }
        }
        if !c.columns_renamed.is_empty() {
            said.push(format!(
                "columns spelled as the pool does: {}",
                c.columns_renamed.join(", ")
            ));
        }
        if !c.columns_added.is_empty() {
            said.push(format!("columns added, empty: {}", c.columns_added.join(", ")));
        }
        said
    }
}

/// A file prepared: the verdict on what would be uploaded, and what preparing changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    pub verdict: Verdict,
    pub normalised: Normalised,
}

/// The streaming preparer: [`Preparer::feed`] the object's bytes in any chunks, then
/// [`Preparer::finish`].
#[derive(Debug)]
pub struct Preparer {
    decoder: Decoder,
    completer: Completer,
    checker: Checker,
    bytes_in: u64,
    bytes_out: u64,
}

impl Preparer {
    pub fn new(rules: &PoolRules, options: Options) -> Self {
        let checked = PoolRules {
            // A completed header has every column that may be added; the checker still refuses one
            // left out that must have values.
            require_full_header: rules.require_full_header && !options.complete_header,
            ..rules.clone()
        };
        Preparer {
            decoder: Decoder::new(options.dialect),
            completer: Completer::new(rules, options.complete_header),
            checker: Checker::new(&checked).hashing(options.hashing),
            bytes_in: 0,
            bytes_out: 0,
        }
    }

    /// Prepares the next chunk; returns the bytes to upload for it (often the chunk itself).
    pub fn feed<'a>(&'a mut self, chunk: &'a [u8]) -> &'a [u8] {
        self.bytes_in += chunk.len() as u64;
        let decoded = self.decoder.feed(chunk, self.checker.lines_ended());
        let completed = self.completer.feed(decoded);
        self.checker.feed(completed);
        self.bytes_out += completed.len() as u64;
        completed
    }

    /// Ends the file: the last bytes to upload, and the verdict.
    pub fn finish(mut self) -> (Vec<u8>, Prepared) {
        let (decoded_tail, decoded, decode_problems) = self.decoder.finish();
        let mut tail = self.completer.feed(&decoded_tail).to_vec();
        let (completed_tail, completed) = self.completer.finish();
        tail.extend_from_slice(&completed_tail);
        self.checker.feed(&tail);
        self.bytes_out += tail.len() as u64;
        let mut verdict = self.checker.finish();
        if decode_problems.count > 0 {
            verdict.problems.extend(decode_problems.problems);
            // Stable: on one line, the decoder's problem (the cause) stays after the checker's only
            // if it came later in the file.
            verdict.problems.sort_by_key(|p| p.line);
            verdict.problems.truncate(MAX_LISTED_PROBLEMS);
            verdict.problem_count += decode_problems.count;
        }
        let normalised = Normalised {
            decoded,
            completed,
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
        };
        (tail, Prepared { verdict, normalised })
    }
}
