//! `cognito_import::domain::joblog::{parse_line, Parser}` on arbitrary messages.
//!
//! The input is text, one message a line (`\n`; bytes that are not UTF-8 become U+FFFD), so the
//! seeds are lines of a real job log. Each line is also used as the reason of rows built as
//! Cognito writes them, `[OUTCOME] Line Number {n} - {reason}`, for the three outcomes and line
//! numbers from 0 to `u32::MAX`.
//!
//! Properties, beyond "no panic":
//! - a built row parses to exactly `(n, OUTCOME, reason.trim())`;
//! - a message that parses starts (after whitespace) with its outcome's tag, and gives a trimmed
//!   reason;
//! - the parser's `finish()` holds one line per message that parses, sorted by line number (equal
//!   numbers in the order they were pushed), each with its own outcome and reason; every reason is
//!   kept once (interned); the other messages are counted, and the outcome counts add up.
#![no_main]

use cognito_import::domain::joblog::{Parser, RowOutcome, parse_line};
use libfuzzer_sys::fuzz_target;

const OUTCOMES: [RowOutcome; 3] = [RowOutcome::Succeeded, RowOutcome::Skipped, RowOutcome::Failed];

/// A line number that depends on the reason and its place (FNV-1a), to spread over all of `u32`.
fn spread(reason: &str, index: usize) -> u32 {
    let mut hash = 0x811c_9dc5u32 ^ index as u32;
    for b in reason.bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    hash
}

fn row(outcome: RowOutcome, line: u32, reason: &str) -> String {
    format!("[{}] Line Number {line} - {reason}", outcome.as_str())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut messages = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        for outcome in OUTCOMES {
            for n in [0, 1, index as u32 + 2, spread(line, index), u32::MAX] {
                let built = row(outcome, n, line);
                assert_eq!(parse_line(&built), Some((n, outcome, line.trim())), "{built:?}");
            }
        }
        messages.push(line.to_owned());
        let outcome = OUTCOMES[index % 3];
        messages.push(row(outcome, spread(line, index) % 1000, line));
    }

    let mut parser = Parser::default();
    let mut parsed = Vec::new();
    let mut others = 0u64;
    for message in &messages {
        match parse_line(message) {
            Some((line, outcome, reason)) => {
                assert!(
                    message.trim_start().starts_with(&format!("[{}]", outcome.as_str())),
                    "{message:?}"
                );
                assert_eq!(reason, reason.trim(), "{message:?}");
                parsed.push((line, outcome, reason.to_owned()));
            }
            None => others += 1,
        }
        parser.push(message);
    }
    let log = parser.finish();
    assert_eq!(log.other_messages, others);
    assert!(
        log.lines.windows(2).all(|w| w[0].line <= w[1].line),
        "not sorted by line"
    );
    // What parsed, sorted by line number with a stable sort, is what the parser holds.
    parsed.sort_by_key(|(line, ..)| *line);
    let held: Vec<_> = log
        .lines
        .iter()
        .map(|l| (l.line, l.outcome, log.reason(l).to_owned()))
        .collect();
    assert_eq!(held, parsed);
    let mut reasons = log.reasons.clone();
    reasons.sort();
    reasons.dedup();
    assert_eq!(reasons.len(), log.reasons.len(), "a reason kept twice");
    for outcome in OUTCOMES {
        assert_eq!(log.count(outcome), parsed.iter().filter(|p| p.1 == outcome).count());
    }
});
