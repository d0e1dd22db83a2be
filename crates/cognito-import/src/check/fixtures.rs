//! What the tests of the check modules share: a pool and its header, a valid user row to vary, a file of
//! rows, and [`run`], which checks a file in every chunking and asserts the verdicts agree.

use super::{AutoVerified, Checker, Mfa, Options, PoolRules, Prepared, Preparer, Rule, Verdict};

pub(super) const HEADER: &str = "cognito:username,email,email_verified,phone_number,phone_number_verified,birthdate,updated_at,\
                      cognito:mfa_enabled,name,custom:tier,custom:age";

pub(super) fn columns() -> Vec<String> {
    HEADER.split(',').map(String::from).collect()
}

pub(super) fn pool() -> PoolRules {
    PoolRules {
        header: columns(),
        required: Vec::new(),
        mfa: Mfa::Off,
        auto_verified: AutoVerified::EmailAndPhoneNumber,
        number_attributes: vec!["age".into()],
        require_full_header: true,
    }
}

/// A row of `HEADER` for a valid user, with some values replaced.
pub(super) fn user(with: &[(&str, &str)]) -> String {
    columns()
        .iter()
        .map(|column| {
            let default = match column.as_str() {
                "cognito:username" => "alice",
                "email" => "alice@example.com",
                "email_verified" => "true",
                _ => "",
            };
            with.iter().find(|(c, _)| c == column).map_or(default, |(_, v)| *v)
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn file(rows: &[String]) -> String {
    let mut text = format!("{HEADER}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

fn feed_in(rules: &PoolRules, bytes: &[u8], chunk: usize) -> Verdict {
    let mut checker = Checker::new(rules);
    for piece in bytes.chunks(chunk.max(1)) {
        checker.feed(piece);
    }
    checker.finish()
}

/// The verdict on `bytes`, after checking that every chunk size from 1 to 64 bytes (and a few larger
/// ones) gives the same verdict as one chunk.
pub(super) fn run(rules: &PoolRules, bytes: &[u8]) -> Verdict {
    let whole = feed_in(rules, bytes, bytes.len());
    let sizes: Vec<usize> = if bytes.len() <= 20_000 {
        (1..=64).chain([100, 1000, 4096]).collect()
    } else {
        vec![4093, 65_536]
    };
    for size in sizes {
        assert_eq!(feed_in(rules, bytes, size), whole, "chunks of {size} bytes");
    }
    assert_eq!(whole.bytes, bytes.len() as u64);
    whole
}

fn prepare_in(rules: &PoolRules, options: Options, bytes: &[u8], chunk: usize) -> (Vec<u8>, Prepared) {
    let mut preparer = Preparer::new(rules, options);
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        out.extend_from_slice(preparer.feed(piece));
    }
    let (tail, prepared) = preparer.finish();
    out.extend_from_slice(&tail);
    (out, prepared)
}

/// The bytes to upload and the verdict on `bytes` prepared with `options`, after checking that every
/// chunk size from 1 to 64 bytes (and a few larger ones) gives the same as one chunk.
pub(super) fn prepare(rules: &PoolRules, options: Options, bytes: &[u8]) -> (Vec<u8>, Prepared) {
    let whole = prepare_in(rules, options, bytes, bytes.len());
    let sizes: Vec<usize> = if bytes.len() <= 20_000 {
        (1..=64).chain([100, 1000, 4096]).collect()
    } else {
        vec![4093, 65_536]
    };
    for size in sizes {
        assert_eq!(prepare_in(rules, options, bytes, size), whole, "chunks of {size} bytes");
    }
    assert_eq!(whole.1.normalised.bytes_in, bytes.len() as u64);
    assert_eq!(whole.1.normalised.bytes_out, whole.0.len() as u64);
    assert_eq!(whole.1.verdict.bytes, whole.0.len() as u64);
    whole
}

/// Problems as (line, column, rule).
pub(super) type Found = Vec<(u64, Option<&'static str>, Rule)>;

/// The problems as (line, column, rule); the column names are leaked to keep the asserts short.
pub(super) fn found(verdict: &Verdict) -> Found {
    verdict
        .problems
        .iter()
        .map(|p| (p.line, p.column.clone().map(|c| &*String::leak(c)), p.rule.clone()))
        .collect()
}

/// The problems of a file with `HEADER` and these rows, under `pool()`.
fn problems_of(rows: &[String]) -> Vec<(u64, Option<&'static str>, Rule)> {
    found(&run(&pool(), file(rows).as_bytes()))
}

/// The problems of one row (line 2) whose values are replaced by `with`.
pub(super) fn row_problems(with: &[(&str, &str)]) -> Vec<(Option<&'static str>, Rule)> {
    problems_of(&[user(with)])
        .into_iter()
        .map(|(line, column, rule)| {
            assert_eq!(line, 2);
            (column, rule)
        })
        .collect()
}

/// A small xorshift generator for the randomized tests.
pub(super) fn random(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}
