//! The shape each kind of value must have (`email`, `phone_number`, `birthdate`, booleans, integers,
//! length in characters), one function each, and the one-pass glance at a short value that keeps the
//! common case fast.
//!
//! The public shapes are assumptions like those of `limits.rs` (Cognito does not document its own
//! checks): each is one named function, changed here when Cognito is found to differ.

use std::sync::LazyLock;

use memchr::memchr_iter;

use super::limits::{BIRTH_YEARS, MAX_EPOCH_SECONDS, MAX_PHONE_DIGITS, NUMBER_RANGE};
use super::scan::char_count;

/// The character class of the Cognito API's `Username` pattern, `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`:
/// letters, marks, symbols, numbers and punctuation.
pub const USERNAME_CLASS: &str = r"[\p{L}\p{M}\p{S}\p{N}\p{P}]";

/// Whether `c` may be in a `cognito:username`: a character of [`USERNAME_CLASS`]. So no separator
/// (space), and no control, format (zero-width space, byte-order mark), private-use or unassigned
/// character. ASCII is settled by its range (`!` to `~`); other characters are looked up in the class's
/// ranges, as the regex engine's Unicode tables give them.
#[inline]
pub fn is_username_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_graphic();
    }
    static RANGES: LazyLock<Vec<(char, char)>> = LazyLock::new(|| {
        let hir = regex_syntax::Parser::new()
            .parse(USERNAME_CLASS)
            .expect("the Username class parses");
        match hir.kind() {
            regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(class)) => {
                class.ranges().iter().map(|r| (r.start(), r.end())).collect()
            }
            other => panic!("the Username class is not a Unicode class: {other:?}"),
        }
    });
    RANGES
        .binary_search_by(|&(start, end)| {
            if end < c {
                std::cmp::Ordering::Less
            } else if start > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Whether a UTF-8 `cognito:username` has a character that is not [`is_username_char`].
#[inline]
pub(super) fn has_non_username_char(value: &[u8]) -> bool {
    if value.iter().all(u8::is_ascii_graphic) {
        return false;
    }
    String::from_utf8_lossy(value).chars().any(|c| !is_username_char(c))
}

/// Whether the value has whitespace inside it: any Unicode `White_Space` character (so `cognito:username`
/// refuses a no-break space too, not only the spaces and tabs the guide names). `value` is UTF-8 (an
/// invalid sequence counts as U+FFFD, not whitespace).
#[inline]
pub fn has_whitespace(value: &[u8]) -> bool {
    Glance::of(value).may_have_space && has_whitespace_exactly(value)
}

/// The shape required of a non-empty `email`: exactly one `@`, at least one character on each side,
/// no whitespace ([`has_whitespace`]). Deliberately loose: Cognito's own check is not documented, and
/// this one only catches values that cannot be an address.
#[inline]
pub fn is_email(value: &[u8]) -> bool {
    let glance = Glance::of(value);
    glance.ats == 1
        && glance.first_at > 0
        && glance.first_at + 1 < value.len()
        && !(glance.may_have_space && has_whitespace_exactly(value))
}

/// The shape of a non-empty `phone_number`: `+`, then 1 to [`MAX_PHONE_DIGITS`] ASCII digits, the first
/// not `0`. No spaces, dashes or brackets.
#[inline]
pub fn is_phone_number(value: &[u8]) -> bool {
    match value {
        [b'+', first, rest @ ..] => {
            (b'1'..=b'9').contains(first) && rest.len() < MAX_PHONE_DIGITS && rest.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// The shape of a non-empty `birthdate`: `mm/dd/yyyy` with exactly 2, 2 and 4 ASCII digits, naming a
/// day of the proleptic Gregorian calendar in [`BIRTH_YEARS`] (so `02/29/2001` and `13/01/2000` are
/// refused, `2/3/1990` too).
#[inline]
pub fn is_birthdate(value: &[u8]) -> bool {
    let &[m1, m2, b'/', d1, d2, b'/', y1, y2, y3, y4] = value else {
        return false;
    };
    if ![m1, m2, d1, d2, y1, y2, y3, y4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |digits: &[u8]| digits.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let (month, day, year) = (num(&[m1, m2]), num(&[d1, d2]), num(&[y1, y2, y3, y4]));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    BIRTH_YEARS.contains(&year) && (1..=days).contains(&day)
}

/// The shape of a non-empty `updated_at`: one or more ASCII digits (seconds since the Unix epoch; no
/// sign, no fraction), at most [`MAX_EPOCH_SECONDS`].
#[inline]
pub fn is_epoch_seconds(value: &[u8]) -> bool {
    !value.is_empty()
        && value.iter().all(u8::is_ascii_digit)
        && std::str::from_utf8(value)
            .ok()
            .and_then(|digits| digits.parse::<u64>().ok())
            .is_some_and(|seconds| seconds <= MAX_EPOCH_SECONDS)
}

/// The shape of a non-empty value of a Number custom attribute: an integer, an optional `-` then one
/// or more ASCII digits (no `+`, no fraction, no exponent), in [`NUMBER_RANGE`].
#[inline]
pub fn is_integer(value: &[u8]) -> bool {
    let digits = value.strip_prefix(b"-").unwrap_or(value);
    !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && std::str::from_utf8(value)
            .ok()
            .and_then(|number| number.parse::<i64>().ok())
            .is_some_and(|number| NUMBER_RANGE.contains(&number))
}

/// The bytes of a (trimmed) value once its escaped commas are unescaped: inside a value every comma
/// is an escaped one, written with one byte more.
#[inline]
pub(super) fn unescaped_len(value: &[u8]) -> usize {
    value.len() - memchr_iter(b',', value).count()
}

/// TRUE or FALSE in any case.
#[inline]
pub(super) fn boolean(value: &[u8]) -> Option<bool> {
    if value.eq_ignore_ascii_case(b"true") {
        Some(true)
    } else if value.eq_ignore_ascii_case(b"false") {
        Some(false)
    } else {
        None
    }
}

/// Whether a (UTF-8) value has more than `limit` characters once its escaped commas are unescaped.
/// Characters are counted only when the bytes alone cannot settle it.
#[inline]
pub(super) fn too_many_chars(value: &[u8], limit: usize) -> bool {
    value.len() > limit && {
        // Inside a value, every comma is an escaped one.
        let escapes = memchr_iter(b',', value).count();
        char_count(value) - escapes > limit
    }
}

/// What one pass over a short value tells, eight bytes at a time (SWAR).
#[derive(Clone, Copy, Debug)]
struct Glance {
    /// Whether a byte is at or below a space, or not ASCII: only then can the value hold whitespace.
    may_have_space: bool,
    /// How many `@` the value has: exact up to 1, and at least 2 when it says 2 or more.
    ats: u32,
    /// Where the first `@` is (0 when there is none).
    first_at: usize,
}

impl Glance {
    #[inline]
    fn of(value: &[u8]) -> Glance {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = ONES * 0x80;
        let mut glance = Glance {
            may_have_space: false,
            ats: 0,
            first_at: 0,
        };
        let mut suspect = 0u64;
        // Looks at the bytes of word `x` (starting at `base`) whose high bits are in `keep`.
        let mut look = |x: u64, keep: u64, base: usize| {
            // `(x - 0x21..) & !x` has a high bit set when some byte of `x` is below 0x21 (exact as to
            // whether there is one); `x` itself has it for a non-ASCII byte.
            suspect |= ((x.wrapping_sub(ONES * 0x21) & !x) | x) & keep;
            // The high bit of each byte that is `@` (exact: see `masks_swar` in `scan.rs`).
            let y = x ^ (ONES * u64::from(b'@'));
            let ats = !(((y & !HIGH) + !HIGH) | y | !HIGH) & keep;
            if ats != 0 {
                if glance.ats == 0 {
                    glance.first_at = base + (ats.trailing_zeros() / 8) as usize;
                }
                // One more, or two for two or more (enough to tell one from many, without a popcount).
                glance.ats += if ats & (ats - 1) == 0 { 1 } else { 2 };
            }
        };
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        if value.len() < 8 {
            // Padded with a byte that is neither suspect nor `@`.
            let mut padded = [b'a'; 8];
            padded[..value.len()].copy_from_slice(value);
            look(word(&padded), HIGH, 0);
        } else {
            let mut words = value.chunks_exact(8);
            for (base, bytes) in (0..).step_by(8).zip(&mut words) {
                look(word(bytes), HIGH, base);
            }
            let rest = words.remainder().len();
            if rest > 0 {
                // The last eight bytes, of which the first `8 - rest` were looked at already.
                let base = value.len() - 8;
                look(word(&value[base..]), HIGH << (8 * (8 - rest)), base);
            }
        }
        glance.may_have_space = suspect != 0;
        glance
    }
}

/// [`has_whitespace`] byte by byte: space and 0x09..=0x0D (tab, line feed, vertical tab, form feed,
/// carriage return), then the non-ASCII ones.
#[cold]
fn has_whitespace_exactly(value: &[u8]) -> bool {
    value.iter().any(|&b| b == b' ' || (b'\t'..=b'\r').contains(&b))
        || (!value.is_ascii() && String::from_utf8_lossy(value).chars().any(char::is_whitespace))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::*;
    use crate::check::{MAX_VALUE_BYTES, PoolRules, Rule};

    #[test]
    fn booleans() {
        for good in ["true", "TRUE", "True", " tRuE "] {
            assert_eq!(row_problems(&[("email_verified", good)]), [], "{good:?}");
        }
        for good in ["false", "FALSE", "", "False"] {
            assert_eq!(row_problems(&[("phone_number_verified", good)]), [], "{good:?}");
        }
        for bad in ["yes", "1", "t", "truee", "fals"] {
            assert_eq!(
                row_problems(&[("email_verified", bad)]),
                [(Some("email_verified"), Rule::NotBoolean)],
                "{bad}"
            );
            assert_eq!(
                row_problems(&[("phone_number_verified", bad)]),
                [(Some("phone_number_verified"), Rule::NotBoolean)],
                "{bad}"
            );
        }
    }

    #[test]
    fn phone_number() {
        for good in ["+14325551212", "+1", "+123456789012345", " +48123456789 "] {
            assert_eq!(row_problems(&[("phone_number", good)]), [], "{good}");
        }
        for bad in [
            "14325551212",
            "+",
            "+0123",
            "+1234567890123456",
            "+1 432 555",
            "+1-432",
            "++1",
            "+1a",
            "+١٢٣",
        ] {
            assert_eq!(
                row_problems(&[("phone_number", bad)]),
                [(Some("phone_number"), Rule::InvalidPhoneNumber)],
                "{bad}"
            );
        }
    }

    #[test]
    fn email() {
        for good in ["a@b", "first.last+tag@example.co.uk", "zoë@exämple.com", " x@y "] {
            assert_eq!(row_problems(&[("email", good)]), [], "{good}");
        }
        for bad in [
            "ab",
            "@b",
            "a@",
            "a@@b",
            "a@b@c",
            "a b@c",
            "a@b\tc",
            "a@b\u{a0}c",
            "a@b\u{2003}",
        ] {
            assert_eq!(
                row_problems(&[("email", bad)]),
                [(Some("email"), Rule::InvalidEmail)],
                "{bad}"
            );
        }
        // The '@' past the first eight bytes, and past the last whole word.
        assert_eq!(row_problems(&[("email", "abcdefghijklmnop@q")]), []);
        assert_eq!(
            row_problems(&[("email", "abcdefghijklmnop@q@")]),
            [(Some("email"), Rule::InvalidEmail)]
        );
        assert_eq!(
            row_problems(&[("email", "abcdefgh@ijklmnop@")]),
            [(Some("email"), Rule::InvalidEmail)]
        );
    }

    #[test]
    fn birthdate() {
        for good in [
            "02/29/2000",
            "02/29/2004",
            "12/31/1999",
            "01/01/0001",
            "04/30/1985",
            " 07/04/1976 ",
        ] {
            assert_eq!(row_problems(&[("birthdate", good)]), [], "{good}");
        }
        for bad in [
            "02/29/1900",
            "02/29/2001",
            "04/31/2000",
            "13/01/2000",
            "00/10/2000",
            "10/00/2000",
            "12/31/0000",
            "2/3/1990",
            "1990-02-03",
            "02/03/90",
            "02-03-1990",
            "ab/cd/efgh",
            "02/03/1990x",
        ] {
            assert_eq!(
                row_problems(&[("birthdate", bad)]),
                [(Some("birthdate"), Rule::InvalidBirthdate)],
                "{bad}"
            );
        }
    }

    #[test]
    fn updated_at() {
        for good in ["0", "1700000000", " 1600000000 ", "9223372036854775807", "000001"] {
            assert_eq!(row_problems(&[("updated_at", good)]), [], "{good}");
        }
        for bad in [
            "-1",
            "1.5",
            "1e9",
            "+5",
            "2024-01-01",
            "17 00",
            "9223372036854775808",
            "99999999999999999999",
        ] {
            assert_eq!(
                row_problems(&[("updated_at", bad)]),
                [(Some("updated_at"), Rule::NotEpochSeconds)],
                "{bad}"
            );
        }
    }

    #[test]
    fn number_attributes() {
        for good in [
            "12",
            "-3",
            "0",
            "-0",
            " 42 ",
            "",
            "9223372036854775807",
            "-9223372036854775808",
        ] {
            assert_eq!(row_problems(&[("custom:age", good)]), [], "{good}");
        }
        for bad in [
            "1.5",
            "+3",
            "+5",
            "-",
            "12a",
            "1 2",
            "١٢",
            "9223372036854775808",
            "-9223372036854775809",
            "12345678901234567890",
        ] {
            assert_eq!(
                row_problems(&[("custom:age", bad)]),
                [(Some("custom:age"), Rule::NotInteger)],
                "{bad}"
            );
        }
        // Named with its prefix too.
        let rules = PoolRules {
            number_attributes: vec!["custom:age".into()],
            ..pool()
        };
        let verdict = run(&rules, file(&[user(&[("custom:age", "x")])]).as_bytes());
        assert_eq!(found(&verdict), [(2, Some("custom:age"), Rule::NotInteger)]);
        // A number attribute is not held to the string limit, a string attribute not to integers.
        assert_eq!(row_problems(&[("custom:tier", "x")]), []);
    }

    #[test]
    fn every_value_is_at_most_2048_bytes() {
        let limit = Rule::ValueTooLarge {
            limit_bytes: MAX_VALUE_BYTES,
        };
        // Bytes, not characters, in every column, ruled or not.
        for column in ["custom:tier", "name", "email"] {
            let fits = if column == "email" {
                format!("{}@b", "ł".repeat(1023))
            } else {
                "ł".repeat(1024)
            };
            assert_eq!(fits.len(), MAX_VALUE_BYTES);
            assert_eq!(row_problems(&[(column, &fits)]), [], "{column}");
            assert_eq!(
                row_problems(&[(column, &format!("x{fits}"))]),
                [(Some(column), limit.clone())],
                "{column}"
            );
        }
        // Trimmed and unescaped first: `\,` is one byte, the blanks around are not counted.
        assert_eq!(row_problems(&[("custom:tier", &"x\\,".repeat(1024))]), []);
        assert_eq!(
            row_problems(&[("custom:tier", &format!("{}\t\t", "x".repeat(2048)))]),
            []
        );
        // A verified flag too large is not a boolean: only its size is reported.
        assert_eq!(
            row_problems(&[("email_verified", &"t".repeat(3000))]),
            [(Some("email_verified"), limit.clone())]
        );
        // And many large values, each named.
        let big = "x".repeat(2049);
        assert_eq!(
            row_problems(&[("name", &big), ("custom:tier", &big)]),
            [(Some("name"), limit.clone()), (Some("custom:tier"), limit)]
        );
    }

    #[test]
    fn username_characters() {
        for c in ['a', 'Z', '0', '!', '~', 'é', 'ł', '日', '\u{301}', '😀', '€', '«', '٣'] {
            assert!(is_username_char(c), "{c:?}");
        }
        for c in [
            '\0',
            '\u{1}',
            '\u{7f}',
            ' ',
            '\u{85}',
            '\u{a0}',
            '\u{200b}',
            '\u{feff}',
            '\u{e000}',
            '\u{378}',
            '\u{10ffff}',
        ] {
            assert!(!is_username_char(c), "{c:?}");
        }
    }

    #[test]
    fn glance_finds_ats_and_suspects() {
        let mut seed = 0x0BAD_5EED_u64;
        let alphabet = "ab@ \t.é\u{a0}";
        let chars: Vec<char> = alphabet.chars().collect();
        for _ in 0..20_000 {
            let len = (random(&mut seed) % 40) as usize;
            let value: String = (0..len)
                .map(|_| chars[(random(&mut seed) % chars.len() as u64) as usize])
                .collect();
            let bytes = value.as_bytes();
            let ats = bytes.iter().filter(|&&b| b == b'@').count();
            let expected_email = ats == 1 && {
                let at = value.find('@').unwrap();
                at > 0 && at + 1 < bytes.len() && !value.chars().any(char::is_whitespace)
            };
            assert_eq!(is_email(bytes), expected_email, "{value:?}");
            assert_eq!(
                has_whitespace(bytes),
                value.chars().any(char::is_whitespace),
                "{value:?}"
            );
        }
    }
}
