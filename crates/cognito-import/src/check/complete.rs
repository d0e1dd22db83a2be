//! A header with only the columns a team uses, completed to the pool's: streaming, after the
//! [`dialect`](super::dialect) decoder (so its input is in Cognito's dialect, lines ended by `\n`).
//!
//! * Line 1's names are matched to the pool's GetCSVHeader names ignoring case and surrounding
//!   spaces ([`column_matches`]), and written as the pool spells them.
//! * A pool column the file lacks is added at the end of line 1, and an empty value at the end of
//!   every other non-empty line — unless a value is required there (`cognito:username`, a
//!   pool-required attribute): then it is left out, and the checker reports the header.
//! * A name that is not the pool's is kept as written: the checker refuses it, named (a typo must
//!   never be dropped silently). Line 1 that looks like data is left alone.
//!
//! With nothing to add, lines after the first are handed on as they are.

use memchr::memchr_iter;

use super::hashes::PASSWORD_HASH;
use super::header::USERNAME;
use super::limits::{LINE_END, MAX_ROW_BYTES, looks_like_data, same_column};
use super::pool_rules::PoolRules;
use super::scan::{column_name, raw_fields};

/// Whether a file's column name stands for the pool's column `pool_name` when a header is
/// completed: the same after trimming, ignoring case.
pub fn column_matches(file_name: &str, pool_name: &str) -> bool {
    same_column(file_name, pool_name) || file_name.to_lowercase() == pool_name.to_lowercase()
}

/// What completing changed: header names only (never values).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completed {
    /// Pool columns the file named in another case or with spaces around, now spelled as the pool does.
    pub columns_renamed: Vec<String>,
    /// Pool columns added, empty.
    pub columns_added: Vec<String>,
}

#[derive(Debug)]
enum State {
    /// Reading line 1 (kept, up to [`MAX_ROW_BYTES`] + 1 bytes).
    Header(Vec<u8>),
    /// After line 1: `suffix` is appended to every non-empty line (empty: lines pass as they are).
    Rows { suffix: Vec<u8>, line_started: bool },
}

/// The streaming completer: [`Completer::feed`] each decoded chunk, then [`Completer::finish`].
#[derive(Debug)]
pub(super) struct Completer {
    pool: Vec<String>,
    /// `password_hash` is in `pool` though the pool's header does not list it.
    unlisted_hash: bool,
    required: Vec<String>,
    state: State,
    changes: Completed,
    out: Vec<u8>,
}

impl Completer {
    /// A completer for the pool; `enabled: false` (a full header required) hands every byte on.
    pub(super) fn new(rules: &PoolRules, enabled: bool) -> Self {
        let state = if enabled {
            State::Header(Vec::new())
        } else {
            State::Rows {
                suffix: Vec::new(),
                line_started: false,
            }
        };
        // `password_hash` is matched like a pool column whether or not the pool lists it, but added
        // only where the pool lists it (its header, to be complete, has it).
        let mut pool = rules.header.clone();
        let unlisted_hash = !pool.iter().any(|p| p == PASSWORD_HASH);
        if unlisted_hash {
            pool.push(PASSWORD_HASH.to_owned());
        }
        Completer {
            pool,
            unlisted_hash,
            required: rules.required.clone(),
            state,
            changes: Completed::default(),
            out: Vec::new(),
        }
    }

    pub(super) fn feed<'a>(&'a mut self, chunk: &'a [u8]) -> &'a [u8] {
        let mut rest = chunk;
        self.out.clear();
        if let State::Header(line) = &mut self.state {
            match memchr::memchr(LINE_END, rest) {
                Some(end) => {
                    line.extend_from_slice(&rest[..end]);
                    rest = &rest[end + 1..];
                    let line = std::mem::take(line);
                    self.header_done(&line, true);
                }
                None if line.len() + rest.len() > MAX_ROW_BYTES + 1 => {
                    // Too long to be a header: handed on for the checker to refuse.
                    let line = std::mem::take(line);
                    self.out.extend_from_slice(&line);
                    self.state = State::Rows {
                        suffix: Vec::new(),
                        line_started: true,
                    };
                }
                None => {
                    line.extend_from_slice(rest);
                    return &[];
                }
            }
        }
        let State::Rows { suffix, line_started } = &mut self.state else {
            unreachable!("line 1 is over")
        };
        if suffix.is_empty() {
            if self.out.is_empty() {
                return rest;
            }
            self.out.extend_from_slice(rest);
            return &self.out;
        }
        let mut start = 0;
        for end in memchr_iter(LINE_END, rest) {
            let line = &rest[start..end];
            self.out.extend_from_slice(line);
            if *line_started || !line.is_empty() {
                self.out.extend_from_slice(suffix);
            }
            self.out.push(LINE_END);
            *line_started = false;
            start = end + 1;
        }
        let tail = &rest[start..];
        self.out.extend_from_slice(tail);
        *line_started |= !tail.is_empty();
        &self.out
    }

    /// Ends the file: its last bytes, and what completing changed.
    pub(super) fn finish(mut self) -> (Vec<u8>, Completed) {
        self.out.clear();
        match std::mem::replace(
            &mut self.state,
            State::Rows {
                suffix: Vec::new(),
                line_started: false,
            },
        ) {
            // A file that is only line 1, without a line end.
            State::Header(line) => self.header_done(&line, false),
            State::Rows { suffix, line_started } => {
                if line_started {
                    self.out.extend_from_slice(&suffix);
                }
            }
        }
        (self.out, self.changes)
    }

    /// Writes line 1, completed, into `out`, and sets the suffix of the rows.
    #[cold]
    fn header_done(&mut self, line: &[u8], ended: bool) {
        let fields: Vec<&[u8]> = raw_fields(line).collect();
        let names: Vec<String> = fields.iter().map(|raw| column_name(raw)).collect();
        let matched: Vec<Option<usize>> = names.iter().map(|name| pool_column(&self.pool, name)).collect();
        let unknown = matched.iter().filter(|m| m.is_none()).count();
        let mut suffix = Vec::new();
        if std::str::from_utf8(line).is_err() || looks_like_data(unknown, names.len()) {
            // Not a header to complete: the checker says what it is.
            self.out.extend_from_slice(line);
        } else {
            for (i, (raw, pool_name)) in fields.iter().zip(&matched).enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                match pool_name.map(|i| &self.pool[i]) {
                    Some(pool_name) => {
                        if *raw != pool_name.as_bytes() {
                            self.changes.columns_renamed.push(pool_name.clone());
                        }
                        self.out.extend_from_slice(pool_name.as_bytes());
                    }
                    None => self.out.extend_from_slice(raw),
                }
            }
            for (i, pool_name) in self.pool.iter().enumerate() {
                let present = matched.contains(&Some(i));
                let required = pool_name == USERNAME || self.required.contains(pool_name);
                let unlisted = self.unlisted_hash && pool_name == PASSWORD_HASH;
                if !present && !required && !unlisted {
                    self.out.push(b',');
                    self.out.extend_from_slice(pool_name.as_bytes());
                    suffix.push(b',');
                    self.changes.columns_added.push(pool_name.clone());
                }
            }
        }
        if ended {
            self.out.push(LINE_END);
        }
        self.state = State::Rows {
            suffix,
            line_started: false,
        };
    }
}

/// The pool column (its position) a file's name stands for: the exact name, else the only one it
/// matches ignoring case.
fn pool_column(pool: &[String], name: &str) -> Option<usize> {
    if let Some(exact) = pool.iter().position(|p| same_column(name, p)) {
        return Some(exact);
    }
    let mut candidates = pool.iter().enumerate().filter(|(_, p)| column_matches(name, p));
    match (candidates.next(), candidates.next()) {
        (Some((only, _)), None) => Some(only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{found, pool, prepare};
    use super::super::{Dialect, Options, PoolRules, Rule};

    fn completing() -> Options {
        Options {
            dialect: Dialect::Auto,
            complete_header: true,
            hashing: None,
        }
    }

    fn rules() -> PoolRules {
        PoolRules {
            header: [
                "name",
                "given_name",
                "email",
                "email_verified",
                "cognito:mfa_enabled",
                "cognito:username",
            ]
            .map(String::from)
            .to_vec(),
            auto_verified: super::super::AutoVerified::Email,
            ..pool()
        }
    }

    #[test]
    fn a_partial_header_gets_the_pools_other_columns_empty() {
        let text = "cognito:username,email,email_verified\nzoe,z@example.com,true\n\nmax,m@example.com,true";
        let (out, prepared) = prepare(&rules(), completing(), text.as_bytes());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "cognito:username,email,email_verified,name,given_name,cognito:mfa_enabled\n\
             zoe,z@example.com,true,,,\n\nmax,m@example.com,true,,,"
        );
        assert!(prepared.verdict.is_clean(), "{:?}", prepared.verdict.problems);
        assert_eq!(prepared.verdict.rows, 2);
        assert_eq!(
            prepared.normalised.completed.columns_added,
            ["name", "given_name", "cognito:mfa_enabled"]
        );
        // Required in full, the same file is refused.
        let strict = Options {
            complete_header: false,
            ..completing()
        };
        let (out, prepared) = prepare(&rules(), strict, text.as_bytes());
        assert_eq!(out, text.as_bytes());
        assert_eq!(
            found(&prepared.verdict),
            [
                (1, Some("name"), Rule::MissingColumn),
                (1, Some("given_name"), Rule::MissingColumn),
                (1, Some("cognito:mfa_enabled"), Rule::MissingColumn),
            ]
        );
    }

    #[test]
    fn names_match_ignoring_case_and_spaces_and_are_written_as_the_pool_spells_them() {
        let text = "\u{feff}\"Cognito:Username\", EMAIL ,Email_Verified\r\nzoe,z@example.com,TRUE\r\n";
        let (out, prepared) = prepare(&rules(), completing(), text.as_bytes());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "cognito:username,email,email_verified,name,given_name,cognito:mfa_enabled\nzoe,z@example.com,TRUE,,,\n"
        );
        assert!(prepared.verdict.is_clean(), "{:?}", prepared.verdict.problems);
        assert_eq!(
            prepared.normalised.completed.columns_renamed,
            ["cognito:username", "email", "email_verified"]
        );
    }

    #[test]
    fn a_column_the_pool_does_not_have_is_refused_by_name_never_dropped() {
        let text = "cognito:username,email,email_verified,emial\nzoe,z@example.com,true,x\n";
        let (_, prepared) = prepare(&rules(), completing(), text.as_bytes());
        assert_eq!(found(&prepared.verdict), [(1, Some("emial"), Rule::UnknownColumn)]);
    }

    #[test]
    fn a_column_that_needs_values_is_not_added_and_the_header_is_refused() {
        let rules = PoolRules {
            required: vec!["given_name".into()],
            ..rules()
        };
        let (_, prepared) = prepare(&rules, completing(), b"email,email_verified\nz@example.com,true\n");
        assert_eq!(
            found(&prepared.verdict),
            [
                (1, Some("given_name"), Rule::MissingColumn),
                (1, Some("cognito:username"), Rule::MissingColumn),
            ]
        );
        assert_eq!(
            prepared.normalised.completed.columns_added,
            ["name", "cognito:mfa_enabled"]
        );
    }

    #[test]
    fn a_first_line_of_data_is_left_alone() {
        let text = "zoe,z@example.com,true\nmax,m@example.com,true\n";
        let (out, prepared) = prepare(&rules(), completing(), text.as_bytes());
        assert_eq!(out, text.as_bytes());
        assert_eq!(found(&prepared.verdict), [(1, None, Rule::NotHeader)]);
    }
}
