//! What a check finds: each [`Problem`] (a line, maybe a column, and the [`Rule`] broken, never a value
//! from the file), the [`Verdict`] on a whole file, and the [`Sink`] the problems are collected in.

use std::fmt;

use super::hashes::{HashAlgorithm, HashTally};
use super::limits::MAX_LISTED_PROBLEMS;
#[cfg(doc)] // named in the docs only
use super::{
    limits::{MAX_BYTES, MAX_ROW_CHARS, MAX_ROWS, MAX_USERNAME_CHARS, MAX_VALUE_BYTES, is_quoted, looks_like_data},
    pool_rules::AutoVerified,
    values::{has_whitespace, is_birthdate, is_email, is_epoch_seconds, is_integer, is_phone_number, is_username_char},
};

/// One thing wrong with the file.
///
/// It names a line (1-based, blank lines counted), a column when the problem is in one value or one
/// header name, and the rule. It never holds a value from the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    /// 1-based line number. Whole-file problems name the line where the limit was crossed
    /// ([`Rule::FileTooLarge`], [`Rule::TooManyRows`]) or line 1 ([`Rule::NoUserRows`],
    /// [`Rule::MissingHeader`]).
    pub line: u64,
    /// The column, by its header name, when the problem is about one column.
    pub column: Option<String>,
    /// Which rule is broken. In JSON its fields sit beside `line` and `column`:
    /// `{"line":7,"column":"email_verified","rule":"not_boolean"}`.
    #[serde(flatten)]
    pub rule: Rule,
}

/// The rules a file can break. The data a variant holds are limits and counts, never values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    // ---- the whole file ----
    /// The file starts with a UTF-8 byte-order mark (reported on line 1; the rest of the file is still
    /// checked as if it were not there).
    ByteOrderMark,
    /// The line is not valid UTF-8 (the rest of the line is not checked); the column is the first
    /// field that is not. Most often a file saved in a code page such as Windows-1252.
    InvalidUtf8,
    // ---- what Cognito's dialect cannot carry (files in RFC 4180, see `dialect`) ----
    /// A quoted value holds a line break; named on the line the value starts on.
    LineBreakInValue,
    /// A value ends with a backslash and another field follows: Cognito would read the backslash and
    /// the separator as an escaped comma.
    TrailingBackslash,
    /// A quoted value is not closed before the end of the file; named on the line it opens on.
    UnclosedQuote,
    /// Text follows the closing quote of a quoted value.
    TextAfterQuote,
    /// A comma escaped Cognito's way (`\,`, outside quotes) in a file that has quoted fields (RFC 4180,
    /// from `quoted_line` on): the two readings of the file differ.
    MixedDialect { quoted_line: u64 },
    /// The file is larger than [`MAX_BYTES`]; named on the line holding the first byte past the limit.
    FileTooLarge { limit_bytes: u64 },
    /// The file has more than [`MAX_ROWS`] user rows; named on the first row past the limit.
    TooManyRows { limit_rows: u64 },
    /// The file is empty, or its line 1 is blank: there is no header.
    MissingHeader,
    /// The header is followed by no user row: a job would be spent on nothing.
    NoUserRows,
    // ---- the header (line 1) ----
    /// Line 1 looks like a user row, not the pool's header ([`looks_like_data`]); its names are not
    /// echoed.
    NotHeader,
    /// A header name that is not a column of the pool's header (the column names it).
    UnknownColumn,
    /// A header name given more than once.
    DuplicateColumn,
    /// A column of the pool's header that the header leaves out.
    MissingColumn,
    /// The header name at this 1-based position is empty.
    EmptyColumnName { position: usize },
    // ---- a row's shape ----
    /// The line has more than [`MAX_ROW_CHARS`] characters (the rest of it is not checked).
    RowTooLong { limit_chars: usize },
    /// The row does not have one field per header column (its values are not checked).
    FieldCount { expected: usize, found: usize },
    // ---- a value ----
    /// The value starts and ends with `"` ([`is_quoted`]); its other rules are not checked.
    QuotedValue,
    /// The value is empty, but the column is required (`cognito:username`, or a pool-required attribute).
    Required,
    /// `email` (or `phone_number`) is empty while `email_verified` (or `phone_number_verified`) is true.
    RequiredWhenVerified,
    /// Neither `email_verified` nor `phone_number_verified` is true, in a pool that auto-verifies both
    /// ([`AutoVerified::EmailAndPhoneNumber`]; not reported when one of them is not a boolean: that is
    /// reported instead).
    NotVerified,
    /// The column (`email_verified` or `phone_number_verified`) is not true, but its attribute is the
    /// only one the pool auto-verifies ([`AutoVerified::Email`], [`AutoVerified::PhoneNumber`]), so
    /// every user must have it verified. Cognito fails such a row: "The User Record does not set any of
    /// the auto verified attributes to true." (Not reported when the column is not a boolean.)
    NotAutoVerified,
    /// `cognito:username` has whitespace inside ([`has_whitespace`]).
    UsernameWhitespace,
    /// `cognito:username` has a character that is not a letter, mark, number, symbol or punctuation
    /// (a control, format, private-use or unassigned character; [`is_username_char`]).
    UsernameCharacters,
    /// The value has more characters than the limit ([`MAX_USERNAME_CHARS`]).
    ValueTooLong { limit_chars: usize },
    /// The value has more bytes than the limit ([`MAX_VALUE_BYTES`], once trimmed and unescaped).
    ValueTooLarge { limit_bytes: usize },
    /// A boolean column (`email_verified`, `phone_number_verified`, `cognito:mfa_enabled`) holds
    /// something other than empty, true or false (any case).
    NotBoolean,
    /// `phone_number` is not `+` and 1 to 15 digits, the first not 0 ([`is_phone_number`]).
    InvalidPhoneNumber,
    /// `email` does not have the shape of an address ([`is_email`]).
    InvalidEmail,
    /// `birthdate` is not a real date written `mm/dd/yyyy` ([`is_birthdate`]).
    InvalidBirthdate,
    /// `updated_at` is not seconds since the epoch ([`is_epoch_seconds`]).
    NotEpochSeconds,
    /// `cognito:mfa_enabled` is false, but the pool requires MFA.
    MfaRequiredByPool,
    /// `cognito:mfa_enabled` is true, but MFA is off in the pool.
    MfaOffInPool,
    /// The value of a Number custom attribute is not an integer ([`is_integer`]).
    NotInteger,
    // ---- a password hash (`password_hash`, see `hashes`) ----
    /// Not a password hash in one of the forms assumed ([`hashes`](super::hashes)).
    HashFormat,
    /// A hash whose cost `parameter` is over Cognito's bound `limit`: Cognito fails the user.
    HashOverBounds {
        algorithm: HashAlgorithm,
        parameter: &'static str,
        limit: u64,
    },
    /// A hash of another algorithm than `PASSWORD_HASHING_ALGORITHM` (`algorithm`): a job hashes
    /// with one algorithm.
    HashNotOfJobAlgorithm { algorithm: HashAlgorithm },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::ByteOrderMark => f.write_str("the file starts with a byte-order mark; save it as UTF-8 without BOM"),
            Rule::InvalidUtf8 => f.write_str(
                "not valid UTF-8: save the file as \"CSV UTF-8\" (a code page such as Windows-1252 cannot be read)",
            ),
            Rule::LineBreakInValue => {
                f.write_str("a quoted value holds a line break, which Cognito's CSV format cannot carry")
            }
            Rule::TrailingBackslash => f.write_str(
                "the value ends with a backslash before the next field, which Cognito's CSV format cannot carry",
            ),
            Rule::UnclosedQuote => f.write_str("a quoted value is not closed before the end of the file"),
            Rule::TextAfterQuote => f.write_str("text follows the closing quote of a quoted value"),
            Rule::MixedDialect { quoted_line } => write!(
                f,
                "a comma escaped with a backslash (Cognito's CSV) in a file with quoted fields (RFC 4180, from line \
                 {quoted_line}); set CSV_DIALECT to the file's dialect"
            ),
            Rule::FileTooLarge { limit_bytes } => write!(f, "the file is larger than {limit_bytes} bytes"),
            Rule::TooManyRows { limit_rows } => write!(f, "the file has more than {limit_rows} user rows"),
            Rule::MissingHeader => f.write_str("no header: line 1 must be the pool's CSV header"),
            Rule::NoUserRows => f.write_str("the header is followed by no user rows"),
            Rule::NotHeader => f.write_str("not the pool's header: more than half of its columns are unknown"),
            Rule::UnknownColumn => f.write_str("not a column of the pool's header"),
            Rule::DuplicateColumn => f.write_str("appears more than once in the header"),
            Rule::MissingColumn => f.write_str("missing from the header"),
            Rule::EmptyColumnName { position } => write!(f, "header column {position} has no name"),
            Rule::RowTooLong { limit_chars } => write!(f, "the line is longer than {limit_chars} characters"),
            Rule::FieldCount { expected, found } => write!(f, "has {found} fields, the header has {expected}"),
            Rule::QuotedValue => {
                f.write_str("wrapped in double quotes, which Cognito would keep: values are never quoted")
            }
            Rule::Required => f.write_str("required, but empty"),
            Rule::RequiredWhenVerified => f.write_str("required because it is marked verified, but empty"),
            Rule::NotVerified => f.write_str(
                "neither email_verified nor phone_number_verified is true; the pool auto-verifies both, so one must be",
            ),
            Rule::NotAutoVerified => f.write_str("must be true: the pool auto-verifies only this attribute"),
            Rule::UsernameWhitespace => f.write_str("must not contain whitespace"),
            Rule::UsernameCharacters => {
                f.write_str("must hold only letters, marks, numbers, symbols and punctuation (no control characters)")
            }
            Rule::ValueTooLong { limit_chars } => write!(f, "longer than {limit_chars} characters"),
            Rule::ValueTooLarge { limit_bytes } => write!(f, "longer than {limit_bytes} bytes (UTF-8)"),
            Rule::NotBoolean => f.write_str("must be true or false"),
            Rule::InvalidPhoneNumber => f.write_str("must be + and 1 to 15 digits, the first not 0 (E.164)"),
            Rule::InvalidEmail => f.write_str("must have one @ with text on both sides and no whitespace"),
            Rule::InvalidBirthdate => f.write_str("must be a real date written mm/dd/yyyy"),
            Rule::NotEpochSeconds => f.write_str("must be seconds since the Unix epoch (digits only)"),
            Rule::MfaRequiredByPool => f.write_str("must not be false: the pool requires MFA"),
            Rule::MfaOffInPool => f.write_str("must not be true: MFA is off in the pool"),
            Rule::NotInteger => f.write_str("must be an integer (Number attribute)"),
            Rule::HashFormat => f.write_str(
                "not a password hash in a form read: bcrypt ($2a$, $2b$, $2y$) or a PHC string ($argon2id$, $scrypt$, \
                 $pbkdf2-sha256$)",
            ),
            Rule::HashOverBounds {
                algorithm,
                parameter,
                limit,
            } => write!(
                f,
                "{algorithm} {parameter} is over Cognito's bound of {limit}: Cognito would fail this user"
            ),
            Rule::HashNotOfJobAlgorithm { algorithm } => write!(
                f,
                "not a {algorithm} hash, the algorithm PASSWORD_HASHING_ALGORITHM names (a job hashes with one \
                 algorithm; with the setting empty, a file is imported as one job per algorithm)"
            ),
        }
    }
}

impl fmt::Display for Problem {
    /// `line 7, column email_verified: must be true or false`, or `line 7: ...` without a column.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "line {}, column {}: {}", self.line, column, self.rule),
            None => write!(f, "line {}: {}", self.line, self.rule),
        }
    }
}

/// The outcome of checking a whole file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    /// User rows: non-blank lines after line 1, whether or not they have problems.
    pub rows: u64,
    /// Bytes fed.
    pub bytes: u64,
    /// The first [`MAX_LISTED_PROBLEMS`] problems, in the order of the file.
    pub problems: Vec<Problem>,
    /// Every problem found, listed or not.
    pub problem_count: u64,
    /// The rows by their `password_hash` (all zero when the file has no such column).
    pub hashes: HashTally,
}

impl Verdict {
    /// Whether the file has no problem at all: an import job may be spent on it.
    pub fn is_clean(&self) -> bool {
        self.problem_count == 0
    }
}

/// The problems found so far: the first [`MAX_LISTED_PROBLEMS`] kept, all counted.
#[derive(Debug, Default)]
pub(super) struct Sink {
    pub(super) problems: Vec<Problem>,
    pub(super) count: u64,
}

impl Sink {
    #[cold]
    pub(super) fn push(&mut self, line: u64, column: Option<&str>, rule: Rule) {
        self.count += 1;
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(Problem {
                line,
                column: column.map(str::to_owned),
                rule,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::*;
    use crate::check::{MAX_ROW_CHARS, Mfa, PoolRules};

    #[test]
    fn problem_list_is_capped_and_all_counted() {
        let rows: Vec<String> = (0..1500)
            .map(|i| user(&[("cognito:username", &format!("u{i}")), ("email", "bad")]))
            .collect();
        let verdict = run(&pool(), file(&rows).as_bytes());
        assert_eq!(verdict.problems.len(), MAX_LISTED_PROBLEMS);
        assert_eq!(verdict.problem_count, 1500);
        assert_eq!(verdict.rows, 1500);
        assert_eq!(verdict.problems[0].line, 2);
        assert_eq!(
            verdict.problems[MAX_LISTED_PROBLEMS - 1].line,
            MAX_LISTED_PROBLEMS as u64 + 1
        );
        assert!(!verdict.is_clean());
    }

    #[test]
    fn no_value_ever_appears_in_a_problem() {
        const PLANT: &str = "Pl4nted-Secret";
        let rules = PoolRules {
            required: vec!["custom:tier".into()],
            mfa: Mfa::On,
            ..pool()
        };
        let bad_rows = [
            user(&[
                ("cognito:username", &format!("{PLANT} x")),
                ("email", PLANT),
                ("email_verified", PLANT),
            ]),
            user(&[
                ("phone_number", PLANT),
                ("phone_number_verified", PLANT),
                ("birthdate", PLANT),
            ]),
            user(&[
                ("updated_at", PLANT),
                ("cognito:mfa_enabled", PLANT),
                ("custom:age", PLANT),
            ]),
            user(&[("name", &format!("\"{PLANT}\"")), ("custom:tier", &PLANT.repeat(300))]),
            user(&[
                ("cognito:username", &PLANT.repeat(20)),
                ("cognito:mfa_enabled", "false"),
            ]),
            format!("{PLANT},{PLANT}"),
            format!("{PLANT}\u{fffd}{}", "é".repeat(MAX_ROW_CHARS)),
        ];
        let mut text = file(&bad_rows).into_bytes();
        text.extend_from_slice(PLANT.as_bytes());
        text.extend_from_slice(b"\xFF\n");
        let verdict = run(&rules, &text);
        assert!(verdict.problem_count >= 15, "{:?}", verdict.problems);
        let json = serde_json::to_string(&verdict).unwrap();
        assert!(!json.to_lowercase().contains(&PLANT.to_lowercase()), "{json}");
        for problem in &verdict.problems {
            for shown in [
                problem.to_string(),
                format!("{problem:?}"),
                serde_json::to_string(problem).unwrap(),
            ] {
                assert!(!shown.contains(PLANT) && !shown.contains("4nted"), "{shown}");
            }
        }
        // And line 1 that looks like data is not echoed either.
        let verdict = run(&rules, format!("{PLANT},{PLANT}@example.com,true\n").as_bytes());
        assert!(!serde_json::to_string(&verdict).unwrap().contains(PLANT));
    }

    #[test]
    fn display_and_json() {
        let verdict = run(
            &pool(),
            file(&[
                user(&[]),
                user(&[]),
                user(&[]),
                user(&[]),
                user(&[]),
                user(&[("email_verified", "y")]),
            ])
            .as_bytes(),
        );
        let problem = &verdict.problems[0];
        assert_eq!(
            problem.to_string(),
            "line 7, column email_verified: must be true or false"
        );
        assert_eq!(
            serde_json::to_value(problem).unwrap(),
            serde_json::json!({"line": 7, "column": "email_verified", "rule": "not_boolean"})
        );
        let problem = Problem {
            line: 3,
            column: None,
            rule: Rule::FieldCount {
                expected: 21,
                found: 20,
            },
        };
        assert_eq!(problem.to_string(), "line 3: has 20 fields, the header has 21");
        assert_eq!(
            serde_json::to_value(&problem).unwrap(),
            serde_json::json!({"line": 3, "column": null, "rule": "field_count", "expected": 21, "found": 20})
        );
        let json = serde_json::to_value(&verdict).unwrap();
        assert_eq!(json["rows"], 6);
        assert_eq!(json["problem_count"], 1);
    }
}
