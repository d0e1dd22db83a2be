//! Files as people export them: the bytes popular tools write when a user saves a table (a header
//! row and rows of text values) as CSV with the tool's default settings.
//!
//! These are RFC 4180 files, not Cognito's dialect (no quotes, `\,` for a comma, UTF-8 without a
//! byte-order mark): the end-to-end tests drop them to see what the function does with the files it
//! will really be given. The quoting comes from the `csv` crate's writer; each tool only chooses its
//! quote style, line end, whether the last line has one, a byte-order mark and the encoding.
//!
//! Only text cells are modelled: tools that treat numbers or dates differently (LibreOffice may quote
//! a number, Excel reformats dates) are not, since a user file is text end to end.

use csv::{QuoteStyle, Terminator, WriterBuilder};

/// A tool that exports a table as CSV, with its default settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exporter {
    /// Excel for Windows, "CSV UTF-8 (Comma delimited)": a UTF-8 byte-order mark, CRLF after every
    /// line including the last, a field quoted only when it holds a comma, a quote or a line break,
    /// an inner quote doubled. (A line break inside a cell is the LF Excel stores.)
    ExcelCsvUtf8,
    /// Excel for Windows, plain "CSV (Comma delimited)": the same shape as [`Exporter::ExcelCsvUtf8`]
    /// but without a byte-order mark and encoded in the machine's code page, Windows-1252 in the
    /// West. Excel silently replaces a character the code page lacks; this writer panics instead, so
    /// a test never drops a file it did not mean to.
    ExcelCsv,
    /// Google Sheets, "File → Download → Comma-separated values": UTF-8 without a byte-order mark,
    /// CRLF between lines and none after the last one, minimal quoting as above.
    GoogleSheets,
    /// LibreOffice Calc's CSV export with its dialog's defaults (UTF-8 on Linux, comma, `"`, "Quote
    /// all text cells" off, no byte-order mark): the platform's line end (LF on Linux) after every line
    /// including the last, a text cell quoted when it holds a comma, a quote, CR or LF.
    LibreOffice,
    /// pandas `DataFrame.to_csv(path, index=False)`: UTF-8 without a byte-order mark,
    /// `lineterminator=os.linesep` (LF on Linux) after every line including the last,
    /// `csv.QUOTE_MINIMAL`, an inner quote doubled.
    Pandas,
    /// The exporters that quote every field (Python's `csv.QUOTE_ALL`, many web applications'
    /// "Export to CSV"): every field quoted, the empty ones too, CRLF after every line including the
    /// last (RFC 4180's line end, the most common choice), UTF-8 without a byte-order mark.
    QuoteAll,
}

/// How one tool writes a table.
struct Format {
    quoting: QuoteStyle,
    terminator: Terminator,
    /// Whether the last line ends with the terminator too.
    last_line_end: bool,
    bom: bool,
    windows_1252: bool,
}

impl Format {
    const fn rfc4180(terminator: Terminator) -> Format {
        Format {
            quoting: QuoteStyle::Necessary,
            terminator,
            last_line_end: true,
            bom: false,
            windows_1252: false,
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

impl Exporter {
    pub const ALL: [Exporter; 6] = [
        Exporter::ExcelCsvUtf8,
        Exporter::ExcelCsv,
        Exporter::GoogleSheets,
        Exporter::LibreOffice,
        Exporter::Pandas,
        Exporter::QuoteAll,
    ];

    /// A short name, usable in a test's name or an object key.
    pub fn name(self) -> &'static str {
        match self {
            Exporter::ExcelCsvUtf8 => "excel-csv-utf8",
            Exporter::ExcelCsv => "excel-csv-1252",
            Exporter::GoogleSheets => "google-sheets",
            Exporter::LibreOffice => "libreoffice-calc",
            Exporter::Pandas => "pandas",
            Exporter::QuoteAll => "quote-all",
        }
    }

    fn format(self) -> Format {
        let crlf = Format::rfc4180(Terminator::CRLF);
        let lf = Format::rfc4180(Terminator::Any(b'\n'));
        match self {
            Exporter::ExcelCsvUtf8 => Format { bom: true, ..crlf },
            Exporter::ExcelCsv => Format {
                windows_1252: true,
                ..crlf
            },
            Exporter::GoogleSheets => Format {
                last_line_end: false,
                ..crlf
            },
            Exporter::LibreOffice | Exporter::Pandas => lf,
            Exporter::QuoteAll => Format {
                quoting: QuoteStyle::Always,
                ..crlf
            },
        }
    }

    /// The bytes this tool writes for `header` and `rows` (each row has `header.len()` values).
    ///
    /// Panics on a row of another length, and for [`Exporter::ExcelCsv`] on a character
    /// Windows-1252 cannot encode.
    pub fn write(self, header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                row.len(),
                header.len(),
                "row {i} has {} values for {} columns",
                row.len(),
                header.len()
            );
        }
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        self.export(std::iter::once(header).chain(rows.iter().cloned()))
    }

    /// A file in Cognito's dialect (as `synth` writes it; blank lines are left out) as this tool
    /// would write the same table: for benchmarks of files the size of Cognito's limits.
    pub fn rewrite(self, cognito_csv: &[u8]) -> Vec<u8> {
        let records = cognito_csv
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .map(cognito_values);
        self.export(records)
    }

    fn export(self, records: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
        let format = self.format();
        let mut writer = WriterBuilder::new()
            .quote_style(format.quoting)
            .terminator(format.terminator)
            .from_writer(Vec::new());
        for record in records {
            writer.write_record(&record).expect("writing to memory");
        }
        let mut text = writer.into_inner().expect("writing to memory");
        if !format.last_line_end {
            // The writer ends every record, so the last terminator is exactly the file's tail.
            let len = match format.terminator {
                Terminator::CRLF => 2,
                _ => 1,
            };
            text.truncate(text.len() - len);
        }
        let mut out = Vec::with_capacity(text.len() + UTF8_BOM.len());
        if format.bom {
            out.extend_from_slice(UTF8_BOM);
        }
        if format.windows_1252 {
            out.extend(to_windows_1252(
                std::str::from_utf8(&text).expect("the writer keeps UTF-8"),
            ));
        } else {
            out.extend(text);
        }
        out
    }
}

/// The values of one line of Cognito's dialect: split at every comma not after a backslash, `\,`
/// read as a comma.
fn cognito_values(line: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(line).expect("a UTF-8 file");
    let mut values = Vec::new();
    let mut value = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => value.push(chars.next().expect("peeked")),
            ',' => values.push(std::mem::take(&mut value)),
            c => value.push(c),
        }
    }
    values.push(value);
    values
}

/// Windows-1252 differs from Latin-1 only in 0x80..=0x9F, where it puts these characters instead of
/// the C1 controls (0x81, 0x8D, 0x8F, 0x90 and 0x9D are unassigned).
const WINDOWS_1252_SPECIALS: [(u8, char); 27] = [
    (0x80, '€'),
    (0x82, '‚'),
    (0x83, 'ƒ'),
    (0x84, '„'),
    (0x85, '…'),
    (0x86, '†'),
    (0x87, '‡'),
    (0x88, 'ˆ'),
    (0x89, '‰'),
    (0x8A, 'Š'),
    (0x8B, '‹'),
    (0x8C, 'Œ'),
    (0x8E, 'Ž'),
    (0x91, '‘'),
    (0x92, '’'),
    (0x93, '“'),
    (0x94, '”'),
    (0x95, '•'),
    (0x96, '–'),
    (0x97, '—'),
    (0x98, '˜'),
    (0x99, '™'),
    (0x9A, 'š'),
    (0x9B, '›'),
    (0x9C, 'œ'),
    (0x9E, 'ž'),
    (0x9F, 'Ÿ'),
];

fn to_windows_1252(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.chars().map(|c| match u32::from(c) {
        // ASCII and the upper half of Latin-1 keep their code points.
        n @ (0..=0x7F | 0xA0..=0xFF) => n as u8,
        _ => WINDOWS_1252_SPECIALS
            .iter()
            .find(|&&(_, special)| special == c)
            .map(|&(byte, _)| byte)
            .unwrap_or_else(|| panic!("{c:?} (U+{:04X}) has no Windows-1252 encoding", u32::from(c))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [&str; 4] = ["name", "nickname", "email", "phone_number"];

    /// A comma, a quote, non-ASCII letters and an empty value.
    fn tiny() -> Vec<Vec<String>> {
        [
            ["Zoë Ünal", "Bob \"B\"", "zoe@example.com", ""],
            ["Smith, Ann", "Ann", "ann@example.com", "+15555550100"],
        ]
        .map(|row| row.map(String::from).to_vec())
        .to_vec()
    }

    /// What each tool writes for [`tiny`], byte for byte.
    fn expected(exporter: Exporter) -> &'static [u8] {
        match exporter {
            Exporter::ExcelCsvUtf8 => "\u{FEFF}name,nickname,email,phone_number\r\n\
                Zoë Ünal,\"Bob \"\"B\"\"\",zoe@example.com,\r\n\
                \"Smith, Ann\",Ann,ann@example.com,+15555550100\r\n"
                .as_bytes(),
            Exporter::ExcelCsv => {
                b"name,nickname,email,phone_number\r\n\
                Zo\xEB \xDCnal,\"Bob \"\"B\"\"\",zoe@example.com,\r\n\
                \"Smith, Ann\",Ann,ann@example.com,+15555550100\r\n"
            }
            Exporter::GoogleSheets => "name,nickname,email,phone_number\r\n\
                Zoë Ünal,\"Bob \"\"B\"\"\",zoe@example.com,\r\n\
                \"Smith, Ann\",Ann,ann@example.com,+15555550100"
                .as_bytes(),
            Exporter::LibreOffice | Exporter::Pandas => "name,nickname,email,phone_number\n\
                Zoë Ünal,\"Bob \"\"B\"\"\",zoe@example.com,\n\
                \"Smith, Ann\",Ann,ann@example.com,+15555550100\n"
                .as_bytes(),
            Exporter::QuoteAll => "\"name\",\"nickname\",\"email\",\"phone_number\"\r\n\
                \"Zoë Ünal\",\"Bob \"\"B\"\"\",\"zoe@example.com\",\"\"\r\n\
                \"Smith, Ann\",\"Ann\",\"ann@example.com\",\"+15555550100\"\r\n"
                .as_bytes(),
        }
    }

    /// Reads a file back as a reader that knows the tool would: the byte-order mark dropped, the
    /// code page decoded, then RFC 4180.
    fn read_back(exporter: Exporter, bytes: &[u8]) -> Vec<Vec<String>> {
        let text = match exporter {
            Exporter::ExcelCsv => bytes.iter().map(|&b| from_windows_1252(b)).collect(),
            _ => String::from_utf8(bytes.to_vec()).expect("UTF-8"),
        };
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|record| record.expect("a CSV record").iter().map(String::from).collect())
            .collect()
    }

    fn from_windows_1252(byte: u8) -> char {
        match byte {
            0x80..=0x9F => WINDOWS_1252_SPECIALS
                .iter()
                .find(|&&(b, _)| b == byte)
                .map(|&(_, c)| c)
                .expect("an assigned Windows-1252 byte"),
            _ => char::from(byte),
        }
    }

    fn table(header: &[&str], rows: &[Vec<String>]) -> Vec<Vec<String>> {
        std::iter::once(header.iter().map(|h| h.to_string()).collect())
            .chain(rows.iter().cloned())
            .collect()
    }

    #[test]
    fn each_tool_writes_its_own_bytes() {
        for exporter in Exporter::ALL {
            let bytes = exporter.write(&HEADER, &tiny());
            assert_eq!(
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(expected(exporter)),
                "{}",
                exporter.name()
            );
            assert_eq!(bytes, expected(exporter), "{}", exporter.name());
        }
    }

    #[test]
    fn each_file_reads_back_as_the_table() {
        let mut rows = tiny();
        // A line break in a cell (Alt+Enter in Excel) and a typographic apostrophe, in 1252's range.
        rows.push(
            ["Chloé D’Arc", "line one\nline two", "chloe@example.com", "€5"]
                .map(String::from)
                .to_vec(),
        );
        for exporter in Exporter::ALL {
            let bytes = exporter.write(&HEADER, &rows);
            assert_eq!(
                read_back(exporter, &bytes),
                table(&HEADER, &rows),
                "{}",
                exporter.name()
            );
        }
    }

    #[test]
    fn windows_1252_encodes_its_specials_by_hand() {
        let rows = vec![vec!["€‘’“”".to_owned()]];
        let bytes = Exporter::ExcelCsv.write(&["x"], &rows);
        assert_eq!(bytes, b"x\r\n\x80\x91\x92\x93\x94\r\n");
    }

    #[test]
    #[should_panic(expected = "'Ł' (U+0141) has no Windows-1252 encoding")]
    fn windows_1252_refuses_what_it_cannot_encode() {
        Exporter::ExcelCsv.write(&["name"], &[vec!["Łukasz".to_owned()]]);
    }

    #[test]
    #[should_panic(expected = "row 0 has 1 values for 2 columns")]
    fn a_short_row_is_a_test_bug() {
        Exporter::Pandas.write(&["a", "b"], &[vec!["1".to_owned()]]);
    }

    #[test]
    fn names_are_distinct() {
        let mut names: Vec<_> = Exporter::ALL.iter().map(|e| e.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Exporter::ALL.len());
    }

    #[test]
    fn a_cognito_file_is_rewritten_as_the_same_table() {
        let mut cognito = Vec::new();
        crate::synth::write_users(&mut cognito, &crate::synth::standard_header(), 300, 7).unwrap();
        let table: Vec<Vec<String>> = cognito
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(cognito_values)
            .collect();
        assert!(
            table.iter().flatten().any(|v| v.contains(',')),
            "synth writes escaped commas"
        );
        for exporter in [Exporter::ExcelCsvUtf8, Exporter::QuoteAll, Exporter::Pandas] {
            let written = exporter.rewrite(&cognito);
            let text = written.strip_prefix(UTF8_BOM).unwrap_or(&written);
            let read: Vec<Vec<String>> = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text)
                .records()
                .map(|r| r.unwrap().iter().map(str::to_owned).collect())
                .collect();
            assert_eq!(read, table, "{}", exporter.name());
        }
    }
}
