//! The manual user-import walkthrough (`tests/walkthrough.sh`), run unchanged with the real AWS CLI
//! and curl against the emulator binary; and the same for a versioned drop bucket
//! (`tests/versioning.sh`, AWS CLI `s3api`).
//!
//! The AWS CLI and curl are required, not optional: without them this test fails and says to run
//! `bash scripts/test.sh`, which installs them.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long the emulator may take to print its `listening on` line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// A walkthrough makes about 25 AWS CLI calls of roughly a second each; this bounds a hang.
const WALKTHROUGH_TIMEOUT: Duration = Duration::from_secs(300);

/// Kills the emulator when the test ends, whether it passed or panicked.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Fails the test unless `tool --version` runs: the walkthrough is meaningless without the tool.
fn require_tool(tool: &str) {
    let runs = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        runs,
        "`{tool}` is not on PATH (or `{tool} --version` fails). This test runs the walkthrough with the real \
         AWS CLI and curl: run `bash scripts/test.sh`, which installs them (the AWS CLI into .venv) and runs \
         all the tests with them on PATH."
    );
}

/// The last `max_lines` lines of a file, for failure messages.
fn tail(path: &Path, max_lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|err| format!("<cannot read {}: {err}>", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(max_lines)..].join("\n")
}

/// Starts the emulator on a free port and returns it with its endpoint URL.
fn start_emulator(data_dir: &Path, log_path: &Path) -> (KillOnDrop, String) {
    // The emulator logs to stderr: a file, so that a full pipe can never block it.
    let log = File::create(log_path).expect("create the emulator log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cognito-import-emulator"))
        .arg("--bind")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("spawn the cognito-import-emulator binary");
    let stdout = child.stdout.take().expect("the emulator's stdout is piped");
    let mut emulator = KillOnDrop(child);

    // Read the first line on a thread so that waiting for it can time out; then keep draining
    // stdout so that the emulator never blocks on writing to it.
    let (first_line_tx, first_line_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = first_line_tx.send(lines.next());
        for _ in lines {}
    });
    let line = match first_line_rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(Some(Ok(line))) => line,
        Ok(Some(Err(err))) => panic!("reading the emulator's stdout failed: {err}"),
        Ok(None) => {
            let status = emulator.0.wait().map(|s| s.to_string()).unwrap_or_default();
            panic!(
                "the emulator closed its stdout without printing `listening on http://…` ({status}); \
                 its log:\n{}",
                tail(log_path, 100)
            )
        }
        Err(_) => panic!(
            "the emulator printed no `listening on http://…` line within {STARTUP_TIMEOUT:?}; its log:\n{}",
            tail(log_path, 100)
        ),
    };
    let endpoint = line
        .trim()
        .strip_prefix("listening on ")
        .filter(|url| url.starts_with("http://"))
        .unwrap_or_else(|| panic!("the emulator's first stdout line is {line:?}, expected `listening on http://…`"))
        .to_owned();
    (emulator, endpoint)
}

/// Runs a walkthrough script (in tests/) with its output in files; kills its whole process group
/// (bash and any aws or curl under it) when it outlives `WALKTHROUGH_TIMEOUT`. `None` means it
/// timed out.
fn run_walkthrough(script: &str, endpoint: &str, work: &Path, stdout: &Path, stderr: &Path) -> Option<ExitStatus> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(script);
    let mut child = Command::new("bash")
        .arg(&path)
        .env("ENDPOINT", endpoint)
        .env("WORK", work)
        .stdin(Stdio::null())
        .stdout(File::create(stdout).expect("create the walkthrough stdout file"))
        .stderr(File::create(stderr).expect("create the walkthrough stderr file"))
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn bash tests/{script}: {e}"));
    let deadline = Instant::now() + WALKTHROUGH_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the walkthrough") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn seed_walkthrough_runs_unchanged_against_the_binary() {
    require_tool("aws");
    require_tool("curl");
    walkthrough("walkthrough.sh");
}

#[test]
fn versioned_bucket_walkthrough_runs_against_the_binary() {
    require_tool("aws");
    walkthrough("versioning.sh");
}

/// Runs tests/`script` against a fresh emulator binary; panics with both outputs and the
/// emulator's log when it fails.
fn walkthrough(script: &str) {
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    let dir = |name: &str| -> PathBuf {
        let path = tmp.path().join(name);
        fs::create_dir(&path).expect("create a directory in the temporary directory");
        path
    };
    let (data_dir, work) = (dir("data"), dir("work"));
    let emulator_log = tmp.path().join("emulator.log");
    let (script_stdout, script_stderr) = (tmp.path().join("walkthrough.out"), tmp.path().join("walkthrough.err"));

    let (emulator, endpoint) = start_emulator(&data_dir, &emulator_log);
    let status = run_walkthrough(script, &endpoint, &work, &script_stdout, &script_stderr);
    drop(emulator);

    let out = fs::read_to_string(&script_stdout).unwrap_or_default();
    let err = fs::read_to_string(&script_stderr).unwrap_or_default();
    let verdict = match status {
        Some(status) if status.success() => {
            println!("{out}");
            return;
        }
        Some(status) => format!("tests/{script} failed ({status})"),
        None => format!("tests/{script} did not finish within {WALKTHROUGH_TIMEOUT:?} and was killed"),
    };
    panic!(
        "{verdict}\n--- walkthrough stdout ---\n{out}\n--- walkthrough stderr ---\n{err}\n--- emulator log (last 200 \
         lines) ---\n{}",
        tail(&emulator_log, 200)
    );
}
