//! What the tests, the benchmarks and the CLI share, and the deployed function never links:
//!
//! - [`sandbox`] — the function's `App` on the local stand-in, with a pool and a drop bucket;
//! - [`synth`] — realistic user files, deterministic from a seed.

pub mod sandbox;
pub mod synth;

pub use sandbox::{BUCKET, LOGS_ROLE_ARN, LocalError, Sandbox};
