//! The header and row rules of a Cognito user import file.
//!
//! [`ImportFile::open`] applies the file-level rules; a file that breaks one fails the whole job.
//! [`ImportFile::rows`] then yields one [`Row`] per user row; a row that breaks a rule is
//! [`Row::Invalid`] and the job goes on. Whether a valid user already exists is not decided here.
//! [`judge`] does both on a whole file, for the tests that hold these rules against the function's
//! checker.
//!
//! Each rule here is stated by the reference (`cognito-import-reference.md`) or by the Cognito API's
//! shapes, and says so; what neither states is taken from [`crate::assumptions`], the one place the
//! emulator's guesses live (value shapes, blank lines, the order of a row's checks, failure texts).
//!
//! Row reasons name the column and the rule, never the value: like Cognito's logs, they must be
//! safe to write where user data must not go.

use std::fmt;
use std::sync::{Arc, LazyLock};

use super::dialect::{self, Line, Lines};
use super::hashes::{self, HashAlgorithm, HashProblem, ImportedHash};
use crate::assumptions::{
    self, MAX_USERNAME_CHARS, SKIP_BLANK_LINES, file_failures, is_birthdate, is_email, is_epoch_seconds, is_integer,
    is_missing_header, is_phone_number, is_row_too_long, parse_bool, reasons,
};

/// Cognito's limit on user rows per file; the header does not count (reference, "size").
pub const MAX_ROWS: u64 = 500_000;

/// Cognito's limit on characters per row (reference, "size").
pub const MAX_ROW_CHARS: usize = 16_000;

/// Cognito's limit on the size of one attribute value, in UTF-8 bytes, once unescaped and trimmed
/// (reference, "size": the quotas page). Held for every column.
pub const MAX_VALUE_BYTES: usize = 2048;

/// The UTF-8 byte-order mark, which Cognito rejects (reference, "encoding").
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The column holding the user name.
pub const USERNAME_COLUMN: &str = "cognito:username";

/// The pattern of the Cognito API's `Username` shape: letters, marks, symbols, numbers and punctuation
/// only, so no separator (space) and no control, format, private-use or unassigned character.
pub const USERNAME_PATTERN: &str = r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$";

/// The column holding the user's MFA setting.
pub const MFA_COLUMN: &str = "cognito:mfa_enabled";

/// The column of a user's password hash (reference, "password hashes"): known on a job with a
/// PasswordHashingAlgorithm, or where GetCSVHeader lists it. Never a user attribute.
pub const PASSWORD_HASH_COLUMN: &str = "password_hash";

/// The prefix of columns that are not user attributes.
pub const COGNITO_PREFIX: &str = "cognito:";

/// The prefix of custom attribute columns.
pub const CUSTOM_PREFIX: &str = "custom:";

/// The reason Cognito logs for a row that sets none of the pool's auto-verified attributes to true:
/// the one reason text the reference documents ("verification", "reason texts").
pub const NOT_AUTO_VERIFIED: &str =
    "The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true).";

/// The attributes a pool can auto-verify, with the column that marks each verified.
pub const VERIFIABLE: [(&str, &str); 2] = [("email", "email_verified"), ("phone_number", "phone_number_verified")];

/// The pool's MFA configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mfa {
    /// MFA is off: `cognito:mfa_enabled` must not be true.
    Off,
    /// MFA is required: `cognito:mfa_enabled` must not be false.
    On,
    /// Each user chooses: `cognito:mfa_enabled` may be true or false.
    Optional,
}

/// What the pool says about an import, taken from the emulator's pool model.
#[derive(Clone, Debug)]
pub struct PoolSchema {
    /// The pool's GetCSVHeader columns, in order (standard attributes, `custom:` ones, `cognito:mfa_enabled`,
    /// `cognito:username`).
    pub csv_header: Vec<String>,
    /// CSV column names whose values are required by the pool (e.g. "email", "custom:tier").
    pub required: Vec<String>,
    /// The pool's MFA configuration.
    pub mfa: Mfa,
    /// `custom:` columns declared as Number in the pool schema (values must be integers).
    pub number_attributes: Vec<String>,
    /// The pool's AutoVerifiedAttributes (`email`, `phone_number`): each user must have at least one of
    /// them marked verified (reference, "verification"). Anything else in the list is ignored.
    pub auto_verified: Vec<String>,
    /// true (Cognito's documented rule): the header must hold every csv_header column. false: a subset is
    /// accepted, but `cognito:username` is always required.
    pub require_full_header: bool,
}

/// One user row that passed every row rule.
#[derive(Clone, Debug, PartialEq)]
pub struct NewUser {
    /// The 1-based line number of the row.
    pub line: u64,
    /// The `cognito:username` value.
    pub username: String,
    /// Non-empty attribute values, trimmed, unescaped, in header order; excludes the `cognito:` columns.
    /// Boolean attributes (email_verified, phone_number_verified) normalised to "true"/"false".
    pub attributes: Vec<(String, String)>,
    /// The `cognito:mfa_enabled` value; `None` when empty (the pool default applies).
    pub mfa_enabled: Option<bool>,
    /// The `password_hash` value, read as the job's algorithm; `None` when empty or absent (the
    /// user must reset its password). Its `Debug` hides the hash.
    pub password_hash: Option<ImportedHash>,
}

/// The outcome of one user row.
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    /// The row passed every row rule.
    Valid(NewUser),
    /// The row broke a rule. `reason` names the column and the rule, never the value.
    Invalid {
        /// The 1-based line number of the row.
        line: u64,
        /// A short English sentence, safe to log.
        reason: String,
    },
}

impl Row {
    /// The row's 1-based line number.
    pub fn line(&self) -> u64 {
        match self {
            Row::Valid(user) => user.line,
            Row::Invalid { line, .. } => *line,
        }
    }
}

/// Problems that make Cognito fail the whole job ("the file cannot be parsed").
#[derive(Clone, Debug, PartialEq)]
pub enum FileError {
    /// The file starts with the UTF-8 byte-order mark.
    ByteOrderMark,
    /// The file is not UTF-8; `line` holds the first invalid byte.
    NotUtf8 {
        /// The 1-based number of the line holding the first invalid byte.
        line: u64,
    },
    /// The file has no header line.
    Empty,
    /// The header line is longer than [`MAX_ROW_CHARS`].
    HeaderTooLong,
    /// The header lacks these required columns, in `csv_header` order.
    MissingColumns(Vec<String>),
    /// The header names a column that is not in the pool's `csv_header`.
    UnknownColumn(String),
    /// The header names this column more than once.
    DuplicateColumn(String),
    /// The job has a PasswordHashingAlgorithm and the header no `password_hash` column.
    MissingPasswordHash {
        /// The job's algorithm.
        algorithm: HashAlgorithm,
    },
    /// The file holds more than `limit` user rows.
    TooManyRows {
        /// The number of user rows (non-blank lines after the header).
        rows: u64,
        /// [`MAX_ROWS`].
        limit: u64,
    },
}

/// `template` with each `{key}` replaced by its value.
fn fill(template: &str, values: &[(&str, &dyn fmt::Display)]) -> String {
    values.iter().fold(template.to_owned(), |text, (key, value)| {
        text.replace(&format!("{{{key}}}"), &value.to_string())
    })
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            FileError::ByteOrderMark => file_failures::BYTE_ORDER_MARK.to_owned(),
            FileError::NotUtf8 { line } => fill(file_failures::NOT_UTF8, &[("line", line)]),
            FileError::Empty => file_failures::NO_HEADER.to_owned(),
            FileError::HeaderTooLong => fill(file_failures::HEADER_TOO_LONG, &[("limit", &MAX_ROW_CHARS)]),
            FileError::MissingColumns(columns) => {
                fill(file_failures::MISSING_COLUMNS, &[("columns", &columns.join(", "))])
            }
            FileError::UnknownColumn(column) => {
                fill(file_failures::UNKNOWN_COLUMN, &[("column", &format!("{column:?}"))])
            }
            FileError::DuplicateColumn(column) => {
                fill(file_failures::DUPLICATE_COLUMN, &[("column", &format!("{column:?}"))])
            }
            FileError::TooManyRows { rows, limit } => {
                fill(file_failures::TOO_MANY_ROWS, &[("rows", rows), ("limit", limit)])
            }
            FileError::MissingPasswordHash { algorithm } => {
                fill(file_failures::NO_PASSWORD_HASH_COLUMN, &[("algorithm", algorithm)])
            }
        };
        f.write_str(&text)
    }
}

impl std::error::Error for FileError {}

/// The rules applied to a whole file at once: the job's failure, or each user row's outcome in file
/// order. A pure entry point (no pool, no users, no log): what a job would log for `bytes` in a pool
/// described by `schema`, before it looks at whether a user already exists.
pub fn judge(bytes: &[u8], schema: &PoolSchema) -> Result<Vec<Row>, FileError> {
    judge_for_job(bytes, schema, None)
}

/// [`judge`] for a job created with a PasswordHashingAlgorithm (`None`: without one).
pub fn judge_for_job(bytes: &[u8], schema: &PoolSchema, hashing: Option<HashAlgorithm>) -> Result<Vec<Row>, FileError> {
    ImportFile::open_for_job(bytes, schema, hashing).map(|file| file.rows().collect())
}

/// An import file whose file-level rules hold.
#[derive(Clone, Debug)]
pub struct ImportFile<'a> {
    header: Vec<String>,
    plan: Arc<Plan>,
    /// The lines after the header.
    body: Lines<'a>,
    row_count: u64,
}

impl<'a> ImportFile<'a> {
    /// Checks the file-level rules (BOM, UTF-8 of the whole file, header, row count ≤ [`MAX_ROWS`]
    /// counting non-blank rows after the header) and returns a reader of rows.
    ///
    /// The checks run in that order and the first failure is returned. For a job without a
    /// PasswordHashingAlgorithm (see [`ImportFile::open_for_job`]).
    pub fn open(bytes: &'a [u8], schema: &PoolSchema) -> Result<Self, FileError> {
        Self::open_for_job(bytes, schema, None)
    }

    /// [`ImportFile::open`] for a job created with `hashing` as its PasswordHashingAlgorithm: the
    /// header must then hold `password_hash`, and its values are read as that algorithm's hashes.
    pub fn open_for_job(
        bytes: &'a [u8],
        schema: &PoolSchema,
        hashing: Option<HashAlgorithm>,
    ) -> Result<Self, FileError> {
        if bytes.starts_with(UTF8_BOM) {
            return Err(FileError::ByteOrderMark);
        }
        let text = std::str::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
            line: line_of_offset(bytes, e.valid_up_to()),
        })?;
        let mut body = dialect::lines(text);
        let first = body.next();
        if is_missing_header(first.as_ref().map(|line| line.text)) {
            return Err(FileError::Empty);
        }
        if first
            .as_ref()
            .is_some_and(|line| is_row_too_long(line.text, MAX_ROW_CHARS))
        {
            return Err(FileError::HeaderTooLong);
        }
        let header: Vec<String> = first.iter().flat_map(Line::fields).map(|f| f.into_owned()).collect();
        check_header(&header, schema, hashing)?;
        let row_count = body.clone().filter(is_row).fold(0u64, |n, _| n + 1);
        if row_count > MAX_ROWS {
            return Err(FileError::TooManyRows {
                rows: row_count,
                limit: MAX_ROWS,
            });
        }
        let plan = Arc::new(Plan::new(&header, schema, hashing));
        Ok(ImportFile {
            header,
            plan,
            body,
            row_count,
        })
    }

    /// Returns the header's column names, trimmed and unescaped, in file order.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Returns the number of user rows: non-blank lines after the header.
    pub fn row_count(&self) -> u64 {
        self.row_count
    }

    /// Returns an iterator over the user rows, in file order. Each call starts from the first row.
    pub fn rows(&self) -> Rows<'a> {
        Rows {
            lines: self.body.clone(),
            plan: Arc::clone(&self.plan),
        }
    }
}

/// An iterator over the [`Row`]s of an [`ImportFile`]. Created by [`ImportFile::rows`].
#[derive(Clone, Debug)]
pub struct Rows<'a> {
    lines: Lines<'a>,
    plan: Arc<Plan>,
}

impl Iterator for Rows<'_> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        let line = self.lines.find(is_row)?;
        Some(match self.plan.check(&line) {
            Ok(user) => Row::Valid(user),
            Err(problem) => Row::Invalid {
                line: line.number,
                reason: problem.to_string(),
            },
        })
    }
}

impl std::iter::FusedIterator for Rows<'_> {}

/// Returns whether a line after the header is a user row.
fn is_row(line: &Line<'_>) -> bool {
    !(SKIP_BLANK_LINES && line.is_blank())
}

/// Returns the 1-based line number of the byte at `offset`.
fn line_of_offset(bytes: &[u8], offset: usize) -> u64 {
    // A `\n` byte is always a line break in UTF-8, even in the valid prefix before a bad byte.
    1 + bytes[..offset]
        .iter()
        .filter(|&&b| b == dialect::LINE_TERMINATOR)
        .fold(0u64, |n, _| n + 1)
}

/// Whether the file's header name `name` is the pool's column `pool_name`.
fn same_column(name: &str, pool_name: &str) -> bool {
    if assumptions::HEADER_NAMES_CASE_SENSITIVE {
        name == pool_name
    } else {
        name.eq_ignore_ascii_case(pool_name)
    }
}

fn check_header(header: &[String], schema: &PoolSchema, hashing: Option<HashAlgorithm>) -> Result<(), FileError> {
    let hash_column = |column: &str| {
        assumptions::HASH_JOB_KNOWS_THE_COLUMN && hashing.is_some() && same_column(column, PASSWORD_HASH_COLUMN)
    };
    let known = |column: &str| hash_column(column) || schema.csv_header.iter().any(|c| same_column(column, c));
    let present = |pool_column: &str| header.iter().any(|c| same_column(c, pool_column));
    for (i, column) in header.iter().enumerate() {
        if !known(column) {
            return Err(FileError::UnknownColumn(column.clone()));
        }
        if header[..i].iter().any(|c| same_column(c, column)) {
            return Err(FileError::DuplicateColumn(column.clone()));
        }
    }
    // Reference, "password hashes": a hash job without the column fails as a whole.
    if let Some(algorithm) = hashing
        && !present(PASSWORD_HASH_COLUMN)
    {
        return Err(FileError::MissingPasswordHash { algorithm });
    }
    let mut missing: Vec<String> = if schema.require_full_header {
        schema.csv_header.iter().filter(|c| !present(c)).cloned().collect()
    } else {
        Vec::new()
    };
    // Rows cannot be read without a username, even when a pool's csv_header leaves it out.
    if !present(USERNAME_COLUMN) && !missing.iter().any(|c| c == USERNAME_COLUMN) {
        missing.push(USERNAME_COLUMN.to_owned());
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(FileError::MissingColumns(missing))
    }
}

/// Whether a `cognito:username` value matches the API's `Username` pattern ([`USERNAME_PATTERN`]).
pub fn is_username(value: &str) -> bool {
    static PATTERN: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(USERNAME_PATTERN).expect("the Username pattern compiles"));
    PATTERN.is_match(value)
}

/// How a column's values are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Username,
    MfaEnabled,
    EmailVerified,
    PhoneNumberVerified,
    Email,
    PhoneNumber,
    Birthdate,
    UpdatedAt,
    Number,
    PasswordHash,
    Other,
}

#[derive(Clone, Debug)]
struct Column {
    name: String,
    kind: Kind,
    required: bool,
}

/// The row rules for one header, worked out once per file.
#[derive(Clone, Debug)]
struct Plan {
    columns: Vec<Column>,
    username: usize,
    /// For each attribute the pool auto-verifies: the positions of its value and of its verified flag.
    auto_verified: Vec<(Option<usize>, Option<usize>)>,
    email: Option<usize>,
    phone_number: Option<usize>,
    /// Pool-required columns that a subset header leaves out.
    required_absent: Vec<String>,
    mfa: Mfa,
    /// The job's PasswordHashingAlgorithm.
    hashing: Option<HashAlgorithm>,
}

impl Plan {
    /// `header` must have passed [`check_header`], so it holds `cognito:username`.
    fn new(header: &[String], schema: &PoolSchema, hashing: Option<HashAlgorithm>) -> Plan {
        let position = |name: &str| header.iter().position(|c| c == name);
        let columns = header
            .iter()
            .map(|name| Column {
                name: name.clone(),
                kind: match name.as_str() {
                    USERNAME_COLUMN => Kind::Username,
                    MFA_COLUMN => Kind::MfaEnabled,
                    "email_verified" => Kind::EmailVerified,
                    "phone_number_verified" => Kind::PhoneNumberVerified,
                    "email" => Kind::Email,
                    "phone_number" => Kind::PhoneNumber,
                    "birthdate" => Kind::Birthdate,
                    "updated_at" => Kind::UpdatedAt,
                    PASSWORD_HASH_COLUMN => Kind::PasswordHash,
                    _ if schema.number_attributes.contains(name) => Kind::Number,
                    _ => Kind::Other,
                },
                required: schema.required.contains(name),
            })
            .collect();
        Plan {
            columns,
            username: position(USERNAME_COLUMN).expect("check_header requires cognito:username"),
            auto_verified: VERIFIABLE
                .iter()
                .filter(|(attribute, _)| schema.auto_verified.iter().any(|a| a == attribute))
                .map(|(attribute, flag)| (position(attribute), position(flag)))
                .collect(),
            email: position("email"),
            phone_number: position("phone_number"),
            required_absent: if assumptions::REQUIRED_COLUMN_ABSENT_FAILS_EACH_ROW {
                schema
                    .required
                    .iter()
                    .filter(|c| !header.contains(c))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            },
            mfa: schema.mfa,
            hashing,
        }
    }

    /// Applies the row rules to one user row; the first problem found is the reason
    /// ([`assumptions::FIRST_PROBLEM_IS_THE_REASON`]).
    fn check(&self, line: &Line<'_>) -> Result<NewUser, Problem<'_>> {
        if is_row_too_long(line.text, MAX_ROW_CHARS) {
            return Err(Problem::RowTooLong);
        }
        let values: Vec<_> = line.fields().collect();
        if values.len() != self.columns.len() {
            return Err(Problem::FieldCount {
                found: values.len(),
                expected: self.columns.len(),
            });
        }
        let username = &values[self.username];
        if username.is_empty() {
            return Err(Problem::Required(USERNAME_COLUMN));
        }
        if username.chars().any(char::is_whitespace) {
            return Err(Problem::Whitespace(USERNAME_COLUMN));
        }
        if !is_username(username) {
            return Err(Problem::UsernameCharacters(USERNAME_COLUMN));
        }
        if username.chars().count() > MAX_USERNAME_CHARS {
            return Err(Problem::TooLong(USERNAME_COLUMN, MAX_USERNAME_CHARS));
        }

        let mut attributes = Vec::new();
        let mut mfa_enabled = None;
        let mut password_hash = None;
        let mut verified = vec![false; self.columns.len()];
        for (i, (column, value)) in self.columns.iter().zip(&values).enumerate() {
            let name = column.name.as_str();
            if value.is_empty() {
                if column.required {
                    return Err(Problem::Required(name));
                }
                continue;
            }
            if value.len() > MAX_VALUE_BYTES {
                return Err(Problem::TooLarge(name));
            }
            let mut value: &str = value;
            match column.kind {
                Kind::Username | Kind::Other => {}
                Kind::MfaEnabled => {
                    let enabled = parse_bool(value).ok_or(Problem::NotBoolean(name))?;
                    match (self.mfa, enabled) {
                        (Mfa::On, false) => return Err(Problem::MfaRequired),
                        (Mfa::Off, true) => return Err(Problem::MfaOff),
                        _ => mfa_enabled = Some(enabled),
                    }
                }
                Kind::EmailVerified | Kind::PhoneNumberVerified => {
                    verified[i] = parse_bool(value).ok_or(Problem::NotBoolean(name))?;
                    value = if verified[i] { "true" } else { "false" };
                }
                Kind::Email if !is_email(value) => return Err(Problem::NotEmail(name)),
                Kind::PhoneNumber if !is_phone_number(value) => return Err(Problem::NotPhoneNumber(name)),
                Kind::Birthdate if !is_birthdate(value) => return Err(Problem::NotBirthdate(name)),
                Kind::UpdatedAt if !is_epoch_seconds(value) => return Err(Problem::NotEpochSeconds(name)),
                Kind::Number if !is_integer(value) => return Err(Problem::NotInteger(name)),
                Kind::Email | Kind::PhoneNumber | Kind::Birthdate | Kind::UpdatedAt | Kind::Number => {}
                Kind::PasswordHash => {
                    match self.hashing {
                        Some(algorithm) => {
                            let hash = hashes::parse(value, algorithm).map_err(|p| Problem::Hash(name, p))?;
                            password_hash = Some(hash);
                        }
                        None if assumptions::HASH_WITHOUT_ALGORITHM_FAILS_THE_ROW => {
                            return Err(Problem::HashWithoutAlgorithm(name));
                        }
                        None => {}
                    }
                    // A secret, not an attribute (assumptions::HASH_IS_NEVER_SHOWN).
                    continue;
                }
            }
            if !name.starts_with(COGNITO_PREFIX) {
                attributes.push((column.name.clone(), value.to_owned()));
            }
        }
        if let Some(name) = self.required_absent.first() {
            return Err(Problem::Required(name));
        }

        // At least one of the pool's auto-verified attributes marked verified (reference,
        // "verification"); so in a pool that auto-verifies only email, email_verified must be true.
        let is_verified = |flag: Option<usize>| flag.is_some_and(|i| verified[i]);
        if !self.auto_verified.iter().any(|&(_, flag)| is_verified(flag)) {
            return Err(Problem::NotAutoVerified);
        }
        // A value for each attribute marked verified (reference, "verification").
        let has_value = |index: Option<usize>| index.is_some_and(|i| !values[i].is_empty());
        let flag = |name: &str| self.columns.iter().position(|c| c.name == name);
        if is_verified(flag("email_verified")) && !has_value(self.email) {
            return Err(Problem::VerifiedWithoutValue("email", "email_verified"));
        }
        if is_verified(flag("phone_number_verified")) && !has_value(self.phone_number) {
            return Err(Problem::VerifiedWithoutValue("phone_number", "phone_number_verified"));
        }

        Ok(NewUser {
            line: line.number,
            username: username.to_string(),
            attributes,
            mfa_enabled,
            password_hash,
        })
    }
}

/// Why a row is invalid. By construction it holds only column names (from the pool's header) and
/// numbers, so its message can never hold a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem<'p> {
    RowTooLong,
    FieldCount {
        found: usize,
        expected: usize,
    },
    Required(&'p str),
    Whitespace(&'p str),
    UsernameCharacters(&'p str),
    TooLong(&'p str, usize),
    TooLarge(&'p str),
    NotBoolean(&'p str),
    MfaRequired,
    MfaOff,
    NotEmail(&'p str),
    NotPhoneNumber(&'p str),
    NotBirthdate(&'p str),
    NotEpochSeconds(&'p str),
    NotInteger(&'p str),
    NotAutoVerified,
    /// (value column, verification column)
    VerifiedWithoutValue(&'p str, &'p str),
    /// A `password_hash` value the job's algorithm does not take.
    Hash(&'p str, HashProblem),
    /// A non-empty `password_hash` on a job without an algorithm.
    HashWithoutAlgorithm(&'p str),
}

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let column = |template: &str, c: &str| fill(template, &[("column", &c)]);
        let text = match *self {
            Problem::RowTooLong => fill(reasons::ROW_TOO_LONG, &[("limit", &MAX_ROW_CHARS)]),
            Problem::FieldCount { found, expected } => {
                fill(reasons::FIELD_COUNT, &[("found", &found), ("expected", &expected)])
            }
            Problem::Required(c) => column(reasons::REQUIRED, c),
            Problem::Whitespace(c) => column(reasons::WHITESPACE, c),
            Problem::UsernameCharacters(c) => column(reasons::USERNAME_CHARACTERS, c),
            Problem::TooLong(c, limit) => fill(reasons::TOO_LONG, &[("column", &c), ("limit", &limit)]),
            Problem::TooLarge(c) => fill(reasons::TOO_LARGE, &[("column", &c), ("limit", &MAX_VALUE_BYTES)]),
            Problem::NotBoolean(c) => column(reasons::NOT_BOOLEAN, c),
            Problem::MfaRequired => column(reasons::MFA_REQUIRED, MFA_COLUMN),
            Problem::MfaOff => column(reasons::MFA_OFF, MFA_COLUMN),
            Problem::NotEmail(c) => column(reasons::NOT_EMAIL, c),
            Problem::NotPhoneNumber(c) => column(reasons::NOT_PHONE_NUMBER, c),
            Problem::NotBirthdate(c) => column(reasons::NOT_BIRTHDATE, c),
            Problem::NotEpochSeconds(c) => column(reasons::NOT_EPOCH_SECONDS, c),
            Problem::NotInteger(c) => column(reasons::NOT_INTEGER, c),
            Problem::NotAutoVerified => NOT_AUTO_VERIFIED.to_owned(),
            Problem::VerifiedWithoutValue(c, flag) => {
                fill(reasons::VERIFIED_WITHOUT_VALUE, &[("column", &c), ("flag", &flag)])
            }
            Problem::Hash(c, HashProblem::Malformed(algorithm)) => {
                fill(reasons::HASH_MALFORMED, &[("column", &c), ("algorithm", &algorithm)])
            }
            Problem::Hash(c, HashProblem::OtherAlgorithm { found, expected }) => fill(
                reasons::HASH_OF_OTHER_ALGORITHM,
                &[("column", &c), ("found", &found), ("algorithm", &expected)],
            ),
            Problem::Hash(
                c,
                HashProblem::OverBound {
                    algorithm,
                    parameter,
                    limit,
                },
            ) => fill(
                reasons::HASH_OVER_BOUND,
                &[
                    ("column", &c),
                    ("algorithm", &algorithm),
                    ("parameter", &parameter),
                    ("limit", &limit),
                ],
            ),
            Problem::HashWithoutAlgorithm(c) => column(reasons::HASH_WITHOUT_ALGORITHM, c),
        };
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [&str; 11] = [
        "name",
        "email",
        "email_verified",
        "phone_number",
        "phone_number_verified",
        "birthdate",
        "updated_at",
        "custom:tier",
        "custom:age",
        "cognito:mfa_enabled",
        "cognito:username",
    ];

    const SECRET: &str = "SECRET-VALUE-123";

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn schema() -> PoolSchema {
        PoolSchema {
            csv_header: strings(&HEADER),
            required: Vec::new(),
            mfa: Mfa::Optional,
            number_attributes: strings(&["custom:age"]),
            auto_verified: strings(&["email", "phone_number"]),
            require_full_header: true,
        }
    }

    fn subset_schema() -> PoolSchema {
        PoolSchema {
            require_full_header: false,
            ..schema()
        }
    }

    /// A row in HEADER order: a valid user (jdoe, verified email) with `pairs` replacing values.
    fn line(pairs: &[(&str, &str)]) -> String {
        let base = [
            ("cognito:username", "jdoe"),
            ("email", "jdoe@example.com"),
            ("email_verified", "true"),
        ];
        let value = |column: &str| {
            let find = |list: &[(&str, &str)]| list.iter().find(|(c, _)| *c == column).map(|(_, v)| v.to_string());
            find(pairs).or_else(|| find(&base)).unwrap_or_default()
        };
        HEADER.map(value).join(",")
    }

    fn file(rows: &[String]) -> String {
        let mut text = HEADER.join(",");
        for row in rows {
            text.push('\n');
            text.push_str(row);
        }
        text.push('\n');
        text
    }

    fn rows_of(schema: &PoolSchema, text: &str) -> Vec<Row> {
        ImportFile::open(text.as_bytes(), schema).unwrap().rows().collect()
    }

    fn only_row(schema: &PoolSchema, pairs: &[(&str, &str)]) -> Row {
        let rows = rows_of(schema, &file(&[line(pairs)]));
        assert_eq!(rows.len(), 1);
        rows.into_iter().next().unwrap()
    }

    fn valid(pairs: &[(&str, &str)]) -> NewUser {
        match only_row(&schema(), pairs) {
            Row::Valid(user) => user,
            other => panic!("expected a valid row, got {other:?}"),
        }
    }

    fn reason_with(schema: &PoolSchema, pairs: &[(&str, &str)]) -> String {
        match only_row(schema, pairs) {
            Row::Invalid { line: 2, reason } => reason,
            other => panic!("expected an invalid row at line 2, got {other:?}"),
        }
    }

    fn reason(pairs: &[(&str, &str)]) -> String {
        reason_with(&schema(), pairs)
    }

    fn open_err(schema: &PoolSchema, bytes: &[u8]) -> FileError {
        ImportFile::open(bytes, schema).unwrap_err()
    }

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(c, v)| (c.to_string(), v.to_string())).collect()
    }

    // File-level rules.

    #[test]
    fn byte_order_mark_fails_the_job() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice(file(&[line(&[])]).as_bytes());
        assert_eq!(open_err(&schema(), &bytes), FileError::ByteOrderMark);
    }

    #[test]
    fn byte_order_mark_inside_a_value_is_not_a_file_error() {
        let text = file(&[line(&[("name", "\u{feff}Jane")])]);
        assert!(ImportFile::open(text.as_bytes(), &schema()).is_ok());
    }

    #[test]
    fn invalid_utf8_names_the_line_of_the_bad_bytes() {
        let mut bytes = file(&[line(&[]), line(&[])]).into_bytes();
        bytes.extend_from_slice(b"\xff\n");
        assert_eq!(open_err(&schema(), &bytes), FileError::NotUtf8 { line: 4 });
    }

    #[test]
    fn invalid_utf8_in_the_header_is_line_1() {
        assert_eq!(open_err(&schema(), b"na\xC3me,email\n"), FileError::NotUtf8 { line: 1 });
    }

    #[test]
    fn truncated_utf8_at_end_of_crlf_file_is_found() {
        let mut bytes = file(&[line(&[])]).replace('\n', "\r\n").into_bytes();
        bytes.extend_from_slice(b"\r\nx\xE6\x97");
        assert_eq!(open_err(&schema(), &bytes), FileError::NotUtf8 { line: 4 });
    }

    #[test]
    fn file_without_header_is_empty() {
        assert_eq!(open_err(&schema(), b""), FileError::Empty);
        assert_eq!(open_err(&schema(), b"\n"), FileError::Empty);
        assert_eq!(open_err(&schema(), b"\r\n"), FileError::Empty);
        assert_eq!(open_err(&schema(), b" \t\r\n"), FileError::Empty);
    }

    #[test]
    fn header_must_be_line_1() {
        let text = format!("\n{}", file(&[line(&[])]));
        assert_eq!(open_err(&schema(), text.as_bytes()), FileError::Empty);
    }

    #[test]
    fn header_only_file_has_no_rows() {
        let text = HEADER.join(",");
        let import = ImportFile::open(text.as_bytes(), &schema()).unwrap();
        assert_eq!((import.row_count(), import.rows().count()), (0, 0));
    }

    #[test]
    fn full_header_needs_every_column_and_lists_missing_in_pool_order() {
        let text = "cognito:username,email_verified,phone_number,email,cognito:mfa_enabled,custom:tier,updated_at\n";
        assert_eq!(
            open_err(&schema(), text.as_bytes()),
            FileError::MissingColumns(strings(&["name", "phone_number_verified", "birthdate", "custom:age"]))
        );
    }

    #[test]
    fn full_header_without_username_lists_it() {
        let header: Vec<&str> = HEADER.iter().copied().filter(|c| *c != USERNAME_COLUMN).collect();
        let text = header.join(",");
        assert_eq!(
            open_err(&schema(), text.as_bytes()),
            FileError::MissingColumns(strings(&[USERNAME_COLUMN]))
        );
    }

    #[test]
    fn username_is_required_even_when_the_pool_header_lacks_it() {
        let mut pool = schema();
        pool.csv_header.retain(|c| c != USERNAME_COLUMN);
        let text = pool.csv_header.join(",");
        assert_eq!(
            open_err(&pool, text.as_bytes()),
            FileError::MissingColumns(strings(&[USERNAME_COLUMN]))
        );
    }

    #[test]
    fn full_header_in_any_order_is_accepted_and_attributes_follow_file_order() {
        let mut header = HEADER;
        header.reverse();
        let text = format!("{}\njdoe,,7,gold,,,,,,jdoe@example.com,Jane\n", header.join(","));
        let import = ImportFile::open(text.as_bytes(), &schema()).unwrap();
        assert_eq!(import.header(), strings(&header).as_slice());
        let rows: Vec<Row> = import.rows().collect();
        assert_eq!(rows.len(), 1);
        // email_verified is empty here, so the row fails verification; check attributes on a fixed row.
        assert_eq!(
            rows[0],
            Row::Invalid {
                line: 2,
                reason: NOT_AUTO_VERIFIED.into()
            }
        );
        let text = format!("{}\njdoe,,7,gold,,,,,TRUE,jdoe@example.com,Jane\n", header.join(","));
        let rows = rows_of(&schema(), &text);
        assert_eq!(
            rows,
            vec![Row::Valid(NewUser {
                line: 2,
                username: "jdoe".into(),
                attributes: attrs(&[
                    ("custom:age", "7"),
                    ("custom:tier", "gold"),
                    ("email_verified", "true"),
                    ("email", "jdoe@example.com"),
                    ("name", "Jane"),
                ]),
                mfa_enabled: None,
                password_hash: None,
            })]
        );
    }

    #[test]
    fn subset_header_is_accepted_when_not_requiring_the_full_header() {
        let text = "email,email_verified,cognito:username\njdoe@example.com,true,jdoe\n";
        assert_eq!(
            rows_of(&subset_schema(), text),
            vec![Row::Valid(NewUser {
                line: 2,
                username: "jdoe".into(),
                attributes: attrs(&[("email", "jdoe@example.com"), ("email_verified", "true")]),
                mfa_enabled: None,
                password_hash: None,
            })]
        );
    }

    #[test]
    fn subset_header_is_rejected_when_requiring_the_full_header() {
        let text = "email,email_verified,cognito:username\n";
        assert!(matches!(
            open_err(&schema(), text.as_bytes()),
            FileError::MissingColumns(missing) if missing.len() == 8
        ));
    }

    #[test]
    fn subset_header_still_needs_username() {
        let text = "email,email_verified\n";
        assert_eq!(
            open_err(&subset_schema(), text.as_bytes()),
            FileError::MissingColumns(strings(&[USERNAME_COLUMN]))
        );
    }

    #[test]
    fn unknown_column_fails_the_job_in_both_modes() {
        for pool in [schema(), subset_schema()] {
            let text = format!("{},nickname\n", HEADER.join(","));
            assert_eq!(
                open_err(&pool, text.as_bytes()),
                FileError::UnknownColumn("nickname".into())
            );
        }
    }

    #[test]
    fn column_names_are_case_sensitive() {
        let text = HEADER.join(",").replace("email_verified", "Email_Verified");
        assert_eq!(
            open_err(&schema(), text.as_bytes()),
            FileError::UnknownColumn("Email_Verified".into())
        );
    }

    #[test]
    fn empty_column_name_is_unknown() {
        let text = format!("{},\n", HEADER.join(","));
        assert_eq!(
            open_err(&schema(), text.as_bytes()),
            FileError::UnknownColumn(String::new())
        );
    }

    #[test]
    fn duplicate_column_fails_the_job_in_both_modes() {
        for pool in [schema(), subset_schema()] {
            let text = format!("{},email\n", HEADER.join(","));
            assert_eq!(
                open_err(&pool, text.as_bytes()),
                FileError::DuplicateColumn("email".into())
            );
        }
    }

    #[test]
    fn first_header_problem_in_column_order_wins() {
        let text = "cognito:username,email,email,nickname\n";
        assert_eq!(
            open_err(&schema(), text.as_bytes()),
            FileError::DuplicateColumn("email".into())
        );
        let text = "cognito:username,nickname,email,email\n";
        assert_eq!(
            open_err(&schema(), text.as_bytes()),
            FileError::UnknownColumn("nickname".into())
        );
    }

    #[test]
    fn header_names_are_trimmed_and_crlf_is_dropped() {
        let text = " email ,\temail_verified, cognito:username \r\njdoe@example.com,true,jdoe\r\n";
        let import = ImportFile::open(text.as_bytes(), &subset_schema()).unwrap();
        assert_eq!(
            import.header(),
            strings(&["email", "email_verified", "cognito:username"]).as_slice()
        );
        assert_eq!(import.rows().count(), 1);
    }

    /// A file with `rows` minimal user rows and, after every 1000th, a blank line.
    fn many_rows(rows: u64) -> String {
        let mut text = String::with_capacity(rows as usize * 3 + 64);
        text.push_str("cognito:username\n");
        for i in 0..rows {
            text.push_str("u\n");
            if i % 1000 == 0 {
                text.push('\n');
            }
        }
        text
    }

    #[test]
    fn max_rows_is_accepted_and_blank_lines_do_not_count() {
        let text = many_rows(MAX_ROWS);
        let import = ImportFile::open(text.as_bytes(), &subset_schema()).unwrap();
        assert_eq!(import.row_count(), MAX_ROWS);
    }

    #[test]
    fn more_than_max_rows_fails_the_job() {
        let text = many_rows(MAX_ROWS + 1);
        assert_eq!(
            open_err(&subset_schema(), text.as_bytes()),
            FileError::TooManyRows {
                rows: MAX_ROWS + 1,
                limit: MAX_ROWS
            }
        );
    }

    #[test]
    fn file_error_messages() {
        let cases = [
            (FileError::ByteOrderMark, "the file starts with a UTF-8 byte-order mark"),
            (FileError::NotUtf8 { line: 7 }, "line 7 is not valid UTF-8"),
            (FileError::Empty, "the file has no header line"),
            (FileError::HeaderTooLong, "the header is longer than 16000 characters"),
            (
                FileError::MissingColumns(strings(&["name", "custom:age"])),
                "the header lacks columns: name, custom:age",
            ),
            (
                FileError::UnknownColumn("nick".into()),
                "the header has a column the pool does not know: \"nick\"",
            ),
            (
                FileError::DuplicateColumn("email".into()),
                "the header has the column \"email\" more than once",
            ),
            (
                FileError::TooManyRows { rows: 9, limit: 8 },
                "the file has 9 user rows, more than the limit of 8",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
        let boxed: Box<dyn std::error::Error> = Box::new(FileError::Empty);
        assert_eq!(boxed.to_string(), "the file has no header line");
    }

    // The dialect as seen through a file.

    #[test]
    fn valid_row_gives_the_user() {
        let user = valid(&[
            ("name", " Jane Doe "),
            ("phone_number", "+14325551212"),
            ("phone_number_verified", "FALSE"),
            ("birthdate", "02/29/2024"),
            ("updated_at", "1700000000"),
            ("custom:tier", "gold"),
            ("custom:age", "42"),
            ("cognito:mfa_enabled", "True"),
        ]);
        assert_eq!(
            user,
            NewUser {
                line: 2,
                username: "jdoe".into(),
                attributes: attrs(&[
                    ("name", "Jane Doe"),
                    ("email", "jdoe@example.com"),
                    ("email_verified", "true"),
                    ("phone_number", "+14325551212"),
                    ("phone_number_verified", "false"),
                    ("birthdate", "02/29/2024"),
                    ("updated_at", "1700000000"),
                    ("custom:tier", "gold"),
                    ("custom:age", "42"),
                ]),
                mfa_enabled: Some(true),
                password_hash: None,
            }
        );
    }

    #[test]
    fn escaped_comma_is_part_of_the_value() {
        let user = valid(&[("name", r"Doe\, Jane"), ("custom:tier", r"a\,b\,c")]);
        assert_eq!(
            user.attributes,
            attrs(&[
                ("name", "Doe, Jane"),
                ("email", "jdoe@example.com"),
                ("email_verified", "true"),
                ("custom:tier", "a,b,c"),
            ])
        );
    }

    #[test]
    fn other_backslashes_are_kept_in_values() {
        let user = valid(&[("name", r"C:\dir\x \ y")]);
        assert_eq!(user.attributes[0], ("name".into(), r"C:\dir\x \ y".into()));
    }

    #[test]
    fn value_ending_in_backslash_joins_the_next_field() {
        // `\` then the delimiter reads as `\,`, so the row loses a field.
        assert_eq!(
            reason(&[("name", r"C:\dir\")]),
            "The row has 10 fields but the header has 11."
        );
    }

    #[test]
    fn quotes_are_literal() {
        let user = valid(&[("name", r#""Jane""#)]);
        assert_eq!(user.attributes[0], ("name".into(), r#""Jane""#.into()));
        // A quoted comma is still a delimiter, so the row gets one field too many.
        assert_eq!(
            reason(&[("name", r#""Doe, Jane""#)]),
            "The row has 12 fields but the header has 11."
        );
    }

    #[test]
    fn crlf_file_reads_like_lf() {
        let text = file(&[line(&[("cognito:username", "a")]), line(&[("cognito:username", "b")])]);
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(rows_of(&schema(), &crlf), rows_of(&schema(), &text));
        let names: Vec<(u64, String)> = rows_of(&schema(), &crlf)
            .into_iter()
            .map(|r| match r {
                Row::Valid(u) => (u.line, u.username),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, vec![(2, "a".into()), (3, "b".into())]);
    }

    #[test]
    fn final_line_break_is_optional() {
        let text = file(&[line(&[])]);
        let trimmed = text.strip_suffix('\n').unwrap();
        assert_eq!(rows_of(&schema(), trimmed), rows_of(&schema(), &text));
        assert_eq!(rows_of(&schema(), trimmed).len(), 1);
    }

    #[test]
    fn blank_lines_are_skipped_but_keep_their_numbers() {
        let text = format!(
            "{}\n\n{}\r\n\r\n{}\n\n",
            HEADER.join(","),
            line(&[("cognito:username", "a")]),
            line(&[("cognito:username", "b"), ("phone_number", "x")])
        );
        let import = ImportFile::open(text.as_bytes(), &schema()).unwrap();
        assert_eq!(import.row_count(), 2);
        let rows: Vec<Row> = import.rows().collect();
        assert_eq!(rows.len(), 2);
        assert!(matches!(&rows[0], Row::Valid(u) if u.line == 3 && u.username == "a"));
        assert_eq!(
            rows[1],
            Row::Invalid {
                line: 5,
                reason: "phone_number must be + and 1 to 15 digits, the first not 0 (E.164).".into()
            }
        );
    }

    #[test]
    fn whitespace_only_line_is_a_row() {
        for blank in ["   ", "\t", " \t \r"] {
            let text = format!("{}\n{blank}\n", HEADER.join(","));
            assert_eq!(
                rows_of(&schema(), &text),
                vec![Row::Invalid {
                    line: 2,
                    reason: "The row has 1 fields but the header has 11.".into()
                }],
                "{blank:?}"
            );
        }
    }

    #[test]
    fn only_ascii_whitespace_is_trimmed() {
        let user = valid(&[("name", "\u{a0}Zoë\u{3000}"), ("cognito:username", "\tzoe\x0c")]);
        assert_eq!(user.attributes[0], ("name".into(), "\u{a0}Zoë\u{3000}".into()));
        assert_eq!(user.username, "zoe");
        assert_eq!(
            reason(&[("cognito:username", "\u{a0}zoe")]),
            "cognito:username must not contain whitespace."
        );
    }

    #[test]
    fn header_longer_than_a_row_fails_the_job() {
        let text = format!("{}{}\n{}\n", HEADER.join(","), " ".repeat(MAX_ROW_CHARS), line(&[]));
        assert_eq!(open_err(&schema(), text.as_bytes()), FileError::HeaderTooLong);
        let text = format!("{}{}\n{}\n", HEADER.join(","), " ".repeat(100), line(&[]));
        assert_eq!(rows_of(&schema(), &text).len(), 1);
    }

    #[test]
    fn rows_restart_on_each_call() {
        let text = file(&[line(&[]), line(&[("cognito:username", "x")])]);
        let import = ImportFile::open(text.as_bytes(), &schema()).unwrap();
        let first: Vec<Row> = import.rows().collect();
        let second: Vec<Row> = import.rows().collect();
        assert_eq!(first.len(), 2);
        assert_eq!(first, second);
    }

    #[test]
    fn bad_rows_do_not_stop_the_rest() {
        let text = file(&[
            line(&[("cognito:username", "")]),
            line(&[("cognito:username", "ok")]),
            "too,few".to_string(),
        ]);
        let rows = rows_of(&schema(), &text);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            Row::Invalid {
                line: 2,
                reason: "cognito:username is required but has no value.".into()
            }
        );
        assert!(matches!(&rows[1], Row::Valid(u) if u.line == 3 && u.username == "ok"));
        assert_eq!(
            rows[2],
            Row::Invalid {
                line: 4,
                reason: "The row has 2 fields but the header has 11.".into()
            }
        );
    }

    // Row rules.

    #[test]
    fn wrong_field_count_is_invalid() {
        let text = file(&[format!("{},extra", line(&[])), line(&[]).replacen(',', "", 1)]);
        let reasons: Vec<Row> = rows_of(&schema(), &text);
        assert_eq!(
            reasons,
            vec![
                Row::Invalid {
                    line: 2,
                    reason: "The row has 12 fields but the header has 11.".into()
                },
                Row::Invalid {
                    line: 3,
                    reason: "The row has 10 fields but the header has 11.".into()
                },
            ]
        );
    }

    /// A valid row whose line is exactly `chars` characters long, padded in `name` with up to 1,000
    /// `pad` characters after as many spaces as it takes (trimmed: the value stays within its bytes).
    fn row_of_length(chars: usize, pad: char) -> String {
        let short = line(&[]);
        let room = chars - short.chars().count();
        let pads = room.min(1000);
        let name: String = std::iter::repeat_n(' ', room - pads)
            .chain(std::iter::repeat_n(pad, pads))
            .collect();
        let row = line(&[("name", &name)]);
        assert_eq!(row.chars().count(), chars);
        row
    }

    #[test]
    fn row_at_max_chars_is_valid_counting_characters_not_bytes() {
        let text = file(&[row_of_length(MAX_ROW_CHARS, 'é')]);
        assert!(matches!(rows_of(&schema(), &text).as_slice(), [Row::Valid(u)] if u.line == 2));
    }

    #[test]
    fn row_over_max_chars_is_invalid_and_the_job_goes_on() {
        let text = file(&[row_of_length(MAX_ROW_CHARS + 1, 'x'), line(&[])]);
        let rows = rows_of(&schema(), &text);
        assert_eq!(
            rows[0],
            Row::Invalid {
                line: 2,
                reason: "The row is longer than 16000 characters.".into()
            }
        );
        assert!(matches!(&rows[1], Row::Valid(u) if u.line == 3));
    }

    #[test]
    fn username_is_required() {
        assert_eq!(
            reason(&[("cognito:username", "")]),
            "cognito:username is required but has no value."
        );
        assert_eq!(
            reason(&[("cognito:username", "   ")]),
            "cognito:username is required but has no value."
        );
    }

    #[test]
    fn username_is_trimmed() {
        assert_eq!(valid(&[("cognito:username", " \tjdoe ")]).username, "jdoe");
    }

    #[test]
    fn username_must_not_contain_whitespace() {
        for name in ["j doe", "j\tdoe", "j\u{3000}doe", "j\u{a0}doe", "j\u{2028}doe"] {
            assert_eq!(
                reason(&[("cognito:username", name)]),
                "cognito:username must not contain whitespace.",
                "{name:?}"
            );
        }
    }

    #[test]
    fn username_allows_any_other_unicode() {
        for name in ["ユーザー名", "zoë", "😀", "a\"b'c\\d", "a@b.c"] {
            assert_eq!(valid(&[("cognito:username", name)]).username, name);
        }
    }

    #[test]
    fn username_is_at_most_128_characters() {
        let longest = "ü".repeat(MAX_USERNAME_CHARS);
        assert_eq!(valid(&[("cognito:username", &longest)]).username, longest);
        let too_long = "u".repeat(MAX_USERNAME_CHARS + 1);
        assert_eq!(
            reason(&[("cognito:username", &too_long)]),
            "cognito:username is longer than 128 characters."
        );
    }

    #[test]
    fn verified_flags_accept_any_case_and_are_normalised() {
        for (raw, expected) in [("TRUE", "true"), ("true", "true"), ("tRuE", "true")] {
            let user = valid(&[("email_verified", raw)]);
            assert_eq!(user.attributes[1], ("email_verified".into(), expected.into()));
        }
        for (raw, expected) in [("FALSE", "false"), ("false", "false"), ("False", "false")] {
            let user = valid(&[("phone_number_verified", raw)]);
            assert_eq!(user.attributes[2], ("phone_number_verified".into(), expected.into()));
        }
    }

    #[test]
    fn verified_flags_reject_other_values() {
        for value in ["yes", "1", "0", "t", "truee", "ｔｒｕｅ"] {
            assert_eq!(
                reason(&[("email_verified", value)]),
                "email_verified must be true or false.",
                "{value:?}"
            );
            assert_eq!(
                reason(&[("phone_number_verified", value)]),
                "phone_number_verified must be true or false.",
                "{value:?}"
            );
        }
    }

    #[test]
    fn one_verified_flag_must_be_true() {
        let not_verified = NOT_AUTO_VERIFIED;
        assert_eq!(reason(&[("email_verified", "")]), not_verified);
        assert_eq!(reason(&[("email_verified", "false")]), not_verified);
        assert_eq!(
            reason(&[("email_verified", "false"), ("phone_number_verified", "false")]),
            not_verified
        );
        let user = valid(&[
            ("email_verified", "false"),
            ("phone_number", "+15555550100"),
            ("phone_number_verified", "true"),
        ]);
        assert_eq!(user.attributes[1], ("email_verified".into(), "false".into()));
        assert_eq!(user.attributes[3], ("phone_number_verified".into(), "true".into()));
    }

    #[test]
    fn verified_flag_columns_absent_from_subset_header_fail_every_row() {
        let text = "cognito:username,email\njdoe,jdoe@example.com\n";
        assert_eq!(
            rows_of(&subset_schema(), text),
            vec![Row::Invalid {
                line: 2,
                reason: NOT_AUTO_VERIFIED.into()
            }]
        );
    }

    #[test]
    fn email_is_required_when_email_verified() {
        assert_eq!(
            reason(&[("email", "")]),
            "email is required when email_verified is true."
        );
        let text = "cognito:username,email_verified\njdoe,true\n";
        assert_eq!(
            rows_of(&subset_schema(), text),
            vec![Row::Invalid {
                line: 2,
                reason: "email is required when email_verified is true.".into()
            }]
        );
    }

    #[test]
    fn email_may_be_empty_when_not_email_verified() {
        let user = valid(&[
            ("email", ""),
            ("email_verified", ""),
            ("phone_number", "+15555550100"),
            ("phone_number_verified", "true"),
        ]);
        assert_eq!(
            user.attributes,
            attrs(&[("phone_number", "+15555550100"), ("phone_number_verified", "true")])
        );
    }

    #[test]
    fn phone_number_is_required_when_phone_number_verified() {
        assert_eq!(
            reason(&[("phone_number_verified", "true")]),
            "phone_number is required when phone_number_verified is true."
        );
    }

    fn mfa_outcome(pool: Mfa, value: &str) -> Result<Option<bool>, String> {
        let schema = PoolSchema { mfa: pool, ..schema() };
        match only_row(&schema, &[("cognito:mfa_enabled", value)]) {
            Row::Valid(user) => Ok(user.mfa_enabled),
            Row::Invalid { reason, .. } => Err(reason),
        }
    }

    #[test]
    fn mfa_enabled_follows_the_pool_setting() {
        let must_not_be_false = Err("cognito:mfa_enabled must not be false: the pool requires MFA.".to_string());
        let must_not_be_true = Err("cognito:mfa_enabled must not be true: MFA is off in the pool.".to_string());
        let cases = [
            (Mfa::Off, "", Ok(None)),
            (Mfa::Off, "false", Ok(Some(false))),
            (Mfa::Off, "FALSE", Ok(Some(false))),
            (Mfa::Off, "true", must_not_be_true.clone()),
            (Mfa::Off, "True", must_not_be_true),
            (Mfa::On, "", Ok(None)),
            (Mfa::On, "true", Ok(Some(true))),
            (Mfa::On, "TRUE", Ok(Some(true))),
            (Mfa::On, "false", must_not_be_false.clone()),
            (Mfa::On, "fAlSe", must_not_be_false),
            (Mfa::Optional, "", Ok(None)),
            (Mfa::Optional, "true", Ok(Some(true))),
            (Mfa::Optional, "FALSE", Ok(Some(false))),
        ];
        for (pool, value, expected) in cases {
            assert_eq!(mfa_outcome(pool, value), expected, "{pool:?} {value:?}");
        }
    }

    #[test]
    fn mfa_enabled_rejects_non_booleans_with_every_pool_setting() {
        for pool in [Mfa::Off, Mfa::On, Mfa::Optional] {
            for value in ["yes", "1", "enabled"] {
                assert_eq!(
                    mfa_outcome(pool, value),
                    Err("cognito:mfa_enabled must be true or false.".to_string()),
                    "{pool:?} {value:?}"
                );
            }
        }
    }

    #[test]
    fn mfa_enabled_is_not_an_attribute() {
        let user = valid(&[("cognito:mfa_enabled", "true")]);
        assert!(user.attributes.iter().all(|(c, _)| !c.starts_with("cognito:")));
        assert_eq!(user.attributes.len(), 2);
    }

    #[test]
    fn phone_number_must_be_e164() {
        let ok = ["+14325551212", "+1", "+123456789012345", "+447911123456"];
        for phone in ok {
            let user = valid(&[("phone_number", phone)]);
            assert_eq!(user.attributes[2], ("phone_number".into(), phone.into()));
        }
        let bad = [
            "14325551212",
            "+",
            "+0123",
            "+1234567890123456",
            "+1 432 555",
            "+1-432-555",
            "++1",
            "+1a",
            "+١٢٣",
            "+１２３",
        ];
        for phone in bad {
            assert_eq!(
                reason(&[("phone_number", phone)]),
                "phone_number must be + and 1 to 15 digits, the first not 0 (E.164).",
                "{phone:?}"
            );
        }
    }

    #[test]
    fn email_must_have_one_at_sign_and_no_whitespace() {
        for email in ["a@b", "jdoe+tag@example.com", "ü@例え.jp", "\"q\"@x"] {
            let user = valid(&[("email", email)]);
            assert_eq!(user.attributes[0], ("email".into(), email.into()));
        }
        for email in [
            "jdoe",
            "@example.com",
            "jdoe@",
            "a@b@c",
            "j doe@x",
            "a@b\u{3000}c",
            "a@b\tc",
        ] {
            assert_eq!(
                reason(&[("email", email)]),
                "email must have one @ between a local part and a domain, and no whitespace.",
                "{email:?}"
            );
        }
    }

    #[test]
    fn birthdate_must_be_a_real_mm_dd_yyyy_date() {
        for date in [
            "02/29/2024",
            "02/29/2000",
            "12/31/1999",
            "01/01/0001",
            "04/30/2021",
            "02/28/1900",
        ] {
            let user = valid(&[("birthdate", date)]);
            assert_eq!(user.attributes[2], ("birthdate".into(), date.into()));
        }
        let bad = [
            "02/29/2023",
            "02/29/1900",
            "01/01/0000",
            "12/31/0000",
            "13/01/2000",
            "00/10/2000",
            "04/31/2000",
            "01/32/2000",
            "01/00/2000",
            "1/2/2000",
            "2000-01-02",
            "01-02-2000",
            "01/02/20000",
            "01/02/99",
            "aa/bb/cccc",
            "０１/０２/２０００",
        ];
        for date in bad {
            assert_eq!(
                reason(&[("birthdate", date)]),
                "birthdate must be a real date written mm/dd/yyyy.",
                "{date:?}"
            );
        }
    }

    #[test]
    fn updated_at_must_be_non_negative_epoch_seconds() {
        let max = i64::MAX.to_string();
        for value in ["0", "1700000000", max.as_str()] {
            let user = valid(&[("updated_at", value)]);
            assert_eq!(user.attributes[2], ("updated_at".into(), value.into()));
        }
        let too_big = "9223372036854775808";
        let twenty_digits = "99999999999999999999";
        for value in ["-1", "+1", "1.5", "1e9", "abc", "1 000", too_big, twenty_digits] {
            assert_eq!(
                reason(&[("updated_at", value)]),
                "updated_at must be a non-negative integer (epoch seconds).",
                "{value:?}"
            );
        }
    }

    #[test]
    fn pool_required_columns_need_values() {
        let pool = PoolSchema {
            required: strings(&["custom:tier", "name"]),
            ..schema()
        };
        // The first empty required column in header order is reported.
        assert_eq!(reason_with(&pool, &[]), "name is required but has no value.");
        assert_eq!(
            reason_with(&pool, &[("name", "Jane")]),
            "custom:tier is required but has no value."
        );
        assert_eq!(
            reason_with(&pool, &[("name", "Jane"), ("custom:tier", "  ")]),
            "custom:tier is required but has no value."
        );
        assert!(matches!(
            only_row(&pool, &[("name", "Jane"), ("custom:tier", "gold")]),
            Row::Valid(_)
        ));
    }

    #[test]
    fn required_column_absent_from_subset_header_fails_the_row() {
        let pool = PoolSchema {
            required: strings(&["custom:tier"]),
            ..subset_schema()
        };
        let text = "cognito:username,email,email_verified\njdoe,jdoe@example.com,true\n";
        assert_eq!(
            rows_of(&pool, text),
            vec![Row::Invalid {
                line: 2,
                reason: "custom:tier is required but has no value.".into()
            }]
        );
    }

    #[test]
    fn number_attributes_must_be_integers() {
        for value in ["42", "-7", "0", "-0", "9223372036854775807", "-9223372036854775808"] {
            let user = valid(&[("custom:age", value)]);
            assert_eq!(user.attributes[2], ("custom:age".into(), value.into()));
        }
        for value in [
            "4.2",
            "x",
            "+3",
            "+5",
            "-",
            "9223372036854775808",
            "99999999999999999999",
            "1_000",
            "0x10",
            "--1",
        ] {
            assert_eq!(
                reason(&[("custom:age", value)]),
                "custom:age must be an integer.",
                "{value:?}"
            );
        }
    }

    #[test]
    fn every_value_is_at_most_2048_bytes() {
        // Bytes, not characters: 1024 two-byte characters fit, one more does not.
        for column in ["custom:tier", "name", "email"] {
            let longest = if column == "email" {
                format!("{}@b", "é".repeat(1023))
            } else {
                "é".repeat(MAX_VALUE_BYTES / 2)
            };
            assert_eq!(longest.len(), MAX_VALUE_BYTES);
            let user = valid(&[(column, &longest)]);
            assert!(user.attributes.contains(&(column.into(), longest.clone())));
            let too_large = format!("é{longest}");
            assert_eq!(
                reason(&[(column, &too_large)]),
                format!("{column} is longer than 2048 bytes."),
                "{column}"
            );
        }
        // Measured unescaped and trimmed: `\,` is one byte, the blanks around are not counted.
        let escaped = format!("  {}  ", "x\\,".repeat(MAX_VALUE_BYTES / 2));
        assert_eq!(valid(&[("name", &escaped)]).attributes[0].1.len(), MAX_VALUE_BYTES);
    }

    #[test]
    fn a_row_verified_only_by_phone_fails_in_a_pool_that_auto_verifies_only_email() {
        let phone_only = [
            ("email_verified", "false"),
            ("phone_number", "+14325551212"),
            ("phone_number_verified", "true"),
        ];
        let email_only = PoolSchema {
            auto_verified: strings(&["email"]),
            ..schema()
        };
        assert_eq!(reason_with(&email_only, &phone_only), NOT_AUTO_VERIFIED);
        assert_eq!(
            NOT_AUTO_VERIFIED,
            "The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true)."
        );
        // The same row is fine where the pool auto-verifies the phone number, alone or with email.
        for auto in [&["phone_number"][..], &["email", "phone_number"]] {
            let pool = PoolSchema {
                auto_verified: strings(auto),
                ..schema()
            };
            assert!(matches!(only_row(&pool, &phone_only), Row::Valid(_)), "{auto:?}");
        }
        // And a phone-only pool fails a row verified only by email.
        let phone_pool = PoolSchema {
            auto_verified: strings(&["phone_number"]),
            ..schema()
        };
        assert_eq!(reason_with(&phone_pool, &[]), NOT_AUTO_VERIFIED);
        // A verified flag the pool does not auto-verify still needs its value.
        assert_eq!(
            reason_with(&email_only, &[("phone_number", ""), ("phone_number_verified", "true")]),
            "phone_number is required when phone_number_verified is true."
        );
    }

    #[test]
    fn username_holds_only_letters_marks_symbols_numbers_and_punctuation() {
        for name in [
            "a\0b",
            "a\u{1}b",
            "a\u{7f}b",
            "a\u{200b}b",
            "a\u{feff}b",
            "a\u{e000}b",
            "a\u{378}b",
        ] {
            assert_eq!(
                reason(&[("cognito:username", name)]),
                "cognito:username must hold only letters, marks, numbers, symbols and punctuation.",
                "{name:?}"
            );
        }
        for name in ["a-b_c.d@e+f", "Ω≈ç√", "e\u{301}", "٣٤", "😀", "$€¥", "«»¿"] {
            assert_eq!(valid(&[("cognito:username", name)]).username, name);
        }
        assert!(is_username("zoë") && !is_username("") && !is_username("a b"));
    }

    #[test]
    fn empty_values_are_not_attributes() {
        assert_eq!(
            valid(&[("name", "  "), ("custom:tier", "")]).attributes,
            attrs(&[("email", "jdoe@example.com"), ("email_verified", "true")])
        );
    }

    #[test]
    fn username_problem_comes_before_column_problems() {
        assert_eq!(
            reason(&[("cognito:username", "a b"), ("phone_number", "x")]),
            "cognito:username must not contain whitespace."
        );
    }

    #[test]
    fn reasons_never_contain_the_value() {
        let long_secret = SECRET.repeat(200);
        let cases: Vec<Vec<(&str, String)>> = vec![
            vec![("cognito:username", format!("{SECRET} x"))],
            vec![("cognito:username", SECRET.repeat(9))],
            vec![("email_verified", SECRET.into())],
            vec![("phone_number_verified", SECRET.into())],
            vec![("cognito:mfa_enabled", SECRET.into())],
            vec![("phone_number", format!("+{SECRET}"))],
            vec![("email", SECRET.into())],
            vec![("birthdate", SECRET.into())],
            vec![("updated_at", SECRET.into())],
            vec![("custom:age", SECRET.into())],
            vec![("custom:tier", long_secret.clone())],
            vec![("name", long_secret.repeat(6))],
            vec![("name", format!("{SECRET},{SECRET}"))],
        ];
        for case in cases {
            let pairs: Vec<(&str, &str)> = case.iter().map(|(c, v)| (*c, v.as_str())).collect();
            let reason = reason(&pairs);
            assert!(!reason.contains(SECRET), "{reason}");
            assert!(!reason.contains("SECRET"), "{reason}");
        }
    }

    // The password_hash column (reference, "password hashes").

    /// A cost-4 bcrypt hash (cheap; only its form matters here).
    fn bcrypt_value(cost: &str) -> String {
        let hash = bcrypt::hash_with_salt("pw", 4, *b"sixteen byte slt")
            .unwrap()
            .to_string();
        format!("$2b${cost}{}", &hash[6..])
    }

    /// HEADER plus `password_hash`, one valid user row with `hash` (escaped) in that column.
    fn file_with_hash(hash: &str) -> String {
        format!(
            "{},{PASSWORD_HASH_COLUMN}\n{},{}\n",
            HEADER.join(","),
            line(&[]),
            hash.replace(',', "\\,")
        )
    }

    fn listing_schema() -> PoolSchema {
        let mut pool = schema();
        pool.csv_header.push(PASSWORD_HASH_COLUMN.into());
        pool
    }

    fn hash_row(pool: &PoolSchema, hashing: Option<HashAlgorithm>, hash: &str) -> Row {
        let rows = judge_for_job(file_with_hash(hash).as_bytes(), pool, hashing).unwrap();
        assert_eq!(rows.len(), 1);
        rows.into_iter().next().unwrap()
    }

    #[test]
    fn a_hash_job_without_the_column_fails_as_a_whole() {
        for pool in [schema(), subset_schema(), listing_schema()] {
            let text = file(&[line(&[])]);
            let error = judge_for_job(text.as_bytes(), &pool, Some(HashAlgorithm::Scrypt)).unwrap_err();
            assert_eq!(
                error,
                FileError::MissingPasswordHash {
                    algorithm: HashAlgorithm::Scrypt
                }
            );
            assert_eq!(
                error.to_string(),
                "the job's PasswordHashingAlgorithm is SCRYPT but the header has no password_hash column"
            );
        }
    }

    #[test]
    fn without_an_algorithm_the_column_is_known_only_where_the_pool_lists_it() {
        let text = file_with_hash("");
        assert_eq!(
            judge(text.as_bytes(), &schema()).unwrap_err(),
            FileError::UnknownColumn(PASSWORD_HASH_COLUMN.into())
        );
        // Listed: an ordinary column, so the full-header rule requires it...
        assert_eq!(
            judge(file(&[line(&[])]).as_bytes(), &listing_schema()).unwrap_err(),
            FileError::MissingColumns(strings(&[PASSWORD_HASH_COLUMN]))
        );
        // ...empty is fine, and a value fails the row.
        match hash_row(&listing_schema(), None, "") {
            Row::Valid(user) => assert_eq!(user.password_hash, None),
            other => panic!("{other:?}"),
        }
        let value = bcrypt_value("04");
        assert_eq!(
            hash_row(&listing_schema(), None, &value),
            Row::Invalid {
                line: 2,
                reason: "password_hash must be empty: the job has no PasswordHashingAlgorithm.".into()
            }
        );
    }

    #[test]
    fn a_hash_job_reads_the_column_as_its_algorithm() {
        let value = bcrypt_value("04");
        for pool in [schema(), listing_schema()] {
            let Row::Valid(user) = hash_row(&pool, Some(HashAlgorithm::Bcrypt), &value) else {
                panic!("a valid row");
            };
            let hash = user.password_hash.expect("the hash is kept");
            assert_eq!(hash.algorithm(), HashAlgorithm::Bcrypt);
            assert!(hash.verify("pw") && !hash.verify("wrong"));
            assert!(
                user.attributes
                    .iter()
                    .all(|(c, v)| c != PASSWORD_HASH_COLUMN && *v != value)
            );
            match hash_row(&pool, Some(HashAlgorithm::Bcrypt), " ") {
                Row::Valid(user) => assert_eq!(user.password_hash, None),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_bad_hash_fails_its_row_naming_the_rule_not_the_value() {
        let argon = "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$q7TXYiSG5lj8gU7pXx3qKhiXWqoE3uH8gGLbFJ0DW+U";
        let cases = [
            (
                HashAlgorithm::Bcrypt,
                bcrypt_value("13"),
                "password_hash exceeds a bound of BCRYPT: cost must be at most 12.",
            ),
            (
                HashAlgorithm::Bcrypt,
                "not-a-hash".to_owned(),
                "password_hash is not in the standard text form of BCRYPT hashes.",
            ),
            (
                HashAlgorithm::Bcrypt,
                argon.to_owned(),
                "password_hash holds a hash of ARGON2ID but the job's PasswordHashingAlgorithm is BCRYPT.",
            ),
            (
                HashAlgorithm::Argon2id,
                argon.replace("t=2", "t=3"),
                "password_hash exceeds a bound of ARGON2ID: t must be at most 2.",
            ),
        ];
        for (algorithm, value, reason) in cases {
            match hash_row(&schema(), Some(algorithm), &value) {
                Row::Invalid { line: 2, reason: got } => {
                    assert_eq!(got, reason);
                    assert!(
                        !got.contains(&value) && !got.contains("c2l4dGVlbiBieXRlIHNsdA"),
                        "{got}"
                    );
                }
                other => panic!("{value}: {other:?}"),
            }
        }
        // The valid argon2id form, for contrast.
        assert!(matches!(
            hash_row(&schema(), Some(HashAlgorithm::Argon2id), argon),
            Row::Valid(_)
        ));
    }

    #[test]
    fn a_row_with_a_hash_prints_no_hash() {
        let value = bcrypt_value("04");
        let row = hash_row(&schema(), Some(HashAlgorithm::Bcrypt), &value);
        let shown = format!("{row:?}");
        assert!(shown.contains("Bcrypt") && !shown.contains(&value[7..]), "{shown}");
    }
}
