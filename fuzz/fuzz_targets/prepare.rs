//! `cognito_import::check::Preparer` (the decoder, the header completer and the checker) on
//! arbitrary files, settings and chunkings.
//!
//! The input is a 6-byte prefix, then the file:
//!
//! | bytes | meaning |
//! |-------|---------|
//! | 0     | bits 0-1 the dialect (auto, cognito, rfc4180, auto), bit 2 complete the header, bit 3 the pool requires `given_name` |
//! | 1..3  | a position (u16) where the file is cut in two chunks |
//! | 3..6  | three chunk sizes, 0 to 16 (0 feeds an empty chunk), used in turn for the third feeding |
//! | 6..   | the file |
//!
//! Properties, beyond "no panic":
//! - the bytes to upload and the verdict (problems, counts, what changed) are the same fed whole,
//!   cut in two anywhere, or in small chunks;
//! - `bytes_in` is the file's length and `bytes_out` the length of what was handed on;
//! - each problem's line lies between 1 and the file's line count + 1 (line ends: LF, CRLF, CR);
//! - with nothing to change (Cognito's dialect and a full header), what is handed on is the file.
#![no_main]

use cognito_import::check::{AutoVerified, Dialect, Mfa, Options, PoolRules, Prepared, Preparer};
use libfuzzer_sys::fuzz_target;

const PREFIX: usize = 6;

fn prepare(rules: &PoolRules, options: Options, pieces: impl Iterator<Item = Vec<u8>>) -> (Vec<u8>, Prepared) {
    let mut preparer = Preparer::new(rules, options);
    let mut out = Vec::new();
    for piece in pieces {
        out.extend_from_slice(preparer.feed(&piece));
    }
    let (tail, prepared) = preparer.finish();
    out.extend_from_slice(&tail);
    (out, prepared)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < PREFIX {
        return;
    }
    let (prefix, file) = data.split_at(PREFIX);
    let dialect = match prefix[0] & 3 {
        1 => Dialect::Cognito,
        2 => Dialect::Rfc4180,
        _ => Dialect::Auto,
    };
    let options = Options {
        dialect,
        complete_header: prefix[0] & 4 != 0,
        hashing: None,
    };
    let rules = PoolRules {
        header: ["cognito:username", "email", "email_verified", "given_name", "name", "cognito:mfa_enabled"]
            .map(String::from)
            .to_vec(),
        required: if prefix[0] & 8 != 0 { vec!["given_name".into()] } else { Vec::new() },
        mfa: Mfa::Optional,
        auto_verified: AutoVerified::Email,
        number_attributes: Vec::new(),
        require_full_header: true,
    };

    let whole = prepare(&rules, options, std::iter::once(file.to_vec()));
    let cut = (u16::from_le_bytes([prefix[1], prefix[2]]) as usize).min(file.len());
    let halves = prepare(&rules, options, [file[..cut].to_vec(), file[cut..].to_vec()].into_iter());
    assert_eq!(whole, halves, "cut at {cut}");
    // Chunk sizes 0 to 16 in turn (0 feeds an empty chunk); all three 0: one byte at a time.
    let mut sizes: Vec<usize> = prefix[3..6].iter().map(|&s| s as usize % 17).collect();
    if sizes.iter().all(|&s| s == 0) {
        sizes = vec![1];
    }
    let (mut at, mut turn) = (0, 0);
    let pieces = std::iter::from_fn(|| {
        if at >= file.len() {
            return None;
        }
        let size = sizes[turn % sizes.len()].min(file.len() - at);
        turn += 1;
        let piece = file[at..at + size].to_vec();
        at += size;
        Some(piece)
    });
    let small = prepare(&rules, options, pieces);
    assert_eq!(whole, small, "small chunks");

    let (out, prepared) = whole;
    assert_eq!(prepared.normalised.bytes_in, file.len() as u64);
    assert_eq!(prepared.normalised.bytes_out, out.len() as u64);
    assert_eq!(prepared.verdict.bytes, out.len() as u64);
    let lines = file.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64 + 1;
    for problem in &prepared.verdict.problems {
        assert!((1..=lines).contains(&problem.line), "{problem:?} in a file of {lines} lines");
    }
    if !prepared.normalised.changed() {
        assert_eq!(out, file, "nothing changed, yet the bytes differ");
    }
});
