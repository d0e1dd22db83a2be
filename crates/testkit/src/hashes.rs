//! Password hashes as the databases users come from store them, made with the RustCrypto crates
//! (and `bcrypt`), and files that carry them: for the tests of hash imports.
//!
//! The cost parameters are the least each algorithm allows, so that debug-build tests stay fast;
//! they are within Cognito's bounds all the same.

use cognito_import::check::HashAlgorithm;
use password_hash::{PasswordHasher, SaltString, rand_core::OsRng};

/// `password` hashed with `algorithm`, in its standard text form (modular crypt for bcrypt, a PHC
/// string for the others).
pub fn hash(algorithm: HashAlgorithm, password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let password = password.as_bytes();
    match algorithm {
        HashAlgorithm::Bcrypt => bcrypt::hash(password, 4).expect("bcrypt hashes"),
        HashAlgorithm::Argon2id => {
            let params = argon2::Params::new(64, 1, 1, None).expect("argon2 parameters");
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password(password, &salt)
                .expect("argon2 hashes")
                .to_string()
        }
        HashAlgorithm::Scrypt => {
            let params = scrypt::Params::new(4, 8, 1, 32).expect("scrypt parameters");
            scrypt::Scrypt
                .hash_password_customized(password, None, None, params, &salt)
                .expect("scrypt hashes")
                .to_string()
        }
        HashAlgorithm::Pbkdf2Sha256 => {
            let params = pbkdf2::Params {
                rounds: 1_000,
                output_length: 32,
            };
            pbkdf2::Pbkdf2
                .hash_password_customized(
                    password,
                    Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()),
                    None,
                    params,
                    &salt,
                )
                .expect("pbkdf2 hashes")
                .to_string()
        }
    }
}

/// A user of a hash file: `hash` `None` leaves `password_hash` empty (the user must reset).
pub struct HashUser<'a> {
    pub username: &'a str,
    pub hash: Option<String>,
}

/// A CSV of `users` with the columns a database export has (a partial header; the function
/// completes it), written by the `csv` crate: a PHC hash, which holds commas, is quoted (RFC 4180).
pub fn file(users: &[HashUser<'_>]) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["cognito:username", "email", "email_verified", "password_hash"])
        .expect("writes");
    for user in users {
        let email = format!("{}@example.com", user.username);
        out.write_record([user.username, &email, "true", user.hash.as_deref().unwrap_or("")])
            .expect("writes");
    }
    out.into_inner().expect("in memory")
}

/// A file of users `names[i]` with `hashes[i]` (as many as the shorter list).
pub fn file_of(names: &[String], hashes: &[String]) -> Vec<u8> {
    let users: Vec<HashUser> = names
        .iter()
        .zip(hashes)
        .map(|(username, hash)| HashUser {
            username,
            hash: Some(hash.clone()),
        })
        .collect();
    file(&users)
}
