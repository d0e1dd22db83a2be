//! Password hashes in import files (reference, "password hashes"): the job's algorithm, reading a
//! `password_hash` value in that algorithm's standard text form within Cognito's bounds, and
//! checking a password against a hash read earlier (for sign-in).
//!
//! The values are parsed by the RustCrypto crates' own parsers (`password-hash`'s PHC reader, the
//! `bcrypt` crate's `HashParts`); the text forms themselves are an assumption
//! ([`assumptions::hashes`]). A [`HashProblem`] holds only the algorithm, a parameter's name and
//! a bound, never anything of the value, so that it can be logged.

use std::fmt;
use std::str::FromStr;

use password_hash::{PasswordHash, PasswordVerifier};

use crate::assumptions::{self, hashes::Form};

/// Cognito's bounds (reference, "password hashes"): bcrypt cost.
pub const BCRYPT_MAX_COST: u32 = 12;
/// scrypt N (so log2 N at most 16).
pub const SCRYPT_MAX_N: u64 = 65_536;
/// scrypt r.
pub const SCRYPT_MAX_R: u32 = 8;
/// scrypt p.
pub const SCRYPT_MAX_P: u32 = 1;
/// Argon2id memory, in KiB.
pub const ARGON2_MAX_M: u32 = 19_456;
/// Argon2id iterations.
pub const ARGON2_MAX_T: u32 = 2;
/// Argon2id parallelism.
pub const ARGON2_MAX_P: u32 = 1;
/// PBKDF2-SHA256 iterations.
pub const PBKDF2_MAX_ITERATIONS: u32 = 600_000;

/// The smallest cost the bcrypt algorithm (and the crate) runs.
const BCRYPT_MIN_COST: u32 = 4;

/// CreateUserImportJob's `PasswordHashingAlgorithm`: one algorithm for every user of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    Bcrypt,
    Scrypt,
    Argon2id,
    Pbkdf2Sha256,
}

impl HashAlgorithm {
    /// Every algorithm the API takes.
    pub const ALL: [HashAlgorithm; 4] = [
        HashAlgorithm::Bcrypt,
        HashAlgorithm::Scrypt,
        HashAlgorithm::Argon2id,
        HashAlgorithm::Pbkdf2Sha256,
    ];

    /// The API's name (`BCRYPT`, `SCRYPT`, `ARGON2ID`, `PBKDF2_SHA256`).
    pub fn api_name(self) -> &'static str {
        match self {
            HashAlgorithm::Bcrypt => "BCRYPT",
            HashAlgorithm::Scrypt => "SCRYPT",
            HashAlgorithm::Argon2id => "ARGON2ID",
            HashAlgorithm::Pbkdf2Sha256 => "PBKDF2_SHA256",
        }
    }

    /// The algorithm of an API name, exactly as the API spells it.
    pub fn from_api_name(name: &str) -> Option<HashAlgorithm> {
        Self::ALL.into_iter().find(|a| a.api_name() == name)
    }

    /// The standard text form of its values (the assumption, `assumptions::hashes`).
    fn form(self) -> &'static Form {
        match self {
            HashAlgorithm::Bcrypt => &assumptions::hashes::BCRYPT,
            HashAlgorithm::Argon2id => &assumptions::hashes::ARGON2ID,
            HashAlgorithm::Scrypt => &assumptions::hashes::SCRYPT,
            HashAlgorithm::Pbkdf2Sha256 => &assumptions::hashes::PBKDF2_SHA256,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

impl FromStr for HashAlgorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_api_name(s).ok_or(UnknownAlgorithm)
    }
}

/// A name that is not one of [`HashAlgorithm::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a PasswordHashingAlgorithm (BCRYPT, SCRYPT, ARGON2ID, PBKDF2_SHA256)")]
pub struct UnknownAlgorithm;

/// Why a `password_hash` value fails its row. Never holds any part of the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashProblem {
    /// Not the job's algorithm's standard text form (or parameters its crate refuses).
    Malformed(HashAlgorithm),
    /// The standard text form of another of the four algorithms.
    OtherAlgorithm {
        found: HashAlgorithm,
        expected: HashAlgorithm,
    },
    /// A parameter above Cognito's bound.
    OverBound {
        algorithm: HashAlgorithm,
        parameter: &'static str,
        limit: u64,
    },
}

/// A password hash read from an import file, stored on the user it imported. Its `Debug` never
/// shows the hash: users and rows are printed in test failures.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportedHash {
    algorithm: HashAlgorithm,
    text: String,
}

impl fmt::Debug for ImportedHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedHash")
            .field("algorithm", &self.algorithm)
            .field("text", &"<redacted>")
            .finish()
    }
}

impl ImportedHash {
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// Whether `password` is the one hashed, checked by the algorithm's crate. Costs one hashing at
    /// the stored parameters (bounded by the import).
    pub fn verify(&self, password: &str) -> bool {
        let password = password.as_bytes();
        let phc = || PasswordHash::new(&self.text);
        match self.algorithm {
            HashAlgorithm::Bcrypt => bcrypt::verify(password, &self.text).unwrap_or(false),
            HashAlgorithm::Argon2id => {
                phc().is_ok_and(|h| argon2::Argon2::default().verify_password(password, &h).is_ok())
            }
            HashAlgorithm::Scrypt => phc().is_ok_and(|h| scrypt::Scrypt.verify_password(password, &h).is_ok()),
            HashAlgorithm::Pbkdf2Sha256 => phc().is_ok_and(|h| pbkdf2::Pbkdf2.verify_password(password, &h).is_ok()),
        }
    }
}

/// Reads a non-empty `password_hash` value as a hash of the job's `algorithm`.
pub fn parse(value: &str, algorithm: HashAlgorithm) -> Result<ImportedHash, HashProblem> {
    match family(value) {
        None => return Err(HashProblem::Malformed(algorithm)),
        Some(found) if found != algorithm => {
            return Err(HashProblem::OtherAlgorithm {
                found,
                expected: algorithm,
            });
        }
        Some(_) => {}
    }
    let malformed = HashProblem::Malformed(algorithm);
    let parsed = match algorithm {
        HashAlgorithm::Bcrypt => Parsed::Bcrypt(bcrypt_parts(value).ok_or(malformed)?),
        _ => Parsed::Phc(standard_phc(value, algorithm).ok_or(malformed)?),
    };
    // Bounds first, on the parameters as written: a value above a bound is reported as such even
    // where the crate would refuse the combination (scrypt's ln=17 with r=1, say).
    for &(parameter, shown, limit) in bounds(algorithm) {
        let written = parsed.parameter(parameter).ok_or(malformed)?;
        // scrypt's bound is on N = 2^ln.
        let actual = if parameter == "ln" {
            u32::try_from(written)
                .ok()
                .and_then(|ln| 1u64.checked_shl(ln))
                .unwrap_or(u64::MAX)
        } else {
            written
        };
        if actual > limit {
            return Err(HashProblem::OverBound {
                algorithm,
                parameter: shown,
                limit,
            });
        }
    }
    // Then whether the algorithm can run them, by its crate.
    let runnable = match &parsed {
        Parsed::Bcrypt(parts) => parts.get_cost() >= BCRYPT_MIN_COST,
        Parsed::Phc(hash) => match algorithm {
            HashAlgorithm::Scrypt => scrypt::Params::try_from(hash).is_ok(),
            HashAlgorithm::Argon2id => argon2::Params::try_from(hash).is_ok(),
            // PBKDF2 runs at least one iteration; the crate would take 0.
            HashAlgorithm::Pbkdf2Sha256 => pbkdf2::Params::try_from(hash).is_ok_and(|p| p.rounds > 0),
            HashAlgorithm::Bcrypt => false,
        },
    };
    if !runnable {
        return Err(malformed);
    }
    Ok(ImportedHash {
        algorithm,
        text: value.to_owned(),
    })
}

/// Cognito's bounds per algorithm: (parameter as written, name in reasons, bound).
fn bounds(algorithm: HashAlgorithm) -> &'static [(&'static str, &'static str, u64)] {
    match algorithm {
        HashAlgorithm::Bcrypt => &[("cost", "cost", BCRYPT_MAX_COST as u64)],
        HashAlgorithm::Scrypt => &[
            ("ln", "N", SCRYPT_MAX_N),
            ("r", "r", SCRYPT_MAX_R as u64),
            ("p", "p", SCRYPT_MAX_P as u64),
        ],
        HashAlgorithm::Argon2id => &[
            ("m", "m", ARGON2_MAX_M as u64),
            ("t", "t", ARGON2_MAX_T as u64),
            ("p", "p", ARGON2_MAX_P as u64),
        ],
        HashAlgorithm::Pbkdf2Sha256 => &[("i", "iterations", PBKDF2_MAX_ITERATIONS as u64)],
    }
}

/// A value read by its algorithm's crate.
enum Parsed<'v> {
    Bcrypt(bcrypt::HashParts),
    Phc(PasswordHash<'v>),
}

impl Parsed<'_> {
    /// A parameter's value as written (bcrypt's only one is `cost`).
    fn parameter(&self, name: &str) -> Option<u64> {
        match self {
            Parsed::Bcrypt(parts) => Some(parts.get_cost().into()),
            Parsed::Phc(hash) => hash.params.get_decimal(name).map(u64::from),
        }
    }
}

/// Which of the four algorithms' text forms `value` is written in, by their crates' parsers.
fn family(value: &str) -> Option<HashAlgorithm> {
    if bcrypt_parts(value).is_some() {
        return Some(HashAlgorithm::Bcrypt);
    }
    let hash = PasswordHash::new(value).ok()?;
    HashAlgorithm::ALL
        .into_iter()
        .find(|a| matches!(a.form(), Form::Phc { ident, .. } if *ident == hash.algorithm.as_str()))
}

/// The bcrypt crate's reading of a modular-crypt hash with one of the assumed prefixes and a
/// two-digit cost (the crate also takes `$2x$`, and a cost such as `+5`).
fn bcrypt_parts(value: &str) -> Option<bcrypt::HashParts> {
    let Form::ModularCrypt { prefixes } = HashAlgorithm::Bcrypt.form() else {
        unreachable!("bcrypt is written in modular crypt form")
    };
    let parts = value.parse::<bcrypt::HashParts>().ok()?;
    // The crate checked the length (60 ASCII bytes) and the `$` at 0, 3 and 6.
    let prefix_ok = prefixes.iter().any(|p| value.get(1..3) == Some(*p));
    let cost_digits = value.as_bytes()[4..6].iter().all(u8::is_ascii_digit);
    (prefix_ok && cost_digits).then_some(parts)
}

/// `value` read by `password-hash` as a PHC string of `algorithm` in its standard form: the
/// assumed version, exactly the assumed parameters (each once), a salt and a hash.
fn standard_phc(value: &str, algorithm: HashAlgorithm) -> Option<PasswordHash<'_>> {
    let Form::Phc { ident, version, params } = algorithm.form() else {
        return None;
    };
    let hash = PasswordHash::new(value).ok()?;
    let names: Vec<&str> = hash.params.iter().map(|(name, _)| name.as_str()).collect();
    let exact_params = names.len() == params.len() && params.iter().all(|p| names.contains(p));
    let ok = hash.algorithm.as_str() == *ident
        && hash.version == *version
        && exact_params
        && hash.salt.is_some()
        && hash.hash.is_some();
    ok.then_some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use password_hash::{PasswordHasher, SaltString};

    const PASSWORD: &str = "correct horse battery staple";

    fn salt() -> SaltString {
        SaltString::encode_b64(b"sixteen byte slt").unwrap()
    }

    // Cheap parameters: these tests are about reading, not cost.
    fn bcrypt_hash() -> String {
        bcrypt::hash_with_salt(PASSWORD, 4, *b"sixteen byte slt")
            .unwrap()
            .format_for_version(bcrypt::Version::TwoB)
    }

    fn argon2_hash(m: u32, t: u32, p: u32) -> String {
        let params = argon2::Params::new(m, t, p, None).unwrap();
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(PASSWORD.as_bytes(), &salt())
            .unwrap()
            .to_string()
    }

    fn scrypt_hash() -> String {
        let params = scrypt::Params::new(4, 1, 1, 32).unwrap();
        scrypt::Scrypt
            .hash_password_customized(PASSWORD.as_bytes(), None, None, params, &salt())
            .unwrap()
            .to_string()
    }

    fn pbkdf2_hash() -> String {
        let params = pbkdf2::Params {
            rounds: 1000,
            output_length: 32,
        };
        pbkdf2::Pbkdf2
            .hash_password_customized(PASSWORD.as_bytes(), None, None, params, &salt())
            .unwrap()
            .to_string()
    }

    fn all_hashes() -> [(HashAlgorithm, String); 4] {
        [
            (HashAlgorithm::Bcrypt, bcrypt_hash()),
            (HashAlgorithm::Scrypt, scrypt_hash()),
            (HashAlgorithm::Argon2id, argon2_hash(64, 1, 1)),
            (HashAlgorithm::Pbkdf2Sha256, pbkdf2_hash()),
        ]
    }

    #[test]
    fn api_names_round_trip() {
        for a in HashAlgorithm::ALL {
            assert_eq!(a.api_name().parse::<HashAlgorithm>(), Ok(a));
        }
        assert_eq!("bcrypt".parse::<HashAlgorithm>(), Err(UnknownAlgorithm));
        assert_eq!(HashAlgorithm::from_api_name("ARGON2I"), None);
    }

    #[test]
    fn each_algorithm_reads_its_own_form_and_verifies() {
        for (algorithm, text) in all_hashes() {
            let hash = parse(&text, algorithm).unwrap_or_else(|e| panic!("{algorithm}: {e:?}"));
            assert_eq!(hash.algorithm(), algorithm);
            assert!(hash.verify(PASSWORD), "{algorithm}");
            assert!(!hash.verify("wrong"), "{algorithm}");
        }
    }

    #[test]
    fn every_other_algorithm_is_named_as_such() {
        for (found, text) in all_hashes() {
            for expected in HashAlgorithm::ALL.into_iter().filter(|a| *a != found) {
                assert_eq!(
                    parse(&text, expected),
                    Err(HashProblem::OtherAlgorithm { found, expected })
                );
            }
        }
    }

    #[test]
    fn bcrypt_prefixes_and_cost() {
        let text = bcrypt_hash();
        for prefix in ["2a", "2b", "2y"] {
            let v = format!("${prefix}{}", &text[3..]);
            assert!(parse(&v, HashAlgorithm::Bcrypt).is_ok(), "{prefix}");
            assert!(parse(&v, HashAlgorithm::Bcrypt).unwrap().verify(PASSWORD), "{prefix}");
        }
        let with_cost = |cost: &str| format!("$2b${cost}{}", &text[6..]);
        let malformed = Err(HashProblem::Malformed(HashAlgorithm::Bcrypt));
        assert_eq!(parse(&format!("$2x{}", &text[3..]), HashAlgorithm::Bcrypt), malformed);
        assert_eq!(parse(&with_cost("+5"), HashAlgorithm::Bcrypt), malformed);
        assert_eq!(parse(&with_cost("03"), HashAlgorithm::Bcrypt), malformed);
        assert!(parse(&with_cost("12"), HashAlgorithm::Bcrypt).is_ok());
        assert_eq!(
            parse(&with_cost("13"), HashAlgorithm::Bcrypt),
            Err(HashProblem::OverBound {
                algorithm: HashAlgorithm::Bcrypt,
                parameter: "cost",
                limit: 12
            })
        );
        assert_eq!(parse(&text[..59], HashAlgorithm::Bcrypt), malformed);
    }

    #[test]
    fn phc_bounds_are_inclusive() {
        let over = |algorithm, parameter, limit| {
            Err(HashProblem::OverBound {
                algorithm,
                parameter,
                limit,
            })
        };
        let argon = argon2_hash(64, 1, 1);
        let with = |params: &str| argon.replace("m=64,t=1,p=1", params);
        assert!(parse(&with("m=19456,t=2,p=1"), HashAlgorithm::Argon2id).is_ok());
        let a = HashAlgorithm::Argon2id;
        assert_eq!(parse(&with("m=19457,t=2,p=1"), a), over(a, "m", 19456));
        assert_eq!(parse(&with("m=19456,t=3,p=1"), a), over(a, "t", 2));
        assert_eq!(parse(&with("m=64,t=1,p=2"), a), over(a, "p", 1));

        let s = HashAlgorithm::Scrypt;
        let scrypt = scrypt_hash();
        let with = |params: &str| scrypt.replace("ln=4,r=1,p=1", params);
        assert!(parse(&with("ln=16,r=8,p=1"), s).is_ok());
        assert_eq!(parse(&with("ln=17,r=8,p=1"), s), over(s, "N", 65536));
        // Above a bound even where the crate refuses the combination (scrypt needs ln < 16·r).
        assert_eq!(parse(&with("ln=17,r=1,p=1"), s), over(s, "N", 65536));
        assert_eq!(parse(&with("ln=16,r=1,p=1"), s), Err(HashProblem::Malformed(s)));
        assert_eq!(parse(&with("ln=4,r=9,p=1"), s), over(s, "r", 8));
        assert_eq!(parse(&with("ln=4,r=1,p=2"), s), over(s, "p", 1));

        let k = HashAlgorithm::Pbkdf2Sha256;
        let pbkdf2 = pbkdf2_hash();
        let with = |params: &str| pbkdf2.replace("i=1000,l=32", params);
        assert!(parse(&with("i=600000,l=32"), k).is_ok());
        assert_eq!(parse(&with("i=600001,l=32"), k), over(k, "iterations", 600_000));
    }

    #[test]
    fn phc_strings_outside_the_standard_form_are_malformed() {
        let argon = argon2_hash(64, 1, 1);
        let pbkdf2 = pbkdf2_hash();
        let scrypt = scrypt_hash();
        let cases = [
            (HashAlgorithm::Argon2id, argon.replace("$v=19", "")),
            (HashAlgorithm::Argon2id, argon.replace("v=19", "v=16")),
            (HashAlgorithm::Argon2id, argon.replace("m=64,t=1,p=1", "m=64,t=1")),
            (
                HashAlgorithm::Argon2id,
                argon.replace("m=64,t=1,p=1", "m=64,t=1,p=1,keyid=AAAA"),
            ),
            (HashAlgorithm::Argon2id, argon.replace("m=64", "m=4")),
            (HashAlgorithm::Argon2id, argon.rsplit_once('$').unwrap().0.to_owned()),
            (HashAlgorithm::Scrypt, scrypt.replace("ln=4,r=1,p=1", "r=1,p=1")),
            (HashAlgorithm::Scrypt, scrypt.replace("ln=4", "ln=x")),
            (HashAlgorithm::Pbkdf2Sha256, pbkdf2.replace("i=1000", "i=0")),
            (HashAlgorithm::Pbkdf2Sha256, pbkdf2.replace("i=1000,l=32", "1000")),
            (
                HashAlgorithm::Pbkdf2Sha256,
                pbkdf2.replace("pbkdf2-sha256", "pbkdf2-sha512"),
            ),
            (HashAlgorithm::Argon2id, argon.replace("argon2id", "argon2i")),
            (HashAlgorithm::Bcrypt, "not a hash".to_owned()),
            (HashAlgorithm::Scrypt, "$scrypt$".to_owned()),
        ];
        for (algorithm, value) in cases {
            assert_eq!(
                parse(&value, algorithm),
                Err(HashProblem::Malformed(algorithm)),
                "{value}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_hash() {
        let text = bcrypt_hash();
        let hash = parse(&text, HashAlgorithm::Bcrypt).unwrap();
        let shown = format!("{hash:?}");
        assert!(!shown.contains(&text[7..]), "{shown}");
        assert!(shown.contains("Bcrypt"));
    }
}
