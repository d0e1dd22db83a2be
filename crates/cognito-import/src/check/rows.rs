//! A user row under a good header: its shape (length in characters, one field per column), each value's
//! rule by the kind of its column, and the rules across the row (verification, MFA, required values).

use super::hashes::{self, HashProblem, HashTally};
use super::header::{Columns, EMAIL, EMAIL_VERIFIED, Kind, PHONE, PHONE_VERIFIED};
use super::limits::{MAX_ROW_CHARS, MAX_USERNAME_CHARS, MAX_VALUE_BYTES, is_quoted};
use super::pool_rules::{AutoVerified, Mfa};
use super::problem::{Rule, Sink};
use super::scan::char_count;
use super::values::{
    boolean, has_non_username_char, has_whitespace, is_birthdate, is_email, is_epoch_seconds, is_integer,
    is_phone_number, too_many_chars, unescaped_len,
};

/// The checks of a UTF-8 user row (line `line_no`, not blank) whose fields end at `ends` (`quotes`:
/// whether it has a `"`), against the good header's `columns` (with the pool's settings); a valid or
/// empty `password_hash` is counted in `tally`.
#[inline]
pub(super) fn check(
    line_no: u64,
    content: &[u8],
    ends: &[u32],
    quotes: bool,
    columns: &Columns,
    sink: &mut Sink,
    tally: &mut HashTally,
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
        email_verified_col,
        phone_verified_col,
        mfa,
        auto_verified,
        hashing,
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
    let mut bad_email_verified = false;
    let mut bad_phone_verified = false;
    let mut email_given = false;
    let mut phone_given = false;
    // Only a line longer than the value limit can hold a value over it.
    let long = content.len() > MAX_VALUE_BYTES;
    // Without a `"` in the line no value is quoted, and a column without a rule of its own (most of
    // them) has nothing to look at, unless the line is long enough to hold a value too large.
    for &i in if quotes || long { &every[..] } else { &ruled[..] } {
        let col = &cols[i];
        let start = if i == 0 { 0 } else { ends[i - 1] as usize + 1 };
        let value = content[start..ends[i] as usize].trim_ascii();
        if long && unescaped_len(value) > MAX_VALUE_BYTES {
            sink.push(
                line_no,
                Some(&col.name),
                Rule::ValueTooLarge {
                    limit_bytes: MAX_VALUE_BYTES,
                },
            );
            email_given |= col.kind == Kind::Email;
            phone_given |= col.kind == Kind::Phone;
            bad_email_verified |= col.kind == Kind::EmailVerified;
            bad_phone_verified |= col.kind == Kind::PhoneVerified;
            continue;
        }
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
            tally.without += u64::from(col.kind == Kind::PasswordHash);
            continue;
        }
        if is_quoted(value) {
            sink.push(line_no, Some(&col.name), Rule::QuotedValue);
            email_given |= col.kind == Kind::Email;
            phone_given |= col.kind == Kind::Phone;
            bad_email_verified |= col.kind == Kind::EmailVerified;
            bad_phone_verified |= col.kind == Kind::PhoneVerified;
            continue;
        }
        let broken = match col.kind {
            Kind::Plain => None,
            Kind::Username => {
                if has_whitespace(value) {
                    Some(Rule::UsernameWhitespace)
                } else if has_non_username_char(value) {
                    Some(Rule::UsernameCharacters)
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
                if col.kind == Kind::EmailVerified {
                    email_verified = parsed;
                    bad_email_verified |= parsed.is_none();
                } else {
                    phone_verified = parsed;
                    bad_phone_verified |= parsed.is_none();
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
            Kind::PasswordHash => match (hashes::judge(value), *hashing) {
                (Ok(algorithm), Some(job)) if algorithm != job => Some(Rule::HashNotOfJobAlgorithm { algorithm: job }),
                (Ok(algorithm), _) => {
                    tally.count(algorithm);
                    None
                }
                (Err(HashProblem::Format), _) => Some(Rule::HashFormat),
                (
                    Err(HashProblem::OverBounds {
                        algorithm,
                        parameter,
                        limit,
                    }),
                    _,
                ) => Some(Rule::HashOverBounds {
                    algorithm,
                    parameter,
                    limit,
                }),
            },
        };
        if let Some(rule) = broken {
            sink.push(line_no, Some(&col.name), rule);
        }
    }
    let name = |col: &Option<usize>, default: &'static str| col.map_or(default, |i| &cols[i].name);
    if email_verified == Some(true) && !email_given {
        sink.push(line_no, Some(name(email_col, EMAIL)), Rule::RequiredWhenVerified);
    }
    if phone_verified == Some(true) && !phone_given {
        sink.push(line_no, Some(name(phone_col, PHONE)), Rule::RequiredWhenVerified);
    }
    // The pool's auto-verified attributes decide (reference, "verification"): at least one of them
    // marked verified; a flag that is not a boolean is reported as that instead.
    let email_ok = email_verified == Some(true);
    let phone_ok = phone_verified == Some(true);
    match auto_verified {
        AutoVerified::Email if !email_ok && !bad_email_verified => sink.push(
            line_no,
            Some(name(email_verified_col, EMAIL_VERIFIED)),
            Rule::NotAutoVerified,
        ),
        AutoVerified::PhoneNumber if !phone_ok && !bad_phone_verified => sink.push(
            line_no,
            Some(name(phone_verified_col, PHONE_VERIFIED)),
            Rule::NotAutoVerified,
        ),
        AutoVerified::EmailAndPhoneNumber if !email_ok && !phone_ok && !bad_email_verified && !bad_phone_verified => {
            sink.push(line_no, None, Rule::NotVerified)
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::check::fixtures::*;
    use crate::check::{AutoVerified, MAX_ROW_CHARS, MAX_USERNAME_CHARS, Mfa, PoolRules, Rule};

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
    fn the_pools_auto_verified_attributes_decide() {
        let in_pool = |auto_verified: AutoVerified, with: &[(&str, &str)]| {
            let rules = PoolRules {
                auto_verified,
                ..pool()
            };
            found(&run(&rules, file(&[user(with)]).as_bytes()))
        };
        let phone_only = [
            ("email_verified", "false"),
            ("phone_number", "+14325551212"),
            ("phone_number_verified", "true"),
        ];
        // Cognito fails a row verified only by phone in a pool that auto-verifies only email.
        assert_eq!(
            in_pool(AutoVerified::Email, &phone_only),
            [(2, Some("email_verified"), Rule::NotAutoVerified)]
        );
        assert_eq!(
            Rule::NotAutoVerified.to_string(),
            "must be true: the pool auto-verifies only this attribute"
        );
        assert_eq!(in_pool(AutoVerified::PhoneNumber, &phone_only), []);
        assert_eq!(in_pool(AutoVerified::EmailAndPhoneNumber, &phone_only), []);
        // The other way round.
        assert_eq!(in_pool(AutoVerified::Email, &[]), []);
        assert_eq!(
            in_pool(AutoVerified::PhoneNumber, &[]),
            [(2, Some("phone_number_verified"), Rule::NotAutoVerified)]
        );
        // An empty flag is not true; a flag that is not a boolean is reported as that alone.
        assert_eq!(
            in_pool(AutoVerified::Email, &[("email_verified", "")]),
            [(2, Some("email_verified"), Rule::NotAutoVerified)]
        );
        assert_eq!(
            in_pool(AutoVerified::Email, &[("email_verified", "oui")]),
            [(2, Some("email_verified"), Rule::NotBoolean)]
        );
        assert_eq!(
            in_pool(AutoVerified::Email, &[("email_verified", "\"true\"")]),
            [(2, Some("email_verified"), Rule::QuotedValue)]
        );
        // A flag the pool does not auto-verify still needs its value when true.
        assert_eq!(
            in_pool(AutoVerified::Email, &[("phone_number_verified", "true")]),
            [(2, Some("phone_number"), Rule::RequiredWhenVerified)]
        );
        // Both auto-verified: neither true is the row's one problem, without a column.
        assert_eq!(
            in_pool(AutoVerified::EmailAndPhoneNumber, &[("email_verified", "FALSE")]),
            [(2, None, Rule::NotVerified)]
        );
        // A subset header without the flag's column: every row fails, named by the column's name.
        let rules = PoolRules {
            require_full_header: false,
            auto_verified: AutoVerified::PhoneNumber,
            ..pool()
        };
        let verdict = run(&rules, b"cognito:username,email,email_verified\nalice,a@b,true\n");
        assert_eq!(
            found(&verdict),
            [(2, Some("phone_number_verified"), Rule::NotAutoVerified)]
        );
    }

    #[test]
    fn username_control_and_format_characters() {
        for name in [
            "a\0b",
            "nul\0",
            "a\u{1}b",
            "a\u{7f}b",
            "a\u{200b}b",
            "a\u{feff}b",
            "a\u{e000}b",
        ] {
            assert_eq!(
                row_problems(&[("cognito:username", name)]),
                [(Some("cognito:username"), Rule::UsernameCharacters)],
                "{name:?}"
            );
        }
        // Whitespace is named as such (a no-break space is whitespace, and not trimmed).
        assert_eq!(
            row_problems(&[("cognito:username", "\u{a0}alice")]),
            [(Some("cognito:username"), Rule::UsernameWhitespace)]
        );
        for name in ["a-b_c.d@e+f", "Ω≈ç√", "e\u{301}", "😀", "$€¥«»¿"] {
            assert_eq!(row_problems(&[("cognito:username", name)]), [], "{name:?}");
        }
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
        // 16,000 characters, 1,000 of them two-byte ones, are not too long; one more is. (The rest are
        // spaces that are trimmed from the value, which stays within its 2,048 bytes.)
        let row = |name_chars: usize| {
            let head = user(&[("name", "")]);
            let room = name_chars - head.chars().count();
            let name = format!("{}{}", " ".repeat(room - 1000), "é".repeat(1000));
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
