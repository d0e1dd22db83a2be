//! Reading a user import file the way Amazon Cognito does.
//!
//! [`dialect`] splits the file into lines and fields (Cognito's CSV dialect, not RFC 4180).
//! [`rules`] checks the file-level rules, which fail the whole job, and the row rules, which fail one
//! row. [`hashes`] reads a `password_hash` value as the job's algorithm and checks a password
//! against it. Deciding that a user already exists, creating users, logging and counting are the caller's.

pub mod dialect;
pub mod hashes;
pub mod rules;

pub use hashes::{HashAlgorithm, ImportedHash};
pub use rules::*;
