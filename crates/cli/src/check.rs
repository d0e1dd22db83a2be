//! `cognito-import check FILE`: the function's own preparer, checker and splitter on a local file,
//! offline or against a live pool — every problem by line, column and rule (never a value), what
//! normalising would change, the parts a split would make — and with `--fix OUT` the file as it
//! would be uploaded, in Cognito's dialect.
//!
//! The file is read in chunks of [`CHUNK`] bytes: memory stays flat whatever its size. With
//! `--fix`, each part is written to a temporary file beside `OUT` as it streams past, and renamed
//! into place only when the whole file turns out to have no problem.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use cognito_import::adapters::pool::{Pool, PoolError};
use cognito_import::check::{
    self, AutoVerified, Dialect, HashAlgorithm, Limits, MAX_PART_BYTES, MAX_ROWS, Mfa, Normalised, Options, PartInfo,
    Piece, PoolRules, Preparer, Problem, Splitter, Verdict,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

/// Bytes read at a time.
pub const CHUNK: usize = 1 << 20;

/// Files at least this large get a progress bar (on a terminal, without `--json`).
const PROGRESS_FROM: u64 = 8 << 20;

/// `cognito-import check`.
#[derive(Args, Debug)]
#[command(after_help = "\
Without --pool, the pool's settings are not known: --mfa and --auto-verified stand for them (their \
defaults refuse least), no attribute is taken as required and no custom attribute as a Number. With \
--pool, the live pool decides all of these.

Exit status: 0 when the file would import (as it is, or normalised, or split into parts), 1 when it \
has problems, 2 on a usage or I/O error.")]
pub struct CheckArgs {
    /// The CSV file to check.
    pub file: PathBuf,
    /// Check against this live user pool: its GetCSVHeader columns and its settings
    /// (DescribeUserPool), with the AWS credentials and region of the environment.
    #[arg(long, value_name = "POOL_ID", conflicts_with_all = ["header_file", "mfa", "auto_verified"])]
    pub pool: Option<String>,
    /// The pool's header, offline: the JSON answer of `aws cognito-idp get-csv-header`, or a one-line
    /// CSV header. Without --pool or --header-file: the header of a pool with only the standard
    /// attributes.
    #[arg(long, value_name = "FILE")]
    pub header_file: Option<PathBuf>,
    /// Offline: the pool's MFA setting (`off`: cognito:mfa_enabled must not be true; `on`: must not
    /// be false; `optional`: any).
    #[arg(long, value_enum, default_value_t = MfaArg::Optional)]
    pub mfa: MfaArg,
    /// Offline: the attributes the pool auto-verifies: `email`, `phone_number` or
    /// `email,phone_number` (each row must mark one of them verified; with one alone, that one).
    #[arg(long, value_name = "ATTRIBUTES", default_value = "email,phone_number", value_parser = parse_auto_verified)]
    pub auto_verified: AutoVerified,
    /// How the file is read, as the function's CSV_DIALECT: `auto` (RFC 4180 as soon as a field is
    /// quoted, else Cognito's dialect), `cognito` or `rfc4180`.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    pub dialect: DialectArg,
    /// The header must name every column of the pool's header, as the function's
    /// REQUIRE_FULL_HEADER=true; by default the columns it lacks are added, empty.
    #[arg(long)]
    pub require_full_header: bool,
    /// The algorithm every `password_hash` must be in, as the function's
    /// PASSWORD_HASHING_ALGORITHM (BCRYPT, SCRYPT, ARGON2ID, PBKDF2_SHA256); by default the file's
    /// hashes name it (several: the function imports one job per algorithm).
    #[arg(long, value_name = "ALGORITHM", value_parser = parse_algorithm)]
    pub password_hashing_algorithm: Option<HashAlgorithm>,
    /// Write the file as it would be uploaded (Cognito's dialect) to OUT; when it splits, parts
    /// 2, 3, … go to OUT with `-part2`, `-part3`, … before the extension. Nothing is written when the
    /// file has problems.
    #[arg(long, value_name = "OUT")]
    pub fix: Option<PathBuf>,
    /// Print one JSON object: ok, rows, problems, normalised, parts, ….
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MfaArg {
    Off,
    Optional,
    On,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    Auto,
    Cognito,
    Rfc4180,
}

impl From<MfaArg> for Mfa {
    fn from(mfa: MfaArg) -> Mfa {
        match mfa {
            MfaArg::Off => Mfa::Off,
            MfaArg::Optional => Mfa::Optional,
            MfaArg::On => Mfa::On,
        }
    }
}

impl From<DialectArg> for Dialect {
    fn from(dialect: DialectArg) -> Dialect {
        match dialect {
            DialectArg::Auto => Dialect::Auto,
            DialectArg::Cognito => Dialect::Cognito,
            DialectArg::Rfc4180 => Dialect::Rfc4180,
        }
    }
}

fn parse_algorithm(text: &str) -> Result<HashAlgorithm, String> {
    HashAlgorithm::from_api_name(text).ok_or_else(|| "must be BCRYPT, SCRYPT, ARGON2ID or PBKDF2_SHA256".to_owned())
}

fn parse_auto_verified(text: &str) -> Result<AutoVerified, String> {
    let names: Vec<&str> = text.split(',').map(str::trim).collect();
    if let Some(other) = names.iter().find(|n| !matches!(**n, "email" | "phone_number")) {
        return Err(format!(
            "{other:?} is not an attribute Cognito auto-verifies (email, phone_number or email,phone_number)"
        ));
    }
    AutoVerified::from_attributes(names).ok_or_else(|| "name email, phone_number or both".to_owned())
}

/// A usage or I/O error: exit status 2.
#[derive(Debug)]
pub struct CheckError(String);

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn io_error(what: &str, path: &Path) -> impl FnOnce(io::Error) -> CheckError {
    let what = format!("{what} {}", path.display());
    move |e| CheckError(format!("{what}: {e}"))
}

/// Where the rules came from, for the report.
enum Source {
    Pool(String),
    HeaderFile(PathBuf),
    Standard,
}

/// `cognito-import check`: prints the report; returns whether the file would import.
pub fn run(args: &CheckArgs) -> Result<bool, CheckError> {
    let (rules, source) = rules(args)?;
    let options = Options {
        dialect: args.dialect.into(),
        complete_header: !args.require_full_header,
        hashing: args.password_hashing_algorithm,
    };
    let mut input = File::open(&args.file).map_err(io_error("cannot open", &args.file))?;
    let size = input.metadata().map_err(io_error("cannot read", &args.file))?.len();
    let bar = progress(size, args.json);

    let mut preparer = Preparer::new(&rules, options);
    let mut splitter = Splitter::cognito();
    let mut parts_out = args.fix.as_deref().map(PartFiles::new);
    let mut write = |piece: Piece<'_>| match parts_out.as_mut() {
        Some(files) => files.take(piece),
        None => Ok(()),
    };
    let mut buf = vec![0; CHUNK];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error("cannot read", &args.file)(e)),
        };
        for piece in splitter.feed(preparer.feed(&buf[..n])) {
            write(piece)?;
        }
        bar.inc(n as u64);
    }
    let (last, prepared) = preparer.finish();
    for piece in splitter.feed(&last) {
        write(piece)?;
    }
    let (tail, parts) = splitter.finish();
    for piece in tail.pieces() {
        write(piece)?;
    }
    bar.finish_and_clear();

    // ASSUMPTION (issue 10, item 3, being wired into the function): a file over Cognito's size or
    // row limit is imported as the parts the splitter makes, one job each, so FileTooLarge and
    // TooManyRows are no problem when every part is within the limits.
    let verdict = check::verdict_when_split(prepared.verdict, &parts);
    let ok = verdict.is_clean();
    let written = match parts_out {
        Some(files) if ok => files.keep()?,
        // Not ok: the temporary files are removed as they drop.
        _ => Vec::new(),
    };
    if let Some(out) = &args.fix
        && ok
    {
        let next = part_path(out, parts.len() as u32 + 1);
        if next.exists() {
            eprintln!(
                "note: {} is not a part of this file (left from an earlier run?)",
                next.display()
            );
        }
    }
    let report = Report {
        file: &args.file,
        source: &source,
        rules: &rules,
        args,
        verdict: &verdict,
        normalised: &prepared.normalised,
        parts: &parts,
        written: &written,
    };
    let mut stdout = io::stdout().lock();
    let printed = if args.json {
        writeln!(stdout, "{}", report.json())
    } else {
        stdout.write_all(report.human().as_bytes())
    };
    printed.map_err(|e| CheckError(format!("cannot write the report: {e}")))?;
    Ok(ok)
}

fn rules(args: &CheckArgs) -> Result<(PoolRules, Source), CheckError> {
    if let Some(pool_id) = &args.pool {
        let runtime = tokio::runtime::Runtime::new().map_err(|e| CheckError(format!("no Tokio runtime: {e}")))?;
        let rules = runtime.block_on(async {
            let sdk = cognito_import::app::aws_config().await;
            let client = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
            // Only the pool's rules are read: no job is made, so no logs role is needed.
            Pool::new(client, pool_id.as_str(), "")
                .rules(args.require_full_header)
                .await
        });
        let rules = rules.map_err(|e| {
            let why = match e {
                // The function's setting it names is --pool here.
                PoolError::Setting { call, detail, .. } => format!("{call} failed: {detail}"),
                other => other.to_string(),
            };
            // The SDK's context ends with the raw response, debug-printed: not for people.
            let why = why.split(" (ServiceError(").next().unwrap_or_default();
            CheckError(format!("cannot read the rules of the pool {pool_id}: {why}"))
        })?;
        return Ok((rules, Source::Pool(pool_id.clone())));
    }
    let (header, source) = match &args.header_file {
        Some(path) => (read_header_file(path)?, Source::HeaderFile(path.clone())),
        None => (cognito_import_testkit::synth::standard_header(), Source::Standard),
    };
    let rules = PoolRules {
        header,
        required: Vec::new(),
        mfa: args.mfa.into(),
        auto_verified: args.auto_verified,
        number_attributes: Vec::new(),
        require_full_header: args.require_full_header,
    };
    Ok((rules, source))
}

/// The pool's header from `aws cognito-idp get-csv-header`'s JSON answer
/// (`{"UserPoolId": …, "CSVHeader": [...]}`) or from a one-line CSV header (RFC 4180 quotes and a
/// byte-order mark allowed).
fn read_header_file(path: &Path) -> Result<Vec<String>, CheckError> {
    let bytes = std::fs::read(path).map_err(io_error("cannot read", path))?;
    let bad = |why: &str| CheckError(format!("{}: {why}", path.display()));
    let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let header: Vec<String> = if text.trim_start().starts_with('{') {
        let answer: Value = serde_json::from_str(text).map_err(|e| bad(&format!("not JSON: {e}")))?;
        answer["CSVHeader"]
            .as_array()
            .ok_or_else(|| bad("no \"CSVHeader\" list (the answer of aws cognito-idp get-csv-header)"))?
            .iter()
            .map(|name| name.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("a \"CSVHeader\" name is not a string"))?
    } else {
        let line = text.lines().next().unwrap_or_default();
        line.split(',')
            .map(|name| {
                let name = name.trim();
                match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
                    Some(quoted) => quoted.replace("\"\"", "\""),
                    None => name.to_owned(),
                }
            })
            .collect()
    };
    if header.iter().all(|name| name.trim().is_empty()) {
        return Err(bad("no header columns"));
    }
    Ok(header)
}

fn progress(size: u64, json: bool) -> ProgressBar {
    if json || size < PROGRESS_FROM || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    if let Ok(style) =
        ProgressStyle::with_template("checking [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Where part `number` of `--fix OUT` goes: `OUT` itself for part 1, else `OUT` with `-part<number>`
/// before its extension (`users.csv` → `users-part2.csv`, `users` → `users-part2`).
pub fn part_path(out: &Path, number: u32) -> PathBuf {
    if number <= 1 {
        return out.to_path_buf();
    }
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let name = match out.extension() {
        Some(ext) => format!("{stem}-part{number}.{}", ext.to_string_lossy()),
        None => format!("{stem}-part{number}"),
    };
    out.with_file_name(name)
}

/// The parts of `--fix OUT`, each streamed to a temporary file beside `OUT` until [`PartFiles::keep`].
struct PartFiles {
    out: PathBuf,
    dir: PathBuf,
    current: Option<io::BufWriter<tempfile::NamedTempFile>>,
    done: Vec<tempfile::NamedTempFile>,
}

impl PartFiles {
    fn new(out: &Path) -> PartFiles {
        let dir = match out.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        PartFiles {
            out: out.to_path_buf(),
            dir,
            current: None,
            done: Vec::new(),
        }
    }

    fn take(&mut self, piece: Piece<'_>) -> Result<(), CheckError> {
        let written = match piece {
            Piece::Part(_) => self.close().and_then(|()| {
                let mut builder = tempfile::Builder::new();
                builder.prefix(".cognito-import-check-");
                // An output file as any other (the umask applies), not a private temporary one.
                #[cfg(unix)]
                builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
                let file = builder.tempfile_in(&self.dir)?;
                self.current = Some(io::BufWriter::with_capacity(CHUNK, file));
                Ok(())
            }),
            Piece::Bytes(bytes) => match self.current.as_mut() {
                Some(writer) => writer.write_all(bytes),
                None => Err(io::Error::other("bytes before the first part")),
            },
        };
        written.map_err(|e| CheckError(format!("cannot write beside {}: {e}", self.out.display())))
    }

    fn close(&mut self) -> io::Result<()> {
        if let Some(writer) = self.current.take() {
            let file = writer.into_inner().map_err(|e| e.into_error())?;
            self.done.push(file);
        }
        Ok(())
    }

    /// Renames the parts into place; returns their paths.
    fn keep(mut self) -> Result<Vec<PathBuf>, CheckError> {
        let failed = |path: &Path, e: io::Error| CheckError(format!("cannot write {}: {e}", path.display()));
        self.close().map_err(|e| failed(&self.out, e))?;
        let mut written = Vec::new();
        for (i, file) in std::mem::take(&mut self.done).into_iter().enumerate() {
            let path = part_path(&self.out, i as u32 + 1);
            file.as_file().sync_all().map_err(|e| failed(&path, e))?;
            file.persist(&path).map_err(|e| failed(&path, e.error))?;
            written.push(path);
        }
        Ok(written)
    }
}

/// What `check` found, printed for people or as JSON.
struct Report<'a> {
    file: &'a Path,
    source: &'a Source,
    rules: &'a PoolRules,
    args: &'a CheckArgs,
    verdict: &'a Verdict,
    normalised: &'a Normalised,
    parts: &'a [PartInfo],
    written: &'a [PathBuf],
}

fn mfa_name(mfa: Mfa) -> &'static str {
    match mfa {
        Mfa::Off => "off",
        Mfa::Optional => "optional",
        Mfa::On => "on",
    }
}

fn auto_verified_names(auto: AutoVerified) -> Vec<&'static str> {
    let mut names = Vec::new();
    if auto.email() {
        names.push("email");
    }
    if auto.phone_number() {
        names.push("phone_number");
    }
    names
}

/// A problem as JSON: `line`, `column`, `rule` (and the rule's limits or counts), and `message`.
pub fn problem_json(problem: &Problem) -> Value {
    let mut value = serde_json::to_value(problem).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("message".into(), problem.rule.to_string().into());
    }
    value
}

impl Report<'_> {
    fn json(&self) -> Value {
        let mut normalised = serde_json::to_value(self.normalised).unwrap_or_default();
        if let Some(object) = normalised.as_object_mut() {
            object.insert("changed".into(), self.normalised.changed().into());
            object.insert("changes".into(), self.normalised.describe().into());
        }
        let mut rules = json!({
            "columns": self.rules.header,
            "mfa": mfa_name(self.rules.mfa),
            "autoVerified": auto_verified_names(self.rules.auto_verified),
            "required": self.rules.required,
            "numberAttributes": self.rules.number_attributes,
            "requireFullHeader": self.args.require_full_header,
            "dialect": self.args.dialect.to_possible_value().map(|v| v.get_name().to_owned()),
        });
        let (kind, from) = match self.source {
            Source::Pool(id) => ("pool", Value::from(id.as_str())),
            Source::HeaderFile(path) => ("headerFile", path.display().to_string().into()),
            Source::Standard => ("standard", Value::Null),
        };
        rules["source"] = kind.into();
        if !from.is_null() {
            rules[kind] = from;
        }
        json!({
            "file": self.file.display().to_string(),
            "ok": self.verdict.is_clean(),
            "rows": self.verdict.rows,
            "bytes": self.normalised.bytes_in,
            "preparedBytes": self.normalised.bytes_out,
            "problemCount": self.verdict.problem_count,
            "problems": self.verdict.problems.iter().map(problem_json).collect::<Vec<_>>(),
            "normalised": normalised,
            "parts": self.parts,
            "passwordHashes": self.verdict.hashes.column.then(|| json!({
                "algorithm": self.verdict.hashes.job_algorithm(self.args.password_hashing_algorithm),
                "withHash": self.verdict.hashes.with_hash(),
                "withoutHash": self.verdict.hashes.without,
            })),
            "written": self.written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "rules": rules,
        })
    }

    fn human(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let against = match self.source {
            Source::Pool(id) => format!("the user pool {id}"),
            Source::HeaderFile(path) => format!("the header in {}", path.display()),
            Source::Standard => "the standard attributes' header".to_owned(),
        };
        let settings = format!(
            "MFA {}, auto-verified {}",
            mfa_name(self.rules.mfa),
            auto_verified_names(self.rules.auto_verified).join(" and ")
        );
        let _ = writeln!(out, "file:       {}", self.file.display());
        let _ = match self.source {
            Source::Pool(_) => writeln!(out, "checked:    against {against} ({settings})"),
            _ => writeln!(
                out,
                "checked:    against {against} (offline: {settings}; with --pool the live pool decides)"
            ),
        };
        let n = self.normalised;
        let read_as = match n.decoded.read_as {
            check::ReadAs::Cognito => "Cognito's dialect",
            check::ReadAs::Rfc4180 => "RFC 4180 (as spreadsheets write it)",
        };
        let _ = writeln!(out, "read as:    {read_as}");
        let _ = writeln!(out, "rows:       {}", self.verdict.rows);
        let hashes = &self.verdict.hashes;
        if hashes.column {
            let jobs = match hashes.job_algorithm(self.args.password_hashing_algorithm) {
                Some(algorithm) => format!("a {algorithm} job"),
                None if hashes.algorithms().len() > 1 => {
                    let names: Vec<&str> = hashes.algorithms().iter().map(|a| a.api_name()).collect();
                    format!("one job per algorithm: {}", names.join(", "))
                }
                None => "no hash: an ordinary job".to_owned(),
            };
            let _ = writeln!(
                out,
                "passwords:  {} users with a hash keep their password, {} without one must reset it ({jobs})",
                hashes.with_hash(),
                hashes.without
            );
        }
        if n.changed() {
            let _ = writeln!(out, "bytes:      {} ({} once normalised)", n.bytes_in, n.bytes_out);
            let _ = writeln!(out, "normalising would change:");
            for change in n.describe() {
                let _ = writeln!(out, "  {change}");
            }
        } else {
            let _ = writeln!(out, "bytes:      {}", n.bytes_in);
            let _ = writeln!(out, "normalising would change nothing");
        }
        if self.parts.len() > 1 {
            let _ = writeln!(
                out,
                "parts:      {} (over {} rows or {} bytes as one file: a split makes one import job a part)",
                self.parts.len(),
                MAX_ROWS,
                MAX_PART_BYTES
            );
        } else {
            let _ = writeln!(out, "parts:      1");
        }
        for part in self.parts {
            let over = if part.within(&Limits::COGNITO) {
                ""
            } else {
                " — over a limit"
            };
            let _ = writeln!(
                out,
                "  part {}: lines {}-{}, {} rows, {} bytes{over}",
                part.number, part.first_line, part.last_line, part.rows, part.bytes
            );
        }
        let v = self.verdict;
        if v.is_clean() {
            let _ = writeln!(out, "problems:   none");
        } else {
            let _ = writeln!(out, "problems:   {}", v.problem_count);
            for problem in &v.problems {
                let _ = writeln!(out, "  {problem}");
            }
            let unlisted = v.problem_count.saturating_sub(v.problems.len() as u64);
            if unlisted > 0 {
                let _ = writeln!(out, "  … and {unlisted} more");
            }
        }
        for path in self.written {
            let _ = writeln!(out, "wrote:      {}", path.display());
        }
        let verdict = if !v.is_clean() {
            let nothing = if self.args.fix.is_some() {
                "; nothing written"
            } else {
                ""
            };
            let problems = match v.problem_count {
                1 => "1 problem".to_owned(),
                n => format!("{n} problems"),
            };
            format!("NOT OK: the file would not import ({problems}){nothing}")
        } else {
            let how = match (n.changed(), self.parts.len()) {
                (false, 1) => "as it is".to_owned(),
                (true, 1) => "normalised".to_owned(),
                (false, parts) => format!("as {parts} parts"),
                (true, parts) => format!("normalised, as {parts} parts"),
            };
            format!("OK: the file would import {how}")
        };
        let _ = writeln!(out, "{verdict}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_named_before_the_extension() {
        let out = Path::new("dir/users.fixed.csv");
        assert_eq!(part_path(out, 1), out);
        assert_eq!(part_path(out, 2), Path::new("dir/users.fixed-part2.csv"));
        assert_eq!(part_path(Path::new("users"), 3), Path::new("users-part3"));
    }

    #[test]
    fn auto_verified_is_one_or_both() {
        assert_eq!(parse_auto_verified("email"), Ok(AutoVerified::Email));
        assert_eq!(parse_auto_verified("phone_number"), Ok(AutoVerified::PhoneNumber));
        assert_eq!(
            parse_auto_verified("phone_number, email"),
            Ok(AutoVerified::EmailAndPhoneNumber)
        );
        assert!(parse_auto_verified("email,sms").is_err());
        assert!(parse_auto_verified("").is_err());
    }
}
