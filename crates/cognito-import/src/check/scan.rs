//! Splitting lines into fields, 64 bytes at a time: each block's commas, backslashes, quotes, line ends
//! and non-ASCII bytes as bit masks (SSE2 where the target has it, else SWAR), the UTF-8 check that rides
//! along, and character counting.

use std::ops::{Index, Range};

use super::limits::{ESCAPED_COMMA, LINE_END, MAX_ROW_BYTES};

/// Finds where the fields of `line` end and checks that `line` is UTF-8, in one pass.
///
/// Writes to `ends[..n]` the position of each comma that separates two fields, then `line.len()`, and
/// returns `n`, the number of fields (at least 1), and whether the line has a `"`; returns `None` when
/// `line` is not UTF-8. A comma
/// right after a backslash is part of a field ([`ESCAPED_COMMA`]). `ends` is grown to fit the line and
/// never shrunk, so a buffer reused from line to line stops allocating after the longest line.
///
/// The line is read 64 bytes at a time as bit masks ([`masks`]): its commas, its backslashes, its `"`
/// and its non-ASCII bytes. Rows have a comma every few bytes, too dense for a `memchr` call per comma to
/// pay, and they are mostly ASCII: only the non-ASCII bytes are looked at one by one ([`utf8_len`]).
#[inline]
pub(super) fn split(line: &[u8], ends: &mut Vec<u32>) -> Option<Split> {
    if ends.len() <= line.len() {
        ends.resize(line.len() + 1, 0);
    }
    let mut n = 0;
    let mut quotes = 0;
    // 1 when the previous block ended with a backslash.
    let mut escaped_first = 0u64;
    let mut utf8 = Utf8::default();
    for (base, block) in (0..).step_by(64).zip(line.chunks(64)) {
        let m = match block.try_into() {
            Ok(block) => masks(block),
            Err(_) => {
                // The last, short block, padded with NUL bytes (none of the three kinds).
                let mut padded = [0u8; 64];
                padded[..block.len()].copy_from_slice(block);
                masks(&padded)
            }
        };
        quotes |= m.quotes;
        let mut separators = m.commas & !((m.backslashes << 1) | escaped_first);
        escaped_first = m.backslashes >> 63;
        while separators != 0 {
            ends[n] = base + separators.trailing_zeros();
            n += 1;
            separators &= separators - 1;
        }
        if utf8.block(line, base as usize, &m) != 0 {
            return None;
        }
    }
    ends[n] = line.len() as u32;
    Some(Split {
        fields: n + 1,
        quotes: quotes != 0,
    })
}

/// What [`split`] found in a UTF-8 line.
#[derive(Clone, Copy, Debug)]
pub(super) struct Split {
    /// How many fields the line has; `ends[..fields]` are where they end.
    pub(super) fields: usize,
    /// Whether the line has a `"` anywhere.
    pub(super) quotes: bool,
}

/// Room in `ends` for the field ends of any line that is not too long, and 64 more; a longer line's are
/// counted, not kept (the line is only reported too long).
const SLOTS: usize = MAX_ROW_BYTES + 2 + 64;

/// Splits `region`, lines each ended by `\n`, into lines and fields in one pass of 64-byte blocks, and
/// calls `line(raw, ends, quotes, bad)` on each line in order: `raw` without its `\n`, `ends` where its
/// fields end (the last at `raw.len()`), `quotes` whether it has a `"`, `bad` whether it is not UTF-8.
///
/// The same as [`split`] on each line, but the bytes are read once: each block's bit masks ([`masks`])
/// give the field separators and the line ends in order, so that each line's field ends are in `ends`
/// when its `\n` is reached; the non-ASCII bytes are checked as UTF-8 on the way, and a bad one marks its
/// line. `ends` is grown to fit any line, once.
#[inline]
pub(super) fn lines(region: &[u8], ends: &mut Vec<u32>, mut line: impl FnMut(&[u8], &mut [u32], bool, bool)) {
    if ends.len() < SLOTS {
        ends.resize(SLOTS, 0);
    }
    /// Bits `from..to` of a block's mask (`from` ≤ `to` ≤ 64).
    fn span(from: u32, to: u32) -> u64 {
        let below_to = if to >= 64 { !0 } else { (1u64 << to) - 1 };
        below_to & (!0u64).checked_shl(from).unwrap_or(0)
    }
    let mut line_start = 0usize;
    let mut fields = 0usize;
    let (mut quotes, mut bad) = (false, false);
    // 1 when the previous block ended with a backslash.
    let mut escaped_first = 0u64;
    let mut utf8 = Utf8::default();
    for (base, block) in (0..).step_by(64).zip(region.chunks(64)) {
        let m = match block.try_into() {
            Ok(block) => masks(block),
            Err(_) => {
                let mut padded = [0u8; 64];
                padded[..block.len()].copy_from_slice(block);
                masks(&padded)
            }
        };
        let separators = m.commas & !((m.backslashes << 1) | escaped_first);
        escaped_first = m.backslashes >> 63;
        let bad_bytes = utf8.block(region, base, &m);
        // The first bit of the current line in this block.
        let mut from = 0;
        let mut separators = separators;
        let mut newlines = m.newlines;
        loop {
            // The separators before the next line end (all of them when none is left).
            let next_end = newlines & newlines.wrapping_neg();
            let mut segment = if newlines == 0 {
                separators
            } else {
                separators & (next_end - 1)
            };
            separators ^= segment;
            if fields < SLOTS - 64 {
                // Positions relative to the line (which may have started in this block).
                let offset = base.wrapping_sub(line_start);
                while segment != 0 {
                    ends[fields] = offset.wrapping_add(segment.trailing_zeros() as usize) as u32;
                    fields += 1;
                    segment &= segment - 1;
                }
            } else {
                // A line far too long: count, do not keep.
                fields += segment.count_ones() as usize;
            }
            if newlines == 0 {
                break;
            }
            let bit = next_end.trailing_zeros();
            let at = base + bit as usize;
            ends[fields.min(SLOTS - 1)] = (at - line_start) as u32;
            fields += 1;
            quotes |= m.quotes & span(from, bit) != 0;
            bad |= bad_bytes & span(from, bit) != 0;
            line(&region[line_start..at], &mut ends[..fields.min(SLOTS)], quotes, bad);
            (line_start, fields, quotes, bad, from) = (at + 1, 0, false, false, bit + 1);
            newlines ^= next_end;
        }
        quotes |= m.quotes & span(from, 64) != 0;
        bad |= bad_bytes & span(from, 64) != 0;
    }
}

/// Bit `i` of each mask describes byte `i` of a 64-byte block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Masks {
    commas: u64,
    backslashes: u64,
    quotes: u64,
    newlines: u64,
    /// Bytes with their high bit set: the bytes of non-ASCII characters.
    high: u64,
}

/// The masks of a block: with SSE2 (part of every x86-64 CPU) where there is SSE2, else eight bytes at a
/// time in a `u64` ([`masks_swar`]).
#[inline(always)]
fn masks(block: &[u8; 64]) -> Masks {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: `masks_sse2` only needs SSE2, which this build's target has (the cfg above).
        unsafe { masks_sse2(block) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        masks_swar(block)
    }
}

// `#[inline]`: `split` and `lines` are inlined into callers in other modules, and this must go with them.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
#[inline]
fn masks_sse2(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set_epi64x, _mm_set1_epi8};
    let commas = _mm_set1_epi8(b',' as i8);
    let backslashes = _mm_set1_epi8(ESCAPED_COMMA[0] as i8);
    let quotes = _mm_set1_epi8(b'"' as i8);
    let newlines = _mm_set1_epi8(LINE_END as i8);
    let mut m = Masks::default();
    for (i, lane) in block.chunks_exact(16).enumerate() {
        let (low, high) = lane.split_at(8);
        let word = |half: &[u8]| i64::from_le_bytes(half.try_into().expect("8 bytes"));
        let v = _mm_set_epi64x(word(high), word(low));
        let shift = 16 * i;
        m.commas |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, commas)) as u16) << shift;
        m.backslashes |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslashes)) as u16) << shift;
        m.quotes |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quotes)) as u16) << shift;
        m.newlines |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, newlines)) as u16) << shift;
        m.high |= u64::from(_mm_movemask_epi8(v) as u16) << shift;
    }
    m
}

/// [`masks`] without SIMD instructions: eight bytes at a time in a `u64` (SWAR).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline]
fn masks_swar(block: &[u8; 64]) -> Masks {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    const LOW7: u64 = !HIGH;
    /// The high bit of each byte set exactly where that byte of `x` is zero. Exact, unlike the
    /// classic `(x - ONES) & !x & HIGH`: no carry crosses bytes, since 0x7F + 0x7F < 0x100.
    fn zero_bytes(x: u64) -> u64 {
        !(((x & LOW7) + LOW7) | x | LOW7)
    }
    /// The high bits of the eight bytes as the low eight bits (the products of the multiplication
    /// land on distinct bits, so nothing carries).
    fn gather(high_bits: u64) -> u64 {
        ((high_bits >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
    }
    let mut m = Masks::default();
    for (i, word) in block.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let shift = 8 * i;
        m.commas |= gather(zero_bytes(x ^ (ONES * u64::from(b',')))) << shift;
        m.backslashes |= gather(zero_bytes(x ^ (ONES * u64::from(ESCAPED_COMMA[0])))) << shift;
        m.quotes |= gather(zero_bytes(x ^ (ONES * u64::from(b'"')))) << shift;
        m.newlines |= gather(zero_bytes(x ^ (ONES * u64::from(LINE_END)))) << shift;
        m.high |= gather(x & HIGH) << shift;
    }
    m
}

/// The UTF-8 check of [`split`] and [`lines`], one 64-byte block after the other: only the
/// non-ASCII bytes are looked at, and each that does not continue a character already checked must start
/// a well-formed one ([`utf8_len`]).
#[derive(Clone, Copy, Debug, Default)]
struct Utf8 {
    /// Where the next character starts, once the ones before it are checked.
    next_char: usize,
}

impl Utf8 {
    /// The bad bytes of the block of `bytes` at `base` whose masks are `m`: where no well-formed character
    /// starts though one should.
    #[inline]
    fn block(&mut self, bytes: &[u8], base: usize, m: &Masks) -> u64 {
        let mut bad = 0;
        let mut high = m.high;
        while high != 0 {
            let bit = high.trailing_zeros();
            let at = base + bit as usize;
            if at >= self.next_char {
                match utf8_len(bytes, at) {
                    Some(len) => self.next_char = at + len,
                    None => bad |= 1 << bit,
                }
            }
            high &= high - 1;
        }
        bad
    }
}

/// The length of the UTF-8 character that starts at `bytes[at]` (a non-ASCII byte), or `None` when no
/// well-formed character starts there (Unicode, table 3-7: no overlong forms, no surrogates, nothing
/// above U+10FFFF, no stray continuation byte, no character cut by the end).
#[inline]
fn utf8_len(bytes: &[u8], at: usize) -> Option<usize> {
    let follows = |i: usize, range: std::ops::RangeInclusive<u8>| bytes.get(at + i).is_some_and(|b| range.contains(b));
    let ok = match bytes[at] {
        0xC2..=0xDF => follows(1, 0x80..=0xBF),
        0xE0 => follows(1, 0xA0..=0xBF) && follows(2, 0x80..=0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => follows(1, 0x80..=0xBF) && follows(2, 0x80..=0xBF),
        0xED => follows(1, 0x80..=0x9F) && follows(2, 0x80..=0xBF),
        0xF0 => follows(1, 0x90..=0xBF) && follows(2, 0x80..=0xBF) && follows(3, 0x80..=0xBF),
        0xF1..=0xF3 => follows(1, 0x80..=0xBF) && follows(2, 0x80..=0xBF) && follows(3, 0x80..=0xBF),
        0xF4 => follows(1, 0x80..=0x8F) && follows(2, 0x80..=0xBF) && follows(3, 0x80..=0xBF),
        _ => false,
    };
    ok.then_some(match bytes[at] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    })
}

/// The fields of a line in Cognito's dialect, as written (escaped commas kept): split at every
/// comma that does not follow a backslash. For the few lines read whole (line 1), not the rows.
pub(super) fn raw_fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let rest = &line[start..];
        let end = (0..rest.len()).find(|&i| rest[i] == b',' && (start + i == 0 || line[start + i - 1] != b'\\'));
        Some(match end {
            Some(end) => {
                start += end + 1;
                &rest[..end]
            }
            None => {
                done = true;
                rest
            }
        })
    })
}

/// A header name as Cognito reads it: `\,` a comma, trimmed (bytes that are not UTF-8 replaced).
pub(super) fn column_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).trim_ascii().replace("\\,", ",")
}

/// The fields of `line`, untrimmed, from the `ends` that [`split`] wrote.
#[inline]
pub(super) fn fields<'a, T: ?Sized + Index<Range<usize>, Output = T>>(
    line: &'a T,
    ends: &'a [u32],
) -> impl Iterator<Item = &'a T> + 'a {
    let mut start = 0;
    ends.iter().map(move |&end| {
        let field = &line[start..end as usize];
        start = end as usize + 1;
        field
    })
}

/// Characters in UTF-8 `bytes`: the bytes that do not continue a character.
#[inline]
pub(super) fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixtures::*;
    use crate::check::{PoolRules, Rule, is_blank_line};

    #[test]
    fn escaped_commas() {
        assert_eq!(row_problems(&[("name", "García\\, José")]), []);
        assert_eq!(
            row_problems(&[(
                "name",
                "a\\,b\\,c\\,d\\,e\\,f\\,g\\,h\\,i\\,j\\,k\\,l\\,m\\,n\\,o\\,p\\,q\\,r\\,s"
            )]),
            []
        );
        // A backslash before anything else is a literal backslash; before a comma it always escapes it.
        assert_eq!(row_problems(&[("name", "back\\slash\\\\,x")]), []);
        // So a value cannot end with a backslash: the separator after it is escaped.
        assert_eq!(
            row_problems(&[("name", "trailing\\")]),
            [(
                None,
                Rule::FieldCount {
                    expected: 11,
                    found: 10
                }
            )]
        );
        // An unescaped comma is one field too many.
        let too_many = Rule::FieldCount {
            expected: 11,
            found: 12,
        };
        assert_eq!(row_problems(&[("name", "García, José")]), [(None, too_many)]);
        // Across the 64-byte blocks the fields are found in.
        for at in 50..80 {
            let name = format!("{}\\,x", "n".repeat(at));
            assert_eq!(row_problems(&[("name", &name)]), [], "{at}");
        }
    }

    #[test]
    fn invalid_utf8() {
        let mut text = file(&[
            user(&[]),
            user(&[("name", "Zo?")]),
            user(&[]),
            user(&[("name", "x?y?")]),
        ])
        .into_bytes();
        let marks: Vec<usize> = text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'?')
            .map(|(i, _)| i)
            .collect();
        text[marks[0]] = 0xC3; // a lead byte followed by ','
        text[marks[1]] = 0xE9; // a lead byte followed by 'y'
        text[marks[2]] = 0xA9; // a stray continuation byte
        let verdict = run(&pool(), &text);
        assert_eq!(
            found(&verdict),
            [
                (3, Some("name"), Rule::InvalidUtf8),
                (5, Some("name"), Rule::InvalidUtf8)
            ]
        );
        // Surrogates, overlong forms and code points above U+10FFFF are not UTF-8 either.
        for bad in [
            &b"\xED\xA0\x80"[..],
            b"\xC0\xAF",
            b"\xE0\x80\xAF",
            b"\xF4\x90\x80\x80",
            b"\xF8\x88\x80\x80\x80",
            b"\xFF",
        ] {
            let mut row = user(&[("name", "@")]).into_bytes();
            let at = row
                .iter()
                .position(|&b| b == b'@' && row.ends_with(b"@"))
                .unwrap_or(row.len() - 1);
            row.splice(at..=at, bad.iter().copied());
            let mut text = format!("{HEADER}\n").into_bytes();
            text.extend_from_slice(&row);
            assert_eq!(
                found(&run(&pool(), &text)),
                [(2, Some("custom:tier"), Rule::InvalidUtf8)],
                "{bad:x?}"
            );
        }
    }

    #[test]
    fn utf8_check_agrees_with_std() {
        let alphabet: &[u8] = &[
            b'a', b',', b'\\', b'"', b' ', 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
            0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ];
        let mut seed = 0x1234_5678_9ABC_DEF1;
        let mut ends = Vec::new();
        for round in 0..20_000 {
            let len = (random(&mut seed) % 150) as usize;
            let mut line: Vec<u8> = (0..len)
                .map(|_| alphabet[(random(&mut seed) % alphabet.len() as u64) as usize])
                .collect();
            if round % 3 == 0 {
                // Mostly valid text with an odd byte here and there.
                line = String::from_utf8_lossy(&line).into_owned().into_bytes();
                if round % 2 == 0 && !line.is_empty() {
                    let at = (random(&mut seed) % line.len() as u64) as usize;
                    line[at] = alphabet[(random(&mut seed) % alphabet.len() as u64) as usize];
                }
            }
            let ours = split(&line, &mut ends);
            assert_eq!(ours.is_some(), std::str::from_utf8(&line).is_ok(), "{line:x?}");
            if let Some(found) = ours {
                // Same fields as a byte-by-byte split.
                let mut expected = Vec::new();
                for (i, &b) in line.iter().enumerate() {
                    if b == b',' && (i == 0 || line[i - 1] != b'\\') {
                        expected.push(i as u32);
                    }
                }
                expected.push(line.len() as u32);
                assert_eq!(&ends[..found.fields], &expected[..], "{line:x?}");
                assert_eq!(found.quotes, line.contains(&b'"'));
            }
        }
    }

    #[test]
    fn random_files_agree_across_chunkings_and_with_std_utf8() {
        // Random user rows from pieces that stress the scanner: separators, escapes, quotes, line ends,
        // characters of every UTF-8 length, and broken ones.
        let pieces: &[&[u8]] = &[
            b",",
            b",",
            b",",
            b"\\",
            b"\\,",
            b"\"",
            b"\r",
            b"\n",
            b"\r\n",
            b" ",
            b"a@b",
            b"true",
            b"TRUE",
            b"alice",
            b"\xC3\xA9",
            b"\xE6\x97\xA5",
            b"\xF0\x9F\x98\x80",
            b"\xC3",
            b"\xA9",
            b"\xED\xA0\x80",
            b"\xFF",
            b"+14325551212",
            b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ];
        let rules = PoolRules::new(vec![
            "cognito:username".into(),
            "email".into(),
            "email_verified".into(),
            "name".into(),
        ]);
        let mut seed = 0x05EE_D0FF_11E5_u64;
        for _ in 0..100 {
            let mut text = b"cognito:username,email,email_verified,name\n".to_vec();
            for _ in 0..(random(&mut seed) % 60) {
                text.extend_from_slice(pieces[(random(&mut seed) % pieces.len() as u64) as usize]);
            }
            let verdict = run(&rules, &text);
            let bad_lines: Vec<u64> = verdict
                .problems
                .iter()
                .filter(|p| p.rule == Rule::InvalidUtf8)
                .map(|p| p.line)
                .collect();
            let expected: Vec<u64> = text
                .split(|&b| b == b'\n')
                .enumerate()
                .filter(|(_, line)| std::str::from_utf8(line).is_err() && !is_blank_line(line))
                .map(|(i, _)| i as u64 + 1)
                .collect();
            assert_eq!(bad_lines, expected, "{:?}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    fn swar_masks_agree_with_simd() {
        let mut seed = 0xDEAD_BEEF_CAFE_F00D;
        let alphabet = b",\\\"\n\r a\x7F\x80\xC3\xFF\x00";
        for _ in 0..20_000 {
            let mut block = [0u8; 64];
            for byte in &mut block {
                *byte = alphabet[(random(&mut seed) % alphabet.len() as u64) as usize];
            }
            let swar = masks_swar(&block);
            let mut expected = Masks::default();
            for (i, &b) in block.iter().enumerate() {
                expected.commas |= u64::from(b == b',') << i;
                expected.backslashes |= u64::from(b == b'\\') << i;
                expected.quotes |= u64::from(b == b'"') << i;
                expected.newlines |= u64::from(b == b'\n') << i;
                expected.high |= u64::from(b >= 0x80) << i;
            }
            assert_eq!(swar, expected, "{block:x?}");
            assert_eq!(masks(&block), expected, "{block:x?}");
        }
    }
}
