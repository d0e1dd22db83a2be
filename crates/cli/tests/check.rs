//! `cognito-import check`, run as an operator runs it: on files as spreadsheet tools write them, on
//! files the function refuses, offline (`--header-file`, `--mfa`, `--auto-verified`) and against a
//! live pool on the local stand-in, with `--fix` and `--json`, and on files a split imports.

use std::ffi::OsStr;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use cognito_import_testkit::exports::Exporter;
use cognito_import_testkit::synth;
use serde_json::{Value, json};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn show(&self) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the exit status.
    #[track_caller]
    fn exits(&self, code: i32) {
        assert_eq!(self.code, Some(code), "{}", self.show());
    }

    /// Asserts that stdout holds `text`.
    #[track_caller]
    fn says(&self, text: impl AsRef<str>) {
        assert!(self.stdout.contains(text.as_ref()), "{}", self.show());
    }

    /// Asserts that stderr holds `text`.
    #[track_caller]
    fn warns(&self, text: impl AsRef<str>) {
        assert!(self.stderr.contains(text.as_ref()), "{}", self.show());
    }

    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.show()))
    }
}

fn check_with_env<I, S>(args: I, env: &[(String, String)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_cognito-import"))
        .arg("check")
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn check<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    check_with_env(args, &[])
}

/// The columns a team keeps in its sheet: a partial header, completed to the pool's.
const COLUMNS: [&str; 8] = [
    "cognito:username",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "phone_number",
    "phone_number_verified",
];

/// Commas, quotes, non-ASCII letters, empty values.
fn table() -> Vec<Vec<String>> {
    [
        ["zoe", "zoe@example.com", "true", "Zoë Ünal", "Zoë", "Ünal", "", "false"],
        [
            "ann",
            "ann@example.com",
            "TRUE",
            "Smith, Ann",
            "Ann",
            "Smith",
            "+15555550100",
            "true",
        ],
        [
            "bob",
            "bob@example.com",
            "true",
            "Bob \"B\" Jones",
            "Bob",
            "Jones",
            "",
            "",
        ],
        [
            "kenji",
            "kenji@example.com",
            "true",
            "山田, 健二",
            "健二",
            "山田",
            "",
            "",
        ],
    ]
    .map(|row| row.map(String::from).to_vec())
    .to_vec()
}

/// What the function would upload for `rows` under `COLUMNS`: Cognito's dialect, the standard
/// header's other columns added, empty.
fn cognito_bytes(rows: &[Vec<String>], last_line_end: bool) -> Vec<u8> {
    let added: Vec<String> = synth::standard_header()
        .into_iter()
        .filter(|c| !COLUMNS.contains(&c.as_str()))
        .collect();
    let mut lines = vec![format!("{},{}", COLUMNS.join(","), added.join(","))];
    for row in rows {
        let values: Vec<String> = row.iter().map(|v| v.replace(',', "\\,")).collect();
        lines.push(format!("{}{}", values.join(","), ",".repeat(added.len())));
    }
    let mut text = lines.join("\n");
    if last_line_end {
        text.push('\n');
    }
    text.into_bytes()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn spreadsheet_exports_check_clean_and_fix_to_cognitos_dialect() {
    let dir = tempfile::tempdir().unwrap();
    for exporter in [
        Exporter::ExcelCsvUtf8,
        Exporter::GoogleSheets,
        Exporter::LibreOffice,
        Exporter::Pandas,
        Exporter::QuoteAll,
    ] {
        let name = exporter.name();
        let path = dir.path().join(format!("{name}.csv"));
        std::fs::write(&path, exporter.write(&COLUMNS, &table())).unwrap();
        let fixed = dir.path().join(format!("{name}.fixed.csv"));
        let run = check([path.as_os_str(), "--fix".as_ref(), fixed.as_os_str()]);
        assert_eq!(run.code, Some(0), "{name}: {}", run.show());
        assert!(run.stdout.contains("problems:   none"), "{name}: {}", run.show());
        assert!(
            run.stdout.contains("OK: the file would import normalised"),
            "{name}: {}",
            run.show()
        );
        assert!(run.stdout.contains("read as:    RFC 4180"), "{name}: {}", run.show());
        assert!(
            run.stdout.contains(&format!("wrote:      {}", fixed.display())),
            "{name}: {}",
            run.show()
        );
        let expected = cognito_bytes(&table(), exporter != Exporter::GoogleSheets);
        assert_eq!(
            String::from_utf8_lossy(&std::fs::read(&fixed).unwrap()),
            String::from_utf8_lossy(&expected),
            "{name}"
        );
        // The fixed file is Cognito's own: it checks clean and passes as it is.
        let again = check([fixed.as_os_str(), "--dialect".as_ref(), "cognito".as_ref()]);
        assert_eq!(again.code, Some(0), "{name}: {}", again.show());
        assert!(
            again.stdout.contains("OK: the file would import as it is"),
            "{}",
            again.show()
        );
        // No value is echoed, only header names.
        for value in ["Zoë", "Smith", "Jones", "山田", "zoe@example.com"] {
            assert!(!run.stdout.contains(value), "{name}: {value} echoed: {}", run.show());
        }
    }
    // No temporary file is left beside the output.
    assert!(
        files_in(dir.path()).iter().all(|n| !n.starts_with('.')),
        "{:?}",
        files_in(dir.path())
    );
}

#[test]
fn what_normalising_changes_is_said_for_people_and_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("excel.csv");
    std::fs::write(&path, Exporter::ExcelCsvUtf8.write(&COLUMNS, &table())).unwrap();
    let run = check([&path]);
    run.exits(0);
    for said in [
        "normalising would change:",
        "  byte-order mark removed",
        "  5 line ends written as LF",
        "  3 quoted fields unquoted (RFC 4180)",
        "  2 doubled quotes written once",
        "  2 commas inside values escaped as \\,",
        "  columns added, empty: middle_name, nickname, preferred_username",
        "parts:      1\n  part 1: lines 2-5, 4 rows, ",
    ] {
        assert!(run.stdout.contains(said), "{said:?} not in {}", run.show());
    }

    let run = check([path.as_os_str(), "--json".as_ref()]);
    run.exits(0);
    let report = run.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["rows"], 4);
    assert_eq!(report["problems"], json!([]));
    assert_eq!(report["problemCount"], 0);
    let normalised = &report["normalised"];
    assert_eq!(normalised["readAs"], "rfc4180");
    assert_eq!(normalised["byteOrderMarkRemoved"], true);
    assert_eq!(normalised["fieldsUnquoted"], 3);
    assert_eq!(normalised["commasEscaped"], 2);
    assert_eq!(normalised["changed"], true);
    assert_eq!(normalised["columnsAdded"].as_array().unwrap().len(), 21 - COLUMNS.len());
    assert!(normalised["changes"][0].as_str().unwrap().contains("byte-order mark"));
    let prepared = cognito_bytes(&table(), true).len();
    assert_eq!(report["preparedBytes"], prepared);
    assert_eq!(
        report["parts"],
        json!([{"number": 1, "firstLine": 2, "lastLine": 5, "rows": 4, "bytes": prepared}])
    );
    assert_eq!(report["rules"]["source"], "standard");
    assert_eq!(report["rules"]["mfa"], "optional");
    assert_eq!(report["rules"]["autoVerified"], json!(["email", "phone_number"]));
    // The progress bar never shows with --json (nor off a terminal).
    assert_eq!(run.stderr, "", "{}", run.show());
}

#[test]
fn a_windows_1252_file_is_refused_naming_line_and_column_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("excel-1252.csv");
    let rows: Vec<Vec<String>> = [
        ["ann", "ann@example.com", "true", "Ann Smith", "Ann", "Smith", "", ""],
        ["zoe", "zoe@example.com", "true", "Zoë Ünal", "Zoë", "Ünal", "", ""],
    ]
    .map(|row| row.map(String::from).to_vec())
    .to_vec();
    std::fs::write(&path, Exporter::ExcelCsv.write(&COLUMNS, &rows)).unwrap();
    let fixed = dir.path().join("fixed.csv");
    let run = check([path.as_os_str(), "--fix".as_ref(), fixed.as_os_str()]);
    run.exits(1);
    run.says("line 3, column name: not valid UTF-8: save the file as \"CSV UTF-8\"");
    run.says("NOT OK: the file would not import (1 problem); nothing written");
    assert!(!fixed.exists());
    assert_eq!(files_in(dir.path()), ["excel-1252.csv"]);

    let report = check([path.as_os_str(), "--json".as_ref()]).json();
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["problems"],
        json!([{
            "line": 3,
            "column": "name",
            "rule": "invalid_utf8",
            "message": "not valid UTF-8: save the file as \"CSV UTF-8\" (a code page such as Windows-1252 cannot be read)"
        }])
    );
}

#[test]
fn a_line_break_inside_a_quoted_value_is_refused_naming_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pandas.csv");
    let mut rows = table();
    rows[1][3] = "Ann\nSmith".into();
    std::fs::write(&path, Exporter::Pandas.write(&COLUMNS, &rows)).unwrap();
    let fixed = dir.path().join("fixed.csv");
    let run = check([path.as_os_str(), "--fix".as_ref(), fixed.as_os_str()]);
    run.exits(1);
    run.says("line 3, column name: a quoted value holds a line break");
    assert!(!run.stdout.contains("Ann"), "a value echoed: {}", run.show());
    assert!(!fixed.exists());
}

/// A header with a custom attribute, and a row that needs it.
fn custom_file(dir: &Path) -> PathBuf {
    let path = dir.join("custom.csv");
    std::fs::write(
        &path,
        "cognito:username,email,email_verified,custom:tier\nzoe,zoe@example.com,true,gold\n",
    )
    .unwrap();
    path
}

#[test]
fn the_header_file_is_get_csv_headers_answer_or_a_csv_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = custom_file(dir.path());
    // Against the standard attributes, custom:tier is not the pool's.
    let run = check([&file]);
    run.exits(1);
    run.says("line 1, column custom:tier: not a column of the pool's header");

    let answer = dir.path().join("header.json");
    let mut header = synth::standard_header();
    header.insert(3, "custom:tier".into());
    std::fs::write(
        &answer,
        serde_json::to_string_pretty(&json!({"UserPoolId": "us-east-1_Abc123", "CSVHeader": header})).unwrap(),
    )
    .unwrap();
    let one_line = dir.path().join("header.csv");
    std::fs::write(&one_line, format!("\u{feff}{}\r\n", header.join(","))).unwrap();
    for header_file in [&answer, &one_line] {
        let run = check([file.as_os_str(), "--header-file".as_ref(), header_file.as_os_str()]);
        run.exits(0);
        assert!(
            run.stdout.contains(&format!(
                "checked:    against the header in {} (offline: MFA optional, auto-verified email and \
                 phone_number; with --pool the live pool decides)",
                header_file.display()
            )),
            "{}",
            run.show()
        );
        let report = check([
            file.as_os_str(),
            "--header-file".as_ref(),
            header_file.as_os_str(),
            "--json".as_ref(),
        ])
        .json();
        assert_eq!(report["rules"]["source"], "headerFile");
        assert_eq!(report["rules"]["columns"], json!(header));
    }
    // The full header, required: the partial one is refused, by column.
    let run = check([
        file.as_os_str(),
        "--header-file".as_ref(),
        answer.as_os_str(),
        "--require-full-header".as_ref(),
    ]);
    run.exits(1);
    run.says("line 1, column phone_number: missing from the header");
}

#[test]
fn offline_settings_stand_for_the_pools() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.csv");
    std::fs::write(
        &path,
        "cognito:username,email,email_verified,phone_number,phone_number_verified,cognito:mfa_enabled\n\
         zoe,zoe@example.com,false,+14325551212,true,true\n",
    )
    .unwrap();
    // The defaults refuse least.
    let run = check([&path]);
    run.exits(0);
    let run = check([path.as_os_str(), "--auto-verified".as_ref(), "email".as_ref()]);
    run.exits(1);
    run.says("line 2, column email_verified: must be true: the pool auto-verifies only this attribute");
    let run = check([path.as_os_str(), "--mfa".as_ref(), "off".as_ref()]);
    run.exits(1);
    run.says("line 2, column cognito:mfa_enabled: must not be true: MFA is off in the pool");
    // A quoted field read as Cognito's dialect is a quoted value.
    let quoted = dir.path().join("quoted.csv");
    std::fs::write(
        &quoted,
        "cognito:username,email,email_verified\n\"zoe\",zoe@example.com,true\n",
    )
    .unwrap();
    assert_eq!(check([&quoted]).code, Some(0));
    let run = check([quoted.as_os_str(), "--dialect".as_ref(), "cognito".as_ref()]);
    run.exits(1);
    assert!(
        run.stdout
            .contains("line 2, column cognito:username: wrapped in double quotes")
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = custom_file(dir.path());
    let missing = dir.path().join("missing.csv");
    let run = check([&missing]);
    run.exits(2);
    run.warns("cannot open");
    let run = check([file.as_os_str(), "--header-file".as_ref(), missing.as_os_str()]);
    run.exits(2);
    let not_a_header = dir.path().join("bad.json");
    std::fs::write(&not_a_header, r#"{"UserPoolId": "us-east-1_Abc"}"#).unwrap();
    let run = check([file.as_os_str(), "--header-file".as_ref(), not_a_header.as_os_str()]);
    run.exits(2);
    run.warns("no \"CSVHeader\" list");
    let nowhere = dir.path().join("no/such/dir/out.csv");
    let run = check([file.as_os_str(), "--fix".as_ref(), nowhere.as_os_str()]);
    run.exits(2);
    for args in [
        vec!["--pool", "us-east-1_Abc", "--header-file", "h.csv"],
        vec!["--pool", "us-east-1_Abc", "--mfa", "on"],
        vec!["--auto-verified", "email,sms"],
        vec!["--dialect", "excel"],
    ] {
        let run = check(std::iter::once(file.as_os_str()).chain(args.iter().map(OsStr::new)));
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.show());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_pool_decides_its_own_rules() {
    use cognito_import_emulator::{Emulator, EmulatorConfig};
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let pool_id = emulator
        .create_user_pool(json!({
            "PoolName": "CheckMe",
            "AutoVerifiedAttributes": ["email"],
            "MfaConfiguration": "ON",
            "Schema": [{"Name": "tier", "AttributeDataType": "Number"}],
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    std::fs::write(
        &path,
        "cognito:username,email,email_verified,phone_number,phone_number_verified,cognito:mfa_enabled,custom:tier\n\
         zoe,zoe@example.com,true,,,true,5\n\
         max,max@example.com,false,+14325551212,true,true,5\n\
         ann,ann@example.com,true,,,false,5\n\
         bob,bob@example.com,true,,,true,gold\n",
    )
    .unwrap();
    // The stand-in's credentials and nothing of the machine's own AWS configuration.
    let no_config = dir.path().join("aws-config");
    std::fs::write(&no_config, "").unwrap();
    let no_config = no_config.display().to_string();
    let env: Vec<(String, String)> = [
        ("AWS_ENDPOINT_URL", emulator.endpoint().as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_CONFIG_FILE", no_config.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", no_config.as_str()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec();
    let args = [path.display().to_string(), "--pool".into(), pool_id.clone()];
    let with_pool = env.clone();
    let run = tokio::task::spawn_blocking(move || check_with_env(&args, &with_pool))
        .await
        .unwrap();
    run.exits(1);
    assert!(
        run.stdout.contains(&format!(
            "checked:    against the user pool {pool_id} (MFA on, auto-verified email)"
        )),
        "{}",
        run.show()
    );
    for problem in [
        "line 3, column email_verified: must be true: the pool auto-verifies only this attribute",
        "line 4, column cognito:mfa_enabled: must not be false: the pool requires MFA",
        "line 5, column custom:tier: must be an integer (Number attribute)",
    ] {
        assert!(run.stdout.contains(problem), "{problem:?} not in {}", run.show());
    }
    // Offline, with the pool's header alone, the defaults let all of it through.
    let header = dir.path().join("header.json");
    let columns: Vec<String> = synth::standard_header()
        .into_iter()
        .chain(["custom:tier".to_owned()])
        .collect();
    std::fs::write(&header, json!({"CSVHeader": columns}).to_string()).unwrap();
    let run = check([path.as_os_str(), "--header-file".as_ref(), header.as_os_str()]);
    run.exits(0);
    // A pool that does not exist is an error, not a verdict.
    let args = [path.display().to_string(), "--pool".into(), "us-east-1_Nope".into()];
    let run = tokio::task::spawn_blocking(move || check_with_env(&args, &env))
        .await
        .unwrap();
    run.exits(2);
    assert!(
        run.stderr.contains("cannot read the rules of the pool us-east-1_Nope")
            && run.stderr.contains("User pool us-east-1_Nope does not exist."),
        "{}",
        run.show()
    );
}

/// Writes what it is given, with `filler` put before every line end after line 1.
struct Filler<W: Write> {
    inner: W,
    filler: Vec<u8>,
    past_header: bool,
}

impl<W: Write> Write for Filler<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.inner.write_all(&rest[..end])?;
            if self.past_header {
                self.inner.write_all(&self.filler)?;
            }
            self.inner.write_all(b"\n")?;
            self.past_header = true;
            rest = &rest[end + 1..];
        }
        self.inner.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads `part`, skipping its first `skip` bytes, and checks it continues `source`.
fn assert_continues(source: &mut impl Read, part: &Path, skip: usize) {
    let mut part = BufReader::new(std::fs::File::open(part).unwrap());
    std::io::copy(&mut part.by_ref().take(skip as u64), &mut std::io::sink()).unwrap();
    let (mut a, mut b) = (vec![0; 1 << 16], vec![0; 1 << 16]);
    loop {
        let n = part.read(&mut a).unwrap();
        if n == 0 {
            return;
        }
        source.read_exact(&mut b[..n]).unwrap();
        assert!(a[..n] == b[..n], "{} differs from the source", "part");
    }
}

/// A file over the checker's 100 MiB and over 10^8 bytes a part: the split's parts are no problem,
/// `--fix` writes them as OUT and OUT-part2, each within the limits, together the file again.
#[test]
fn a_file_over_the_byte_limit_splits_into_parts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let mut header = synth::standard_header();
    header.push("custom:notes".into());
    let rows = 420_000;
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut filler = Filler {
            inner: file,
            filler: vec![b'x'; 60],
            past_header: false,
        };
        synth::write_users(&mut filler, &header, rows, 7).unwrap();
        filler.flush().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 100 * 1024 * 1024, "{size} bytes: not over the checker's limit");
    let header_file = dir.path().join("header.csv");
    std::fs::write(&header_file, header.join(",")).unwrap();
    let out = dir.path().join("fixed.csv");
    let run = check([
        path.as_os_str(),
        "--header-file".as_ref(),
        header_file.as_os_str(),
        "--fix".as_ref(),
        out.as_os_str(),
        "--json".as_ref(),
    ]);
    run.exits(0);
    let report = run.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["problems"], json!([]));
    assert_eq!(report["rows"], rows);
    let parts = report["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{}", run.show());
    let header_len = header.join(",").len() as u64 + 1;
    let (one, two) = (&parts[0], &parts[1]);
    assert_eq!(one["firstLine"], 2);
    assert_eq!(two["firstLine"], one["lastLine"].as_u64().unwrap() + 1);
    assert_eq!(two["lastLine"], rows + 1);
    assert_eq!(one["rows"].as_u64().unwrap() + two["rows"].as_u64().unwrap(), rows);
    assert_eq!(
        one["bytes"].as_u64().unwrap() + two["bytes"].as_u64().unwrap(),
        size + header_len
    );
    // Part 1 is as full as the byte limit lets it be: one more row would not fit.
    assert!(one["bytes"].as_u64().unwrap() <= 100_000_000);
    assert!(one["bytes"].as_u64().unwrap() > 100_000_000 - 1000);
    let part2 = dir.path().join("fixed-part2.csv");
    assert_eq!(
        report["written"],
        json!([out.display().to_string(), part2.display().to_string()])
    );
    assert_eq!(std::fs::metadata(&out).unwrap().len(), one["bytes"].as_u64().unwrap());
    assert_eq!(std::fs::metadata(&part2).unwrap().len(), two["bytes"].as_u64().unwrap());
    // Together, without part 2's header, they are the file.
    let mut source = BufReader::new(std::fs::File::open(&path).unwrap());
    assert_continues(&mut source, &out, 0);
    let mut start = vec![0; header_len as usize];
    std::fs::File::open(&part2).unwrap().read_exact(&mut start).unwrap();
    assert_eq!(start, format!("{}\n", header.join(",")).as_bytes());
    assert_continues(&mut source, &part2, header_len as usize);
    assert_eq!(source.read(&mut [0; 1]).unwrap(), 0, "the parts end before the file");
    assert_eq!(
        files_in(dir.path()),
        ["big.csv", "fixed-part2.csv", "fixed.csv", "header.csv"]
    );
}

/// Over 500,000 rows (short ones, so the file stays small): two parts by rows, named in the human
/// report by their source lines.
#[test]
fn a_file_over_the_row_limit_splits_into_parts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.csv");
    let rows = 500_003u64;
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(file, "cognito:username,email,email_verified").unwrap();
        for i in 0..rows {
            writeln!(file, "u{i},u{i}@example.com,true").unwrap();
        }
        file.flush().unwrap();
    }
    let header_file = dir.path().join("header.csv");
    std::fs::write(&header_file, "cognito:username,email,email_verified\n").unwrap();
    let out = dir.path().join("fixed");
    let run = check([
        path.as_os_str(),
        "--header-file".as_ref(),
        header_file.as_os_str(),
        "--fix".as_ref(),
        out.as_os_str(),
    ]);
    run.exits(0);
    for said in [
        "rows:       500003\n",
        "parts:      2 (over 500000 rows or 100000000 bytes as one file",
        "  part 1: lines 2-500001, 500000 rows, ",
        "  part 2: lines 500002-500004, 3 rows, ",
        "OK: the file would import as 2 parts",
    ] {
        assert!(run.stdout.contains(said), "{said:?} not in {}", run.show());
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("fixed-part2")).unwrap(),
        "cognito:username,email,email_verified\nu500000,u500000@example.com,true\n\
         u500001,u500001@example.com,true\nu500002,u500002@example.com,true\n"
    );
    // The same file over the limit, with another problem: the split does not hide it.
    let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    writeln!(file, "bad,bad@example.com,maybe").unwrap();
    drop(file);
    let run = check([path.as_os_str(), "--header-file".as_ref(), header_file.as_os_str()]);
    run.exits(1);
    run.says("problems:   1\n  line 500005, column email_verified: must be true or false");
}
