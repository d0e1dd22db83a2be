//! `cognito_import::check::Checker` on arbitrary files, pool rules and chunkings.
//!
//! The input is a fixed 34-byte prefix that sets the pool's rules, the chunking and two optional
//! transformations of the file, then the file itself:
//!
//! | bytes  | meaning |
//! |--------|---------|
//! | 0      | flags: bits 0-1 MFA (Off, Optional, On, Optional), bit 2 `require_full_header`, bit 3 `custom:score` is a Number attribute, bit 4 it is named without its prefix, bit 5 stretch, bit 6 plant the marker, bit 7 `PASSWORD_HASHING_ALGORITHM` set (to the algorithm bits 3-4 of byte 7 name) |
//! | 1..4   | which of the 23 candidate columns (the 21 standard ones, `custom:score`, `custom:tier`) the pool's header has, one bit each; the top bit of byte 3: the pool auto-verifies phone_number only |
//! | 4..7   | which of them the pool requires (only those in its header count); the top bit of byte 6: it auto-verifies both email and phone_number (else email only, unless byte 3 says phone) |
//! | 7      | how many of the 8 chunk sizes that follow are used (1 to 8) |
//! | 8..16  | chunk sizes, used in turn: 0-239 bytes as is (0 feeds an empty chunk), 240-255 whole multiples of 4 KiB |
//! | 16..20 | stretch: a position and a count (u16 each): `2 × count` copies of the byte at that position are inserted there, to reach lines longer than the checker keeps |
//! | 20..34 | marker: 12 bytes (mapped to `A`-`Z`) and a position (u16) after the first `\n` where it is inserted |
//! | 34..   | the file |
//!
//! Properties, beyond "no panic":
//! - the verdict (rows, bytes, problem count and every listed problem) is the same whether the file
//!   is fed in the chunks above or in one piece;
//! - each problem names a line between 1 and the number of `\n`-ended lines + 1, problems are listed
//!   in the order of the file, at most `MAX_LISTED_PROBLEMS` are listed and `problem_count` counts
//!   them all, `bytes` is the file's length and `rows` at most its line count;
//! - no problem, as text or as JSON, holds the marker planted in a data line (values are personal
//!   data and never appear in a problem); checked when the header line does not hold it itself.
#![no_main]

use cognito_import::check::{
    AutoVerified, Checker, HashAlgorithm, MAX_LISTED_PROBLEMS, Mfa, PoolRules, Problem, Rule, Verdict,
};
use libfuzzer_sys::fuzz_target;

/// Columns the pool's header may have: GetCSVHeader's standard columns, then two custom ones.
const CANDIDATES: [&str; 23] = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    "cognito:mfa_enabled",
    "cognito:username",
    "custom:score",
    "custom:tier",
];

const PREFIX: usize = 34;
const MARKER_LEN: usize = 12;

fn u16_at(data: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([data[at], data[at + 1]]))
}

fn mask_at(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], 0])
}

fn rules(data: &[u8]) -> PoolRules {
    let flags = data[0];
    let mfa = match flags & 0b11 {
        0 => Mfa::Off,
        2 => Mfa::On,
        _ => Mfa::Optional,
    };
    let in_header = mask_at(data, 1);
    let required = mask_at(data, 4) & in_header;
    let pick = |mask: u32| {
        CANDIDATES
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, name)| name.to_string())
            .collect::<Vec<_>>()
    };
    let number_attributes = match (flags & 0b1000 != 0, flags & 0b1_0000 != 0) {
        (false, _) => vec![],
        (true, false) => vec!["custom:score".to_string()],
        (true, true) => vec!["score".to_string()],
    };
    PoolRules {
        header: pick(in_header),
        required: pick(required),
        mfa,
        // The top bits of the two column masks (23 columns use 23 of their 24 bits).
        auto_verified: match (data[3] >> 7, data[6] >> 7) {
            (0, 0) => AutoVerified::Email,
            (1, 0) => AutoVerified::PhoneNumber,
            _ => AutoVerified::EmailAndPhoneNumber,
        },
        number_attributes,
        require_full_header: flags & 0b100 != 0,
    }
}

fn chunk_sizes(data: &[u8]) -> Vec<usize> {
    let used = usize::from(data[7] % 8) + 1;
    data[8..8 + used]
        .iter()
        .map(|&b| {
            if b < 240 {
                usize::from(b)
            } else {
                usize::from(b - 239) * 4096
            }
        })
        .collect()
}

/// The file the prefix describes, and the marker planted in it, if any.
fn file(data: &[u8]) -> (Vec<u8>, Option<[u8; MARKER_LEN]>) {
    let flags = data[0];
    let mut file = data[PREFIX..].to_vec();
    if flags & 0b10_0000 != 0 && !file.is_empty() {
        let at = u16_at(data, 16) % file.len();
        let count = 2 * u16_at(data, 18);
        let byte = file[at];
        file.splice(at..at, std::iter::repeat_n(byte, count));
    }
    if flags & 0b100_0000 == 0 {
        return (file, None);
    }
    let mut marker = [0u8; MARKER_LEN];
    for (m, b) in marker.iter_mut().zip(&data[20..20 + MARKER_LEN]) {
        *m = b'A' + b % 26;
    }
    let body = match file.iter().position(|&b| b == b'\n') {
        Some(end) => end + 1,
        None => {
            file.push(b'\n');
            file.len()
        }
    };
    let at = body + u16_at(data, 32) % (file.len() - body + 1);
    file.splice(at..at, marker);
    (file, Some(marker))
}

/// `PASSWORD_HASHING_ALGORITHM`, when flag bit 7 sets it.
fn hashing(data: &[u8]) -> Option<HashAlgorithm> {
    (data[0] & 0b1000_0000 != 0).then(|| HashAlgorithm::ALL[usize::from(data[7] >> 3) % 4])
}

fn check_in_one_piece(rules: &PoolRules, hashing: Option<HashAlgorithm>, file: &[u8]) -> Verdict {
    let mut checker = Checker::new(rules).hashing(hashing);
    checker.feed(file);
    checker.finish()
}

fn check_in_chunks(rules: &PoolRules, hashing: Option<HashAlgorithm>, file: &[u8], sizes: &[usize]) -> Verdict {
    let mut checker = Checker::new(rules).hashing(hashing);
    if sizes.iter().all(|&s| s == 0) {
        // Only empty chunks: feed them, then the file whole.
        for _ in sizes {
            checker.feed(&[]);
        }
        checker.feed(file);
        return checker.finish();
    }
    let mut rest = file;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        checker.feed(chunk);
        rest = after;
    }
    checker.finish()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn check_problem(problem: &Problem, lines: u64, marker: Option<&[u8]>) {
    assert!(
        (1..=lines + 1).contains(&problem.line),
        "{problem:?} is outside lines 1..={}",
        lines + 1
    );
    if matches!(
        problem.rule,
        Rule::ByteOrderMark | Rule::MissingHeader | Rule::NoUserRows | Rule::NotHeader
    ) {
        assert_eq!(problem.line, 1, "{problem:?}");
    }
    if let Some(marker) = marker {
        let text = problem.to_string();
        assert!(
            !contains(text.as_bytes(), marker),
            "a value leaks into a problem: {text}"
        );
        let json = serde_json::to_string(problem).expect("a problem serializes");
        assert!(
            !contains(json.as_bytes(), marker),
            "a value leaks into a problem: {json}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < PREFIX {
        return;
    }
    let rules = rules(data);
    let sizes = chunk_sizes(data);
    let (file, marker) = file(data);

    let whole = check_in_one_piece(&rules, hashing(data), &file);
    let chunked = check_in_chunks(&rules, hashing(data), &file, &sizes);
    assert_eq!(chunked, whole, "the verdict depends on the chunking {sizes:?}");

    let lines = file.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(whole.bytes, file.len() as u64);
    assert!(whole.rows <= lines, "{} rows in {lines} lines", whole.rows);
    let hashes = &whole.hashes;
    assert!(hashes.with_hash() + hashes.without <= whole.rows, "{hashes:?} in {} rows", whole.rows);
    assert_eq!(
        whole.problems.len() as u64,
        whole.problem_count.min(MAX_LISTED_PROBLEMS as u64),
        "listed problems vs problem_count"
    );
    assert!(
        whole.problems.windows(2).all(|p| p[0].line <= p[1].line),
        "problems out of file order: {:?}",
        whole.problems
    );
    // The marker sits in a data line; a header line holding it too could be echoed legitimately.
    let header_line = &file[..file.iter().position(|&b| b == b'\n').unwrap_or(file.len())];
    let marker = marker.filter(|m| !contains(header_line, m));
    for problem in &whole.problems {
        check_problem(problem, lines, marker.as_ref().map(|m| &m[..]));
    }
});
