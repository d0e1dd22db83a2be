//! A user row under a good header: its shape (length in characters, one field per column), each value's
//! rule by the kind of its column, and the rules across the row (verification, MFA, required values).

use super::header::{Columns, EMAIL, Kind, PHONE};
use super::limits::{MAX_CUSTOM_STRING_CHARS, MAX_ROW_CHARS, MAX_USERNAME_CHARS, is_quoted};
use super::pool_rules::Mfa;
use super::problem::{Rule, Sink};
use super::scan::char_count;
use super::values::{
    boolean, has_whitespace, is_birthdate, is_email, is_epoch_seconds, is_integer, is_phone_number, too_many_chars,
};

/// The checks of a UTF-8 user row (line `line_no`, not blank) whose fields end at `ends` (`quotes`:
/// whether it has a `"`), against the good header's `columns` and the pool's `mfa` setting.
#[inline]
pub(super) fn check(
    line_no: u64,
    content: &[u8],
    ends: &[u32],
    quotes: bool,
    columns: &Columns,
    mfa: Mfa,
    sink: &mut Sink,
) {
    let count = ends.len();
    // From here on the line is UTF-8: every field boundary and trimmed end is an ASCII byte, so
    // every value below is UTF-8 too.
    if content.len() > MAX_ROW_CHARS && char_count(content) > MAX_ROW_CHARS {
        sink.push(
            line_no,
            None,
            Rule::RowTooLong {
                limit_chars: MAX_ROW_CHARS,
            },
        );
        return;
    }
    let Columns {
        cols,
        ruled,
        every,
        email_col,
        phone_col,
    } = columns;
    if count != cols.len() {
        sink.push(
            line_no,
            None,
            Rule::FieldCount {
                expected: cols.len(),
                found: count,
            },
        );
        return;
    }
    let mut email_verified = None;
    let mut phone_verified = None;
    let mut bad_verified = false;
    let mut email_given = false;
    let mut phone_given = false;
    // Without a `"` in the line no value is quoted, and a column without a rule of its own (most of
    // them) has nothing to look at.
    for &i in if quotes { &every[..] } else { &ruled[..] } {
        let col = &cols[i];
        let start = if i == 0 { 0 } else { ends[i - 1] as usize + 1 };
        let value = content[start..ends[i] as usize].trim_ascii();
        if col.kind == Kind::Plain && !col.required {
            if is_quoted(value) {
                sink.push(line_no, Some(&col.name), Rule::QuotedValue);
            }
            continue;
        }
        if value.is_empty() {
            if col.required {
                sink.push(line_no, Some(&col.name), Rule::Required);
            }
            continue;
        }
        if is_quoted(value) {
            sink.push(line_no, Some(&col.name), Rule::QuotedValue);
            email_given |= col.kind == Kind::Email;
            phone_given |= col.kind == Kind::Phone;
            bad_verified |= matches!(col.kind, Kind::EmailVerified | Kind::PhoneVerified);
            continue;
        }
        let broken = match col.kind {
            Kind::Plain => None,
            Kind::Username => {
                if has_whitespace(value) {
                    Some(Rule::UsernameWhitespace)
                } else if too_many_chars(value, MAX_USERNAME_CHARS) {
                    Some(Rule::ValueTooLong {
                        limit_chars: MAX_USERNAME_CHARS,
                    })
                } else {
                    None
                }
            }
            Kind::EmailVerified | Kind::PhoneVerified => {
                let parsed = boolean(value);
                bad_verified |= parsed.is_none();
                if col.kind == Kind::EmailVerified {
                    email_verified = parsed;
                } else {
                    phone_verified = parsed;
                }
                parsed.is_none().then_some(Rule::NotBoolean)
            }
            Kind::Email => {
                email_given = true;
                (!is_email(value)).then_some(Rule::InvalidEmail)
            }
            Kind::Phone => {
                phone_given = true;
                (!is_phone_number(value)).then_some(Rule::InvalidPhoneNumber)
            }
            Kind::Birthdate => (!is_birthdate(value)).then_some(Rule::InvalidBirthdate),
            Kind::UpdatedAt => (!is_epoch_seconds(value)).then_some(Rule::NotEpochSeconds),
            Kind::MfaEnabled => match (boolean(value), mfa) {
                (None, _) => Some(Rule::NotBoolean),
                (Some(false), Mfa::On) => Some(Rule::MfaRequiredByPool),
                (Some(true), Mfa::Off) => Some(Rule::MfaOffInPool),
                _ => None,
            },
            Kind::Number => (!is_integer(value)).then_some(Rule::NotInteger),
            Kind::CustomString => too_many_chars(value, MAX_CUSTOM_STRING_CHARS).then_some(Rule::ValueTooLong {
                limit_chars: MAX_CUSTOM_STRING_CHARS,
            }),
        };
        if let Some(rule) = broken {
            sink.push(line_no, Some(&col.name), rule);
        }
    }
    if email_verified == Some(true) && !email_given {
        sink.push(
            line_no,
            Some(email_col.map_or(EMAIL, |i| &cols[i].name)),
            Rule::RequiredWhenVerified,
        );
    }
    if phone_verified == Some(true) && !phone_given {
        sink.push(
            line_no,
            Some(phone_col.map_or(PHONE, |i| &cols[i].name)),
            Rule::RequiredWhenVerified,
        );
    }
    if email_verified != Some(true) && phone_verified != Some(true) && !bad_verified {
        sink.push(line_no, None, Rule::NotVerified);
    }
}

#[cfg(test)]
mod tests {
    use crate::check::fixtures::*;
    use crate::check::{MAX_ROW_CHARS, MAX_USERNAME_CHARS, Mfa, PoolRules, Rule};

    #[test]
    fn username() {
        assert_eq!(
            row_problems(&[("cognito:username", "")]),
            [(Some("cognito:username"), Rule::Required)]
        );
        assert_eq!(
            row_problems(&[("cognito:username", "   ")]),
            [(Some("cognito:username"), Rule::Required)]
        );
        assert_eq!(row_problems(&[("cognito:username", "  trimmed\t")]), []);
        for inner in ["a b", "a\tb", "a\u{a0}b", "a\u{3000}b", "a\u{b}b"] {
            assert_eq!(
                row_problems(&[("cognito:username", inner)]),
                [(Some("cognito:username"), Rule::UsernameWhitespace)],
                "{inner:?}"
            );
        }
        assert_eq!(row_problems(&[("cognito:username", "zoë.łukasz.José_日本")]), []);
        let limit = Rule::ValueTooLong {
            limit_chars: MAX_USERNAME_CHARS,
        };
        assert_eq!(row_problems(&[("cognito:username", &"a".repeat(128))]), []);
        assert_eq!(
            row_problems(&[("cognito:username", &"a".repeat(129))]),
            [(Some("cognito:username"), limit.clone())]
        );
        // Characters, not bytes: 128 two-byte characters fit.
        assert_eq!(row_problems(&[("cognito:username", &"é".repeat(128))]), []);
        assert_eq!(
            row_problems(&[("cognito:username", &"é".repeat(129))]),
            [(Some("cognito:username"), limit)]
        );
        // An escaped comma is one character.
        let escaped = format!("{}\\,", "a".repeat(127));
        assert_eq!(row_problems(&[("cognito:username", &escaped)]), []);
    }

    #[test]
    fn verification() {
        assert_eq!(row_problems(&[("email_verified", "")]), [(None, Rule::NotVerified)]);
        assert_eq!(
            row_problems(&[("email_verified", "false")]),
            [(None, Rule::NotVerified)]
        );
        assert_eq!(
            row_problems(&[("email_verified", "false"), ("phone_number_verified", "FALSE")]),
            [(None, Rule::NotVerified)]
        );
        assert_eq!(
            row_problems(&[
                ("email_verified", "false"),
                ("phone_number", "+14325551212"),
                ("phone_number_verified", "true")
            ]),
            []
        );
        assert_eq!(
            row_problems(&[("email", "")]),
            [(Some("email"), Rule::RequiredWhenVerified)]
        );
        assert_eq!(
            row_problems(&[("email_verified", ""), ("phone_number_verified", "true")]),
            [(Some("phone_number"), Rule::RequiredWhenVerified)]
        );
        assert_eq!(
            row_problems(&[("email", ""), ("phone_number_verified", "true")]),
            [
                (Some("email"), Rule::RequiredWhenVerified),
                (Some("phone_number"), Rule::RequiredWhenVerified)
            ]
        );
        // Not verified, but a bad boolean is the problem to report, not a missing verification.
        assert_eq!(
            row_problems(&[("email_verified", "oui")]),
            [(Some("email_verified"), Rule::NotBoolean)]
        );
        // Unverified contact data needs no verification flag of its own.
        assert_eq!(row_problems(&[("phone_number", "+33612345678")]), []);
    }

    #[test]
    fn verification_columns_left_out() {
        // Without a full header, a file without the verification columns fails every row.
        let rules = PoolRules {
            require_full_header: false,
            ..pool()
        };
        let verdict = run(&rules, b"cognito:username,email\nalice,alice@example.com\n");
        assert_eq!(found(&verdict), [(2, None, Rule::NotVerified)]);
        let verdict = run(&rules, b"cognito:username,email_verified\nalice,true\n");
        assert_eq!(found(&verdict), [(2, Some("email"), Rule::RequiredWhenVerified)]);
    }

    #[test]
    fn mfa() {
        let mfa = |mode: Mfa, value: &str| {
            let rules = PoolRules { mfa: mode, ..pool() };
            found(&run(
                &rules,
                file(&[user(&[("cognito:mfa_enabled", value)])]).as_bytes(),
            ))
        };
        let column = Some("cognito:mfa_enabled");
        assert_eq!(mfa(Mfa::Off, "false"), []);
        assert_eq!(mfa(Mfa::Off, ""), []);
        assert_eq!(mfa(Mfa::Off, "TRUE"), [(2, column, Rule::MfaOffInPool)]);
        assert_eq!(mfa(Mfa::On, "true"), []);
        assert_eq!(mfa(Mfa::On, ""), []);
        assert_eq!(mfa(Mfa::On, "False"), [(2, column, Rule::MfaRequiredByPool)]);
        assert_eq!(mfa(Mfa::Optional, "true"), []);
        assert_eq!(mfa(Mfa::Optional, "false"), []);
        for mode in [Mfa::Off, Mfa::On, Mfa::Optional] {
            assert_eq!(mfa(mode, "maybe"), [(2, column, Rule::NotBoolean)]);
        }
    }

    #[test]
    fn required_attributes() {
        let rules = PoolRules {
            required: vec!["custom:tier".into(), "name".into()],
            ..pool()
        };
        let text = file(&[
            user(&[("custom:tier", "gold"), ("name", "Zoë")]),
            user(&[("custom:tier", " ")]),
        ]);
        let verdict = run(&rules, text.as_bytes());
        assert_eq!(
            found(&verdict),
            [
                (3, Some("name"), Rule::Required),
                (3, Some("custom:tier"), Rule::Required)
            ]
        );
    }

    #[test]
    fn quoted_values() {
        assert_eq!(
            row_problems(&[("name", "\"Zoë\"")]),
            [(Some("name"), Rule::QuotedValue)]
        );
        assert_eq!(
            row_problems(&[("name", "  \"Zoë\" ")]),
            [(Some("name"), Rule::QuotedValue)]
        );
        assert_eq!(row_problems(&[("name", "\"\"")]), [(Some("name"), Rule::QuotedValue)]);
        assert_eq!(
            row_problems(&[("email", "\"alice@example.com\"")]),
            [(Some("email"), Rule::QuotedValue)]
        );
        assert_eq!(
            row_problems(&[("email_verified", "\"true\"")]),
            [(Some("email_verified"), Rule::QuotedValue)]
        );
        // Not both ends: fine.
        for fine in ["\"", "\"Zoë", "Zoë\"", "Zo\"ë", "say \"hi\" now"] {
            assert_eq!(row_problems(&[("name", fine)]), [], "{fine}");
        }
    }

    #[test]
    fn field_count() {
        let text = file(&[
            "alice,alice@example.com,true".into(),
            format!("{},extra", user(&[])),
            String::new(),
        ]);
        let verdict = run(&pool(), text.as_bytes());
        assert_eq!(
            found(&verdict),
            [
                (2, None, Rule::FieldCount { expected: 11, found: 3 }),
                (
                    3,
                    None,
                    Rule::FieldCount {
                        expected: 11,
                        found: 12
                    }
                ),
            ]
        );
    }

    #[test]
    fn row_length_in_characters() {
        // 16,000 two-byte characters (32,000 bytes) are not too long; one more is.
        let row = |name_chars: usize| {
            let head = user(&[("name", "")]);
            let name = "é".repeat(name_chars - (head.chars().count()));
            user(&[("name", &name)])
        };
        assert_eq!(row(MAX_ROW_CHARS).chars().count(), MAX_ROW_CHARS);
        assert!(run(&pool(), file(&[row(MAX_ROW_CHARS)]).as_bytes()).is_clean());
        let verdict = run(
            &pool(),
            file(&[row(MAX_ROW_CHARS + 1), user(&[("updated_at", "x")])]).as_bytes(),
        );
        assert_eq!(
            found(&verdict),
            [
                (
                    2,
                    None,
                    Rule::RowTooLong {
                        limit_chars: MAX_ROW_CHARS
                    }
                ),
                (3, Some("updated_at"), Rule::NotEpochSeconds)
            ]
        );
        // The line terminator is not a character of the row.
        let crlf = file(&[row(MAX_ROW_CHARS)]).replace('\n', "\r\n");
        assert!(run(&pool(), crlf.as_bytes()).is_clean());
    }
}
