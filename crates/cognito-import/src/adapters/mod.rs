//! I/O, one service concern a file, each with its own error type: they call the AWS SDK clients
//! and the domain, never a flow.

pub mod fetch;
pub mod ledger;
pub mod lock;
pub mod logs;
pub mod notify;
pub mod objects;
pub mod open_index;
pub mod pool;
pub mod reports;
pub mod s3cas;
pub mod source;
pub mod spool;
pub mod upload;
