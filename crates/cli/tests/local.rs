//! The `cognito-import` command, run as an operator runs it: `local` on the example and on files
//! made here, through the embedded stand-in.

use serde_json::Value;

#[test]
fn the_local_command_runs_the_whole_flow_and_prints_json() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cognito-import"))
        .args([
            "local",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/users.csv"),
            "--json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["status"], "Succeeded");
    assert_eq!(summary["importedUsers"], 5);
    assert_eq!(summary["skippedUsers"], 0);
    assert_eq!(summary["failedUsers"], 0);
    assert!(summary["jobId"].as_str().unwrap().starts_with("import-"));
}

/// `cognito-import local FILE`: its output and its stdout as text.
fn run_local(path: &std::path::Path) -> (std::process::Output, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cognito-import"))
        .arg("local")
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

#[test]
fn the_local_command_fails_on_a_rejected_file_and_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    let header = cognito_import_testkit::synth::standard_header().join(",");
    // email_verified true without an email: Cognito would fail this row.
    let row = ",,,,,,,,,,true,,,,,,false,,,false,jdoe";
    std::fs::write(&path, format!("{header}\n{row}\n")).unwrap();
    let (out, stdout) = run_local(&path);
    assert_eq!(out.status.code(), Some(1), "stdout: {stdout}");
    assert!(
        stdout.contains("rejected: 1 problem(s); no import job was created"),
        "{stdout}"
    );
    assert!(stdout.contains("line 2, column email"), "{stdout}");
    assert!(!stdout.contains("jdoe"), "user data leaked: {stdout}");
}

#[test]
fn the_local_command_shows_the_report_and_the_lines_that_did_not_import() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twice.csv");
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/users.csv")).unwrap();
    let mut lines = example.lines();
    let header = lines.next().unwrap();
    let first = lines.next().unwrap();
    let second = lines.next().unwrap();
    // The same user twice: the file is valid, but Cognito skips the second row (line 4).
    std::fs::write(&path, format!("{header}\n{first}\n{second}\n{first}\n")).unwrap();
    let (out, stdout) = run_local(&path);
    assert!(out.status.success(), "stdout: {stdout}");
    assert!(stdout.contains("status:   Succeeded"), "{stdout}");
    assert!(stdout.contains("skipped:  1"), "{stdout}");
    assert!(
        stdout.contains("report:   s3://cognito-import-local/import-reports/incoming/twice.csv@"),
        "{stdout}"
    );
    assert!(stdout.contains(".lines.csv"), "{stdout}");
    let username = first.rsplit(',').next().unwrap();
    assert!(
        stdout.contains(&format!("line 4: SKIPPED {username} — The user already exists.")),
        "{stdout}"
    );
}

#[test]
fn the_local_command_takes_a_spreadsheets_file_and_says_what_it_changed() {
    use cognito_import_testkit::exports::Exporter;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team.csv");
    let header = ["cognito:username", "email", "email_verified", "name"];
    let rows = vec![
        vec![
            "zoe".into(),
            "zoe@example.com".into(),
            "TRUE".into(),
            "Ünal, Zoë \"Z\"".into(),
        ],
        vec!["bob".into(), "bob@example.com".into(), "TRUE".into(), "Bob".into()],
    ];
    std::fs::write(&path, Exporter::ExcelCsvUtf8.write(&header, &rows)).unwrap();
    let (out, stdout) = run_local(&path);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("imported: 2"), "{stdout}");
    assert!(stdout.contains("prepared: byte-order mark removed"), "{stdout}");
    assert!(stdout.contains("1 quoted field unquoted (RFC 4180)"), "{stdout}");
    assert!(
        stdout.contains("columns added, empty: given_name, family_name, "),
        "{stdout}"
    );
}
