//! Line 1: the file's header read and matched against the pool's, into the table of columns (each with
//! its rule) that the rows are checked against.

use super::hashes::{HashAlgorithm, PASSWORD_HASH};
use super::limits::{BOM, MAX_ROW_CHARS, is_number_attribute, is_trimmed, looks_like_data, same_column};
use super::pool_rules::{AutoVerified, Mfa, PoolRules};
use super::problem::{Rule, Sink};
use super::scan::{fields, split};

// Names of columns with rules of their own (`birthdate` and `updated_at` are only named in `col`).
pub(super) const USERNAME: &str = "cognito:username";
pub(super) const EMAIL: &str = "email";
pub(super) const EMAIL_VERIFIED: &str = "email_verified";
pub(super) const PHONE: &str = "phone_number";
pub(super) const PHONE_VERIFIED: &str = "phone_number_verified";
const MFA_ENABLED: &str = "cognito:mfa_enabled";

/// What a column's values are checked for, decided once from the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// No rule beyond quotes and [`Col::required`].
    Plain,
    Username,
    EmailVerified,
    PhoneVerified,
    Email,
    Phone,
    Birthdate,
    UpdatedAt,
    MfaEnabled,
    Number,
    /// `password_hash` ([`super::hashes`]).
    PasswordHash,
}

/// One column of the file's header, with its rule.
#[derive(Debug)]
pub(super) struct Col {
    pub(super) name: String,
    pub(super) kind: Kind,
    pub(super) required: bool,
}

/// The file's header columns with their rules, built when line 1 is the pool's header, and the pool's
/// settings the rules across a row need.
#[derive(Debug)]
pub(super) struct Columns {
    pub(super) cols: Vec<Col>,
    /// Positions in `cols` of the columns with a rule of their own (not [`Kind::Plain`], or required):
    /// the only values a line without `"` needs to have looked at.
    pub(super) ruled: Vec<usize>,
    /// `0..cols.len()`: the values to look at in a line with a `"`.
    pub(super) every: Vec<usize>,
    /// Positions in `cols` of the columns that rules across a row need.
    pub(super) email_col: Option<usize>,
    pub(super) phone_col: Option<usize>,
    pub(super) email_verified_col: Option<usize>,
    pub(super) phone_verified_col: Option<usize>,
    /// The pool's MFA setting.
    pub(super) mfa: Mfa,
    /// The attributes the pool auto-verifies.
    pub(super) auto_verified: AutoVerified,
    /// `PASSWORD_HASHING_ALGORITHM`: every hash must be of it (else any algorithm may be).
    pub(super) hashing: Option<HashAlgorithm>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            cols: Vec::new(),
            ruled: Vec::new(),
            every: Vec::new(),
            email_col: None,
            phone_col: None,
            email_verified_col: None,
            phone_verified_col: None,
            mfa: Mfa::Off,
            auto_verified: AutoVerified::Email,
            hashing: None,
        }
    }
}

/// Checks line 1 (`content`, without its line end) against the pool's header: reports its problems to
/// `sink` and, when it has none and is the pool's, gives the column table. `ends` is [`split`]'s buffer.
#[cold]
pub(super) fn read(
    content: &[u8],
    rules: &PoolRules,
    hashing: Option<HashAlgorithm>,
    ends: &mut Vec<u32>,
    sink: &mut Sink,
) -> Option<Columns> {
    let content = match content.strip_prefix(BOM) {
        Some(rest) => {
            sink.push(1, None, Rule::ByteOrderMark);
            rest
        }
        None => content,
    };
    let Ok(text) = std::str::from_utf8(content) else {
        sink.push(1, None, Rule::InvalidUtf8);
        return None;
    };
    if text.chars().count() > MAX_ROW_CHARS {
        sink.push(
            1,
            None,
            Rule::RowTooLong {
                limit_chars: MAX_ROW_CHARS,
            },
        );
        return None;
    }
    if content.iter().all(|&b| is_trimmed(b)) {
        sink.push(1, None, Rule::MissingHeader);
        return None;
    }
    let count = split(content, ends).expect("the header is UTF-8").fields;
    let names: Vec<String> = fields(text, &ends[..count])
        .map(|name| name.trim_ascii().replace("\\,", ","))
        .collect();
    let pool = &rules.header;
    let known = |name: &str| same_column(name, PASSWORD_HASH) || pool.iter().any(|p| same_column(name, p));
    let unknown = names.iter().filter(|n| !known(n)).count();
    if looks_like_data(unknown, names.len()) {
        sink.push(1, None, Rule::NotHeader);
        return None;
    }
    let problems_before = sink.count;
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            sink.push(1, None, Rule::EmptyColumnName { position: i + 1 });
        } else if !known(name) {
            sink.push(1, Some(name), Rule::UnknownColumn);
        } else if names[..i].iter().any(|n| n == name) {
            sink.push(1, Some(name), Rule::DuplicateColumn);
        }
    }
    let present = |pool_name: &str| names.iter().any(|n| same_column(n, pool_name));
    for pool_name in pool {
        let needed =
            rules.require_full_header || pool_name == USERNAME || rules.required.iter().any(|r| r == pool_name);
        if needed && !present(pool_name) {
            sink.push(1, Some(pool_name), Rule::MissingColumn);
        }
    }
    if sink.count != problems_before {
        return None;
    }
    let cols: Vec<Col> = names.into_iter().map(|name| col(rules, name)).collect();
    Some(Columns {
        ruled: (0..cols.len())
            .filter(|&i| cols[i].kind != Kind::Plain || cols[i].required)
            .collect(),
        every: (0..cols.len()).collect(),
        email_col: cols.iter().position(|c| c.name == EMAIL),
        phone_col: cols.iter().position(|c| c.name == PHONE),
        email_verified_col: cols.iter().position(|c| c.name == EMAIL_VERIFIED),
        phone_verified_col: cols.iter().position(|c| c.name == PHONE_VERIFIED),
        mfa: rules.mfa,
        auto_verified: rules.auto_verified,
        hashing,
        cols,
    })
}

/// The rule of the file's column `name`.
fn col(rules: &PoolRules, name: String) -> Col {
    let kind = if rules.number_attributes.iter().any(|a| is_number_attribute(&name, a)) {
        Kind::Number
    } else {
        match name.as_str() {
            USERNAME => Kind::Username,
            EMAIL_VERIFIED => Kind::EmailVerified,
            PHONE_VERIFIED => Kind::PhoneVerified,
            EMAIL => Kind::Email,
            PHONE => Kind::Phone,
            "birthdate" => Kind::Birthdate,
            "updated_at" => Kind::UpdatedAt,
            MFA_ENABLED => Kind::MfaEnabled,
            PASSWORD_HASH => Kind::PasswordHash,
            _ => Kind::Plain,
        }
    };
    let required = kind == Kind::Username || rules.required.contains(&name);
    Col { name, kind, required }
}

#[cfg(test)]
mod tests {
    use crate::check::fixtures::*;
    use crate::check::{PoolRules, Rule};

    #[test]
    fn byte_order_mark() {
        let text = format!("\u{feff}{}", file(&[user(&[("email_verified", "no")])]));
        let verdict = run(&pool(), text.as_bytes());
        // Reported once; the header behind it is still read, and the rows checked.
        assert_eq!(
            found(&verdict),
            [
                (1, None, Rule::ByteOrderMark),
                (2, Some("email_verified"), Rule::NotBoolean)
            ]
        );
        // Only at the start of the file.
        let later = file(&[user(&[("name", "\u{feff}x")])]);
        assert!(run(&pool(), later.as_bytes()).is_clean());
    }

    #[test]
    fn invalid_utf8_in_the_header() {
        let mut text = file(&[user(&[("email_verified", "nope")])]).into_bytes();
        text[3] = 0xFF;
        let verdict = run(&pool(), &text);
        // The header is broken: its rows are counted, not checked.
        assert_eq!(found(&verdict), [(1, None, Rule::InvalidUtf8)]);
        assert_eq!(verdict.rows, 1);
    }

    #[test]
    fn header_problems_name_the_columns() {
        let rules = pool();
        let text = format!("{HEADER},nickname,email, custom:tier ,\n{}\n", user(&[("email", "x")]));
        let verdict = run(&rules, text.as_bytes());
        assert_eq!(
            found(&verdict),
            [
                (1, Some("nickname"), Rule::UnknownColumn),
                (1, Some("email"), Rule::DuplicateColumn),
                (1, Some("custom:tier"), Rule::DuplicateColumn),
                (1, None, Rule::EmptyColumnName { position: 15 }),
            ]
        );
        // A broken header stops the row checks (the row's bad email is not reported), not the counting.
        assert_eq!(verdict.rows, 1);
    }

    #[test]
    fn missing_columns() {
        let text = "email,cognito:username,email_verified\nalice@example.com,alice,true\n";
        let verdict = run(&pool(), text.as_bytes());
        let missing = |c| (1, Some(c), Rule::MissingColumn);
        assert_eq!(
            found(&verdict),
            [
                missing("phone_number"),
                missing("phone_number_verified"),
                missing("birthdate"),
                missing("updated_at"),
                missing("cognito:mfa_enabled"),
                missing("name"),
                missing("custom:tier"),
                missing("custom:age"),
            ]
        );
        // Without the full-header rule that file is fine...
        let partial = PoolRules {
            require_full_header: false,
            ..pool()
        };
        assert!(run(&partial, text.as_bytes()).is_clean());
        // ...but cognito:username and the pool's required columns are still needed.
        let partial = PoolRules {
            required: vec!["custom:tier".into()],
            ..partial
        };
        let verdict = run(&partial, b"email,email_verified\nalice@example.com,true\n");
        assert_eq!(found(&verdict), [missing("cognito:username"), missing("custom:tier")]);
    }

    #[test]
    fn header_order_and_whitespace_do_not_matter() {
        let mut names = columns();
        names.reverse();
        let header = names.iter().map(|n| format!(" {n}\t")).collect::<Vec<_>>().join(",");
        let row = names
            .iter()
            .map(|n| match n.as_str() {
                "cognito:username" => "bob",
                "email" => "bob@example.com",
                "email_verified" => "TRUE",
                "birthdate" => "13/13/2000",
                _ => "",
            })
            .collect::<Vec<_>>()
            .join(",");
        let verdict = run(&pool(), format!("{header}\r\n{row}\r\n").as_bytes());
        assert_eq!(found(&verdict), [(2, Some("birthdate"), Rule::InvalidBirthdate)]);
    }

    #[test]
    fn header_that_looks_like_data() {
        let secret = "alice.PLANTED@example.com";
        let text = format!("alice,{secret},true,,,,,,Alice Smith,gold,\n{}\n", user(&[]));
        let verdict = run(&pool(), text.as_bytes());
        assert_eq!(found(&verdict), [(1, None, Rule::NotHeader)]);
        assert_eq!(
            verdict.problems[0].to_string(),
            "line 1: not the pool's header: more than half of its columns are unknown"
        );
        assert!(!serde_json::to_string(&verdict).unwrap().contains("PLANTED"));
        // Half unknown is still read as a header (and the unknown ones named).
        let rules = PoolRules::new(vec!["cognito:username".into(), "email_verified".into(), "email".into()]);
        let verdict = run(&rules, b"cognito:username,email_verified,x,y,email\nalice,true,,,a@b\n");
        assert_eq!(
            found(&verdict),
            [(1, Some("x"), Rule::UnknownColumn), (1, Some("y"), Rule::UnknownColumn)]
        );
    }
}
