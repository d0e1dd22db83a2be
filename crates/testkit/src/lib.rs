//! What the tests, the benchmarks and the CLI share, and the deployed function never links:
//!
//! - [`sandbox`] — the function's `App` on the local stand-in, with a pool and a drop bucket;
//! - [`synth`] — realistic user files, deterministic from a seed;
//! - [`layout`] — the module graph of a crate, for the tests that keep it acyclic and layered.

pub mod exports;
pub mod hashes;
pub mod layout;
pub mod sandbox;
pub mod synth;

pub use sandbox::{BUCKET, DropBucket, Dropped, LOGS_ROLE_ARN, LocalError, Sandbox};
