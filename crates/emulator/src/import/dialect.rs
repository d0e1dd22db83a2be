//! Cognito's CSV dialect for user import files.
//!
//! This is not RFC 4180. The complete set of rules this module implements (from the reference: no
//! quoting, `\,` for a comma inside a value, trimmed values; the rest is assumed, in
//! [`crate::assumptions`], as noted):
//!
//! * A file is a sequence of lines separated by `\n`. A single `\r` directly before a `\n` is not part
//!   of the line, so CRLF files read the same as LF files ([`CR_BEFORE_LF_DROPPED`]); nor is a `\r` at
//!   the very end of the file. Any other `\r` is an ordinary character.
//! * A final `\n` is optional: `a\nb` and `a\nb\n` hold the same two lines. Text after the last `\n` is a
//!   line only when it is not empty.
//! * Lines are numbered from 1. Every line takes a number, blank ones included
//!   ([`BLANK_LINES_TAKE_A_NUMBER`]).
//! * A line is *blank* when it is empty (after the `\r` above is removed; [`is_blank_line`]). Whether
//!   blank lines are skipped is the caller's decision; this module only reports them.
//! * A line is split into fields at every `,` that does not directly follow a `\`. A line always has at
//!   least one field: the empty line has one empty field, and `a,` has two fields.
//! * In a field, `\,` stands for a literal `,`. A `\` followed by anything else (or by nothing) is an
//!   ordinary character and is kept. There is no escape for `\` itself, so `a\\,b` is the one field
//!   `a\,b` ([`BACKSLASH_ESCAPES_ONLY_A_COMMA`]).
//! * `"` is an ordinary character: there is no quoting.
//! * Leading and trailing ASCII whitespace ([`trim`]) is removed from each field after unescaping.
//!
//! The scanners work on `&str`: checking that the bytes are UTF-8 is the caller's job. They never
//! allocate unless a field holds `\,`.

use std::borrow::Cow;

use crate::assumptions::{
    BACKSLASH_ESCAPES_ONLY_A_COMMA, BLANK_LINES_TAKE_A_NUMBER, CR_BEFORE_LF_DROPPED, is_blank_line, trim,
};

/// The byte that ends a line.
pub const LINE_TERMINATOR: u8 = b'\n';

/// The byte dropped when it comes directly before [`LINE_TERMINATOR`].
pub const CARRIAGE_RETURN: u8 = b'\r';

/// The byte that separates fields.
pub const FIELD_DELIMITER: u8 = b',';

/// The byte that, directly before [`FIELD_DELIMITER`], makes that delimiter a literal comma.
pub const ESCAPE: u8 = b'\\';

/// One line of an import file, without its line terminator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The 1-based line number. The header is line 1.
    pub number: u64,
    /// The raw text of the line: neither unescaped nor trimmed. A `\r` before the `\n` is not included.
    pub text: &'a str,
}

impl<'a> Line<'a> {
    /// Returns true when the line is blank ([`is_blank_line`]: empty; a line of only spaces is not).
    pub fn is_blank(&self) -> bool {
        is_blank_line(self.text)
    }

    /// Returns the fields of this line, unescaped and trimmed.
    pub fn fields(&self) -> Fields<'a> {
        fields(self.text)
    }
}

/// An iterator over the [`Line`]s of a text. Created by [`lines`].
#[derive(Clone, Debug)]
pub struct Lines<'a> {
    /// The text not yet scanned; `None` once the last line has been returned.
    rest: Option<&'a str>,
    /// The number the next line gets.
    next_number: u64,
}

/// Returns an iterator over the lines of `text`, blank lines included.
///
/// The empty text has no lines. `"\n"` has one (blank) line.
pub fn lines(text: &str) -> Lines<'_> {
    Lines {
        rest: (!text.is_empty()).then_some(text),
        next_number: 1,
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let rest = self.rest?;
        let text = match rest.bytes().position(|b| b == LINE_TERMINATOR) {
            Some(end) => {
                let after = &rest[end + 1..];
                // Nothing after the last terminator means the file simply ended with a line break.
                self.rest = (!after.is_empty()).then_some(after);
                let line = &rest[..end];
                match line.strip_suffix(CARRIAGE_RETURN as char) {
                    Some(dropped) if CR_BEFORE_LF_DROPPED => dropped,
                    _ => line,
                }
            }
            None => {
                self.rest = None;
                match rest.strip_suffix(CARRIAGE_RETURN as char) {
                    Some(dropped) if CR_BEFORE_LF_DROPPED => dropped,
                    _ => rest,
                }
            }
        };
        let number = self.next_number;
        if BLANK_LINES_TAKE_A_NUMBER || !is_blank_line(text) {
            self.next_number += 1;
        }
        Some(Line { number, text })
    }
}

impl std::iter::FusedIterator for Lines<'_> {}

/// An iterator over the fields of one line. Created by [`fields`] or [`Line::fields`].
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    /// The text not yet scanned; `None` once the last field has been returned.
    rest: Option<&'a str>,
}

/// Returns an iterator over the fields of `line`, unescaped and trimmed.
///
/// `line` must not hold a line terminator. Each field is borrowed from `line` unless it holds `\,`.
pub fn fields(line: &str) -> Fields<'_> {
    Fields { rest: Some(line) }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Cow<'a, str>;

    fn next(&mut self) -> Option<Cow<'a, str>> {
        let rest = self.rest?;
        // Scanning bytes is safe for UTF-8: `,` and `\` never occur inside a multi-byte character.
        let mut after_escape = false;
        let mut escaped_comma = false;
        for (i, b) in rest.bytes().enumerate() {
            if b == FIELD_DELIMITER {
                if after_escape && BACKSLASH_ESCAPES_ONLY_A_COMMA {
                    escaped_comma = true;
                } else {
                    self.rest = Some(&rest[i + 1..]);
                    return Some(finish(&rest[..i], escaped_comma));
                }
            }
            after_escape = b == ESCAPE;
        }
        self.rest = None;
        Some(finish(rest, escaped_comma))
    }
}

impl std::iter::FusedIterator for Fields<'_> {}

/// Unescapes (only when the raw field holds `\,`) and trims ([`trim`]) one raw field.
fn finish(raw: &str, escaped_comma: bool) -> Cow<'_, str> {
    if escaped_comma {
        Cow::Owned(trim(&raw.replace("\\,", ",")).to_owned())
    } else {
        Cow::Borrowed(trim(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_lines(text: &str) -> Vec<(u64, &str)> {
        lines(text).map(|l| (l.number, l.text)).collect()
    }

    fn all_fields(line: &str) -> Vec<String> {
        fields(line).map(Cow::into_owned).collect()
    }

    #[test]
    fn empty_text_has_no_lines() {
        assert_eq!(all_lines(""), Vec::<(u64, &str)>::new());
    }

    #[test]
    fn lone_line_break_is_one_blank_line() {
        assert_eq!(all_lines("\n"), vec![(1, "")]);
        assert_eq!(all_lines("\r\n"), vec![(1, "")]);
    }

    #[test]
    fn final_line_break_is_optional() {
        assert_eq!(all_lines("a\nb"), vec![(1, "a"), (2, "b")]);
        assert_eq!(all_lines("a\nb\n"), vec![(1, "a"), (2, "b")]);
    }

    #[test]
    fn crlf_drops_the_carriage_return() {
        assert_eq!(all_lines("a,b\r\nc,d\r\n"), vec![(1, "a,b"), (2, "c,d")]);
        assert_eq!(all_lines("a\r\nb\nc\r\n"), vec![(1, "a"), (2, "b"), (3, "c")]);
    }

    #[test]
    fn only_one_carriage_return_before_line_feed_is_dropped() {
        assert_eq!(all_lines("a\r\r\n"), vec![(1, "a\r")]);
    }

    #[test]
    fn carriage_return_elsewhere_is_kept() {
        assert_eq!(all_lines("a\rb\n"), vec![(1, "a\rb")]);
        // At the end of the file a `\r` ends the last line as `\r\n` would.
        assert_eq!(all_lines("a\r"), vec![(1, "a")]);
        assert_eq!(all_lines("h\n\r"), vec![(1, "h"), (2, "")]);
    }

    #[test]
    fn blank_lines_are_reported_and_numbered() {
        let got: Vec<(u64, bool)> = lines("h\n\nx\r\n\r\ny\n\n").map(|l| (l.number, l.is_blank())).collect();
        assert_eq!(
            got,
            vec![(1, false), (2, true), (3, false), (4, true), (5, false), (6, true)]
        );
    }

    #[test]
    fn whitespace_line_is_not_blank() {
        let line = lines(" \t\n").next().unwrap();
        assert_eq!((line.number, line.text, line.is_blank()), (1, " \t", false));
    }

    #[test]
    fn lines_iterator_is_fused() {
        let mut it = lines("a");
        assert_eq!(it.next(), Some(Line { number: 1, text: "a" }));
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
    }

    #[test]
    fn splits_on_commas() {
        assert_eq!(all_fields("a,b,c"), vec!["a", "b", "c"]);
    }

    #[test]
    fn empty_line_has_one_empty_field() {
        assert_eq!(all_fields(""), vec![""]);
    }

    #[test]
    fn empty_fields_are_kept() {
        assert_eq!(all_fields(",a,,"), vec!["", "a", "", ""]);
    }

    #[test]
    fn escaped_comma_is_literal() {
        assert_eq!(all_fields(r"Doe\, Jane,x"), vec!["Doe, Jane", "x"]);
        assert_eq!(all_fields(r"\,\,"), vec![",,"]);
        assert_eq!(all_fields(r"a\,"), vec!["a,"]);
    }

    #[test]
    fn other_backslashes_are_kept() {
        assert_eq!(all_fields(r"a\b,c\"), vec![r"a\b", r"c\"]);
        assert_eq!(all_fields(r"a\\b"), vec![r"a\\b"]);
    }

    #[test]
    fn backslash_does_not_escape_backslash() {
        // The second backslash still escapes the comma.
        assert_eq!(all_fields(r"a\\,b"), vec![r"a\,b"]);
    }

    #[test]
    fn quotes_are_ordinary_characters() {
        assert_eq!(all_fields(r#""a,b",c"#), vec![r#""a"#, r#"b""#, "c"]);
        assert_eq!(all_fields(r#"say "hi""#), vec![r#"say "hi""#]);
    }

    #[test]
    fn fields_are_trimmed_after_unescaping() {
        assert_eq!(all_fields(" a ,\tb\t, \\, , c\r"), vec!["a", "b", ",", "c"]);
        // Only ASCII whitespace is trimmed: a no-break or ideographic space is part of the value.
        assert_eq!(all_fields("\u{3000}x\u{a0}"), vec!["\u{3000}x\u{a0}"]);
        assert_eq!(all_fields("\x0c x \n"), vec!["x"]);
    }

    #[test]
    fn inner_whitespace_is_kept() {
        assert_eq!(all_fields(" Jane  Doe "), vec!["Jane  Doe"]);
    }

    #[test]
    fn non_ascii_is_kept() {
        assert_eq!(all_fields("Zoë,名前\\,東京,😀"), vec!["Zoë", "名前,東京", "😀"]);
    }

    #[test]
    fn fields_borrow_unless_unescaped() {
        let got: Vec<bool> = fields(r"a,b\,c").map(|f| matches!(f, Cow::Borrowed(_))).collect();
        assert_eq!(got, vec![true, false]);
    }

    #[test]
    fn line_fields_use_the_line_text() {
        let line = lines("x\nk\\,v , w\r\n").nth(1).unwrap();
        assert_eq!(line.number, 2);
        assert_eq!(line.fields().map(Cow::into_owned).collect::<Vec<_>>(), vec!["k,v", "w"]);
    }

    #[test]
    fn fields_iterator_is_fused() {
        let mut it = fields("a");
        assert_eq!(it.next(), Some(Cow::Borrowed("a")));
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
    }
}
