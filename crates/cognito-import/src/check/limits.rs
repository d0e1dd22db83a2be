//! What a file is held to: Cognito's limits, and the rules the checker assumes where the reference is
//! silent or loose, each one named item.
//!
//! The shapes assumed of single values (`is_email`, `is_birthdate`, ...) are assumptions too; they are in
//! `values.rs`, beside the code that makes them fast.

#[cfg(doc)] // named in the docs only
use super::{
    pool_rules::PoolRules,
    problem::{Rule, Verdict},
};

// =====================================================================================================
// Assumptions
//
// Everything below in this section is a rule that the reference (shared/cognito-import-reference.md)
// does not state, or states only loosely. Each is one named item, so that a rule learned from Cognito
// itself is changed in one place (the value shapes are in values.rs).
// =====================================================================================================

/// Longest `cognito:username`, in characters (Unicode scalar values, an escaped comma counting one).
///
/// Assumed from the `Username` shape of the Cognito API (1-128 characters).
pub const MAX_USERNAME_CHARS: usize = 128;

/// Most digits after the `+` of a `phone_number` (E.164 allows 15); the first digit is never `0`.
pub const MAX_PHONE_DIGITS: usize = 15;

/// Earliest and latest year a `birthdate` may name (written with exactly four digits, so year 0000 is
/// the only four-digit year refused: it is not a year of the calendar the date is written in).
pub const BIRTH_YEARS: std::ops::RangeInclusive<u16> = 1..=9999;

/// Largest `updated_at`: seconds that fit in a signed 64-bit integer (so 20 digits are too many).
///
/// Assumed: the reference says only "epoch seconds"; a larger number cannot be a time any system
/// stores, and the stricter reading cannot let a row through that Cognito fails.
pub const MAX_EPOCH_SECONDS: u64 = i64::MAX as u64;

/// The integers a Number custom attribute may hold, written as an optional `-` then ASCII digits (no
/// `+`, no fraction, no exponent).
///
/// Assumed: Cognito's Number attributes hold integers; neither the sign nor the range is documented,
/// and the stricter reading is kept (`+5` and 20-digit numbers are refused).
pub const NUMBER_RANGE: std::ops::RangeInclusive<i64> = i64::MIN..=i64::MAX;

/// The two bytes that stand for a comma inside a value.
///
/// Assumed reading of "a comma inside a value is written `\,`": a comma right after a backslash is
/// always part of the value, whatever comes before the backslash (`\\,` is a backslash and a comma
/// inside the value). So no value can end with a backslash, and the checker never needs to look back
/// more than one byte.
pub const ESCAPED_COMMA: &[u8; 2] = b"\\,";

/// The byte that ends a record; a `\r` right before it is dropped.
///
/// Assumed: the last line of a file needs no line end. It is a line all the same, and a `\r` at its end
/// is dropped too.
pub const LINE_END: u8 = b'\n';

/// The prefix of a custom attribute's column name. A `custom:` column that is not in
/// [`PoolRules::number_attributes`] is held to the rules of every value only.
pub const CUSTOM_PREFIX: &str = "custom:";

/// Whether the byte is trimmed from the ends of a value (and of a header name).
///
/// Assumed: the ASCII whitespace of [`u8::is_ascii_whitespace`] (space, tab, line feed, form feed,
/// carriage return). Non-ASCII spaces (U+00A0, U+3000, ...) are kept as part of the value (and so a
/// `cognito:username` or an `email` holding one is refused).
#[inline]
pub fn is_trimmed(byte: u8) -> bool {
    byte.is_ascii_whitespace()
}

/// Whether a line (without its `\n` and dropped `\r`) is blank: empty. A blank line is skipped and
/// counted in line numbers only. A line of spaces or tabs is not blank: it is a user row, and one
/// whose fields cannot be a user's ([`Rule::FieldCount`], or [`Rule::Required`] for a one-column
/// header).
///
/// Assumed: the reference does not say what Cognito does with blank lines. An empty line holds no
/// user; a line of whitespace is read like any other line (the stricter reading: it may be a row to
/// Cognito, and then a failed one). Line 1 is never skipped: when it is blank or only whitespace there
/// is no header ([`Rule::MissingHeader`]).
#[inline]
pub fn is_blank_line(line: &[u8]) -> bool {
    line.is_empty()
}

/// Whether a (trimmed) value is wrapped in double quotes: at least two bytes, the first and the last
/// `"`. Cognito does not unquote, so the quotes would become part of the value ([`Rule::QuotedValue`]).
#[inline]
pub fn is_quoted(value: &[u8]) -> bool {
    value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"'
}

/// Whether line 1 looks like a user row rather than a header: more than half of its columns are not
/// columns of the pool's header (an empty name counts as not a column). Then the line is reported as
/// one [`Rule::NotHeader`] problem and none of its names is echoed: they are probably personal data.
#[inline]
pub fn looks_like_data(unknown: usize, columns: usize) -> bool {
    unknown * 2 > columns
}

/// Whether a column name of the file is the pool's column `pool_name`: the same string after
/// trimming (case matters, as it does for attribute names in the Cognito API).
#[inline]
pub fn same_column(file_name: &str, pool_name: &str) -> bool {
    file_name == pool_name
}

/// Whether `column` is the Number attribute `attribute` of [`PoolRules::number_attributes`], which
/// may be given with or without its `custom:` prefix.
#[inline]
pub fn is_number_attribute(column: &str, attribute: &str) -> bool {
    column == attribute || column.strip_prefix(CUSTOM_PREFIX) == Some(attribute)
}

// End of assumptions.
// =====================================================================================================

/// How many problems a [`Verdict`] lists; [`Verdict::problem_count`] counts all of them.
pub const MAX_LISTED_PROBLEMS: usize = 1000;
/// Most user rows in one file (the header is not counted).
pub const MAX_ROWS: u64 = 500_000;
/// Largest file, in bytes (100 MiB).
pub const MAX_BYTES: u64 = 100 * 1024 * 1024;
/// Most characters in one row, its line terminator not counted.
pub const MAX_ROW_CHARS: usize = 16_000;
/// Most bytes of one value (UTF-8, once trimmed and its escaped commas unescaped): the quotas page's
/// 2,048 bytes per attribute value, held for every column.
pub const MAX_VALUE_BYTES: usize = 2048;
/// Most bytes a line of at most [`MAX_ROW_CHARS`] characters can take (4 bytes per UTF-8 character).
/// A longer line is too long whatever its bytes are, and is skipped without being kept.
pub const MAX_ROW_BYTES: usize = 4 * MAX_ROW_CHARS;

/// The UTF-8 byte-order mark, which a file must not start with ([`Rule::ByteOrderMark`]).
pub(super) const BOM: &[u8; 3] = b"\xEF\xBB\xBF";
