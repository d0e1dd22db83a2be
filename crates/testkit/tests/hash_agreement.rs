//! The `password_hash` rules, one harness over both sides: the function's checker (which refuses a
//! file before a job is spent) and the stand-in's import rules (which fail a row, as Cognito does),
//! held to one reading of the reference on generated files.
//!
//! Each file has hashes of every algorithm, at parameters within Cognito's bounds, on them, and over
//! them, and malformed ones (cut short, a changed prefix, a parameter added or left out, a bad
//! character), with the job's algorithm chosen at random. The property: the lines the checker
//! names for `password_hash` are exactly the lines the stand-in fails, and a file the checker
//! passes is imported whole. A generator reaching no over-bound or malformed case fails the run.
//!
//! `HASH_AGREEMENT_CASES` sets the number of files (default 2,000).

use std::cell::RefCell;
use std::collections::BTreeSet;

use cognito_import::check::{Checker, HashAlgorithm, PoolRules, Rule};
use cognito_import_emulator::import::{self as emulator, PoolSchema, Row, judge_for_job};
use cognito_import_testkit::hashes;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// One hash of a generated row, and what the reference says of it.
#[derive(Clone, Debug)]
struct Case {
    value: String,
    /// Within the bounds and in a form read: of this algorithm.
    valid: Option<HashAlgorithm>,
    kind: &'static str,
}

/// Real hashes (the crates make them), one per algorithm: their salts and outputs are well formed,
/// and the parameters are written over them as text.
fn templates() -> Vec<(HashAlgorithm, String)> {
    HashAlgorithm::ALL
        .into_iter()
        .map(|a| (a, hashes::hash(a, "template")))
        .collect()
}

/// `template` with its parameters replaced by `params` (bcrypt: its two-digit cost).
fn with_params(algorithm: HashAlgorithm, template: &str, params: &str) -> String {
    let parts: Vec<&str> = template.split('$').collect();
    match algorithm {
        HashAlgorithm::Bcrypt => format!("${}${params}${}", parts[1], parts[3]),
        // `$argon2id$v=19$params$salt$hash`
        HashAlgorithm::Argon2id => format!("${}${}${params}${}${}", parts[1], parts[2], parts[4], parts[5]),
        // `$scrypt$params$salt$hash`, `$pbkdf2-sha256$params$salt$hash`
        _ => format!("${}${params}${}${}", parts[1], parts[3], parts[4]),
    }
}

/// A value within `least..=limit` (often the bound itself), or over `limit` (often by one).
fn value(least: u64, limit: u64, over: bool, a: u64) -> u64 {
    match (over, a % 3) {
        (false, 0) => limit,
        (false, _) => least + (a / 3) % (limit - least + 1),
        (true, 0) => limit + 1,
        (true, _) => limit + 1 + (a / 3) % 1000,
    }
}

/// The parameters of a hash, within the bounds (`true`) or with one of them over, from two draws.
fn params(algorithm: HashAlgorithm, within: bool, a: u64, b: u64) -> String {
    // Which parameter goes over (the others stay within).
    let over = |n: u64| !within && b % 3 == n;
    match algorithm {
        HashAlgorithm::Bcrypt => format!("{:02}", value(4, 12, !within, a).min(99)),
        HashAlgorithm::Argon2id => {
            let m = value(8, 19_456, over(0), a);
            let t = value(1, 2, over(1), a / 7);
            let p = value(1, 1, over(2), a / 11);
            // Argon2 needs 8 KiB a lane: within the bounds only p = 1 is run.
            let m = m.max(8 * p);
            format!("m={m},t={t},p={p}")
        }
        HashAlgorithm::Scrypt => {
            let r = value(1, 8, over(1), a / 7);
            // scrypt runs N < 2^(16·r) only: ln ≤ 15 for r = 1.
            let ln = if over(0) {
                value(1, 16, true, a)
            } else {
                value(1, 16, false, a).min(16 * r - 1)
            };
            let p = value(1, 1, over(2), a / 11);
            format!("ln={ln},r={r},p={p}")
        }
        // The template's output is 32 bytes.
        HashAlgorithm::Pbkdf2Sha256 => format!("i={},l=32", value(1, 600_000, !within, a)),
    }
}

/// Ways to break a hash's form.
const BREAKS: [&str; 7] = [
    "cut short",
    "unknown prefix",
    "extra parameter",
    "missing parameter",
    "bad character",
    "bcrypt 2x",
    "no salt",
];

fn broken(algorithm: HashAlgorithm, template: &str, how: &str) -> Option<String> {
    let ok = with_params(algorithm, template, &params(algorithm, true, 3, 0));
    Some(match how {
        // Half: into the salt (a PHC hash only a few characters shorter is still a hash).
        "cut short" => ok[..ok.len() / 2].to_owned(),
        "unknown prefix" => ok.replacen('$', "$x", 1),
        "extra parameter" if algorithm != HashAlgorithm::Bcrypt => {
            with_params(algorithm, template, &format!("{},q=1", params(algorithm, true, 3, 0)))
        }
        "missing parameter" if algorithm != HashAlgorithm::Bcrypt => {
            let full = params(algorithm, true, 3, 0);
            with_params(algorithm, template, full.rsplit_once(',').unwrap().0)
        }
        "bad character" => {
            let at = ok.len() - 3;
            format!("{}!{}", &ok[..at], &ok[at + 1..])
        }
        "bcrypt 2x" if algorithm == HashAlgorithm::Bcrypt => ok.replacen("$2b$", "$2x$", 1),
        "no salt" if algorithm != HashAlgorithm::Bcrypt => {
            let (head, _) = ok.rsplit_once('$').unwrap();
            head.to_owned()
        }
        _ => return None,
    })
}

fn case_strategy(templates: &'static [(HashAlgorithm, String)]) -> impl Strategy<Value = Case> {
    (
        0..templates.len(),
        0u8..10,
        any::<u64>(),
        any::<u64>(),
        select(&BREAKS[..]),
    )
        .prop_map(move |(t, what, a, b, how)| {
            let (algorithm, template) = (templates[t].0, templates[t].1.as_str());
            match what {
                0 => Case {
                    value: String::new(),
                    valid: None,
                    kind: "empty",
                },
                1..=5 => Case {
                    value: with_params(algorithm, template, &params(algorithm, true, a, b)),
                    valid: Some(algorithm),
                    kind: "valid",
                },
                6..=7 => Case {
                    value: with_params(algorithm, template, &params(algorithm, false, a, b)),
                    valid: None,
                    kind: "over",
                },
                _ => match broken(algorithm, template, how) {
                    Some(value) => Case {
                        value,
                        valid: None,
                        kind: "broken",
                    },
                    None => Case {
                        value: String::new(),
                        valid: None,
                        kind: "empty",
                    },
                },
            }
        })
}

const HEADER: [&str; 4] = ["cognito:username", "email", "email_verified", "password_hash"];

/// A file of `cases`, in Cognito's dialect (a PHC string's commas escaped).
fn file(cases: &[Case]) -> Vec<u8> {
    let mut text = HEADER.join(",");
    text.push('\n');
    for (i, case) in cases.iter().enumerate() {
        text.push_str(&format!(
            "user{i},user{i}@example.com,true,{}\n",
            case.value.replace(',', "\\,")
        ));
    }
    text.into_bytes()
}

fn checker_lines(bytes: &[u8], job: HashAlgorithm) -> Result<BTreeSet<u64>, String> {
    let rules = PoolRules {
        require_full_header: false,
        ..PoolRules::new(HEADER[..3].iter().map(|s| s.to_string()).collect())
    };
    let mut checker = Checker::new(&rules).hashing(Some(job));
    checker.feed(bytes);
    let verdict = checker.finish();
    let mut lines = BTreeSet::new();
    for problem in &verdict.problems {
        match (&problem.rule, problem.column.as_deref()) {
            (
                Rule::HashFormat | Rule::HashOverBounds { .. } | Rule::HashNotOfJobAlgorithm { .. },
                Some("password_hash"),
            ) => {
                lines.insert(problem.line);
            }
            _ => return Err(format!("a problem not about the hash: {problem}")),
        }
    }
    Ok(lines)
}

fn emulator_lines(bytes: &[u8], job: HashAlgorithm) -> Result<BTreeSet<u64>, String> {
    let schema = PoolSchema {
        csv_header: HEADER[..3].iter().map(|s| s.to_string()).collect(),
        required: Vec::new(),
        mfa: emulator::Mfa::Off,
        number_attributes: Vec::new(),
        auto_verified: vec!["email".into()],
        require_full_header: false,
    };
    let algorithm = emulator::HashAlgorithm::from_api_name(job.api_name()).expect("the same names");
    let rows = judge_for_job(bytes, &schema, Some(algorithm)).map_err(|e| format!("the job failed: {e}"))?;
    Ok(rows
        .iter()
        .filter_map(|row| match row {
            Row::Invalid { line, .. } => Some(*line),
            Row::Valid(_) => None,
        })
        .collect())
}

#[test]
fn the_checker_and_the_stand_in_fail_the_same_hashes() {
    let cases: u32 = std::env::var("HASH_AGREEMENT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let templates: &'static [(HashAlgorithm, String)] = Box::leak(templates().into_boxed_slice());
    let seen = RefCell::new(BTreeSet::new());
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        proptest::collection::vec(case_strategy(templates), 1..12),
        select(&HashAlgorithm::ALL[..]),
    );
    runner
        .run(&strategy, |(cases, job)| {
            let bytes = file(&cases);
            let ours = checker_lines(&bytes, job).map_err(TestCaseError::fail)?;
            let theirs = emulator_lines(&bytes, job).map_err(TestCaseError::fail)?;
            prop_assert_eq!(
                &ours,
                &theirs,
                "checker vs stand-in on\n{}",
                String::from_utf8_lossy(&bytes)
            );
            // And both as the reference says: a valid hash of the job's algorithm, or an empty one,
            // imports; anything else fails its line.
            let expected: BTreeSet<u64> = cases
                .iter()
                .enumerate()
                .filter(|(_, c)| !(c.kind == "empty" || c.valid == Some(job)))
                .map(|(i, _)| i as u64 + 2)
                .collect();
            prop_assert_eq!(
                &ours,
                &expected,
                "the reference on\n{}",
                String::from_utf8_lossy(&bytes)
            );
            let mut seen = seen.borrow_mut();
            for case in &cases {
                seen.insert(case.kind);
            }
            Ok(())
        })
        .unwrap();
    let seen = seen.into_inner();
    for kind in ["empty", "valid", "over", "broken"] {
        assert!(seen.contains(kind), "no {kind} hash was generated");
    }
}
