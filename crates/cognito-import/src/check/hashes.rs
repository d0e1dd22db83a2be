//! The `password_hash` column: which algorithm a hash is in, and whether Cognito's bounds allow it.
//!
//! A file with this column is imported as a *hash job*: CreateUserImportJob names one
//! `PasswordHashingAlgorithm` for every user of the job, a user with a valid hash is CONFIRMED and
//! signs in with the old password, and a user whose value is empty must reset it (reference,
//! "password hashes"). A malformed hash or one over the bounds fails that user only, after a job has
//! been spent; the checker finds it first.
//!
//! A hash is a secret: nothing here keeps, prints or returns any of it but the algorithm it names.

#[cfg(doc)]
use super::problem::Rule;

/// The column of a user's password hash. Cognito's own, not an attribute: it is a known column
/// whether or not the pool's GetCSVHeader lists it, and never added to a header that lacks it.
pub const PASSWORD_HASH: &str = "password_hash";

// =====================================================================================================
// Assumption: how a hash is written
//
// AWS does not publish the text encoding of `password_hash`. This project assumes the standard
// forms, read with the RustCrypto parsers (`password-hash`'s PHC string parser) and the `bcrypt`
// crate's modular-crypt parser:
//
// | algorithm      | form                                                   |
// |----------------|--------------------------------------------------------|
// | BCRYPT         | `$2a$`, `$2b$` or `$2y$`, a two-digit cost, 53 more characters |
// | ARGON2ID       | `$argon2id$v=19$m=…,t=…,p=…$salt$hash`                 |
// | SCRYPT         | `$scrypt$ln=…,r=…,p=…$salt$hash` (`ln` is log2 of N)   |
// | PBKDF2_SHA256  | `$pbkdf2-sha256$i=…,l=…$salt$hash`                     |
//
// These are the strings the RustCrypto crates write: a PHC string with another parameter, or
// without one of these, or another argon2 version, is not one of the forms. Parameters the
// algorithm cannot run (say scrypt's N at or above 2^(16·r), PBKDF2's `l` not the hash's length)
// make no hash either: the algorithms' crates decide (their `Params` from the PHC string). Cognito's
// bounds are documented; they are `Bounds::COGNITO`, and are checked first, on the parameters as
// written.
// =====================================================================================================

/// The algorithm a job is created with for a file whose `password_hash` column holds no hash, in a
/// pool whose GetCSVHeader does not list the column (and `PASSWORD_HASHING_ALGORITHM` not set). Any
/// algorithm does: every user of the file resets the password. Assumed: such a file is sent as a
/// hash job, since the reference says what a hash job does without the column, not what a job
/// without an algorithm does with a column its pool does not list. (Where the pool lists it, the
/// column is one of its header's, and a file whose column is empty is an ordinary job.)
pub const ALGORITHM_WITHOUT_HASHES: HashAlgorithm = HashAlgorithm::Bcrypt;

/// A `PasswordHashingAlgorithm` of CreateUserImportJob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HashAlgorithm {
    Bcrypt,
    Scrypt,
    Argon2id,
    #[serde(rename = "PBKDF2_SHA256")]
    Pbkdf2Sha256,
}

impl HashAlgorithm {
    pub const ALL: [HashAlgorithm; 4] = [
        HashAlgorithm::Bcrypt,
        HashAlgorithm::Scrypt,
        HashAlgorithm::Argon2id,
        HashAlgorithm::Pbkdf2Sha256,
    ];

    /// The API's name: `BCRYPT`, `SCRYPT`, `ARGON2ID`, `PBKDF2_SHA256`.
    pub fn api_name(self) -> &'static str {
        match self {
            HashAlgorithm::Bcrypt => "BCRYPT",
            HashAlgorithm::Scrypt => "SCRYPT",
            HashAlgorithm::Argon2id => "ARGON2ID",
            HashAlgorithm::Pbkdf2Sha256 => "PBKDF2_SHA256",
        }
    }

    /// From the API's name (any case), as `PASSWORD_HASHING_ALGORITHM` is written.
    pub fn from_api_name(name: &str) -> Option<HashAlgorithm> {
        HashAlgorithm::ALL
            .into_iter()
            .find(|a| a.api_name().eq_ignore_ascii_case(name.trim()))
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.api_name())
    }
}

/// The hash algorithm a part's rows are of, when a file is imported as one job (or more) per
/// algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HashGroup {
    pub algorithm: HashAlgorithm,
    /// This algorithm's file also holds the rows without a hash.
    pub with_empty: bool,
    /// The part's number among this algorithm's parts (1-based).
    pub part: u32,
}

/// Cognito's upper bounds on a hash's cost parameters (reference, "password hashes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub bcrypt_cost: u32,
    pub scrypt_n: u64,
    pub scrypt_r: u32,
    pub scrypt_p: u32,
    pub argon2_m: u32,
    pub argon2_t: u32,
    pub argon2_p: u32,
    pub pbkdf2_iterations: u32,
}

impl Bounds {
    pub const COGNITO: Bounds = Bounds {
        bcrypt_cost: 12,
        scrypt_n: 65_536,
        scrypt_r: 8,
        scrypt_p: 1,
        argon2_m: 19_456,
        argon2_t: 2,
        argon2_p: 1,
        pbkdf2_iterations: 600_000,
    };
}

/// What is wrong with a hash (the parameter named, its value never).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum HashProblem {
    /// Not one of the forms of any algorithm (see the assumption above).
    Format,
    /// A form of `algorithm`, but a parameter is over Cognito's bound.
    OverBounds {
        algorithm: HashAlgorithm,
        parameter: &'static str,
        limit: u64,
    },
}

/// Reads a hash (a trimmed, non-empty value as the file holds it, a comma written `\,`): its
/// algorithm, or what is wrong with it.
///
/// A PHC string's parameters are separated by commas, so in Cognito's dialect they are escaped
/// (`m=19456\,t=2\,p=1`), or the value is quoted in an RFC 4180 file that preparing escapes.
pub fn judge(value: &[u8]) -> Result<HashAlgorithm, HashProblem> {
    judge_within(value, &Bounds::COGNITO)
}

/// [`judge`] against other bounds.
pub fn judge_within(value: &[u8], bounds: &Bounds) -> Result<HashAlgorithm, HashProblem> {
    let text = std::str::from_utf8(value).map_err(|_| HashProblem::Format)?;
    let unescaped;
    let text = if text.contains("\\,") {
        unescaped = text.replace("\\,", ",");
        unescaped.as_str()
    } else {
        text
    };
    if let Some(rest) = text.strip_prefix("$2") {
        return bcrypt_hash(text, rest, bounds);
    }
    let phc = password_hash::PasswordHash::new(text).map_err(|_| HashProblem::Format)?;
    if phc.salt.is_none() || phc.hash.is_none() {
        return Err(HashProblem::Format);
    }
    let params: Vec<(&str, u64)> = phc
        .params
        .iter()
        .map(|(name, value)| {
            Ok((
                name.as_str(),
                u64::from(value.decimal().map_err(|_| HashProblem::Format)?),
            ))
        })
        .collect::<Result<_, HashProblem>>()?;
    let get = |name: &str| params.iter().find(|(n, _)| *n == name).map(|&(_, v)| v);
    let only = |names: &[&str]| params.iter().all(|(n, _)| names.contains(n));
    let over = |algorithm, parameter, limit| HashProblem::OverBounds {
        algorithm,
        parameter,
        limit,
    };
    match phc.algorithm.as_str() {
        "argon2id" => {
            let algorithm = HashAlgorithm::Argon2id;
            let (Some(m), Some(t), Some(p)) = (get("m"), get("t"), get("p")) else {
                return Err(HashProblem::Format);
            };
            if params.len() != 3 || !only(&["m", "t", "p"]) || phc.version != Some(0x13) {
                return Err(HashProblem::Format);
            }
            for (name, value, limit) in [
                ("m", m, bounds.argon2_m),
                ("t", t, bounds.argon2_t),
                ("p", p, bounds.argon2_p),
            ] {
                if value > u64::from(limit) {
                    return Err(over(algorithm, name, u64::from(limit)));
                }
            }
            runs(argon2::Params::try_from(&phc).is_ok(), algorithm)
        }
        "scrypt" => {
            let algorithm = HashAlgorithm::Scrypt;
            let (Some(ln), Some(r), Some(p)) = (get("ln"), get("r"), get("p")) else {
                return Err(HashProblem::Format);
            };
            if params.len() != 3 || !only(&["ln", "r", "p"]) || phc.version.is_some() || ln >= 64 {
                return Err(HashProblem::Format);
            }
            if 1u64 << ln > bounds.scrypt_n {
                return Err(over(algorithm, "N", bounds.scrypt_n));
            }
            for (name, value, limit) in [("r", r, bounds.scrypt_r), ("p", p, bounds.scrypt_p)] {
                if value > u64::from(limit) {
                    return Err(over(algorithm, name, u64::from(limit)));
                }
            }
            runs(scrypt::Params::try_from(&phc).is_ok(), algorithm)
        }
        "pbkdf2-sha256" => {
            let algorithm = HashAlgorithm::Pbkdf2Sha256;
            let (Some(i), Some(_)) = (get("i"), get("l")) else {
                return Err(HashProblem::Format);
            };
            if params.len() != 2 || !only(&["i", "l"]) || phc.version.is_some() {
                return Err(HashProblem::Format);
            }
            if i > u64::from(bounds.pbkdf2_iterations) {
                return Err(over(algorithm, "iterations", u64::from(bounds.pbkdf2_iterations)));
            }
            // At least one iteration: the crate itself would take 0.
            runs(i > 0 && pbkdf2::Params::try_from(&phc).is_ok(), algorithm)
        }
        _ => Err(HashProblem::Format),
    }
}

/// `algorithm`, if its crate can run the parameters.
fn runs(runnable: bool, algorithm: HashAlgorithm) -> Result<HashAlgorithm, HashProblem> {
    if runnable {
        Ok(algorithm)
    } else {
        Err(HashProblem::Format)
    }
}

/// A modular-crypt bcrypt hash; `rest` follows its `$2`.
fn bcrypt_hash(text: &str, rest: &str, bounds: &Bounds) -> Result<HashAlgorithm, HashProblem> {
    // `$2x$` (a buggy 2011 implementation's mark) is read by the crate, but is not a form assumed.
    if !["a$", "b$", "y$"].iter().any(|v| rest.starts_with(v)) {
        return Err(HashProblem::Format);
    }
    let parts: bcrypt::HashParts = text.parse().map_err(|_| HashProblem::Format)?;
    // bcrypt's own least cost; below it no implementation makes such a hash.
    if parts.get_cost() < 4 {
        return Err(HashProblem::Format);
    }
    if parts.get_cost() > bounds.bcrypt_cost {
        return Err(HashProblem::OverBounds {
            algorithm: HashAlgorithm::Bcrypt,
            parameter: "cost",
            limit: u64::from(bounds.bcrypt_cost),
        });
    }
    Ok(HashAlgorithm::Bcrypt)
}

/// The algorithm a hash of a checked file names, from its prefix alone.
pub fn algorithm_of(value: &[u8]) -> Option<HashAlgorithm> {
    let value = value.trim_ascii();
    [
        (&b"$2"[..], HashAlgorithm::Bcrypt),
        (b"$scrypt$", HashAlgorithm::Scrypt),
        (b"$argon2id$", HashAlgorithm::Argon2id),
        (b"$pbkdf2-sha256$", HashAlgorithm::Pbkdf2Sha256),
    ]
    .into_iter()
    .find_map(|(prefix, algorithm)| value.starts_with(prefix).then_some(algorithm))
}

/// The users of a file by their `password_hash`: counted for the summary, and to choose the job's
/// algorithm when `PASSWORD_HASHING_ALGORITHM` is not set.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HashTally {
    /// The file has a `password_hash` column.
    pub column: bool,
    /// The pool's GetCSVHeader lists `password_hash`.
    pub listed: bool,
    /// Rows with an empty `password_hash` (those users must reset their password).
    pub without: u64,
    /// Rows with a valid hash, by algorithm ([`HashAlgorithm::ALL`]'s order).
    pub with: [u64; 4],
}

impl HashTally {
    pub(super) fn count(&mut self, algorithm: HashAlgorithm) {
        self.with[algorithm.index()] += 1;
    }

    /// The algorithm of a file's jobs: the one set, else the one its hashes name (`None` when they
    /// name several: one job per algorithm, see `group`), else none where the pool lists the column,
    /// else [`ALGORITHM_WITHOUT_HASHES`]. `None` for a file without the column.
    pub fn job_algorithm(&self, set: Option<HashAlgorithm>) -> Option<HashAlgorithm> {
        if !self.column {
            return None;
        }
        match (set, self.algorithms().as_slice()) {
            (Some(set), _) => Some(set),
            (None, []) if self.listed => None,
            (None, []) => Some(ALGORITHM_WITHOUT_HASHES),
            (None, [one]) => Some(*one),
            (None, _) => None,
        }
    }

    /// Rows with a valid hash.
    pub fn with_hash(&self) -> u64 {
        self.with.iter().sum()
    }

    /// The algorithms the hashes name, in [`HashAlgorithm::ALL`]'s order.
    pub fn algorithms(&self) -> Vec<HashAlgorithm> {
        HashAlgorithm::ALL
            .into_iter()
            .filter(|a| self.with[a.index()] > 0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Rule;

    const BCRYPT_12: &str = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";

    fn over(algorithm: HashAlgorithm, parameter: &'static str, limit: u64) -> Result<HashAlgorithm, HashProblem> {
        Err(HashProblem::OverBounds {
            algorithm,
            parameter,
            limit,
        })
    }

    #[test]
    fn bcrypt_forms_and_cost() {
        assert_eq!(judge(BCRYPT_12.as_bytes()), Ok(HashAlgorithm::Bcrypt));
        for version in ["2a", "2y"] {
            let other = BCRYPT_12.replacen("2b", version, 1);
            assert_eq!(judge(other.as_bytes()), Ok(HashAlgorithm::Bcrypt), "{version}");
        }
        assert_eq!(
            judge(BCRYPT_12.replacen("2b", "2x", 1).as_bytes()),
            Err(HashProblem::Format)
        );
        assert_eq!(
            judge(BCRYPT_12.replacen("$12$", "$13$", 1).as_bytes()),
            over(HashAlgorithm::Bcrypt, "cost", 12)
        );
        assert_eq!(
            judge(BCRYPT_12.replacen("$12$", "$03$", 1).as_bytes()),
            Err(HashProblem::Format)
        );
        assert_eq!(judge(&BCRYPT_12.as_bytes()[..59]), Err(HashProblem::Format));
        assert_eq!(
            judge(BCRYPT_12.replacen('R', "!", 1).as_bytes()),
            Err(HashProblem::Format)
        );
    }

    #[test]
    fn phc_strings_and_their_bounds() {
        let salt = "c29tZXNhbHRzb21lc2FsdA";
        let hash = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        let a = |params: &str| format!("$argon2id$v=19${params}${salt}${hash}");
        assert_eq!(judge(a("m=19456,t=2,p=1").as_bytes()), Ok(HashAlgorithm::Argon2id));
        assert_eq!(
            judge(a("m=19457,t=2,p=1").as_bytes()),
            over(HashAlgorithm::Argon2id, "m", 19_456)
        );
        assert_eq!(
            judge(a("m=19456,t=3,p=1").as_bytes()),
            over(HashAlgorithm::Argon2id, "t", 2)
        );
        assert_eq!(
            judge(a("m=19456,t=2,p=2").as_bytes()),
            over(HashAlgorithm::Argon2id, "p", 1)
        );
        assert_eq!(judge(a("m=19456,t=2").as_bytes()), Err(HashProblem::Format));
        // Argon2 needs 8 KiB of memory a lane; the version is 19.
        assert_eq!(judge(a("m=4,t=1,p=1").as_bytes()), Err(HashProblem::Format));
        let unversioned = format!("$argon2id$m=64,t=1,p=1${salt}${hash}");
        assert_eq!(judge(unversioned.as_bytes()), Err(HashProblem::Format));
        assert_eq!(judge(a("m=8,t=1,p=1,keyid=x").as_bytes()), Err(HashProblem::Format));
        let other_argon = format!("$argon2i$v=19$m=8,t=1,p=1${salt}${hash}");
        assert_eq!(judge(other_argon.as_bytes()), Err(HashProblem::Format));

        let s = |params: &str| format!("$scrypt${params}${salt}${hash}");
        assert_eq!(judge(s("ln=16,r=8,p=1").as_bytes()), Ok(HashAlgorithm::Scrypt));
        assert_eq!(
            judge(s("ln=17,r=8,p=1").as_bytes()),
            over(HashAlgorithm::Scrypt, "N", 65_536)
        );
        assert_eq!(
            judge(s("ln=10,r=9,p=1").as_bytes()),
            over(HashAlgorithm::Scrypt, "r", 8)
        );
        assert_eq!(
            judge(s("ln=10,r=8,p=2").as_bytes()),
            over(HashAlgorithm::Scrypt, "p", 1)
        );
        assert_eq!(judge(s("ln=99,r=8,p=1").as_bytes()), Err(HashProblem::Format));
        // N must be under 2^(16·r): scrypt cannot run ln=16 with r=1.
        assert_eq!(judge(s("ln=16,r=1,p=1").as_bytes()), Err(HashProblem::Format));
        assert_eq!(judge(s("ln=15,r=1,p=1").as_bytes()), Ok(HashAlgorithm::Scrypt));

        let p = |params: &str| format!("$pbkdf2-sha256${params}${salt}${hash}");
        assert_eq!(judge(p("i=600000,l=32").as_bytes()), Ok(HashAlgorithm::Pbkdf2Sha256));
        // `l` is the hash's length (here 32 bytes), and must be given.
        assert_eq!(judge(p("i=1000,l=32").as_bytes()), Ok(HashAlgorithm::Pbkdf2Sha256));
        assert_eq!(judge(p("i=1000").as_bytes()), Err(HashProblem::Format));
        assert_eq!(judge(p("i=1000,l=16").as_bytes()), Err(HashProblem::Format));
        assert_eq!(judge(p("i=0,l=32").as_bytes()), Err(HashProblem::Format));
        assert_eq!(
            judge(p("i=600001,l=32").as_bytes()),
            over(HashAlgorithm::Pbkdf2Sha256, "iterations", 600_000)
        );
        // No salt or no hash: not a password hash.
        assert_eq!(judge(b"$pbkdf2-sha256$i=1000"), Err(HashProblem::Format));
        for junk in ["secret", "$md5$x", "$", "plain text", "$2b$", "\u{e9}$2b$"] {
            assert_eq!(judge(junk.as_bytes()), Err(HashProblem::Format), "{junk}");
        }
    }

    #[test]
    fn names_and_prefixes() {
        for algorithm in HashAlgorithm::ALL {
            assert_eq!(HashAlgorithm::from_api_name(algorithm.api_name()), Some(algorithm));
            let json = serde_json::to_string(&algorithm).unwrap();
            assert_eq!(json, format!("\"{}\"", algorithm.api_name()));
        }
        assert_eq!(
            HashAlgorithm::from_api_name(" argon2id "),
            Some(HashAlgorithm::Argon2id)
        );
        assert_eq!(HashAlgorithm::from_api_name("MD5"), None);
        assert_eq!(algorithm_of(BCRYPT_12.as_bytes()), Some(HashAlgorithm::Bcrypt));
        assert_eq!(algorithm_of(b" $scrypt$ln=1"), Some(HashAlgorithm::Scrypt));
        assert_eq!(algorithm_of(b"x"), None);
    }

    fn check(hashing: Option<HashAlgorithm>, rows: &[&str]) -> crate::check::Verdict {
        let rules =
            crate::check::PoolRules::new(vec!["cognito:username".into(), "email".into(), "email_verified".into()]);
        let mut text = String::from("cognito:username,email_verified,email,password_hash\n");
        for (i, hash) in rows.iter().enumerate() {
            text.push_str(&format!("u{i},true,u{i}@example.com,{hash}\n"));
        }
        let mut checker = crate::check::Checker::new(&crate::check::PoolRules {
            require_full_header: false,
            ..rules
        })
        .hashing(hashing);
        checker.feed(text.as_bytes());
        checker.finish()
    }

    fn found(verdict: &crate::check::Verdict) -> Vec<(u64, Option<&str>, String)> {
        verdict
            .problems
            .iter()
            .map(|p| (p.line, p.column.as_deref(), p.rule.to_string()))
            .collect()
    }

    #[test]
    fn the_checker_reads_every_hash_and_names_none() {
        // In Cognito's dialect, as a file holds it: the commas escaped.
        let argon =
            "$argon2id$v=19$m=19456\\,t=2\\,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        let over = BCRYPT_12.replacen("$12$", "$13$", 1);
        let verdict = check(
            None,
            &[BCRYPT_12, "", "  ", &over, "not-a-hash", BCRYPT_12, argon, argon],
        );
        assert_eq!(
            found(&verdict),
            [
                (
                    5,
                    Some("password_hash"),
                    "BCRYPT cost is over Cognito's bound of 12: Cognito would fail this user".into()
                ),
                (6, Some("password_hash"), Rule::HashFormat.to_string()),
            ]
        );
        assert_eq!((verdict.hashes.with_hash(), verdict.hashes.without), (4, 2));
        assert_eq!(
            verdict.hashes.algorithms(),
            [HashAlgorithm::Bcrypt, HashAlgorithm::Argon2id]
        );
        assert_eq!(verdict.hashes.job_algorithm(None), None);
        let json = serde_json::to_string(&verdict).unwrap();
        for secret in [BCRYPT_12, argon, &over, "not-a-hash"] {
            assert!(!json.contains(secret), "a hash in the verdict");
        }

        // With PASSWORD_HASHING_ALGORITHM, a hash of another algorithm is refused on every row.
        let verdict = check(Some(HashAlgorithm::Argon2id), &[BCRYPT_12, argon, BCRYPT_12]);
        let lines: Vec<u64> = verdict.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(
            verdict.problems[0].rule,
            Rule::HashNotOfJobAlgorithm {
                algorithm: HashAlgorithm::Argon2id
            }
        );

        // One algorithm, or none: the job's.
        let verdict = check(None, &[argon, ""]);
        assert!(verdict.is_clean());
        assert_eq!(verdict.hashes.job_algorithm(None), Some(HashAlgorithm::Argon2id));
        assert_eq!(
            verdict.hashes.job_algorithm(Some(HashAlgorithm::Argon2id)),
            Some(HashAlgorithm::Argon2id)
        );
        let verdict = check(None, &["", ""]);
        assert!(verdict.is_clean());
        assert_eq!(verdict.hashes.job_algorithm(None), Some(ALGORITHM_WITHOUT_HASHES));
    }

    #[test]
    fn a_file_without_the_column_is_no_hash_job() {
        let rules =
            crate::check::PoolRules::new(vec!["cognito:username".into(), "email".into(), "email_verified".into()]);
        let mut checker = crate::check::Checker::new(&rules).hashing(Some(HashAlgorithm::Bcrypt));
        checker.feed(b"cognito:username,email,email_verified\nann,ann@example.com,true\n");
        let verdict = checker.finish();
        assert!(verdict.is_clean());
        assert!(!verdict.hashes.column);
        assert_eq!(verdict.hashes.job_algorithm(Some(HashAlgorithm::Bcrypt)), None);
    }
}
