//! Every behaviour of the emulator that Cognito's documentation does not state.
//!
//! The emulator follows `cognito-import-reference.md`; where that reference is silent or marks a
//! point as unknown, the choice made here is named and explained, so that it can be changed in one
//! place when better evidence arrives. That holds for the import files too (the second part below): how
//! `import/` reads a file where the reference is silent, the shapes it assumes of values, the order of
//! a row's checks, and the texts of its failures. Every other rule there cites the reference.

use std::time::Duration;

/// A second StartUserImportJob while another job of the account is Pending or InProgress.
/// Cognito documents the one-active-job limit but not the error; PreconditionNotMetException is
/// the only documented StartUserImportJob error that describes a state conflict.
pub const SECOND_ACTIVE_JOB_ERROR: &str = "PreconditionNotMetException";

/// StartUserImportJob on a job that is not Created (already started, Stopped, Expired or ended).
/// Cognito says only that a stopped job "cannot be started again"; the request names a job whose
/// state rules it out, which the service reports as an invalid parameter.
pub const NOT_CREATED_START_ERROR: &str = "InvalidParameterException";

/// The job fails with "Too many users have failed or been skipped during the import." when more
/// than this share of its rows failed or were skipped. Cognito does not publish its threshold.
pub const FAILED_OR_SKIPPED_RATIO: f64 = 0.5;

/// A job whose file cannot be parsed (file-level rule broken) ends Failed with the rule's text as
/// its CompletionMessage; Cognito's exact wording is not documented.
pub const FILE_ERROR_IS_JOB_FAILURE: bool = true;

/// Rows are processed in full before the threshold is applied, so a Failed job may still have
/// imported users. Cognito does not say whether it stops early.
pub const THRESHOLD_APPLIED_AFTER_ALL_ROWS: bool = true;

/// StartUserImportJob on a pool that auto-verifies neither email nor phone_number answers
/// InvalidParameterException (the guide says only that "the job will not start").
pub const NO_AUTO_VERIFY_ERROR: &str = "InvalidParameterException";

/// A Created job expires after this long if not started (the guide says 24-48 hours).
pub const DEFAULT_JOB_EXPIRY: Duration = Duration::from_secs(24 * 60 * 60);

/// GetCSVHeader puts `custom:` columns after the standard attributes and before
/// `cognito:mfa_enabled` and `cognito:username`. Order does not matter to an import.
pub const CUSTOM_COLUMNS_BEFORE_COGNITO_COLUMNS: bool = true;

/// Import jobs per user pool (an adjustable quota); CreateUserImportJob past it answers
/// LimitExceededException.
pub const DEFAULT_JOBS_PER_POOL: usize = 1_000;

/// The burst of each request quota (`quotas`), in seconds of its rate: a bucket holds at most one
/// second's worth of requests (5 for an operation on a pool, 15 for UserPoolResourceUpdate, 20 for
/// UserPoolResourceRead), so the burst is the rate. Cognito documents its quotas as requests per
/// second and documents no burst; a caller that keeps within the rate every second is never
/// throttled, and one that sends more than a second's worth at once is.
pub const QUOTA_BURST_SECONDS: f64 = 1.0;

/// A bucket that was never drawn on is full: the first burst of requests after a quiet spell (or
/// after the emulator starts) gets through.
pub const QUOTA_BUCKETS_START_FULL: bool = true;

/// A request is let through only when every quota it counts against (its operation on its pool, its
/// category in the account) has a token, and then takes one from each; a throttled request takes
/// nothing from any of them. Cognito does not say whether refused requests count against a quota.
pub const THROTTLED_REQUEST_TAKES_NO_TOKEN: bool = true;

/// The quotas limit only the six import operations (Create/Start/Stop/Describe/ListUserImportJobs,
/// GetCSVHeader). The other operations Cognito puts in the UserPoolResourceUpdate and
/// UserPoolResourceRead categories (DescribeUserPool, CreateUserPoolClient, …) neither draw on
/// those categories' buckets nor are limited: the emulator serves them for set-up, not under load.
pub const QUOTAS_LIMIT_IMPORT_OPERATIONS_ONLY: bool = true;

/// A request that names no `UserPoolId` (or one that is not a string) counts against its category
/// only; a pool id that names no pool has a bucket of its own like any other. The quotas are
/// checked once the signature is verified and the body read as JSON, before the operation checks
/// its input, so an invalid request that is let through still takes its tokens.
pub const QUOTA_KEYED_BY_THE_GIVEN_POOL_ID: bool = true;

/// S3 version ids, as the emulator makes them: this many characters of
/// [`VERSION_ID_ALPHABET`] (S3's own ids look like `IYV3p45BT0ac8hjHg1houSdS1a.Mro8e`; their
/// format is not documented). Besides `null`, a version id of any other length or with another
/// character is malformed: S3 answers 400 InvalidArgument "Invalid version id specified", as it
/// does for ids it could never have made, and 404 NoSuchVersion only for a well-formed id it does
/// not hold.
pub const VERSION_ID_LEN: usize = 32;

/// The characters of the emulator's version ids (see [`VERSION_ID_LEN`]).
pub const VERSION_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

/// A version id other than `null` on an object of a bucket that never had versioning: S3 is
/// reported to answer 400 (InvalidArgument) for any such id, since the bucket holds no versions.
pub const VERSION_ID_IN_UNVERSIONED_BUCKET_IS_INVALID: bool = true;

/// DeleteObject of a well-formed version id the key does not hold succeeds (204) and changes
/// nothing: deletes are idempotent in S3.
pub const DELETING_AN_UNKNOWN_VERSION_SUCCEEDS: bool = true;

// =====================================================================================================
// Import files: how the emulator reads what the reference leaves open. `import/` (dialect and rules)
// takes every one of these from here; what it does not take from here cites the reference.
// =====================================================================================================

/// Whether a byte is trimmed from the ends of a value and of a header name: ASCII whitespace only
/// (space, tab, line feed, form feed, carriage return; [`u8::is_ascii_whitespace`]). The reference says
/// "leading/trailing whitespace is trimmed" without saying which; a no-break space or an ideographic
/// space is kept as part of the value. The function's checker assumes the same.
pub fn is_trimmed(byte: u8) -> bool {
    byte.is_ascii_whitespace()
}

/// A value or header name with its [`is_trimmed`] bytes removed from both ends.
pub fn trim(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_ascii() && is_trimmed(c as u8))
}

/// A `\r` right before the `\n` that ends a line is not part of the line (so CRLF files read as LF
/// files), nor is one at the very end of the file (the last line needs no line end, and reads the same
/// with or without `\r\n`); any other `\r` is an ordinary character. The reference does not mention
/// line ends.
pub const CR_BEFORE_LF_DROPPED: bool = true;

/// A `,` right after a `\` is always part of the value (the reference: "a comma inside a value is
/// written `\,`"); a `\` before anything else is an ordinary character, and there is no escape for `\`
/// itself, so no value can end with a `\`.
pub const BACKSLASH_ESCAPES_ONLY_A_COMMA: bool = true;

/// Whether a line after the header is blank: empty once a `\r` before its `\n` is dropped. A line of
/// spaces or tabs is not blank: it is a user row (which then fails). The reference does not say what
/// Cognito does with blank lines; an empty line holds no user, and one of whitespace is read as one
/// (empty) value like any other line. The function's checker assumes the same.
pub fn is_blank_line(line: &str) -> bool {
    line.is_empty()
}

/// Blank lines ([`is_blank_line`]) are skipped: they are neither rows nor counted against the row
/// limit. Reason: editors leave trailing blank lines, and failing a row that holds no user would only
/// add noise to the log.
pub const SKIP_BLANK_LINES: bool = true;

/// Every line takes a line number, blank lines included, from 1 (the header) on, so the first user
/// row of a file without blank lines is `Line Number 2` (as seen in the wild). How Cognito counts blank
/// lines is not documented.
pub const BLANK_LINES_TAKE_A_NUMBER: bool = true;

/// Line 1 that is missing, or only whitespace once trimmed ([`trim`]), is no header: the whole job fails
/// ([`file_failures::NO_HEADER`]). Reason: the header must be line 1, and no pool has a column named "".
pub fn is_missing_header(first_line: Option<&str>) -> bool {
    first_line.is_none_or(|line| trim(line).is_empty())
}

/// Header names are matched to the pool's columns case-sensitively (`Email` is an unknown column), as
/// attribute names are in the Cognito API. The guide shows only the exact names.
pub const HEADER_NAMES_CASE_SENSITIVE: bool = true;

/// A file that is not UTF-8 cannot be parsed: the whole job fails, naming the line of the first bad
/// byte. The reference says only "UTF-8" and that a file that cannot be parsed fails the job.
pub const NOT_UTF8_FAILS_THE_JOB: bool = true;

/// A row longer than [`crate::import::MAX_ROW_CHARS`] fails that row, not the whole job; its length
/// counts the Unicode characters of the line without its line break. Reason: the limit is stated per
/// row, and the job already goes on after other bad rows. The header is a row too: an over-long header
/// fails the job, since no row can be read without it.
pub fn is_row_too_long(line: &str, max_chars: usize) -> bool {
    // Counting characters is only needed when the byte length could exceed the limit.
    line.len() > max_chars && line.chars().count() > max_chars
}

/// With the full-header rule off, a pool-required column absent from the header fails every row
/// rather than the job, because the guide lists only missing header columns as fatal.
pub const REQUIRED_COLUMN_ABSENT_FAILS_EACH_ROW: bool = true;

/// A row's log line gives one reason, the first problem found, checked in this order: row length,
/// field count, `cognito:username`, each column in header order (required, size, shape; a
/// `password_hash` value's shape is its hash form and bounds), pool-required columns absent from a subset header, then verification. Cognito documents neither
/// the order nor whether it reports more than one problem.
pub const FIRST_PROBLEM_IS_THE_REASON: bool = true;

/// At most this many characters in `cognito:username`. Reason: the API's `Username` shape (1-128).
pub const MAX_USERNAME_CHARS: usize = 128;

/// The shape an `email` value must have: exactly one `@`, a non-empty part on each side, and no
/// whitespace. Reason: Cognito does not document its email check; this is the least it must hold.
pub fn is_email(value: &str) -> bool {
    let mut parts = value.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(local), Some(domain), None) if !local.is_empty() && !domain.is_empty()
    ) && !value.chars().any(char::is_whitespace)
}

/// Booleans compare with ASCII case folding only ("TRUE", "true", "True"). Reason: "any case" in the
/// guide is read as ASCII case; no other spelling (1/0, yes/no) is accepted.
pub fn parse_bool(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `updated_at` must be ASCII digits only (no sign) whose value fits in an `i64` (so 20 digits are too
/// many). Reason: epoch seconds are a non-negative integer, and larger values cannot be stored. The
/// function's checker assumes the same bound.
pub fn is_epoch_seconds(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) && value.parse::<i64>().is_ok()
}

/// A Number custom attribute's value is an integer: an optional `-`, then ASCII digits, in the range of
/// an `i64`. No `+`, no fraction, no exponent. Reason: Cognito's Number attributes hold integers; the
/// sign and the range are not documented, and the stricter reading is kept (the function's checker
/// assumes the same).
pub fn is_integer(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && value.parse::<i64>().is_ok()
}

/// A phone number is `+` then 1 to 15 ASCII digits, the first not `0`. Reason: the guide says E.164,
/// read here as its length limit and country codes not starting with 0.
pub fn is_phone_number(value: &str) -> bool {
    value.strip_prefix('+').is_some_and(|digits| {
        (1..=15).contains(&digits.len()) && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The years a `birthdate` may name: 0001 to 9999 (year 0000 is not a year of the calendar the date is
/// written in). Reason: the guide gives only the pattern `mm/dd/yyyy`.
pub const BIRTH_YEARS: std::ops::RangeInclusive<u32> = 1..=9999;

/// A birthdate is `mm/dd/yyyy` with two-digit month and day and a four-digit year in [`BIRTH_YEARS`],
/// naming a day of the proleptic Gregorian calendar. Reason: the guide gives only the pattern.
pub fn is_birthdate(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() != 10 || b[2] != b'/' || b[5] != b'/' {
        return false;
    }
    let number = |digits: &[u8]| {
        digits
            .iter()
            .try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let (Some(month), Some(day), Some(year)) = (number(&b[0..2]), number(&b[3..5]), number(&b[6..10])) else {
        return false;
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        _ => return false,
    };
    BIRTH_YEARS.contains(&year) && (1..=days).contains(&day)
}

/// The CompletionMessage of a job whose file breaks a file-level rule (the job fails; see
/// [`FILE_ERROR_IS_JOB_FAILURE`]). Cognito's wording is not documented: these are the emulator's.
/// `{line}`, `{columns}`, `{column}`, `{rows}` and `{limit}` are filled in.
pub mod file_failures {
    pub const BYTE_ORDER_MARK: &str = "the file starts with a UTF-8 byte-order mark";
    pub const NOT_UTF8: &str = "line {line} is not valid UTF-8";
    pub const NO_HEADER: &str = "the file has no header line";
    pub const HEADER_TOO_LONG: &str = "the header is longer than {limit} characters";
    pub const MISSING_COLUMNS: &str = "the header lacks columns: {columns}";
    pub const UNKNOWN_COLUMN: &str = "the header has a column the pool does not know: {column}";
    pub const DUPLICATE_COLUMN: &str = "the header has the column {column} more than once";
    pub const TOO_MANY_ROWS: &str = "the file has {rows} user rows, more than the limit of {limit}";
    /// The uploaded file is gone or unreadable when the job runs.
    pub const UNREADABLE: &str = "The CSV file could not be read.";
    /// A job with a PasswordHashingAlgorithm whose header has no `password_hash` column
    /// (`{algorithm}` is the job's).
    pub const NO_PASSWORD_HASH_COLUMN: &str =
        "the job's PasswordHashingAlgorithm is {algorithm} but the header has no password_hash column";
}

/// The reason of a `[FAILED]` log line. The reference documents one reason text (the auto-verified
/// one, in `import/rules.rs`); every other text is the emulator's, naming the column and the rule and
/// never the value. `{column}`, `{flag}`, `{limit}`, `{found}` and `{expected}` are filled in.
pub mod reasons {
    pub const ROW_TOO_LONG: &str = "The row is longer than {limit} characters.";
    pub const FIELD_COUNT: &str = "The row has {found} fields but the header has {expected}.";
    pub const REQUIRED: &str = "{column} is required but has no value.";
    pub const WHITESPACE: &str = "{column} must not contain whitespace.";
    pub const USERNAME_CHARACTERS: &str = "{column} must hold only letters, marks, numbers, symbols and punctuation.";
    pub const TOO_LONG: &str = "{column} is longer than {limit} characters.";
    pub const TOO_LARGE: &str = "{column} is longer than {limit} bytes.";
    pub const NOT_BOOLEAN: &str = "{column} must be true or false.";
    pub const MFA_REQUIRED: &str = "{column} must not be false: the pool requires MFA.";
    pub const MFA_OFF: &str = "{column} must not be true: MFA is off in the pool.";
    pub const NOT_EMAIL: &str = "{column} must have one @ between a local part and a domain, and no whitespace.";
    pub const NOT_PHONE_NUMBER: &str = "{column} must be + and 1 to 15 digits, the first not 0 (E.164).";
    pub const NOT_BIRTHDATE: &str = "{column} must be a real date written mm/dd/yyyy.";
    pub const NOT_EPOCH_SECONDS: &str = "{column} must be a non-negative integer (epoch seconds).";
    pub const NOT_INTEGER: &str = "{column} must be an integer.";
    pub const VERIFIED_WITHOUT_VALUE: &str = "{column} is required when {flag} is true.";
    /// A valid row whose pool was deleted while the job ran.
    pub const POOL_GONE: &str = "The user pool no longer exists.";
    /// A `password_hash` value not in the job's algorithm's standard text form (see [`super::hashes`]).
    pub const HASH_MALFORMED: &str = "{column} is not in the standard text form of {algorithm} hashes.";
    /// A `password_hash` value in another algorithm's standard form (`{found}`).
    pub const HASH_OF_OTHER_ALGORITHM: &str =
        "{column} holds a hash of {found} but the job's PasswordHashingAlgorithm is {algorithm}.";
    /// A `password_hash` parameter above Cognito's bound (`{parameter}`: cost, N, r, p, m, t, iterations).
    pub const HASH_OVER_BOUND: &str = "{column} exceeds a bound of {algorithm}: {parameter} must be at most {limit}.";
    /// A non-empty `password_hash` on a job without an algorithm
    /// ([`super::HASH_WITHOUT_ALGORITHM_FAILS_THE_ROW`]).
    pub const HASH_WITHOUT_ALGORITHM: &str = "{column} must be empty: the job has no PasswordHashingAlgorithm.";
}

// =====================================================================================================
// Password hashes and sign-in: what the emulator assumes where the reference's "password hashes" row
// and the API reference are silent. `import/hashes.rs`, `import/rules.rs` and `cognito/` take these
// from here.
// =====================================================================================================

/// The text encoding of a `password_hash` value, which AWS does not document: each algorithm's
/// standard text form, read by its RustCrypto crate's parser (`bcrypt::HashParts`,
/// `password_hash::PasswordHash`), and narrowed to the forms below.
///
/// - BCRYPT: modular crypt, `$2a$`, `$2b$` or `$2y$`, a two-digit cost, then 53 characters of
///   bcrypt's base64 (salt and hash). `$2x$` (the crate takes it) is not a standard form.
/// - ARGON2ID: `$argon2id$v=19$m=…,t=…,p=…$salt$hash` (PHC); no other version, no `keyid`/`data`.
/// - SCRYPT: `$scrypt$ln=…,r=…,p=…$salt$hash` (PHC, `ln` = log2 N; no version).
/// - PBKDF2_SHA256: `$pbkdf2-sha256$i=…,l=…$salt$hash` (PHC; no version). Passlib's variant
///   (`$pbkdf2-sha256$29000$…`, rounds without `i=`) is not PHC and is not read.
///
/// A PHC string must name exactly those parameters (none left to a crate default), and hold a salt
/// and a hash. Parameters the algorithm cannot run (bcrypt cost below 4, PBKDF2 0 iterations,
/// Argon2 m below 8·p, anything the crate's parameter check refuses) make the value malformed; above
/// one of Cognito's bounds, it is over the bound (the bound is checked first). The import checks
/// only the text: no hashing happens before a sign-in.
pub mod hashes {
    /// A standard text form (see the module above).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Form {
        /// `$<prefix>$<cost>$<salt and hash>`.
        ModularCrypt { prefixes: &'static [&'static str] },
        /// `$<ident>[$v=<version>]$<params>$<salt>$<hash>`.
        Phc {
            ident: &'static str,
            version: Option<u32>,
            params: &'static [&'static str],
        },
    }

    pub const BCRYPT: Form = Form::ModularCrypt {
        prefixes: &["2a", "2b", "2y"],
    };
    pub const ARGON2ID: Form = Form::Phc {
        ident: "argon2id",
        version: Some(19),
        params: &["m", "t", "p"],
    };
    pub const SCRYPT: Form = Form::Phc {
        ident: "scrypt",
        version: None,
        params: &["ln", "r", "p"],
    };
    pub const PBKDF2_SHA256: Form = Form::Phc {
        ident: "pbkdf2-sha256",
        version: None,
        params: &["i", "l"],
    };
}

/// When GetCSVHeader lists `password_hash` (`EmulatorConfig::csv_header_lists_password_hash`, which
/// stands for "a pool that supports hash imports": the reference says not all do), it is the last
/// column, after `cognito:username`. Its place in the real header is not documented; order does not
/// matter to an import. Then it is an ordinary header column: the full-header rule requires it in
/// every file, and a job without an algorithm accepts it empty.
pub const PASSWORD_HASH_COLUMN_LAST: bool = true;

/// On a job with a PasswordHashingAlgorithm, `password_hash` is a known column even where
/// GetCSVHeader does not list it, and a file without it fails the job
/// ([`file_failures::NO_PASSWORD_HASH_COLUMN`]). The header's checks run in this order: unknown
/// and duplicate columns, then the `password_hash` column, then the full-header rule.
pub const HASH_JOB_KNOWS_THE_COLUMN: bool = true;

/// On a job without a PasswordHashingAlgorithm whose pool lists `password_hash`, a non-empty value
/// fails its row ([`reasons::HASH_WITHOUT_ALGORITHM`]): the job cannot tell how to read it. Reason:
/// importing the user RESET_REQUIRED would silently drop a password the file meant to keep.
pub const HASH_WITHOUT_ALGORITHM_FAILS_THE_ROW: bool = true;

/// `password_hash` is not a user attribute: it never appears among a user's attributes, in any API
/// answer, log line or reason. A row's reason names the column, the algorithm, a parameter and its
/// bound, never the value nor a parameter's value.
pub const HASH_IS_NEVER_SHOWN: bool = true;

/// CreateUserPoolClient with `GenerateSecret: true` answers InvalidParameterException: the emulator
/// does not compute SECRET_HASH, so such a client could not sign in.
pub const GENERATE_SECRET_REFUSED: bool = true;

/// A client's `PreventUserExistenceErrors` when CreateUserPoolClient does not give one: ENABLED, so
/// an unknown user gets the wrong-password answer (NotAuthorizedException "Incorrect username or
/// password."). The console creates clients with ENABLED; the API reference names LEGACY as the
/// API's default, where an unknown user gets UserNotFoundException. A client created with LEGACY
/// behaves that way.
pub const DEFAULT_PREVENT_USER_EXISTENCE_ERRORS: &str = "ENABLED";

/// The ExplicitAuthFlows of a client created without any: Cognito's documented default.
pub const DEFAULT_EXPLICIT_AUTH_FLOWS: [&str; 3] =
    ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"];

/// A RESET_REQUIRED user (imported without a hash) gets PasswordResetRequiredException whatever the
/// password: it has none. A user with no imported hash in any other status (created by
/// AdminCreateUser or `Emulator::add_user`) has no password the emulator knows, and gets
/// NotAuthorizedException as for a wrong password. A disabled user gets NotAuthorizedException
/// "User is disabled.".
pub const RESET_REQUIRED_IGNORES_THE_PASSWORD: bool = true;

/// Sign-in tokens are opaque random strings (not JWTs), valid for this many seconds (ExpiresIn).
pub const TOKEN_EXPIRES_IN: u64 = 3600;

/// Cognito targets answered without a SigV4 signature, as Cognito serves them to apps (the SDK may
/// send them unsigned). Any signature on them is ignored.
pub const UNSIGNED_COGNITO_TARGETS: [&str; 1] = ["InitiateAuth"];

/// InitiateAuth/AdminInitiateAuth find the user by its username only (not by an email or phone
/// alias).
pub const SIGN_IN_BY_USERNAME_ONLY: bool = true;
